/* Runs of characters: the base64 check's two scans. */
#include "speedups.h"

/* Whether a character is in the set: ASCII characters marked in `member`, or (`member` NULL)
 * any character but whitespace (Py_UNICODE_ISSPACE: what str.split() splits on). */
static inline int
in_set(Py_UCS4 ch, const unsigned char *member)
{
    return member != NULL ? ch < 128 && member[ch] : !Py_UNICODE_ISSPACE(ch);
}

/* has_run_1/2/4(chars, n, wanted, member): whether `wanted` (>= 1) characters of the set follow
 * each other in chars[0:n]. Each window is read from its last character backwards: a character
 * outside the set rules out every window that holds it, so the next window to try ends `wanted`
 * characters after it, and most of a text that has no run is never read. */
#define DEFINE_HAS_RUN(NAME, CHAR)                                                                \
    static int NAME(const CHAR *chars, Py_ssize_t n, Py_ssize_t wanted,                           \
                    const unsigned char *member)                                                  \
    {                                                                                             \
        for (Py_ssize_t i = wanted - 1; i < n;) { /* no run ends before i */                      \
            Py_ssize_t j = i;                                                                     \
            while (j > i - wanted && in_set(chars[j], member)) {                                  \
                j--;                                                                              \
            }                                                                                     \
            if (j == i - wanted) {                                                                \
                return 1; /* chars[i - wanted + 1], ..., chars[i] are all in the set */           \
            }                                                                                     \
            i = j + wanted;                                                                       \
        }                                                                                         \
        return 0;                                                                                 \
    }

DEFINE_HAS_RUN(has_run_1, Py_UCS1)
DEFINE_HAS_RUN(has_run_2, Py_UCS2)
DEFINE_HAS_RUN(has_run_4, Py_UCS4)

static PyObject *
has_run(PyObject *arg, Py_ssize_t wanted, const unsigned char *member)
{
    Text text;
    int found;
    if (text_of(arg, &text) < 0) {
        return NULL;
    }
    if (wanted <= 0) {
        Py_RETURN_TRUE;
    }
    switch (text.kind) {
    case PyUnicode_1BYTE_KIND:
        found = has_run_1(text.data, text.length, wanted, member);
        break;
    case PyUnicode_2BYTE_KIND:
        found = has_run_2(text.data, text.length, wanted, member);
        break;
    default:
        found = has_run_4(text.data, text.length, wanted, member);
    }
    return PyBool_FromLong(found);
}

PyObject *
run_of(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    Text chars;
    unsigned char member[128] = {0};
    if (nargs != 3) {
        PyErr_SetString(PyExc_TypeError, "run_of(text, chars, n) takes 3 arguments");
        return NULL;
    }
    if (text_of(args[1], &chars) < 0) {
        return NULL;
    }
    for (Py_ssize_t i = 0; i < chars.length; i++) {
        Py_UCS4 ch = PyUnicode_READ(chars.kind, chars.data, i);
        if (ch >= 128) {
            PyErr_SetString(PyExc_ValueError, "run_of: chars must be ASCII");
            return NULL;
        }
        member[ch] = 1;
    }
    Py_ssize_t wanted = PyLong_AsSsize_t(args[2]);
    if (wanted == -1 && PyErr_Occurred()) {
        return NULL;
    }
    return has_run(args[0], wanted, member);
}

PyObject *
unbroken(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "unbroken(text, n) takes 2 arguments");
        return NULL;
    }
    Py_ssize_t wanted = PyLong_AsSsize_t(args[1]);
    if (wanted == -1 && PyErr_Occurred()) {
        return NULL;
    }
    return has_run(args[0], wanted, NULL);
}
