/*
 * abcparse._speedups: the parser's two hottest loops for notes, compiled (issue 16).
 *
 * Half the tokens of a tunebook are notes (§4.1-4.3). In pure Python each one costs a
 * regex match, a match object, and a trip through the builder's loop that reads the
 * object back (its kind, its span, its text) to make a Note. This module does that work
 * for the notes of a music line and nothing else:
 *
 *   scan()        the parser's run of music-line tokens (LineParser.parse): a note is
 *                 read here, character by character, and kept as one int
 *                 (start << 8 | length); every other token is matched by the same
 *                 first-character regex the Python loop uses, and kept as its match.
 *   take_notes()  the builder's note path (TuneBuilder.line_music_line): the notes at the
 *                 end of the token list become Note objects, with the packed span and the
 *                 shared shape tuple the Python path would give them.
 *
 * and Maker, a constructor for the model's slotted classes (model.fast_constructor).
 *
 * The loops stop, leaving the rest to Python, wherever their own rule does not certainly
 * apply (a character above ASCII, a span that is not the inline layout, a shape not yet
 * memoized is made by Python). The pure-Python path stays and gives the same model: the
 * module is optional (setup.py builds it when a C compiler is there; ABCPARSE_PURE=1
 * turns it off), and tests/core/test_speedups.py compares the two paths on every corpus
 * file and on generated text, and note_end() with the grammar's NOTE terminal.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>
#include <limits.h>

static PyObject *chars[128]; /* one-character strings: the dispatch tables' keys */
static PyObject *str_match, *str_end;

static inline int is_pitch(Py_UCS4 c) { return (c >= 'A' && c <= 'G') || (c >= 'a' && c <= 'g'); }
static inline int is_digit(Py_UCS4 c) { return c >= '0' && c <= '9'; }

#define CH(i) ((i) < n ? PyUnicode_READ(kind, data, (i)) : 0)

/*
 * Where the grammar's NOTE terminal (grammar/abc.lark) matching at p ends, or -1:
 *
 *   (?P<n_acc>[\^_][0-9]{0,3}\/(?:[1-9][0-9]{0,2})?|\^\^|\^|__|_|=)?
 *   (?P<n_pitch>[A-Ga-g])(?P<n_oct>[,']{1,8})?(?P<n_num>[0-9]{1,9})?
 *   (?:\/(?P<n_den>[0-9]{1,9})|(?P<n_sl>\/{1,4}))?
 *
 * with the regex engine's choices: the accidental's alternatives in order, each kept
 * only if a pitch letter follows (§4.2; the microtone ^3/4c of §4.2 and ABC114); after
 * the letter every part is optional and greedy, so the match cannot fail there.
 */
static Py_ssize_t note_end(int kind, const void *data, Py_ssize_t p, Py_ssize_t n) {
    Py_UCS4 c = CH(p);
    Py_ssize_t q = -1, i, j, r;
    if (c == '^' || c == '_') {
        /* A microtone: up to three digits, a slash, and a denominator of up to three
           digits not starting with 0 or none; any other reading of its digits leaves a
           digit where the slash or the letter must stand. */
        i = p + 1;
        r = 0;
        while (is_digit(CH(i))) { i++; r++; }
        if (r <= 3 && CH(i) == '/') {
            i++;
            j = i;
            r = 0;
            while (is_digit(CH(j))) { j++; r++; }
            if ((r == 0 || (r <= 3 && CH(i) != '0')) && is_pitch(CH(j))) q = j;
        }
        if (q < 0) {
            if (CH(p + 1) == c && is_pitch(CH(p + 2))) q = p + 2; /* ^^ or __ */
            else if (is_pitch(CH(p + 1))) q = p + 1;              /* ^ or _ */
            else return -1;
        }
    } else if (c == '=') {
        if (!is_pitch(CH(p + 1))) return -1;
        q = p + 1;
    } else if (is_pitch(c)) {
        q = p;
    } else {
        return -1;
    }
    i = q + 1;
    for (r = 0; r < 8 && (CH(i) == ',' || CH(i) == '\''); r++) i++; /* §4.1 octave marks */
    for (r = 0; r < 9 && is_digit(CH(i)); r++) i++;                  /* §4.3 length */
    if (CH(i) == '/') {
        if (is_digit(CH(i + 1))) {
            i++;
            for (r = 0; r < 9 && is_digit(CH(i)); r++) i++;
        } else {
            for (r = 0; r < 4 && CH(i) == '/'; r++) i++;
        }
    }
    return i;
}

