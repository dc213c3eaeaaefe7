/* Triggers: the rules worth a regex, and where their matches can start. */
#include "speedups.h"

typedef struct {
    Py_ssize_t rule;
    uint64_t bit;
} Slot;

typedef struct {
    PyObject *text; /* a str */
    Py_UCS4 rare;   /* one of its characters, looked for first (a memchr: most texts lack it) */
    Slot slot;
} Fragment;

typedef struct {
    PyObject_HEAD
    Table table;           /* trigger and start words -> their number (value.index) */
    Py_ssize_t *spans;     /* per word: [start, end) in `slots`, then [start, end) in `starts` */
    Slot *slots;           /* the (rule, group) each trigger word fills */
    Py_ssize_t *starts;    /* the rules whose matches can start with each start word */
    Fragment *fragments;
    Py_ssize_t n_fragments;
    Py_ssize_t n_rules;
    /* per rule */
    uint64_t *full;          /* every group's bit */
    uint64_t *fragment_bits; /* the groups that have a fragment */
    unsigned char *anchored; /* whether its matches start with one of its start words */
    uint64_t *bits;          /* the groups found by the current call... */
    uint64_t *stamps;        /* ...when stamps[rule] is the current call */
    Py_ssize_t *first;       /* where its first start word is, when start_stamps[rule] is... */
    uint64_t *start_stamps;  /* ...the current call */
    Py_ssize_t *touched;     /* the rules the current call has bits for */
    uint64_t calls;          /* the current call (64 bits: never wraps) */
    int ready;               /* __init__ completed */
} TriggersObject;

