/* What the files of the injection detectors' C extension share (module.c says what it is):
 * reading words out of a str (inline: the hot loops), the hash table's types and lookups
 * (inline too), the Words object, and the types and functions each file defines:
 *
 *   words.c        Words(text): a text's words, found and hashed once
 *   table.c        the hash table of words and word pairs, built from Python dicts
 *   lexicon.c      Lexicon: the classifier's weights
 *   triggers.c     Triggers: the rules' trigger and start words
 *   confusables.c  Confusables: look-alike letters mapped to Latin
 *   runs.c         run_of, unbroken: the base64 check's scans
 *   module.c       the module
 */
#ifndef AGENTWATCH_SPEEDUPS_H
#define AGENTWATCH_SPEEDUPS_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------------------------------
 * Reading words out of a str
 * --------------------------------------------------------------------------------------------- */

typedef struct {
    int kind;          /* PyUnicode_KIND */
    const void *data;  /* PyUnicode_DATA */
    Py_ssize_t length; /* in code points */
} Text;

typedef struct {
    Py_ssize_t start, length; /* in code points */
    uint64_t hash;
} Word;

/* Whether a character is a word character: a table for the first 256 (filled by the module's
 * init), Py_UNICODE_ISALNUM beyond. */
extern unsigned char latin1_word[256];

static inline int
is_word_char(Py_UCS4 ch)
{
    return ch < 256 ? latin1_word[ch] : (int)Py_UNICODE_ISALNUM(ch);
}

/* FNV-1a over code points, then a finaliser (splitmix64's) so that the low bits, which pick the
 * slot, depend on every character. */
#define FNV_OFFSET 0xcbf29ce484222325ULL
#define FNV_PRIME 0x100000001b3ULL

static inline uint64_t
mix64(uint64_t h)
{
    h ^= h >> 30;
    h *= 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebULL;
    return h ^ (h >> 31);
}

static inline uint64_t
pair_hash(uint64_t first, uint64_t second)
{
    return mix64(first * 0x9e3779b97f4a7c15ULL + second + 0x632be59bd9b4e019ULL);
}

/* next_word_1/2/4(chars, n, &pos, &word): the next word of chars[0:n] at or after pos, hashed;
 * 0 when there is none. Advances pos past it. One function per string kind, so that the loops
 * index an array instead of switching on the kind for every character. */
#define DEFINE_NEXT_WORD(NAME, CHAR)                                                              \
    static inline int NAME(const CHAR *chars, Py_ssize_t n, Py_ssize_t *pos, Word *word)          \
    {                                                                                             \
        Py_ssize_t i = *pos;                                                                      \
        while (i < n && !is_word_char(chars[i])) {                                                \
            i++;                                                                                  \
        }                                                                                         \
        if (i >= n) {                                                                             \
            *pos = n;                                                                             \
            return 0;                                                                             \
        }                                                                                         \
        uint64_t h = FNV_OFFSET;                                                                  \
        word->start = i;                                                                          \
        for (; i < n && is_word_char(chars[i]); i++) {                                            \
            h = (h ^ chars[i]) * FNV_PRIME;                                                       \
        }                                                                                         \
        word->length = i - word->start;                                                           \
        word->hash = mix64(h);                                                                    \
        *pos = i;                                                                                 \
        return 1;                                                                                 \
    }

DEFINE_NEXT_WORD(next_word_1, Py_UCS1)
DEFINE_NEXT_WORD(next_word_2, Py_UCS2)
DEFINE_NEXT_WORD(next_word_4, Py_UCS4)

static inline int
next_word(const Text *text, Py_ssize_t *pos, Word *word)
{
    switch (text->kind) {
    case PyUnicode_1BYTE_KIND:
        return next_word_1(text->data, text->length, pos, word);
    case PyUnicode_2BYTE_KIND:
        return next_word_2(text->data, text->length, pos, word);
    default:
        return next_word_4(text->data, text->length, pos, word);
    }
}

int text_of(PyObject *obj, Text *text);
uint64_t hash_text(const Text *text);

/* ------------------------------------------------------------------------------------------------
 * An open-addressing hash table of words and word pairs (keys copied in)
 * --------------------------------------------------------------------------------------------- */

enum {
    USED = 1,   /* the slot holds an entry */
    PAIR = 2,   /* the key is two words (else one) */
    WIDE = 4,   /* the key is in the wide store (UCS4), else in the narrow one (Latin-1) */
    FIRST = 8,  /* the word is the first of a pair in the table */
    SECOND = 16 /* the word is the second of a pair in the table */
};

/* 24 bytes: the slot comes from the hash's low bits and the entry keeps its high 32 as a tag, the
 * value sits in the entry (a lookup touches the slot and, on a hit, the key's characters: the
 * classifier's table is too big for the caches, so what a lookup touches is what it costs). */
typedef struct {
    union {
        double weight;    /* Lexicon */
        Py_ssize_t index; /* Triggers: the word's number */
    } value;
    uint32_t tag;     /* the hash's high 32 bits */
    uint32_t stamp;   /* the last call that counted this entry (each call counts a key once) */
    uint32_t key;     /* offset of the key's characters in its store: a word, or two */
    uint16_t first;   /* length of the (first) word */
    uint8_t second;   /* length of a pair's second word */
    uint8_t flags;    /* 0: an empty slot */
} Entry;

