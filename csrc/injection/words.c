/* Words: a text's words, found and hashed once; reading a str. */
#include "speedups.h"

unsigned char latin1_word[256]; /* filled by the module's init */

/* The kind, data and length of a str (TypeError for anything else). 0, or -1 on error. */
int
text_of(PyObject *obj, Text *text)
{
    if (!PyUnicode_Check(obj)) {
        PyErr_Format(PyExc_TypeError, "expected str, got %.100s", Py_TYPE(obj)->tp_name);
        return -1;
    }
#if PY_VERSION_HEX < 0x030C0000
    if (PyUnicode_READY(obj) < 0) {
        return -1;
    }
#endif
    text->kind = PyUnicode_KIND(obj);
    text->data = PyUnicode_DATA(obj);
    text->length = PyUnicode_GET_LENGTH(obj);
    return 0;
}

/* The hash of a whole str, as next_word hashes a word. */
uint64_t
hash_text(const Text *text)
{
    uint64_t h = FNV_OFFSET;
    for (Py_ssize_t i = 0; i < text->length; i++) {
        h = (h ^ PyUnicode_READ(text->kind, text->data, i)) * FNV_PRIME;
    }
    return mix64(h);
}

static void
Words_dealloc(WordsObject *self)
{
    PyMem_Free(self->words);
    Py_XDECREF(self->text);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *
Words_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"text", NULL};
    PyObject *text;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "U:Words", kwlist, &text)) {
        return NULL;
    }
    WordsObject *self = (WordsObject *)type->tp_alloc(type, 0);
    if (self == NULL) {
        return NULL;
    }
    self->text = Py_NewRef(text);
    if (text_of(text, &self->chars) < 0) {
        Py_DECREF(self);
        return NULL;
    }
    /* Room for a word per 8 characters at first (typical text has one per 5-6), grown as needed
     * up to the most there can be: one per two characters (a word and a separator). */
    Py_ssize_t capacity = self->chars.length / 8 + 16, pos = 0;
    Word word;
    while (next_word(&self->chars, &pos, &word)) {
        if (self->words == NULL || self->n_words == capacity) {
            if (self->words != NULL) {
                capacity *= 2;
            }
            if ((size_t)capacity > PY_SSIZE_T_MAX / sizeof(Word)) {
                Py_DECREF(self);
                return PyErr_NoMemory();
            }
            Word *words = PyMem_Realloc(self->words, (size_t)capacity * sizeof(Word));
            if (words == NULL) {
                Py_DECREF(self);
                return PyErr_NoMemory();
            }
            self->words = words;
        }
        self->words[self->n_words++] = word;
    }
    return (PyObject *)self;
}

static Py_ssize_t
Words_len(WordsObject *self)
{
    return self->n_words;
}

static PyObject *
Words_one_letter_run(WordsObject *self, PyObject *arg)
{
    Py_ssize_t wanted = PyLong_AsSsize_t(arg);
    if (wanted == -1 && PyErr_Occurred()) {
        return NULL;
    }
    Py_ssize_t run = 0;
    for (Py_ssize_t i = 0; i < self->n_words && run < wanted; i++) {
        run = self->words[i].length == 1 ? run + 1 : 0;
    }
    return PyBool_FromLong(run >= wanted);
}

static PyMethodDef Words_methods[] = {
    {"one_letter_run", (PyCFunction)Words_one_letter_run, METH_O,
     "one_letter_run(n) -> whether n words of one character follow each other."},
    {NULL, NULL, 0, NULL},
};

static PySequenceMethods Words_as_sequence = {
    .sq_length = (lenfunc)Words_len,
};

PyTypeObject WordsType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "agentwatch.detectors.injection._speedups.Words",
    .tp_basicsize = sizeof(WordsObject),
    .tp_dealloc = (destructor)Words_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Words(text): the words of text (as re.findall(r\"\\w+\", text) finds them), for "
              "Lexicon.weigh and Triggers.candidates; len() is their number.",
    .tp_methods = Words_methods,
    .tp_as_sequence = &Words_as_sequence,
    .tp_new = Words_new,
};

/* `arg` as a Words (TypeError for anything else), or NULL. */
WordsObject *
words_of(PyObject *arg)
{
    if (!PyObject_TypeCheck(arg, &WordsType)) {
        PyErr_Format(PyExc_TypeError, "expected Words, got %.100s", Py_TYPE(arg)->tp_name);
        return NULL;
    }
    return (WordsObject *)arg;
}