/*
 * scan(text, pos, lim, pure, native, children) -> pos
 *
 * The list loop of LineParser.parse from pos while pos < lim: a token starting with a
 * character whose byte in `native` is 1 (a character whose regex in `pure` tries NOTE
 * first) is read by note_end() and appended as an int; any other token, or a note
 * note_end() does not find there, by `pure[char].match(text, pos)`, appended as its
 * match. Stops where that table has no regex or the regex does not match: the parser
 * then takes the token. Returns where it stopped.
 */
static PyObject *scan(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 6) {
        PyErr_SetString(PyExc_TypeError, "scan() takes 6 arguments");
        return NULL;
    }
    PyObject *text = args[0], *pure = args[3], *native = args[4], *children = args[5];
    if (!PyUnicode_Check(text) || !PyDict_Check(pure) || !PyBytes_Check(native)
            || PyBytes_GET_SIZE(native) != 128 || !PyList_Check(children)) {
        PyErr_SetString(PyExc_TypeError, "scan(str, int, int, dict, bytes[128], list)");
        return NULL;
    }
    Py_ssize_t pos = PyLong_AsSsize_t(args[1]), lim = PyLong_AsSsize_t(args[2]);
    if (PyErr_Occurred()) return NULL;
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    const char *mask = PyBytes_AS_STRING(native);
    if (lim > n) lim = n;
    while (pos < lim) {
        Py_UCS4 c = PyUnicode_READ(kind, data, pos);
        if (c >= 128) break; /* the tables hold ASCII only: the parser decides */
        if (mask[c]) {
            Py_ssize_t e = note_end(kind, data, pos, n);
            if (e > pos) {
                PyObject *tok = PyLong_FromSsize_t((pos << 8) | (e - pos));
                if (tok == NULL) return NULL;
                int bad = PyList_Append(children, tok);
                Py_DECREF(tok);
                if (bad < 0) return NULL;
                pos = e;
                continue;
            }
        }
        PyObject *rx = PyDict_GetItemWithError(pure, chars[c]); /* borrowed */
        if (rx == NULL) {
            if (PyErr_Occurred()) return NULL;
            break;
        }
        if (rx == Py_None) break;
        PyObject *at = PyLong_FromSsize_t(pos);
        if (at == NULL) return NULL;
        PyObject *margs[3] = {rx, text, at};
        PyObject *m = PyObject_VectorcallMethod(
            str_match, margs, 3 | PY_VECTORCALL_ARGUMENTS_OFFSET, NULL);
        Py_DECREF(at);
        if (m == NULL) return NULL;
        if (m == Py_None) {
            Py_DECREF(m);
            break;
        }
        if (PyList_Append(children, m) < 0) {
            Py_DECREF(m);
            return NULL;
        }
        PyObject *eargs[1] = {m};
        PyObject *end = PyObject_VectorcallMethod(
            str_end, eargs, 1 | PY_VECTORCALL_ARGUMENTS_OFFSET, NULL);
        Py_DECREF(m);
        if (end == NULL) return NULL;
        Py_ssize_t e = PyLong_AsSsize_t(end);
        Py_DECREF(end);
        if (e == -1 && PyErr_Occurred()) return NULL;
        if (e <= pos) break; /* no token is empty; never loop in place */
        pos = e;
    }
    return PyLong_FromSsize_t(pos);
}