static void
Triggers_dealloc(TriggersObject *self)
{
    table_free(&self->table);
    for (Py_ssize_t i = 0; i < self->n_fragments; i++) {
        Py_CLEAR(self->fragments[i].text);
    }
    PyMem_Free(self->fragments);
    PyMem_Free(self->spans);
    PyMem_Free(self->slots);
    PyMem_Free(self->starts);
    PyMem_Free(self->full);
    PyMem_Free(self->fragment_bits);
    PyMem_Free(self->anchored);
    PyMem_Free(self->bits);
    PyMem_Free(self->stamps);
    PyMem_Free(self->first);
    PyMem_Free(self->start_stamps);
    PyMem_Free(self->touched);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* A rule number from a Python int, checked. -1 on error. */
static Py_ssize_t
rule_of(TriggersObject *self, PyObject *item)
{
    Py_ssize_t rule = PyLong_AsSsize_t(item);
    if (rule == -1 && PyErr_Occurred()) {
        return -1;
    }
    if (rule < 0 || rule >= self->n_rules) {
        PyErr_Format(PyExc_ValueError, "no rule %zd", rule);
        return -1;
    }
    return rule;
}

/* (rule, group) from items `at` and `at + 1` of a Python tuple, checked against the rules. */
static int
slot_of(TriggersObject *self, PyObject *item, Py_ssize_t at, Slot *slot)
{
    if (!PyTuple_Check(item) || PyTuple_GET_SIZE(item) <= at + 1) {
        PyErr_SetString(PyExc_TypeError, "expected (rule, group) in a tuple");
        return -1;
    }
    Py_ssize_t rule = rule_of(self, PyTuple_GET_ITEM(item, at));
    if (rule < 0) {
        return -1;
    }
    Py_ssize_t group = PyLong_AsSsize_t(PyTuple_GET_ITEM(item, at + 1));
    if (group == -1 && PyErr_Occurred()) {
        return -1;
    }
    if (group < 0 || group >= 64 || !((self->full[rule] >> group) & 1)) {
        PyErr_Format(PyExc_ValueError, "no group %zd in rule %zd", group, rule);
        return -1;
    }
    slot->rule = rule;
    slot->bit = (uint64_t)1 << group;
    return 0;
}

/* Per-rule arrays, and each rule's groups (at most 64: one bit each). */
static int
Triggers_init_rules(TriggersObject *self, PyObject *groups)
{
    Py_ssize_t n_rules = PyList_GET_SIZE(groups);
    size_t n = (size_t)(n_rules ? n_rules : 1);
    self->full = PyMem_Calloc(n, sizeof(uint64_t));
    self->fragment_bits = PyMem_Calloc(n, sizeof(uint64_t));
    self->anchored = PyMem_Calloc(n, 1);
    self->bits = PyMem_Calloc(n, sizeof(uint64_t));
    self->stamps = PyMem_Calloc(n, sizeof(uint64_t));
    self->first = PyMem_Calloc(n, sizeof(Py_ssize_t));
    self->start_stamps = PyMem_Calloc(n, sizeof(uint64_t));
    self->touched = PyMem_Calloc(n, sizeof(Py_ssize_t));
    if (!self->full || !self->fragment_bits || !self->anchored || !self->bits || !self->stamps ||
        !self->first || !self->start_stamps || !self->touched) {
        PyErr_NoMemory();
        return -1; /* dealloc frees what was allocated */
    }
    self->n_rules = n_rules;
    for (Py_ssize_t r = 0; r < n_rules; r++) {
        Py_ssize_t count = PyLong_AsSsize_t(PyList_GET_ITEM(groups, r));
        if (count == -1 && PyErr_Occurred()) {
            return -1;
        }
        if (count < 0 || count > 64) {
            PyErr_Format(PyExc_ValueError, "rule %zd: %zd groups (0 to 64 supported)", r, count);
            return -1;
        }
        self->full[r] = count == 64 ? ~(uint64_t)0 : ((uint64_t)1 << count) - 1;
    }
    return 0;
}

/* Words: {word: ([(rule, group), ...], [rule, ...])}, the slots it fills and the rules it starts;
 * here as the dict's items (PyDict_Items: a list of (word, value) tuples that holds them). */
static int
Triggers_init_words(TriggersObject *self, PyObject *words)
{
    Py_ssize_t n_words = PyList_GET_SIZE(words), n_slots = 0, n_starts = 0;
    PyObject *word, *value;
    for (Py_ssize_t i = 0; i < n_words; i++) {
        word = PyTuple_GET_ITEM(PyList_GET_ITEM(words, i), 0);
        value = PyTuple_GET_ITEM(PyList_GET_ITEM(words, i), 1);
        if (!PyUnicode_Check(word)) {
            PyErr_SetString(PyExc_TypeError, "words: keys must be str");
            return -1;
        }
        if (!PyTuple_Check(value) || PyTuple_GET_SIZE(value) != 2 ||
            !PyList_Check(PyTuple_GET_ITEM(value, 0)) || !PyList_Check(PyTuple_GET_ITEM(value, 1))) {
            PyErr_SetString(PyExc_TypeError, "words: values must be ([(rule, group)], [rule]) tuples");
            return -1;
        }
        n_slots += PyList_GET_SIZE(PyTuple_GET_ITEM(value, 0));
        n_starts += PyList_GET_SIZE(PyTuple_GET_ITEM(value, 1));
    }
    if (table_init(&self->table, n_words) < 0) {
        return -1;
    }
    self->spans = PyMem_Calloc((size_t)(n_words ? n_words : 1) * 4, sizeof(Py_ssize_t));
    self->slots = PyMem_Calloc((size_t)(n_slots ? n_slots : 1), sizeof(Slot));
    self->starts = PyMem_Calloc((size_t)(n_starts ? n_starts : 1), sizeof(Py_ssize_t));
    if (!self->spans || !self->slots || !self->starts) {
        PyErr_NoMemory();
        return -1;
    }
    /* No Python code runs from here on (PyLong_AsSsize_t calls no __index__), so the lists in
     * the values are as counted above; checked all the same. */
    Py_ssize_t slot = 0, start = 0;
    for (Py_ssize_t w = 0; w < n_words; w++) {
        word = PyTuple_GET_ITEM(PyList_GET_ITEM(words, w), 0);
        value = PyTuple_GET_ITEM(PyList_GET_ITEM(words, w), 1);
        PyObject *fills = PyTuple_GET_ITEM(value, 0), *begins = PyTuple_GET_ITEM(value, 1);
        if (slot + PyList_GET_SIZE(fills) > n_slots ||
            start + PyList_GET_SIZE(begins) > n_starts) {
            PyErr_SetString(PyExc_RuntimeError, "words changed while read");
            return -1;
        }
        self->spans[4 * w] = slot;
        for (Py_ssize_t i = 0; i < PyList_GET_SIZE(fills); i++) {
            if (slot_of(self, PyList_GET_ITEM(fills, i), 0, &self->slots[slot++]) < 0) {
                return -1;
            }
        }
        self->spans[4 * w + 1] = slot;
        self->spans[4 * w + 2] = start;
        for (Py_ssize_t i = 0; i < PyList_GET_SIZE(begins); i++) {
            Py_ssize_t rule = rule_of(self, PyList_GET_ITEM(begins, i));
            if (rule < 0) {
                return -1;
            }
            self->anchored[rule] = 1;
            self->starts[start++] = rule;
        }
        self->spans[4 * w + 3] = start;
        int skipped;
        Entry *entry = table_put(&self->table, word, NULL, &skipped);
        if (entry == NULL && !skipped) {
            return -1;
        }
        if (entry != NULL) {
            entry->value.index = w;
        }
    }
    return 0;
}

/* Fragments: [(substring, rule, group, rare)], looked for with str.find when the rule needs them. */
static int
Triggers_init_fragments(TriggersObject *self, PyObject *fragments)
{
    Py_ssize_t n_fragments = PyList_GET_SIZE(fragments);
    self->fragments = PyMem_Calloc((size_t)(n_fragments ? n_fragments : 1), sizeof(Fragment));
    if (self->fragments == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < n_fragments; i++) {
        PyObject *item = PyList_GET_ITEM(fragments, i);
        if (!PyTuple_Check(item) || PyTuple_GET_SIZE(item) != 4 ||
            !PyUnicode_Check(PyTuple_GET_ITEM(item, 0)) || !PyUnicode_Check(PyTuple_GET_ITEM(item, 3))) {
            PyErr_SetString(PyExc_TypeError, "fragments: expected (str, rule, group, str) tuples");
            return -1;
        }
        Fragment *fragment = &self->fragments[i];
        if (slot_of(self, item, 1, &fragment->slot) < 0) {
            return -1;
        }
        PyObject *text = PyTuple_GET_ITEM(item, 0), *rare = PyTuple_GET_ITEM(item, 3);
        Py_ssize_t at = PyUnicode_GET_LENGTH(rare) == 1 ? PyUnicode_Find(text, rare, 0, PY_SSIZE_T_MAX, 1) : -1;
        if (at < 0) {
            if (at == -1) {
                PyErr_SetString(PyExc_ValueError, "fragments: the rare character is not in the fragment");
            }
            return -1;
        }
        fragment->rare = PyUnicode_READ_CHAR(rare, 0);
        fragment->text = Py_NewRef(text);
        self->n_fragments = i + 1;
        self->fragment_bits[fragment->slot.rule] |= fragment->slot.bit;
    }
    return 0;
}

static int
Triggers_init(TriggersObject *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"words", "fragments", "groups", NULL};
    PyObject *words, *fragments, *groups;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O!O!O!:Triggers", kwlist, &PyDict_Type, &words,
                                     &PyList_Type, &fragments, &PyList_Type, &groups)) {
        return -1;
    }
    if (self->full != NULL) {
        PyErr_SetString(PyExc_TypeError, "Triggers is already initialised");
        return -1;
    }
    /* Read through snapshots that hold what they list (as Lexicon does: lexicon.c), not through
     * references lent by the caller's dict and lists. */
    PyObject *word_items = PyDict_Items(words), *fragment_list = NULL, *group_list = NULL;
    int result = -1;
    if (word_items == NULL ||
        (fragment_list = PyList_GetSlice(fragments, 0, PY_SSIZE_T_MAX)) == NULL ||
        (group_list = PyList_GetSlice(groups, 0, PY_SSIZE_T_MAX)) == NULL) {
        goto done;
    }
    if (self->full != NULL) { /* a finaliser run by the copies' allocations called __init__ */
        PyErr_SetString(PyExc_TypeError, "Triggers is already initialised");
        goto done;
    }
    if (Triggers_init_rules(self, group_list) < 0 || Triggers_init_words(self, word_items) < 0 ||
        Triggers_init_fragments(self, fragment_list) < 0) {
        goto done; /* dealloc frees what was allocated */
    }
    self->ready = 1;
    result = 0;
