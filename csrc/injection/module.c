/* agentwatch.detectors.injection._speedups: the injection detectors' per-word loops, in C
 * (the files: speedups.h).
 *
 * Optional: speedups.py imports it when it was built, and the pure-Python code of normalize.py,
 * heuristics.py and classifier.py (the reference, and the fallback) is used otherwise. Nothing
 * here knows a weight, a rule or a trigger word: the tables are built at run time from what the
 * Python code passes in (the shipped weights file, the rules of rules.py).
 *
 * A *word* is what ``re.findall(r"\w+", text)`` finds in a str: a run of characters that are "_"
 * or Py_UNICODE_ISALNUM (_sre's definition of \w for str patterns), so any str (any kind, lone
 * surrogates, any length) is read exactly as the Python code reads it.
 *
 *   Words(text): its words, found and hashed once; .one_letter_run(n): whether n one-character
 *       words follow each other
 *   Lexicon(words, pairs).weigh(Words) -> (sum over distinct words, sum over distinct word pairs)
 *   Triggers(words, fragments, groups).candidates(Words) -> [(rule, where to search from)]
 *   Confusables(lookalikes, latin).unconfuse(text) -> (text with look-alikes mapped, mixed?)
 *   run_of(text, chars, n) -> whether n characters of the ASCII set `chars` follow each other
 *   unbroken(text, n) -> whether n non-whitespace characters follow each other (a str.split() word)
 *
 * No call releases the GIL, so the per-call marks kept in the tables (``stamp``) need no lock.
 */
#include "speedups.h"

static PyMethodDef module_methods[] = {
    {"run_of", (PyCFunction)(void (*)(void))run_of, METH_FASTCALL,
     "run_of(text, chars, n) -> whether n characters of chars (ASCII) follow each other in text."},
    {"unbroken", (PyCFunction)(void (*)(void))unbroken, METH_FASTCALL,
     "unbroken(text, n) -> whether n characters that are not whitespace follow each other in text "
     "(whether str.split() gives a word of n characters or more)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "agentwatch.detectors.injection._speedups",
    .m_doc = "The injection detectors' per-word loops in C (optional; see speedups.py).",
    .m_size = -1,
    .m_methods = module_methods,
};

PyMODINIT_FUNC
PyInit__speedups(void)
{
    for (Py_UCS4 ch = 0; ch < 256; ch++) {
        latin1_word[ch] = ch == '_' || Py_UNICODE_ISALNUM(ch);
    }
    if (PyType_Ready(&WordsType) < 0 || PyType_Ready(&LexiconType) < 0 ||
        PyType_Ready(&TriggersType) < 0 || PyType_Ready(&ConfusablesType) < 0) {
        return NULL;
    }
    PyObject *module = PyModule_Create(&module_def);
    if (module == NULL) {
        return NULL;
    }
    if (PyModule_AddObjectRef(module, "Words", (PyObject *)&WordsType) < 0 ||
        PyModule_AddObjectRef(module, "Lexicon", (PyObject *)&LexiconType) < 0 ||
        PyModule_AddObjectRef(module, "Triggers", (PyObject *)&TriggersType) < 0 ||
        PyModule_AddObjectRef(module, "Confusables", (PyObject *)&ConfusablesType) < 0) {
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
