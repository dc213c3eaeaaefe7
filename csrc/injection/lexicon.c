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

/* The number of distinct first and second words of `pairs` that `words` lacks (they get an
 * entry of weight 0, which says that the word is part of a pair); -1 on error. */
static Py_ssize_t
count_pair_words(PyObject *words, PyObject *pairs)
{
    PyObject *missing = PySet_New(NULL), *key, *value;
    Py_ssize_t pos = 0;
    if (missing == NULL) {
        return -1;
    }
    while (PyDict_Next(pairs, &pos, &key, &value)) {
        if (!PyTuple_Check(key) || PyTuple_GET_SIZE(key) != 2) {
            PyErr_SetString(PyExc_TypeError, "pairs: keys must be (first, second) tuples of str");
            Py_DECREF(missing);
            return -1;
        }
        for (Py_ssize_t i = 0; i < 2; i++) {
            PyObject *word = PyTuple_GET_ITEM(key, i);
            int known = PyDict_Contains(words, word);
            if (known < 0 || (!known && PySet_Add(missing, word) < 0)) {
                Py_DECREF(missing);
                return -1;
            }
        }
    }
    Py_ssize_t count = PySet_GET_SIZE(missing);
    Py_DECREF(missing);
    return count;
}

/* Add a key (a word, or a pair when `second` is given) with `weight`, or mark a word with `flag`
 * (weight untouched); an empty word is skipped. 0, or -1 on error. */
static int
lexicon_put(LexiconObject *self, PyObject *first, PyObject *second, PyObject *weight, uint8_t flag)
{
    int skipped;
    Entry *entry = table_put(&self->table, first, second, &skipped);
    if (entry == NULL) {
        return skipped ? 0 : -1;
    }
    if (weight != NULL) {
        double value = PyFloat_AsDouble(weight);
        if (value == -1.0 && PyErr_Occurred()) {
            return -1;
        }
        entry->value.weight = value;
    }
    entry->flags |= flag;
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
    if (self->table.slots != NULL) {
        PyErr_SetString(PyExc_TypeError, "Lexicon is already initialised");
        return -1;
    }
    Py_ssize_t extra = count_pair_words(words, pairs);
    if (extra < 0) {
        return -1;
    }
    Py_ssize_t n_words = PyDict_GET_SIZE(words), n_pairs = PyDict_GET_SIZE(pairs);
    if (table_init(&self->table, n_words + n_pairs + extra) < 0) {
        return -1; /* dealloc frees what was allocated */
    }
    Py_ssize_t pos = 0;
    PyObject *key, *value;
    while (PyDict_Next(words, &pos, &key, &value)) {
        if (lexicon_put(self, key, NULL, value, 0) < 0) {
            return -1;
        }
    }
    pos = 0;
    while (PyDict_Next(pairs, &pos, &key, &value)) {
        PyObject *first = PyTuple_GET_ITEM(key, 0), *second = PyTuple_GET_ITEM(key, 1);
        if (lexicon_put(self, first, second, value, 0) < 0 ||
            lexicon_put(self, first, NULL, NULL, FIRST) < 0 ||
            lexicon_put(self, second, NULL, NULL, SECOND) < 0) {
            return -1;
        }
    }
    if (PyDict_GET_SIZE(words) != n_words || PyDict_GET_SIZE(pairs) != n_pairs) {
        PyErr_SetString(PyExc_RuntimeError, "words or pairs changed while read");
        return -1; /* (the table might not have had room) */
    }
    self->ready = 1;
    return 0;
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