done:
    Py_XDECREF(word_items);
    Py_XDECREF(fragment_list);
    Py_XDECREF(group_list);
    return result;
}

static int
compare_ssize(const void *a, const void *b)
{
    Py_ssize_t x = *(const Py_ssize_t *)a, y = *(const Py_ssize_t *)b;
    return (x > y) - (x < y);
}

/* Set `bit` of `rule` for the current call. */
static inline void
mark(TriggersObject *self, Py_ssize_t *n_touched, Py_ssize_t rule, uint64_t bit)
{
    if (self->stamps[rule] != self->calls) {
        self->stamps[rule] = self->calls;
        self->bits[rule] = 0;
        self->touched[(*n_touched)++] = rule;
    }
    self->bits[rule] |= bit;
}

/* The (rule, start) pairs of the rules found, ascending, as a new list. */
static PyObject *
found_list(const Py_ssize_t *rules, const Py_ssize_t *starts, Py_ssize_t n_found)
{
    PyObject *found = PyList_New(n_found);
    for (Py_ssize_t i = 0; found != NULL && i < n_found; i++) {
        PyObject *pair = Py_BuildValue("(nn)", rules[i], starts[i]);
        if (pair == NULL) {
            Py_CLEAR(found);
            break;
        }
        PyList_SET_ITEM(found, i, pair);
    }
    return found;
}

