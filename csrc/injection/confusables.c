/* Confusables: look-alike letters of other scripts mapped to Latin, word by word. */
#include "speedups.h"

typedef struct {
    Py_UCS4 from, to;
} Swap;

typedef struct {
    PyObject_HEAD
    Swap *swaps; /* sorted by `from` */
    Py_ssize_t n_swaps;
} ConfusablesObject;

static void
Confusables_dealloc(ConfusablesObject *self)
{
    PyMem_Free(self->swaps);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static int
compare_swaps(const void *a, const void *b)
{
    Py_UCS4 x = ((const Swap *)a)->from, y = ((const Swap *)b)->from;
    return (x > y) - (x < y);
}

static int
Confusables_init(ConfusablesObject *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"lookalikes", "latin", NULL};
    PyObject *lookalikes, *latin;
    Text from, to;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "UU:Confusables", kwlist, &lookalikes, &latin)) {
        return -1;
    }
    if (self->swaps != NULL) {
        PyErr_SetString(PyExc_TypeError, "Confusables is already initialised");
        return -1;
    }
    if (text_of(lookalikes, &from) < 0 || text_of(latin, &to) < 0) {
        return -1;
    }
    if (from.length != to.length || from.length == 0) {
        PyErr_SetString(PyExc_ValueError, "lookalikes and latin: as many characters, at least one");
        return -1;
    }
    self->swaps = PyMem_Calloc((size_t)from.length, sizeof(Swap));
    if (self->swaps == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < from.length; i++) {
        Py_UCS4 look = PyUnicode_READ(from.kind, from.data, i), plain = PyUnicode_READ(to.kind, to.data, i);
        if (look < 128 || plain >= 128) {
            PyErr_SetString(PyExc_ValueError, "look-alikes must be non-ASCII, their Latin twins ASCII");
            return -1;
        }
        /* str.maketrans: a character listed twice maps to its last twin */
        Py_ssize_t j = 0;
        while (j < self->n_swaps && self->swaps[j].from != look) {
            j++;
        }
        self->swaps[j].from = look;
        self->swaps[j].to = plain;
        if (j == self->n_swaps) {
            self->n_swaps++;
        }
    }
    qsort(self->swaps, (size_t)self->n_swaps, sizeof(Swap), compare_swaps);
    return 0;
}

/* The Latin twin of a look-alike, or 0. */
static inline Py_UCS4
twin(const ConfusablesObject *self, Py_UCS4 ch)
{
    Py_ssize_t low = 0, high = self->n_swaps - 1;
    if (ch < 128) {
        return 0;
    }
    while (low <= high) {
        Py_ssize_t middle = (low + high) / 2;
        Py_UCS4 from = self->swaps[middle].from;
        if (from == ch) {
            return self->swaps[middle].to;
        }
        if (from < ch) {
            low = middle + 1;
        }
        else {
            high = middle - 1;
        }
    }
    return 0;
}

/* A letter as ``[^\W\d_]`` means it: a word character that is not a decimal digit nor "_". */
static inline int
is_letter(Py_UCS4 ch)
{
    return ch != '_' && is_word_char(ch) && !Py_UNICODE_ISDECIMAL(ch);
}

/* Whether the run of letters text[start:end] is changed: it has a look-alike, and a Latin (ASCII)
 * letter too or nothing but look-alikes (normalize._unconfuse). Sets *latin. */
static int
run_changes(const ConfusablesObject *self, const Text *text, Py_ssize_t start, Py_ssize_t end,
            int *latin)
{
    int lookalike = 0, all = 1;
    *latin = 0;
    for (Py_ssize_t i = start; i < end; i++) {
        Py_UCS4 ch = PyUnicode_READ(text->kind, text->data, i);
        if (ch < 128) {
            *latin = 1;
            all = 0;
        }
        else if (twin(self, ch)) {
            lookalike = 1;
        }
        else {
            all = 0;
        }
    }
    return lookalike && (*latin || all);
}

