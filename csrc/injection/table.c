/* The hash table of words and word pairs: building it (lookups are inline, in speedups.h). */
#include "speedups.h"

/* A table for up to `entries` keys, at most half full (short probe runs). */
int
table_init(Table *table, Py_ssize_t entries)
{
    if (entries < 0 || entries > MAX_ENTRIES) {
        PyErr_SetString(PyExc_ValueError, "too many entries");
        return -1;
    }
    /* entries * 2 + 1 <= 2**31 - 1 (MAX_ENTRIES): no overflow in a 32-bit size_t either */
    size_t size = 16;
    while (size < (size_t)entries * 2 + 1) {
        size *= 2;
    }
    table->slots = PyMem_Calloc(size, sizeof(Entry)); /* flags 0: every slot empty */
    if (table->slots == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    table->mask = size - 1;
    table->entries = 0;
    table->capacity = entries;
    return 0;
}

void
table_free(Table *table)
{
    PyMem_Free(table->slots);
    PyMem_Free(table->narrow);
    PyMem_Free(table->wide);
    table->slots = NULL;
    table->narrow = NULL;
    table->wide = NULL;
}

/* A new stamp for a call; when the counter wraps, every entry's old stamp is cleared first. */
uint32_t
table_new_call(Table *table)
{
    if (++table->calls == 0) {
        for (size_t i = 0; i <= table->mask; i++) {
            table->slots[i].stamp = 0;
        }
        table->calls = 1;
    }
    return table->calls;
}

/* Make room for `more` characters of `width` bytes in a store; 0, or -1 on error.
 *
 * A store holds at most `limit` characters: an entry's key is a uint32_t offset into it, and its
 * size in bytes (characters * width) must fit a Py_ssize_t. The arithmetic is in size_t, where
 * none of it can overflow on any build: on a 32-bit one a Py_ssize_t cannot hold UINT32_MAX (cast,
 * it is -1), and doubling the size could overflow it. `used` never exceeds `limit` (this function
 * is the only way it grows), so `limit - used` does not wrap, and the size grows to `limit` at
 * most. */
static int
store_reserve(void **store, Py_ssize_t *size, Py_ssize_t used, Py_ssize_t more, size_t width)
{
    size_t limit = (size_t)PY_SSIZE_T_MAX / width;
    if (limit > UINT32_MAX) {
        limit = UINT32_MAX;
    }
    if (used < 0 || more < 0 || (size_t)used > limit || (size_t)more > limit - (size_t)used) {
        PyErr_SetString(PyExc_ValueError, "keys too long in total");
        return -1;
    }
    size_t needed = (size_t)used + (size_t)more; /* <= limit */
    if (needed <= (size_t)*size) {
        return 0;
    }
    size_t grown = *size > 0 ? (size_t)*size : 4096;
    while (grown < needed) {
        grown = grown > limit / 2 ? limit : grown * 2; /* never past limit: no overflow */
    }
    if (grown > limit) {
        grown = limit; /* (the first 4096 on a tiny limit) still >= needed */
    }
    void *bigger = PyMem_Realloc(*store, grown * width); /* <= PY_SSIZE_T_MAX bytes */
    if (bigger == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    *store = bigger;
    *size = (Py_ssize_t)grown;
    return 0;
}

/* Copy the characters of a (and b) into the narrow store if all are Latin-1, else the wide one;
 * sets the entry's key and WIDE flag. 0, or -1 on error. */
static int
table_store(Table *table, Entry *entry, const Text *a, const Text *b)
{
    Py_ssize_t length = a->length + b->length;
    if (a->kind == PyUnicode_1BYTE_KIND && (b->length == 0 || b->kind == PyUnicode_1BYTE_KIND)) {
        if (store_reserve((void **)&table->narrow, &table->narrow_size, table->narrow_used, length,
                          sizeof(Py_UCS1)) < 0) {
            return -1;
        }
        Py_UCS1 *out = table->narrow + table->narrow_used;
        memcpy(out, a->data, (size_t)a->length);
        if (b->length) {
            memcpy(out + a->length, b->data, (size_t)b->length);
        }
        entry->key = (uint32_t)table->narrow_used;
        table->narrow_used += length;
        return 0;
    }
    if (store_reserve((void **)&table->wide, &table->wide_size, table->wide_used, length,
                      sizeof(Py_UCS4)) < 0) {
        return -1;
    }
    Py_UCS4 *out = table->wide + table->wide_used;
    for (Py_ssize_t i = 0; i < a->length; i++) {
        out[i] = PyUnicode_READ(a->kind, a->data, i);
    }
    for (Py_ssize_t i = 0; i < b->length; i++) {
        out[a->length + i] = PyUnicode_READ(b->kind, b->data, i);
    }
    entry->key = (uint32_t)table->wide_used;
    entry->flags |= WIDE;
    table->wide_used += length;
    return 0;
}

/* The entry of the word `first` (or of the pair first second), added if new (value 0); NULL on
 * error. A key longer than the table holds is an error (ValueError); an empty one is not added
 * (no text has an empty word): *skipped is set instead. A new key past the number the table was
 * made for is an error too (RuntimeError). Runs no Python code. */
Entry *
table_put(Table *table, PyObject *first, PyObject *second, int *skipped)
{
    Text a, b = {PyUnicode_1BYTE_KIND, NULL, 0};
    *skipped = 0;
    if (text_of(first, &a) < 0 || (second != NULL && text_of(second, &b) < 0)) {
        return NULL;
    }
    if (a.length == 0 || (second != NULL && b.length == 0)) {
        *skipped = 1;
        return NULL;
    }
    if (a.length > MAX_FIRST || b.length > MAX_SECOND) {
        PyErr_SetString(PyExc_ValueError, "a key is too long");
        return NULL;
    }
    Word wa = {0, a.length, hash_text(&a)}, wb = {0, b.length, 0};
    uint64_t hash = wa.hash;
    if (second != NULL) {
        wb.hash = hash_text(&b);
        hash = pair_hash(wa.hash, wb.hash);
    }
    size_t slot = 0; /* set by table_find: the lengths are within bounds (checked above) */
    Entry *entry = table_find(table, &a, &wa, &b, second ? &wb : NULL, hash, &slot);
    if (entry != NULL) {
        return entry;
    }
    if (table->entries >= table->capacity) {
        /* the caller counted fewer keys than it put (a full table would make lookups loop) */
        PyErr_SetString(PyExc_RuntimeError, "more keys than the table was made for");
        return NULL;
    }
    entry = &table->slots[slot];
    memset(entry, 0, sizeof(Entry));
    if (table_store(table, entry, &a, &b) < 0) {
        memset(entry, 0, sizeof(Entry));
        return NULL;
    }
    entry->tag = (uint32_t)(hash >> 32);
    entry->first = (uint16_t)a.length;
    entry->second = (uint8_t)b.length;
    entry->flags |= USED | (second ? PAIR : 0);
    table->entries++;
    return entry;
}
