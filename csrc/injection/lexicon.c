/* Lexicon: the classifier's weights of words and word pairs. */
#include "speedups.h"

typedef struct {
    PyObject_HEAD
    Table table; /* words and pairs, with their weights */
    int ready;   /* __init__ completed */
} LexiconObject;

static void
Lexicon_dealloc(LexiconObject *self)
{
    table_free(&self->table);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* The constructor reads each dict through a snapshot, PyDict_Items (a new list of (key, value)
 * tuples, which holds a reference to every key and value): reading the dict itself with
 * PyDict_Next would lend them instead, and Python code run meanwhile (a value's __float__, a str
 * subclass's __hash__ or __eq__) could change the dict and free them, or put in keys of another
 * type. */

/* The key and value of item i of such a list (borrowed from it: the list is ours alone). */
static inline void
item_at(PyObject *items, Py_ssize_t i, PyObject **key, PyObject **value)
{
    PyObject *item = PyList_GET_ITEM(items, i);
    *key = PyTuple_GET_ITEM(item, 0);
    *value = PyTuple_GET_ITEM(item, 1);
}

/* Check the keys: str for words, (str, str) tuples for pairs. 0, or -1 (TypeError). */
static int
check_keys(PyObject *words, PyObject *pairs)
{
    PyObject *key, *value;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(words); i++) {
        item_at(words, i, &key, &value);
        if (!PyUnicode_Check(key)) {
            PyErr_SetString(PyExc_TypeError, "words: keys must be str");
            return -1;
        }
    }
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(pairs); i++) {
        item_at(pairs, i, &key, &value);
        if (!PyTuple_Check(key) || PyTuple_GET_SIZE(key) != 2 ||
            !PyUnicode_Check(PyTuple_GET_ITEM(key, 0)) || !PyUnicode_Check(PyTuple_GET_ITEM(key, 1))) {
            PyErr_SetString(PyExc_TypeError, "pairs: keys must be (first, second) tuples of str");
            return -1;
        }
    }
    return 0;
}

/* The number of distinct first and second words of `pairs` that `words` lacks (they get an
 * entry of weight 0, which says that the word is part of a pair); -1 on error. Both are item
 * lists (PyDict_Items), their keys checked. Should str subclasses make this count too few, the
 * table refuses the keys past it (table_put). */
static Py_ssize_t
count_pair_words(PyObject *words, PyObject *pairs)
{
    PyObject *known = PySet_New(NULL), *missing = PySet_New(NULL), *key, *value;
    Py_ssize_t count = -1;
    if (known == NULL || missing == NULL) {
        goto done;
    }
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(words); i++) {
        item_at(words, i, &key, &value);
        if (PySet_Add(known, key) < 0) {
            goto done;
        }
    }
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(pairs); i++) {
        item_at(pairs, i, &key, &value);
        for (Py_ssize_t j = 0; j < 2; j++) {
            PyObject *word = PyTuple_GET_ITEM(key, j);
            int found = PySet_Contains(known, word);
            if (found < 0 || (!found && PySet_Add(missing, word) < 0)) {
                goto done;
            }
        }
    }
    count = PySet_GET_SIZE(missing);
done:
    Py_XDECREF(known);
    Py_XDECREF(missing);
    return count;
}

/* Add a key (a word, or a pair when `second` is given) with `weight`, or mark a word with `flag`
 * (weight untouched); an empty word is skipped. 0, or -1 on error. The weight is read first:
 * __float__ may run Python code, which must not find a half-made entry. */
static int
lexicon_put(LexiconObject *self, PyObject *first, PyObject *second, PyObject *weight, uint8_t flag)
{
    double value = 0.0;
    if (weight != NULL) {
        value = PyFloat_AsDouble(weight);
        if (value == -1.0 && PyErr_Occurred()) {
            return -1;
        }
    }
    int skipped;
    Entry *entry = table_put(&self->table, first, second, &skipped);
    if (entry == NULL) {
        return skipped ? 0 : -1;
    }
    if (weight != NULL) {
        entry->value.weight = value;
    }
    entry->flags |= flag;
    return 0;
}