/*
 * take_notes(children, elements, shapes, text, start_factor, end_factor, term,
 *            line_start, max_length, max_col, shape_of, note_type, shape_slot, span_slot)
 *   -> (count, first_start, last_end)
 *
 * The builder's inline note path for the int tokens at the end of `children` (the
 * builder pops its list from the end): each becomes a Note appended to `elements`, its
 * span the packed int start * start_factor + end * end_factor + term
 * (diagnostics.SPAN_START_FACTOR ...: the compact layout of one line), its shape the
 * tuple memoized in `shapes` under the note's text (`shape_of(token)` makes a missing
 * one, as the Python path does). Stops at the first token that is not such an int or
 * whose span is not that layout (the Python path packs it). The tokens taken are removed
 * from `children`.
 */
static PyObject *take_notes(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 14) {
        PyErr_SetString(PyExc_TypeError, "take_notes() takes 14 arguments");
        return NULL;
    }
    PyObject *children = args[0], *elements = args[1], *shapes = args[2], *text = args[3];
    PyObject *shape_of = args[10];
    if (!PyList_Check(children) || !PyList_Check(elements) || !PyDict_Check(shapes)
            || !PyUnicode_Check(text) || !PyType_Check(args[11])
            || !PyObject_TypeCheck(args[12], &PyMemberDescr_Type)
            || !PyObject_TypeCheck(args[13], &PyMemberDescr_Type)) {
        PyErr_SetString(PyExc_TypeError, "take_notes(): unexpected argument types");
        return NULL;
    }
    PyTypeObject *note_type = (PyTypeObject *)args[11];
    PyMemberDef *shape_member = ((PyMemberDescrObject *)args[12])->d_member;
    PyMemberDef *span_member = ((PyMemberDescrObject *)args[13])->d_member;
    if (shape_member->type != T_OBJECT_EX || span_member->type != T_OBJECT_EX
            || !PyType_IsSubtype(note_type, PyDescr_TYPE(args[12]))
            || !PyType_IsSubtype(note_type, PyDescr_TYPE(args[13]))) {
        PyErr_SetString(PyExc_TypeError, "take_notes(): the slots are not the note type's");
        return NULL;
    }
    int overflow = 0;
    long long sf = PyLong_AsLongLongAndOverflow(args[4], &overflow);
    long long ef = overflow ? 0 : PyLong_AsLongLongAndOverflow(args[5], &overflow);
    long long term = overflow ? 0 : PyLong_AsLongLongAndOverflow(args[6], &overflow);
    Py_ssize_t ls = PyLong_AsSsize_t(args[7]);
    Py_ssize_t max_length = PyLong_AsSsize_t(args[8]), max_col = PyLong_AsSsize_t(args[9]);
    if (PyErr_Occurred()) return NULL;
    Py_ssize_t count = 0, first_start = -1, last_end = -1;
    Py_ssize_t k0 = PyList_GET_SIZE(children), k = k0;
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    while (!overflow && k > 0) {
        PyObject *tok = PyList_GET_ITEM(children, k - 1);
        if (!PyLong_CheckExact(tok)) break;
        Py_ssize_t v = PyLong_AsSsize_t(tok);
        if (v < 0) {
            if (PyErr_Occurred()) return NULL;
            break;
        }
        Py_ssize_t start = v >> 8, end = start + (v & 255);
        if (end > n || end - start > max_length || start - ls > max_col || start < ls) break;
        __int128 packed = (__int128)start * sf + (__int128)end * ef + term;
        if (packed < 0 || packed > (__int128)LLONG_MAX) break;
        PyObject *written = PyUnicode_Substring(text, start, end);
        if (written == NULL) return NULL;
        PyObject *shape = PyDict_GetItemWithError(shapes, written); /* borrowed */
        if (shape == NULL) {
            if (PyErr_Occurred()) {
                Py_DECREF(written);
                return NULL;
            }
            PyObject *made = PyObject_CallOneArg(shape_of, tok);
            if (made == NULL || PyDict_SetItem(shapes, written, made) < 0) {
                Py_XDECREF(made);
                Py_DECREF(written);
                return NULL;
            }
            Py_DECREF(made);
            shape = PyDict_GetItemWithError(shapes, written);
            if (shape == NULL) {
                Py_DECREF(written);
                return NULL;
            }
        }
        Py_DECREF(written);
        PyObject *span = PyLong_FromLongLong((long long)packed);
        if (span == NULL) return NULL;
        PyObject *note = note_type->tp_alloc(note_type, 0);
        if (note == NULL) {
            Py_DECREF(span);
            return NULL;
        }
        Py_INCREF(shape);
        *(PyObject **)((char *)note + shape_member->offset) = shape;
        *(PyObject **)((char *)note + span_member->offset) = span;
        /* A note holds its shape (a tuple of a str, an int, an accidental and a Fraction)
           and an int: no reference cycle can pass through it, so the cyclic collector,
           whose first pass over a parse's new objects the caller pays for, need not visit
           it. */
        if (PyObject_IS_GC(note)) PyObject_GC_UnTrack(note);
        int bad = PyList_Append(elements, note);
        Py_DECREF(note);
        if (bad < 0) return NULL;
        k--;
        if (!count) first_start = start;
        last_end = end;
        count++;
    }
    if (k < k0 && PyList_SetSlice(children, k, k0, NULL) < 0) return NULL;
    return Py_BuildValue("(nnn)", count, first_start, last_end);
}