/* The next run of letters of text at or after *pos: [*start, *pos); 0 when there is none. */
static int
next_run(const Text *text, Py_ssize_t *pos, Py_ssize_t *start)
{
    Py_ssize_t i = *pos;
    while (i < text->length && !is_letter(PyUnicode_READ(text->kind, text->data, i))) {
        i++;
    }
    *start = i;
    while (i < text->length && is_letter(PyUnicode_READ(text->kind, text->data, i))) {
        i++;
    }
    *pos = i;
    return i > *start;
}

static PyObject *
Confusables_unconfuse(ConfusablesObject *self, PyObject *arg)
{
    Text text;
    if (self->swaps == NULL) {
        PyErr_SetString(PyExc_TypeError, "Confusables is not initialised");
        return NULL;
    }
    if (text_of(arg, &text) < 0) {
        return NULL;
    }
    /* First pass: whether anything changes, whether a changed run mixed scripts, and the largest
     * character of the result (a str must be of the smallest kind that holds its characters). */
    int changed = 0, mixed = 0, latin;
    Py_ssize_t pos = 0, start;
    Py_UCS4 unchanged = 0; /* the largest character left as it is */
    Py_ssize_t last = 0;   /* the end of the last changed run */
    while (next_run(&text, &pos, &start)) {
        if (!run_changes(self, &text, start, pos, &latin)) {
            continue;
        }
        changed = 1;
        mixed |= latin;
        for (Py_ssize_t j = last; j < pos; j++) {
            Py_UCS4 ch = PyUnicode_READ(text.kind, text.data, j);
            if (j < start || !twin(self, ch)) {
                unchanged = ch > unchanged ? ch : unchanged;
            }
        }
        last = pos;
    }
    if (!changed) {
        return Py_BuildValue("(OO)", arg, Py_False);
    }
    for (Py_ssize_t j = last; j < text.length; j++) {
        Py_UCS4 ch = PyUnicode_READ(text.kind, text.data, j);
        unchanged = ch > unchanged ? ch : unchanged;
    }
    /* the twins are ASCII: the result's largest character is `unchanged` or one of them */
    PyObject *result = PyUnicode_New(text.length, unchanged > 127 ? unchanged : 127);
    if (result == NULL) {
        return NULL;
    }
    int kind = PyUnicode_KIND(result);
    void *data = PyUnicode_DATA(result);
    Py_ssize_t copied = 0;
    pos = 0;
    while (next_run(&text, &pos, &start)) {
        if (!run_changes(self, &text, start, pos, &latin)) {
            continue;
        }
        for (; copied < pos; copied++) {
            Py_UCS4 ch = PyUnicode_READ(text.kind, text.data, copied);
            Py_UCS4 plain = copied >= start ? twin(self, ch) : 0;
            PyUnicode_WRITE(kind, data, copied, plain ? plain : ch);
        }
    }
    for (; copied < text.length; copied++) {
        PyUnicode_WRITE(kind, data, copied, PyUnicode_READ(text.kind, text.data, copied));
    }
    return Py_BuildValue("(NO)", result, mixed ? Py_True : Py_False);
}

static PyMethodDef Confusables_methods[] = {
    {"unconfuse", (PyCFunction)Confusables_unconfuse, METH_O,
     "unconfuse(text) -> (text, mixed): the look-alikes of each run of letters that has a Latin "
     "letter too, or nothing but look-alikes, replaced by their Latin twins; mixed: whether such a "
     "run had a Latin letter."},
    {NULL, NULL, 0, NULL},
};

PyTypeObject ConfusablesType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "agentwatch.detectors.injection._speedups.Confusables",
    .tp_basicsize = sizeof(ConfusablesObject),
    .tp_dealloc = (destructor)Confusables_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Confusables(lookalikes, latin): look-alike letters and their Latin twins, character "
              "for character (as str.maketrans takes them).",
    .tp_methods = Confusables_methods,
    .tp_init = (initproc)Confusables_init,
    .tp_new = PyType_GenericNew,
};