/* Fill the table from the item lists of words and pairs (PyDict_Items, keys checked). */
static int
lexicon_fill(LexiconObject *self, PyObject *words, PyObject *pairs)
{
    Py_ssize_t extra = count_pair_words(words, pairs);
    if (extra < 0) {
        return -1;
    }
    if (self->table.slots != NULL) { /* a __hash__ or __eq__ above called __init__ again */
        PyErr_SetString(PyExc_TypeError, "Lexicon is already initialised");
        return -1;
    }
    if (table_init(&self->table, PyList_GET_SIZE(words) + PyList_GET_SIZE(pairs) + extra) < 0) {
        return -1; /* dealloc frees what was allocated */
    }
    PyObject *key, *value;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(words); i++) {
        item_at(words, i, &key, &value);
        if (lexicon_put(self, key, NULL, value, 0) < 0) {
            return -1;
        }
    }
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(pairs); i++) {
        item_at(pairs, i, &key, &value);
        PyObject *first = PyTuple_GET_ITEM(key, 0), *second = PyTuple_GET_ITEM(key, 1);
        if (lexicon_put(self, first, second, value, 0) < 0 ||
            lexicon_put(self, first, NULL, NULL, FIRST) < 0 ||
            lexicon_put(self, second, NULL, NULL, SECOND) < 0) {
            return -1;
        }
    }
    return 0;
}

static int
Lexicon_init(LexiconObject *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"words", "pairs", NULL};
    PyObject *words, *pairs;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O!O!:Lexicon", kwlist, &PyDict_Type, &words,
                                     &PyDict_Type, &pairs)) {
        return -1;
    }
    if (self->table.slots != NULL || self->ready) {
        PyErr_SetString(PyExc_TypeError, "Lexicon is already initialised");
        return -1;
    }
    PyObject *word_items = PyDict_Items(words), *pair_items = NULL;
    int result = -1;
    if (word_items == NULL || (pair_items = PyDict_Items(pairs)) == NULL) {
        goto done;
    }
    if (check_keys(word_items, pair_items) < 0 || lexicon_fill(self, word_items, pair_items) < 0) {
        goto done;
    }
    self->ready = 1;
    result = 0;
done:
    Py_XDECREF(word_items);
    Py_XDECREF(pair_items);
    return result;
}

/* How many words ahead weigh() asks the memory for the slots of a word and of its pair. */
#define AHEAD 8
#if defined(__GNUC__) || defined(__clang__)
#define PREFETCH(address) __builtin_prefetch(address)
#else
#define PREFETCH(address) ((void)(address))
#endif

static PyObject *
Lexicon_weigh(LexiconObject *self, PyObject *arg)
{
    WordsObject *text = words_of(arg);
    if (text == NULL) {
        return NULL;
    }
    if (!self->ready) {
        PyErr_SetString(PyExc_TypeError, "Lexicon is not initialised");
        return NULL;
    }
    const Table *table = &self->table;
    const Text *chars = &text->chars;
    const uint32_t call = table_new_call(&self->table);
    double words = 0.0, pairs = 0.0;
    uint8_t previous = 0; /* the flags of the previous word's entry */
    for (Py_ssize_t i = 0; i < text->n_words; i++) {
        const Word *word = &text->words[i];
        if (i + AHEAD < text->n_words) { /* the table is bigger than the caches: ask for it early */
            const Word *ahead = &text->words[i + AHEAD];
            PREFETCH(&table->slots[ahead->hash & table->mask]);
            PREFETCH(&table->slots[pair_hash(ahead[-1].hash, ahead->hash) & table->mask]);
        }
        Entry *entry = table_find(table, chars, word, NULL, NULL, word->hash, NULL);
        uint8_t flags = entry != NULL ? entry->flags : 0;
        if (entry != NULL && entry->stamp != call) {
            entry->stamp = call;
            words += entry->value.weight;
        }
        if ((previous & FIRST) && (flags & SECOND)) { /* else no pair of the table */
            const Word *before = &text->words[i - 1];
            entry = table_find(table, chars, before, chars, word, pair_hash(before->hash, word->hash), NULL);
            if (entry != NULL && entry->stamp != call) {
                entry->stamp = call;
                pairs += entry->value.weight;
            }
        }
        previous = flags;
    }
    return Py_BuildValue("(dd)", words, pairs);
}

static PyMethodDef Lexicon_methods[] = {
    {"weigh", (PyCFunction)Lexicon_weigh, METH_O,
     "weigh(words) -> (words, pairs): the sums of the weights of the distinct words of a Words "
     "and of its distinct adjacent word pairs (0.0 for those without a weight)."},
    {NULL, NULL, 0, NULL},
};

PyTypeObject LexiconType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "agentwatch.detectors.injection._speedups.Lexicon",
    .tp_basicsize = sizeof(LexiconObject),
    .tp_dealloc = (destructor)Lexicon_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Lexicon(words, pairs): weights of words ({word: weight}) and of adjacent word pairs "
              "({(first, second): weight}).",
    .tp_methods = Lexicon_methods,
    .tp_init = (initproc)Lexicon_init,
    .tp_new = PyType_GenericNew,
};