/*
 * Maker(cls, slots): a constructor for a slotted class that fills the slots `slots`
 * (member descriptors of cls, in order) from its positional arguments, as
 * model.fast_constructor's generated Python does through each descriptor, without a
 * call per slot: the model's bar lines, bars, chord symbols and header fields are made
 * at one call each. The object is what object.__new__(cls) makes, its slots written.
 */
typedef struct {
    PyObject_HEAD
    PyTypeObject *cls;
    PyObject *slots;
    Py_ssize_t count;
    Py_ssize_t *offsets;
    vectorcallfunc vectorcall;
} MakerObject;

static PyObject *maker_call(PyObject *self, PyObject *const *args, size_t nargsf,
                            PyObject *kwnames) {
    MakerObject *mk = (MakerObject *)self;
    Py_ssize_t nargs = PyVectorcall_NARGS(nargsf);
    if (nargs != mk->count || (kwnames != NULL && PyTuple_GET_SIZE(kwnames))) {
        PyErr_Format(PyExc_TypeError, "%s maker takes %zd positional arguments (%zd given)",
                     mk->cls->tp_name, mk->count, nargs);
        return NULL;
    }
    PyObject *obj = mk->cls->tp_alloc(mk->cls, 0);
    if (obj == NULL) return NULL;
    for (Py_ssize_t i = 0; i < nargs; i++) {
        Py_INCREF(args[i]);
        *(PyObject **)((char *)obj + mk->offsets[i]) = args[i];
    }
    return obj;
}