#define MAX_FIRST 0xFFFF /* longer keys are refused at build time; longer words match nothing */
#define MAX_SECOND 0xFF
#define MAX_ENTRIES 0x3FFFFFFF

typedef struct {
    Entry *slots;
    size_t mask; /* slots - 1 (a power of two) */
    Py_UCS1 *narrow; /* the characters of the keys that are all Latin-1 (most) */
    Py_UCS4 *wide;   /* those of the others */
    Py_ssize_t narrow_used, narrow_size, wide_used, wide_size;
    Py_ssize_t entries, capacity; /* keys in it, and the most it was made for (table_init) */
    uint32_t calls;  /* the current call's stamp (0: no call yet) */
} Table;

int table_init(Table *table, Py_ssize_t entries);
void table_free(Table *table);
uint32_t table_new_call(Table *table);
Entry *table_put(Table *table, PyObject *first, PyObject *second, int *skipped);

/* Whether the `length` characters of a key are those of `text` from `start` (one loop for each
 * kind of key and of text). */
#define SAME_CHARS(KEY, CHAR)                                                                     \
    {                                                                                             \
        const CHAR *chars = (const CHAR *)text->data + start;                                     \
        for (Py_ssize_t i = 0; i < length; i++) {                                                 \
            if ((KEY)[i] != chars[i]) {                                                           \
                return 0;                                                                         \
            }                                                                                     \
        }                                                                                         \
        return 1;                                                                                 \
    }

static inline int
same_narrow(const Py_UCS1 *key, const Text *text, Py_ssize_t start, Py_ssize_t length)
{
    switch (text->kind) {
    case PyUnicode_1BYTE_KIND:
        return memcmp(key, (const Py_UCS1 *)text->data + start, (size_t)length) == 0;
    case PyUnicode_2BYTE_KIND:
        SAME_CHARS(key, Py_UCS2)
    default:
        SAME_CHARS(key, Py_UCS4)
    }
}

static inline int
same_wide(const Py_UCS4 *key, const Text *text, Py_ssize_t start, Py_ssize_t length)
{
    switch (text->kind) {
    case PyUnicode_1BYTE_KIND:
        SAME_CHARS(key, Py_UCS1)
    case PyUnicode_2BYTE_KIND:
        SAME_CHARS(key, Py_UCS2)
    default:
        SAME_CHARS(key, Py_UCS4)
    }
}
#undef SAME_CHARS

/* Whether the entry's key is the word `a` of `ta` followed (for a pair) by the word `b` of `tb`. */
static inline int
same_key(const Table *table, const Entry *entry, const Text *ta, const Word *a, const Text *tb,
         const Word *b)
{
    if (entry->flags & WIDE) {
        const Py_UCS4 *key = table->wide + entry->key;
        return same_wide(key, ta, a->start, a->length) &&
               (b == NULL || same_wide(key + a->length, tb, b->start, b->length));
    }
    const Py_UCS1 *key = table->narrow + entry->key;
    return same_narrow(key, ta, a->start, a->length) &&
           (b == NULL || same_narrow(key + a->length, tb, b->start, b->length));
}

/* The entry of the word `a` of `ta` (or, when `b` is given, of the pair: a, then the word `b` of
 * `tb`), hashed `hash`, or NULL. `*slot` (when given) is set to where it is or would go. */
static inline Entry *
table_find(const Table *table, const Text *ta, const Word *a, const Text *tb, const Word *b,
           uint64_t hash, size_t *slot)
{
    if (a->length > MAX_FIRST || (b != NULL && b->length > MAX_SECOND)) {
        return NULL; /* no key is that long */
    }
    const uint32_t tag = (uint32_t)(hash >> 32);
    const uint8_t kind = b == NULL ? 0 : PAIR;
    const Py_ssize_t second = b == NULL ? 0 : b->length;
    for (size_t i = (size_t)hash & table->mask;; i = (i + 1) & table->mask) {
        Entry *entry = &table->slots[i];
        if (entry->flags == 0) {
            if (slot != NULL) {
                *slot = i;
            }
            return NULL;
        }
        if (entry->tag == tag && entry->first == a->length && entry->second == second &&
            (entry->flags & PAIR) == kind && same_key(table, entry, ta, a, tb, b)) {
            if (slot != NULL) {
                *slot = i;
            }
            return entry;
        }
    }
}

/* ------------------------------------------------------------------------------------------------
 * Words: a text's words, found and hashed once for every table that looks them up
 * --------------------------------------------------------------------------------------------- */

typedef struct {
    PyObject_HEAD
    PyObject *text; /* the str (kept alive: `chars` points into it) */
    Text chars;
    Word *words;
    Py_ssize_t n_words;
} WordsObject;

WordsObject *words_of(PyObject *arg);

extern PyTypeObject WordsType, LexiconType, TriggersType, ConfusablesType;

PyObject *run_of(PyObject *module, PyObject *const *args, Py_ssize_t nargs);
PyObject *unbroken(PyObject *module, PyObject *const *args, Py_ssize_t nargs);

#endif