static PyObject *
Triggers_candidates(TriggersObject *self, PyObject *arg)
{
    WordsObject *text = words_of(arg);
    if (text == NULL) {
        return NULL;
    }
    if (!self->ready) {
        PyErr_SetString(PyExc_TypeError, "Triggers is not initialised");
        return NULL;
    }
    const uint32_t word_call = table_new_call(&self->table);
    const uint64_t call = ++self->calls;
    Py_ssize_t n_touched = 0;
    for (Py_ssize_t i = 0; i < text->n_words; i++) {
        const Word *word = &text->words[i];
        Entry *entry = table_find(&self->table, &text->chars, word, NULL, NULL, word->hash, NULL);
        if (entry == NULL || entry->stamp == word_call) {
            continue; /* no trigger, or a word seen before in this text */
        }
        entry->stamp = word_call;
        const Py_ssize_t *span = &self->spans[4 * entry->value.index];
        for (Py_ssize_t s = span[0]; s < span[1]; s++) {
            mark(self, &n_touched, self->slots[s].rule, self->slots[s].bit);
        }
        for (Py_ssize_t s = span[2]; s < span[3]; s++) { /* its first time: the first start */
            Py_ssize_t rule = self->starts[s];
            if (self->start_stamps[rule] != call) {
                self->start_stamps[rule] = call;
                self->first[rule] = word->start;
            }
        }
    }
    for (Py_ssize_t i = 0; i < self->n_fragments; i++) {
        const Fragment *fragment = &self->fragments[i];
        Py_ssize_t rule = fragment->slot.rule;
        uint64_t bits = self->stamps[rule] == call ? self->bits[rule] : 0;
        if ((bits | self->fragment_bits[rule]) != self->full[rule]) {
            continue; /* the rule lacks a word that no fragment can stand in for */
        }
        Py_ssize_t at = PyUnicode_FindChar(text->text, fragment->rare, 0, text->chars.length, 1);
        if (at >= 0) { /* the fragment, if there, holds this or a later one of its rare character */
            Py_ssize_t from = at - (PyUnicode_GET_LENGTH(fragment->text) - 1);
            at = PyUnicode_Find(text->text, fragment->text, from > 0 ? from : 0, text->chars.length, 1);
        }
        if (at == -2) {
            return NULL;
        }
        if (at >= 0) {
            mark(self, &n_touched, rule, fragment->slot.bit);
        }
    }
    /* The rules with every group, less the anchored ones none of whose start words is there;
     * copied out before Python objects are made (a garbage collection then could call back
     * into this object and reuse its arrays). */
    Py_ssize_t n_found = 0;
    for (Py_ssize_t i = 0; i < n_touched; i++) {
        Py_ssize_t rule = self->touched[i];
        if (self->bits[rule] == self->full[rule] &&
            (!self->anchored[rule] || self->start_stamps[rule] == call)) {
            self->touched[n_found++] = rule;
        }
    }
    qsort(self->touched, (size_t)n_found, sizeof(Py_ssize_t), compare_ssize);
    Py_ssize_t local[2 * 64], *rules = local;
    if (n_found > 64) {
        rules = PyMem_Malloc((size_t)n_found * 2 * sizeof(Py_ssize_t));
        if (rules == NULL) {
            return PyErr_NoMemory();
        }
    }
    for (Py_ssize_t i = 0; i < n_found; i++) {
        Py_ssize_t rule = self->touched[i];
        rules[i] = rule;
        rules[n_found + i] = self->anchored[rule] ? self->first[rule] : 0;
    }
    PyObject *found = found_list(rules, rules + n_found, n_found);
    if (rules != local) {
        PyMem_Free(rules);
    }
    return found;
}

static PyMethodDef Triggers_methods[] = {
    {"candidates", (PyCFunction)Triggers_candidates, METH_O,
     "candidates(words) -> [(rule, start)]: the rules, ascending, every group of which has one of "
     "the words or a fragment in their text, and where their matches can start: the first of "
     "their start words, 0 for rules without; rules none of whose start words is there are left "
     "out."},
    {NULL, NULL, 0, NULL},
};

PyTypeObject TriggersType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "agentwatch.detectors.injection._speedups.Triggers",
    .tp_basicsize = sizeof(TriggersObject),
    .tp_dealloc = (destructor)Triggers_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Triggers(words, fragments, groups): the rules' trigger and start words ({word: "
              "([(rule, group)], [rule])}), trigger substrings ([(fragment, rule, group, one of its "
              "characters)]) and each rule's number of groups.",
    .tp_methods = Triggers_methods,
    .tp_init = (initproc)Triggers_init,
    .tp_new = PyType_GenericNew,
};