static PyObject *maker_new(PyTypeObject *type, PyObject *args, PyObject *kwds) {
    PyObject *cls, *slots;
    if (!PyArg_ParseTuple(args, "O!O!:Maker", &PyType_Type, &cls, &PyTuple_Type, &slots))
        return NULL;
    PyTypeObject *tp = (PyTypeObject *)cls;
    if (tp->tp_new != PyBaseObject_Type.tp_new || (tp->tp_flags & Py_TPFLAGS_IS_ABSTRACT)) {
        PyErr_SetString(PyExc_TypeError, "Maker: the class must be made by object.__new__");
        return NULL;
    }
    Py_ssize_t n = PyTuple_GET_SIZE(slots);
    Py_ssize_t *offsets = PyMem_New(Py_ssize_t, n ? n : 1);
    if (offsets == NULL) return PyErr_NoMemory();
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *d = PyTuple_GET_ITEM(slots, i);
        if (!PyObject_TypeCheck(d, &PyMemberDescr_Type)
                || !PyType_IsSubtype(tp, PyDescr_TYPE(d))
                || ((PyMemberDescrObject *)d)->d_member->type != T_OBJECT_EX
                || (((PyMemberDescrObject *)d)->d_member->flags & READONLY)) {
            PyMem_Free(offsets);
            PyErr_SetString(PyExc_TypeError, "Maker: every slot must be a writable slot of the class");
            return NULL;
        }
        offsets[i] = ((PyMemberDescrObject *)d)->d_member->offset;
    }
    MakerObject *mk = (MakerObject *)type->tp_alloc(type, 0);
    if (mk == NULL) {
        PyMem_Free(offsets);
        return NULL;
    }
    Py_INCREF(cls);
    Py_INCREF(slots);
    mk->cls = tp;
    mk->slots = slots;
    mk->count = n;
    mk->offsets = offsets;
    mk->vectorcall = maker_call;
    return (PyObject *)mk;
}

static void maker_dealloc(PyObject *self) {
    MakerObject *mk = (MakerObject *)self;
    Py_XDECREF(mk->cls);
    Py_XDECREF(mk->slots);
    PyMem_Free(mk->offsets);
    Py_TYPE(self)->tp_free(self);
}

static PyTypeObject MakerType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "abcparse._speedups.Maker",
    .tp_basicsize = sizeof(MakerObject),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_doc = "Maker(cls, slots): a constructor that fills a slotted class's slots",
    .tp_new = maker_new,
    .tp_dealloc = maker_dealloc,
    .tp_call = PyVectorcall_Call,
    .tp_vectorcall_offset = offsetof(MakerObject, vectorcall),
};

/* note_end(text, pos) -> int: where a NOTE token starting at pos ends, -1 if none. */
static PyObject *py_note_end(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 2 || !PyUnicode_Check(args[0])) {
        PyErr_SetString(PyExc_TypeError, "note_end(str, int)");
        return NULL;
    }
    PyObject *text = args[0];
    Py_ssize_t pos = PyLong_AsSsize_t(args[1]);
    if (pos == -1 && PyErr_Occurred()) return NULL;
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    if (pos < 0 || pos >= n) return PyLong_FromLong(-1);
    return PyLong_FromSsize_t(note_end(PyUnicode_KIND(text), PyUnicode_DATA(text), pos, n));
}

static PyMethodDef methods[] = {
    {"scan", (PyCFunction)(void (*)(void))scan, METH_FASTCALL,
     "scan(text, pos, lim, pure, native, children) -> pos: a music line's run of tokens"},
    {"take_notes", (PyCFunction)(void (*)(void))take_notes, METH_FASTCALL,
     "take_notes(...) -> (count, first_start, last_end): the builder's note path"},
    {"note_end", (PyCFunction)(void (*)(void))py_note_end, METH_FASTCALL,
     "note_end(text, pos) -> int: where the NOTE token at pos ends, or -1"},
    {NULL, NULL, 0, NULL}
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_speedups",
    "The parser's note loops, compiled (optional: see abcparse.speedups).", -1, methods,
    NULL, NULL, NULL, NULL
};

PyMODINIT_FUNC PyInit__speedups(void) {
    for (int i = 0; i < 128; i++) {
        if (chars[i] == NULL && (chars[i] = PyUnicode_FromOrdinal(i)) == NULL) return NULL;
    }
    if (str_match == NULL && (str_match = PyUnicode_InternFromString("match")) == NULL)
        return NULL;
    if (str_end == NULL && (str_end = PyUnicode_InternFromString("end")) == NULL) return NULL;
    if (PyType_Ready(&MakerType) < 0) return NULL;
    PyObject *m = PyModule_Create(&module);
    if (m == NULL) return NULL;
    Py_INCREF(&MakerType);
    if (PyModule_AddObject(m, "Maker", (PyObject *)&MakerType) < 0) {
        Py_DECREF(&MakerType);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
