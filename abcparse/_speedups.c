/*
 * abcparse._speedups: the parser's hottest loops, compiled (issue 16).
 *
 * Half the tokens of a tunebook are notes (§4.1-4.3). In pure Python each one costs a
 * regex match, a match object, and a trip through the builder's loop that reads the
 * object back (its kind, its span, its text) to make a Note; chord symbols, spaces and
 * bar lines cost the same. This module does that work, and only where its rule
 * certainly applies:
 *
 *   scan(), read_token()   the parser's music-line tokens (LineParser.parse: its list
 *                 loop, and the LALR step's own reads): a note, a space, a quoted text
 *                 or a bar line is read here, character by character, and kept as one
 *                 int (start << 24 | length << 2 | kind); every other token is matched
 *                 by the same first-character regex the Python loop uses.
 *   take_run()    the builder's inline path (TuneBuilder.line_music_line): those ints at
 *                 the end of the token list become Note objects (the packed span and the
 *                 shared shape tuple the Python path gives them), chord symbols and
 *                 annotations, and bar lines that close a bar in end_bar's common case;
 *                 spaces are passed over.
 *   Maker         a constructor for the model's slotted classes (model.fast_constructor).
 *   block_cuts(), tune_piece()   the splitter's passes over a tunebook's lines.
 *   header_line() a tune header's line (TuneBuilder.header_lines), which read_headers
 *                 reads for each line of each header.
 *
 * They stop, leaving the rest to Python, wherever their rule does not certainly apply
 * (a character above ASCII, a span that is not the inline layout, a bar line end_bar
 * treats otherwise; a shape not yet memoized is made by Python). The pure-Python path
 * stays and gives the same model: the module is optional (setup.py builds it when a C
 * compiler is there; ABCPARSE_PURE=1 turns it off), and tests/core/test_speedups.py
 * compares the two paths on every corpus file and on generated text, and each reader
 * (token_end()) with the grammar's own regex.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>
#include <limits.h>

static PyObject *chars[128]; /* one-character strings: the dispatch tables' keys */
static PyObject *str_match, *str_end, *str_bar, *str_bars; /* interned names */

/* A token kept as an int: start << 24 | length << 2 | kind (the builder's _token_*). */
enum { KIND_NOTE = 0, KIND_WS = 1, KIND_QUOTED = 2, KIND_BAR = 3 };
#define LENGTH_LIMIT ((Py_ssize_t)1 << 22)
/* What `native` says of a character: the token kind the loop reads itself (or 0). */
enum { READ_NOTE = 1, READ_WS = 2, READ_QUOTED = 3, READ_BAR = 4 };

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

/* WS, [ \t]{1,64} (grammar/abc.lark): where the run of spaces at p ends. */
static Py_ssize_t ws_end(int kind, const void *data, Py_ssize_t p, Py_ssize_t n) {
    Py_ssize_t i = p;
    while (i < n && i - p < 64) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (c != ' ' && c != '\t') break;
        i++;
    }
    return i > p ? i : -1;
}

/* QUOTED, "(?:[^"\\\r\n]|\\[^\r\n])*+" (§4.18 chord symbols, §4.19 annotations; \" is
   a quote, §8.2): where the quoted text at p ends, or -1 when nothing closes it on its
   line (the possessive loop cannot give anything back, so then there is no match); then
   *stop is where the scan stopped (the line's end). */
static Py_ssize_t quoted_end(int kind, const void *data, Py_ssize_t p, Py_ssize_t n,
                             Py_ssize_t *stop) {
    Py_ssize_t i = p + 1;
    while (i < n) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (c == '"') return i + 1;
        if (c == '\r' || c == '\n') break;
        if (c == '\\') {
            if (i + 1 >= n) { i++; break; }
            Py_UCS4 d = PyUnicode_READ(kind, data, i + 1);
            if (d == '\r' || d == '\n') { i++; break; }
            i += 2;
        } else {
            i++;
        }
    }
    *stop = i;
    return -1;
}

/* Where a bar line's core, (?:\.?\|{1,2}|\[\|), at i ends when it is followed by `]`
   (C1 below; -1: it is not), trying its choices in the regex engine's order. */
static Py_ssize_t core_then_close(int kind, const void *data, Py_ssize_t i, Py_ssize_t n) {
    Py_ssize_t j = i + (CH(i) == '.');
    if (CH(j) == '|') {
        if (CH(j + 1) == '|' && CH(j + 2) == ']') return j + 2;
        if (CH(j + 1) == ']') return j + 1;
    }
    if (CH(i) == '[' && CH(i + 1) == '|' && CH(i + 2) == ']') return i + 2;
    return -1;
}

/*
 * Where the grammar's BAR terminal matching at p ends, or -1 (§4.8 bar lines and repeats,
 * §4.9 the endings written on them):
 *
 *   (?P<b_sym>\[\|\]|:\](?!\])|:{0,4}(?:(?:\.?\|{1,2}|\[\|)\](?::{1,4}(?![:|]))?
 *            |(?:\.?\|{1,2}|\[\|):{0,4})|:{2,4}|\[:{1,4})
 *   (?P<b_end>[0-9]{1,3}(?:[-,][0-9]{1,3}){0,8})?
 *
 * with the regex engine's choices. In the third alternative, fewer colons than the run
 * holds (up to four) would leave a colon where the core must start, so only the whole
 * run can match; after `]`, the colons of the suffix must be the whole run too (a
 * shorter one is followed by a colon, which the lookahead refuses).
 */
static Py_ssize_t bar_end(int kind, const void *data, Py_ssize_t p, Py_ssize_t n) {
    Py_ssize_t e = -1, i, r;
    if (CH(p) == '[' && CH(p + 1) == '|' && CH(p + 2) == ']') {
        e = p + 3;
    } else if (CH(p) == ':' && CH(p + 1) == ']' && CH(p + 2) != ']') {
        e = p + 2;
    } else {
        i = p;
        r = 0;
        while (r < 4 && CH(i) == ':') { i++; r++; }
        Py_ssize_t q = CH(i) == ':' ? -1 : core_then_close(kind, data, i, n);
        if (q >= 0) {
            /* C1: the core, `]`, and the colons after it when nothing of : | follows. */
            Py_ssize_t c = 0;
            while (c < 4 && CH(q + 1 + c) == ':') c++;
            Py_UCS4 after = CH(q + 1 + c);
            e = q + 1 + ((c > 0 && after != ':' && after != '|') ? c : 0);
        } else if (CH(i) != ':') {
            /* C2: the core and up to four colons. */
            Py_ssize_t j = i + (CH(i) == '.');
            if (CH(j) == '|') {
                j += (CH(j + 1) == '|') ? 2 : 1;
            } else if (CH(i) == '[' && CH(i + 1) == '|') {
                j = i + 2;
            } else {
                j = -1;
            }
            if (j >= 0) {
                for (r = 0; r < 4 && CH(j) == ':'; r++) j++;
                e = j;
            }
        }
        if (e < 0) {
            i = p;
            r = 0;
            while (r < 4 && CH(i) == ':') { i++; r++; }
            if (r >= 2) {
                e = i; /* :{2,4} */
            } else if (CH(p) == '[' && CH(p + 1) == ':') { /* \[:{1,4} */
                i = p + 1;
                for (r = 0; r < 4 && CH(i) == ':'; r++) i++;
                e = i;
            }
        }
    }
    if (e < 0) return -1;
    /* b_end: up to three digits, then up to eight of [-,] and up to three digits. */
    if (is_digit(CH(e))) {
        for (r = 0; r < 3 && is_digit(CH(e)); r++) e++;
        for (int g = 0; g < 8; g++) {
            if ((CH(e) == '-' || CH(e) == ',') && is_digit(CH(e + 1))) {
                e++;
                for (r = 0; r < 3 && is_digit(CH(e)); r++) e++;
            } else {
                break;
            }
        }
    }
    return e;
}

/* The token of the kind `mask[c]` names at pos, as an int, or -1 (none there, or none
   that long). Quoted text that does not close leaves *dead at its line's end: no later
   opening before it can close either (a fact of the text, see parser._OnceALine), so the
   caller does not scan that stretch again (a line of \" after one " stays linear). */
static Py_ssize_t read_one(int kind, const void *data, Py_ssize_t pos, Py_ssize_t n,
                           const char *mask, Py_ssize_t *dead) {
    Py_UCS4 c = PyUnicode_READ(kind, data, pos);
    if (c >= 128 || !mask[c]) return -1;
    Py_ssize_t e = -1;
    int k = KIND_NOTE;
    switch (mask[c]) {
    case READ_NOTE: e = note_end(kind, data, pos, n); k = KIND_NOTE; break;
    case READ_WS: e = ws_end(kind, data, pos, n); k = KIND_WS; break;
    case READ_QUOTED:
        if (pos < *dead) return -1;
        e = quoted_end(kind, data, pos, n, dead);
        k = KIND_QUOTED;
        break;
    case READ_BAR: e = bar_end(kind, data, pos, n); k = KIND_BAR; break;
    }
    if (e <= pos || e - pos >= LENGTH_LIMIT) return -1;
    return (pos << 24) | ((e - pos) << 2) | k;
}

/*
 * read_token(text, pos, native) -> int: the LALR step's token at pos (LineParser.parse)
 * read as scan() reads it, or -1 where the state's regex must read it.
 */
static PyObject *read_token(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 3 || !PyUnicode_Check(args[0]) || !PyBytes_Check(args[2])
            || PyBytes_GET_SIZE(args[2]) != 128) {
        PyErr_SetString(PyExc_TypeError, "read_token(str, int, bytes[128])");
        return NULL;
    }
    Py_ssize_t pos = PyLong_AsSsize_t(args[1]);
    if (pos == -1 && PyErr_Occurred()) return NULL;
    Py_ssize_t n = PyUnicode_GET_LENGTH(args[0]);
    if (pos < 0 || pos >= n) return PyLong_FromLong(-1);
    Py_ssize_t dead = -1;
    return PyLong_FromSsize_t(read_one(PyUnicode_KIND(args[0]), PyUnicode_DATA(args[0]), pos,
                                       n, PyBytes_AS_STRING(args[2]), &dead));
}

/*
 * scan(text, pos, lim, pure, native, children) -> pos
 *
 * The list loop of LineParser.parse from pos while pos < lim: a token starting with a
 * character whose byte in `native` names a kind (READ_NOTE, READ_WS, READ_QUOTED: the
 * character's regex in `pure` tries that terminal first) is read here and appended as
 * an int (start << 24 | length << 2 | kind); any other token, or one of those kinds
 * not found there, by `pure[char].match(text, pos)`, appended as its match. (Where
 * quoted text does not close, the regex object there, parser._OnceALine, remembers the
 * line; where it closes, that object would match it too.) Stops where that table has no regex or the regex does not match: the parser
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
    Py_ssize_t dead = -1; /* see read_one */
    if (lim > n) lim = n;
    while (pos < lim) {
        Py_UCS4 c = PyUnicode_READ(kind, data, pos);
        if (c >= 128) break; /* the tables hold ASCII only: the parser decides */
        if (mask[c]) {
            Py_ssize_t v = read_one(kind, data, pos, n, mask, &dead);
            if (v >= 0) {
                Py_ssize_t e = pos + ((v >> 2) & (LENGTH_LIMIT - 1));
                PyObject *tok = PyLong_FromSsize_t(v);
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
 * take_run(children, voice, text, start_factor, end_factor, term, line_start, base,
 *          max_length, max_col, shape_of, bar_shape_of, context)
 *   -> (notes, last_end)
 *
 * The builder's inline path (TuneBuilder.line_music_line, outside a chord, a grace
 * group and unreadable text) for the int tokens at the end of `children` (the builder
 * pops its list from the end), into the open bar of `voice` (a builder._Voice):
 *
 * - a space is passed over;
 * - a note becomes a Note appended to the bar, with the packed span start *
 *   start_factor + end * end_factor + term (diagnostics.SPAN_START_FACTOR ...: the
 *   compact layout of one line) and the shape tuple memoized under the note's text
 *   (`shape_of(token)` makes a missing one, as the Python path does); the bar then has
 *   content, and starts at the first note's offset in the file (`base` + start) if it
 *   had no start;
 * - quoted text becomes its chord symbol or annotation: maker(*args, span) for the
 *   (maker, *args) memoized under its text (quoted_parts(text) makes a missing one);
 * - a bar line becomes its BarLine (the shape memoized under its text, bar_shape_of(token)
 *   makes a missing one) and, where the open bar has content and an opening bar line
 *   (TuneBuilder.end_bar's and make_bar's common case), closes it: the Bar goes to
 *   voice.bars and the voice's next open bar starts at the line.
 *
 * Stops, leaving the token to the Python path, at a token that is not such an int, at
 * one whose span is not that layout, and at a bar line that does anything else (a bar
 * with no content or no opening line, repeat dots beside a thick bar, ABC113). The
 * tokens taken are removed from `children`. Returns the notes made and where the last
 * token made ends (-1: none).
 *
 * `context` is the tuple builder._RUN_CONTEXT: (note_type, shape_slot, span_slot,
 * note_shapes, quoted_memo, quoted_parts, bar_shapes, bar_line_maker, bar_maker,
 * new_bar_maker, joined, bar_elements, bar_opening, bar_ending, bar_start,
 * bar_has_content): the slots are member descriptors of Note and builder._Bar.
 */
enum {
    CX_NOTE, CX_SHAPE_SLOT, CX_SPAN_SLOT, CX_NOTE_SHAPES, CX_QUOTED_MEMO, CX_QUOTED_PARTS,
    CX_BAR_SHAPES, CX_BAR_LINE_MAKER, CX_BAR_MAKER, CX_NEW_BAR, CX_JOINED, CX_ELEMENTS,
    CX_OPENING, CX_ENDING, CX_START, CX_HAS_CONTENT, CX_SIZE
};

static PyObject *memo_get(PyObject *memo, PyObject *key, PyObject *make, PyObject *arg) {
    PyObject *got = PyDict_GetItemWithError(memo, key); /* borrowed */
    if (got != NULL || PyErr_Occurred()) return got;
    PyObject *made = PyObject_CallOneArg(make, arg);
    if (made == NULL) return NULL;
    int bad = PyDict_SetItem(memo, key, made);
    Py_DECREF(made);
    if (bad < 0) return NULL;
    return PyDict_GetItemWithError(memo, key);
}

/* Where a writable object slot of `type` (or of its base) sits in its objects, or -1
   when `descr` is no such slot: what take_run and Maker write without the descriptor. */
static Py_ssize_t slot_offset(PyObject *descr, PyTypeObject *type) {
    if (!PyObject_TypeCheck(descr, &PyMemberDescr_Type)
            || !PyType_IsSubtype(type, PyDescr_TYPE(descr))) return -1;
    PyMemberDef *member = ((PyMemberDescrObject *)descr)->d_member;
    if (member->type != T_OBJECT_EX || (member->flags & READONLY)) return -1;
    return member->offset;
}

#define SLOT(obj, off) (*(PyObject **)((char *)(obj) + (off)))

/* Write a slot of an object of ours, as its descriptor would. */
static void set_slot(PyObject *obj, Py_ssize_t off, PyObject *value) {
    PyObject *old = SLOT(obj, off);
    Py_INCREF(value);
    SLOT(obj, off) = value;
    Py_XDECREF(old);
}

static PyObject *take_run(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 13) {
        PyErr_SetString(PyExc_TypeError, "take_run() takes 13 arguments");
        return NULL;
    }
    PyObject *children = args[0], *voice = args[1], *text = args[2];
    PyObject *shape_of = args[10], *bar_shape_of = args[11], *cx = args[12];
    if (!PyList_Check(children) || !PyUnicode_Check(text) || !PyTuple_Check(cx)
            || PyTuple_GET_SIZE(cx) != CX_SIZE || !PyType_Check(PyTuple_GET_ITEM(cx, CX_NOTE))
            || !PyDict_Check(PyTuple_GET_ITEM(cx, CX_NOTE_SHAPES))
            || !PyDict_Check(PyTuple_GET_ITEM(cx, CX_QUOTED_MEMO))
            || !PyDict_Check(PyTuple_GET_ITEM(cx, CX_BAR_SHAPES))) {
        PyErr_SetString(PyExc_TypeError, "take_run(): unexpected argument types");
        return NULL;
    }
    PyTypeObject *note_type = (PyTypeObject *)PyTuple_GET_ITEM(cx, CX_NOTE);
    PyObject *shapes = PyTuple_GET_ITEM(cx, CX_NOTE_SHAPES);
    PyObject *quoted_memo = PyTuple_GET_ITEM(cx, CX_QUOTED_MEMO);
    PyObject *quoted_parts = PyTuple_GET_ITEM(cx, CX_QUOTED_PARTS);
    PyObject *bar_shapes = PyTuple_GET_ITEM(cx, CX_BAR_SHAPES);
    PyObject *bar_line_maker = PyTuple_GET_ITEM(cx, CX_BAR_LINE_MAKER);
    PyObject *bar_maker = PyTuple_GET_ITEM(cx, CX_BAR_MAKER);
    PyObject *new_bar = PyTuple_GET_ITEM(cx, CX_NEW_BAR);
    PyObject *joined = PyTuple_GET_ITEM(cx, CX_JOINED);
    PyObject *elements_slot = PyTuple_GET_ITEM(cx, CX_ELEMENTS);
    if (!PyObject_TypeCheck(elements_slot, &PyMemberDescr_Type)) {
        PyErr_SetString(PyExc_TypeError, "take_run(): the context's slots are not slots");
        return NULL;
    }
    PyTypeObject *bar_type = PyDescr_TYPE(elements_slot);
    Py_ssize_t shape_off = slot_offset(PyTuple_GET_ITEM(cx, CX_SHAPE_SLOT), note_type);
    Py_ssize_t span_off = slot_offset(PyTuple_GET_ITEM(cx, CX_SPAN_SLOT), note_type);
    Py_ssize_t el_off = slot_offset(elements_slot, bar_type);
    Py_ssize_t open_off = slot_offset(PyTuple_GET_ITEM(cx, CX_OPENING), bar_type);
    Py_ssize_t end_off = slot_offset(PyTuple_GET_ITEM(cx, CX_ENDING), bar_type);
    Py_ssize_t start_off = slot_offset(PyTuple_GET_ITEM(cx, CX_START), bar_type);
    Py_ssize_t has_off = slot_offset(PyTuple_GET_ITEM(cx, CX_HAS_CONTENT), bar_type);
    if (shape_off < 0 || span_off < 0 || el_off < 0 || open_off < 0 || end_off < 0
            || start_off < 0 || has_off < 0) {
        PyErr_SetString(PyExc_TypeError, "take_run(): the context's slots are not slots");
        return NULL;
    }
    int overflow = 0;
    long long sf = PyLong_AsLongLongAndOverflow(args[3], &overflow);
    long long ef = overflow ? 0 : PyLong_AsLongLongAndOverflow(args[4], &overflow);
    long long term = overflow ? 0 : PyLong_AsLongLongAndOverflow(args[5], &overflow);
    Py_ssize_t ls = PyLong_AsSsize_t(args[6]), base = PyLong_AsSsize_t(args[7]);
    Py_ssize_t max_length = PyLong_AsSsize_t(args[8]), max_col = PyLong_AsSsize_t(args[9]);
    if (PyErr_Occurred()) return NULL;
    PyObject *bar = PyObject_GetAttr(voice, str_bar); /* new reference, held */
    if (bar == NULL) return NULL;
    if (Py_TYPE(bar) != bar_type || !PyList_Check(SLOT(bar, el_off))) {
        Py_DECREF(bar);
        PyErr_SetString(PyExc_TypeError, "take_run(): the voice's bar is not a builder bar");
        return NULL;
    }
    Py_ssize_t notes = 0, last_end = -1;
    Py_ssize_t k0 = PyList_GET_SIZE(children), k = k0;
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    int failed = 0; /* an error: the tokens taken so far still go */
    while (!overflow && k > 0) {
        PyObject *tok = PyList_GET_ITEM(children, k - 1);
        if (!PyLong_CheckExact(tok)) break;
        Py_ssize_t v = PyLong_AsSsize_t(tok);
        if (v < 0) {
            failed = PyErr_Occurred() != NULL;
            break;
        }
        int kind = (int)(v & 3);
        if (kind == KIND_WS) {
            k--;
            continue;
        }
        Py_ssize_t start = v >> 24, end = start + ((v >> 2) & (LENGTH_LIMIT - 1));
        if (end > n || end - start > max_length || start - ls > max_col || start < ls) break;
        __int128 packed = (__int128)start * sf + (__int128)end * ef + term;
        if (packed < 0 || packed > (__int128)LLONG_MAX) break;
        PyObject *written = PyUnicode_Substring(text, start, end);
        if (written == NULL) { failed = 1; break; }
        PyObject *elements = SLOT(bar, el_off); /* borrowed from the bar */
        if (kind == KIND_NOTE) {
            PyObject *shape = memo_get(shapes, written, shape_of, tok); /* borrowed */
            Py_DECREF(written);
            if (shape == NULL) { failed = 1; break; }
            PyObject *span = PyLong_FromLongLong((long long)packed);
            if (span == NULL) { failed = 1; break; }
            PyObject *note = note_type->tp_alloc(note_type, 0);
            if (note == NULL) { Py_DECREF(span); failed = 1; break; }
            Py_INCREF(shape);
            SLOT(note, shape_off) = shape;
            SLOT(note, span_off) = span;
            /* A note holds its shape (a tuple of a str, an int, an accidental and a
               Fraction) and an int: no reference cycle can pass through it, so the
               cyclic collector, whose first pass over a parse's new objects the caller
               pays for, need not visit it (as Maker's untracked objects). */
            if (PyObject_IS_GC(note)) PyObject_GC_UnTrack(note);
            int bad = PyList_Append(elements, note);
            Py_DECREF(note);
            if (bad < 0) { failed = 1; break; }
            if (SLOT(bar, has_off) != Py_True) {
                set_slot(bar, has_off, Py_True);
                PyObject *bar_start = SLOT(bar, start_off);
                Py_ssize_t was = PyLong_Check(bar_start) ? PyLong_AsSsize_t(bar_start) : 0;
                if (was < 0) {
                    PyObject *at = PyLong_FromSsize_t(base + start);
                    if (at == NULL) { failed = 1; break; }
                    set_slot(bar, start_off, at);
                    Py_DECREF(at);
                }
            }
            notes++;
        } else if (kind == KIND_QUOTED) {
            PyObject *parts = memo_get(quoted_memo, written, quoted_parts, written);
            Py_DECREF(written);
            if (parts == NULL) { failed = 1; break; }
            Py_ssize_t np = PyTuple_Check(parts) ? PyTuple_GET_SIZE(parts) : 0;
            if (np < 1 || np > 7) {
                PyErr_SetString(PyExc_TypeError, "take_run(): quoted_parts gives (maker, *args)");
                failed = 1;
                break;
            }
            Py_INCREF(parts); /* held while its maker runs, whatever the memo does */
            PyObject *call[8];
            for (Py_ssize_t i = 1; i < np; i++) call[i - 1] = PyTuple_GET_ITEM(parts, i);
            PyObject *span = PyLong_FromLongLong((long long)packed);
            if (span == NULL) { Py_DECREF(parts); failed = 1; break; }
            call[np - 1] = span;
            PyObject *made = PyObject_Vectorcall(PyTuple_GET_ITEM(parts, 0), call, np, NULL);
            Py_DECREF(span);
            Py_DECREF(parts);
            if (made == NULL) { failed = 1; break; }
            int bad = PyList_Append(elements, made);
            Py_DECREF(made);
            if (bad < 0) { failed = 1; break; }
        } else { /* KIND_BAR: TuneBuilder.end_bar's common case, or the Python path */
            PyObject *shape = memo_get(bar_shapes, written, bar_shape_of, tok); /* borrowed */
            Py_DECREF(written);
            if (shape == NULL) { failed = 1; break; }
            if (!PyTuple_Check(shape) || PyTuple_GET_SIZE(shape) != 5) {
                PyErr_SetString(PyExc_TypeError, "take_run(): a bar line's shape has 5 parts");
                failed = 1;
                break;
            }
            PyObject *sym = PyTuple_GET_ITEM(shape, 0);
            int colon = PyUnicode_Check(sym) ? PyUnicode_FindChar(sym, ':', 0, PY_SSIZE_T_MAX, 1) >= 0 : 1;
            int thick = PyUnicode_Check(sym)
                && (PyUnicode_FindChar(sym, '[', 0, PY_SSIZE_T_MAX, 1) >= 0
                    || PyUnicode_FindChar(sym, ']', 0, PY_SSIZE_T_MAX, 1) >= 0);
            if ((colon && thick) || SLOT(bar, has_off) != Py_True || SLOT(bar, open_off) == Py_None)
                break; /* end_bar's other cases: the Python path */
            PyObject *span = PyLong_FromLongLong((long long)packed);
            if (span == NULL) { failed = 1; break; }
            PyObject *call[6];
            for (int i = 0; i < 5; i++) call[i] = PyTuple_GET_ITEM(shape, i);
            call[5] = span;
            PyObject *line = PyObject_Vectorcall(bar_line_maker, call, 6, NULL);
            Py_DECREF(span);
            if (line == NULL) { failed = 1; break; }
            PyObject *items = PyList_AsTuple(elements);
            if (items == NULL) { Py_DECREF(line); failed = 1; break; }
            PyObject *bcall[5] = {items, SLOT(bar, open_off), line, SLOT(bar, end_off), joined};
            PyObject *closed = PyObject_Vectorcall(bar_maker, bcall, 5, NULL);
            Py_DECREF(items);
            if (closed == NULL) { Py_DECREF(line); failed = 1; break; }
            PyObject *bars = PyObject_GetAttr(voice, str_bars);
            int bad = bars == NULL || PyList_Append(bars, closed) < 0;
            Py_XDECREF(bars);
            Py_DECREF(closed);
            if (bad) { Py_DECREF(line); failed = 1; break; }
            PyObject *fresh = PyList_New(0);
            PyObject *minus = PyLong_FromLong(-1);
            PyObject *next = NULL;
            if (fresh != NULL && minus != NULL) {
                PyObject *ncall[5] = {fresh, line, PyTuple_GET_ITEM(shape, 4), minus, Py_False};
                next = PyObject_Vectorcall(new_bar, ncall, 5, NULL);
            }
            Py_XDECREF(fresh);
            Py_XDECREF(minus);
            Py_DECREF(line);
            if (next == NULL || PyObject_SetAttr(voice, str_bar, next) < 0) {
                Py_XDECREF(next);
                failed = 1;
                break;
            }
            Py_DECREF(bar);
            bar = next; /* the reference made is the one held */
        }
        k--;
        last_end = end;
    }
    Py_DECREF(bar);
    if (failed) {
        /* Leave the list as the bar says: what was made is taken. */
        PyObject *type, *value, *tb;
        PyErr_Fetch(&type, &value, &tb);
        if (k < k0) PyList_SetSlice(children, k, k0, NULL);
        PyErr_Restore(type, value, tb);
        return NULL;
    }
    if (k < k0 && PyList_SetSlice(children, k, k0, NULL) < 0) return NULL;
    return Py_BuildValue("(nn)", notes, last_end);
}

/*
 * Maker(cls, slots, untrack=False): a constructor for a slotted class that fills the
 * slots `slots` (member descriptors of cls, in order) from its positional arguments, as
 * model.fast_constructor's generated Python does through each descriptor, without a
 * call per slot: the model's bar lines, bars, chord symbols and header fields are made
 * at one call each. The object is what object.__new__(cls) makes, its slots written.
 *
 * With `copy` = i (a slot's index), the maker is instead called as maker(obj, value): a
 * copy of obj (an instance of cls) whose slot i holds value (build.with_span: a field's
 * memoized value given the field's own span).
 *
 * With `untrack`, the object is taken off the cyclic collector's list: the caller
 * vouches that no reference cycle can pass through such an object. It holds for the
 * model's frozen classes: an object is made after everything it refers to and never
 * changed, so nothing older can refer to it, and a cycle needs that. The collector's
 * first pass over a parse's new objects, which the caller pays for, then skips them.
 */
typedef struct {
    PyObject_HEAD
    PyTypeObject *cls;
    PyObject *slots;
    Py_ssize_t count;
    Py_ssize_t *offsets;
    int untrack;
    Py_ssize_t copy;
    vectorcallfunc vectorcall;
} MakerObject;

static PyObject *maker_call(PyObject *self, PyObject *const *args, size_t nargsf,
                            PyObject *kwnames) {
    MakerObject *mk = (MakerObject *)self;
    Py_ssize_t nargs = PyVectorcall_NARGS(nargsf);
    Py_ssize_t want = mk->copy >= 0 ? 2 : mk->count;
    if (nargs != want || (kwnames != NULL && PyTuple_GET_SIZE(kwnames))) {
        PyErr_Format(PyExc_TypeError, "%s maker takes %zd positional arguments (%zd given)",
                     mk->cls->tp_name, want, nargs);
        return NULL;
    }
    if (mk->copy >= 0 && Py_TYPE(args[0]) != mk->cls) {
        PyErr_Format(PyExc_TypeError, "%s maker copies a %s", mk->cls->tp_name,
                     mk->cls->tp_name);
        return NULL;
    }
    PyObject *obj = mk->cls->tp_alloc(mk->cls, 0);
    if (obj == NULL) return NULL;
    for (Py_ssize_t i = 0; i < mk->count; i++) {
        PyObject *v;
        if (mk->copy < 0) {
            v = args[i];
        } else if (i == mk->copy) {
            v = args[1];
        } else {
            v = *(PyObject **)((char *)args[0] + mk->offsets[i]);
            if (v == NULL) {
                Py_DECREF(obj);
                PyErr_Format(PyExc_AttributeError, "a %s with a slot unset", mk->cls->tp_name);
                return NULL;
            }
        }
        Py_INCREF(v);
        *(PyObject **)((char *)obj + mk->offsets[i]) = v;
    }
    if (mk->untrack && PyObject_IS_GC(obj)) PyObject_GC_UnTrack(obj);
    return obj;
}

static PyObject *maker_new(PyTypeObject *type, PyObject *args, PyObject *kwds) {
    PyObject *cls, *slots;
    int untrack = 0;
    Py_ssize_t copy = -1;
    static char *kwlist[] = {"cls", "slots", "untrack", "copy", NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O!O!|pn:Maker", kwlist, &PyType_Type, &cls,
                                     &PyTuple_Type, &slots, &untrack, &copy))
        return NULL;
    PyTypeObject *tp = (PyTypeObject *)cls;
    if (tp->tp_new != PyBaseObject_Type.tp_new || (tp->tp_flags & Py_TPFLAGS_IS_ABSTRACT)) {
        PyErr_SetString(PyExc_TypeError, "Maker: the class must be made by object.__new__");
        return NULL;
    }
    Py_ssize_t n = PyTuple_GET_SIZE(slots);
    if (copy >= n) {
        PyErr_SetString(PyExc_ValueError, "Maker: copy names no slot");
        return NULL;
    }
    Py_ssize_t *offsets = PyMem_New(Py_ssize_t, n ? n : 1);
    if (offsets == NULL) return PyErr_NoMemory();
    for (Py_ssize_t i = 0; i < n; i++) {
        offsets[i] = slot_offset(PyTuple_GET_ITEM(slots, i), tp);
        if (offsets[i] < 0) {
            PyMem_Free(offsets);
            PyErr_SetString(PyExc_TypeError, "Maker: every slot must be a writable slot of the class");
            return NULL;
        }
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
    mk->untrack = untrack;
    mk->copy = copy;
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
    .tp_doc = "Maker(cls, slots, untrack=False, copy=-1): a constructor that fills a slotted class's slots",
    .tp_new = maker_new,
    .tp_dealloc = maker_dealloc,
    .tp_call = PyVectorcall_Call,
    .tp_vectorcall_offset = offsetof(MakerObject, vectorcall),
};

/*
 * The splitter's passes over a tunebook's lines (abcparse.split), which read_headers pays
 * in full while it reads only the headers. Python made several calls per tune for them.
 *
 *   block_cuts(block, prev_blank, tune_run) -> (cuts, tail_lines, tail_content,
 *       tune_run, prev_blank): split._block_cuts, where split.pieces cuts a block that
 *       holds no %%begin line: at each line starting X: that follows an empty line
 *       (spaces and tabs only, with its line end: §2.2.1), or that follows a tune's line
 *       with no empty line between (joined: ABC211). Each cut is (offset, joined, the line
 *       ends since the cut before, whether anything but blanks stands there).
 *   tune_piece(text) -> (end, line_ends): split._tune_piece_end: where the tune chunk of a
 *       piece that is one tune and empty lines after it ends, and the line ends before
 *       that; (-1, 0) for any other piece (one with a %%begin, or a character that
 *       str.splitlines() breaks at and ABC does not, or text after the tune).
 */
/* Where the line that holds i ends: its first \r or \n at or after i, or n. */
static inline Py_ssize_t line_end_at(int kind, const void *data, Py_ssize_t i, Py_ssize_t n) {
    while (i < n && CH(i) != '\r' && CH(i) != '\n') i++;
    return i;
}

static inline Py_ssize_t after_line_end(int kind, const void *data, Py_ssize_t i, Py_ssize_t n) {
    if (i >= n) return i;
    Py_UCS4 c = PyUnicode_READ(kind, data, i);
    if (c == '\r') return (i + 1 < n && PyUnicode_READ(kind, data, i + 1) == '\n') ? i + 2 : i + 1;
    return c == '\n' ? i + 1 : -1;
}

static PyObject *block_cuts(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 3 || !PyUnicode_Check(args[0])) {
        PyErr_SetString(PyExc_TypeError, "block_cuts(str, bool, bool)");
        return NULL;
    }
    PyObject *block = args[0];
    int prev_blank = PyObject_IsTrue(args[1]), tune_run = PyObject_IsTrue(args[2]);
    if (prev_blank < 0 || tune_run < 0) return NULL;
    int kind = PyUnicode_KIND(block);
    const void *data = PyUnicode_DATA(block);
    Py_ssize_t n = PyUnicode_GET_LENGTH(block), p = 0, ends = 0, ends_at_cut = 0;
    /* blank_seen: an empty line (with its line end) since the last X: line */
    int blank_seen = 0, content = 0, line_blank = 0, ended = 0;
    PyObject *cuts = PyList_New(0);
    if (cuts == NULL) return NULL;
    while (p < n) {
        if (CH(p) == 'X' && CH(p + 1) == ':') {
            int after_blank = p == 0 ? prev_blank : line_blank;
            if (tune_run && blank_seen) tune_run = 0;
            int joins = tune_run && !after_blank;
            tune_run = 1;
            blank_seen = 0;
            if (after_blank || joins) {
                PyObject *cut = Py_BuildValue("(nNnN)", p, PyBool_FromLong(joins),
                                              ends - ends_at_cut, PyBool_FromLong(content));
                if (cut == NULL || PyList_Append(cuts, cut) < 0) {
                    Py_XDECREF(cut);
                    Py_DECREF(cuts);
                    return NULL;
                }
                Py_DECREF(cut);
                ends_at_cut = ends;
                content = 0;
            }
        }
        Py_ssize_t j = p;
        line_blank = 1;
        for (; j < n; j++) {
            Py_UCS4 c = CH(j);
            if (c == '\r' || c == '\n') break;
            if (c != ' ' && c != '\t') line_blank = 0;
        }
        if (!line_blank) content = 1;
        ended = j < n;
        if (!ended) break;
        ends++;
        if (line_blank) blank_seen = 1;
        p = after_line_end(kind, data, j, n);
    }
    if (tune_run && blank_seen) tune_run = 0;
    return Py_BuildValue("(NnNNN)", cuts, ends - ends_at_cut, PyBool_FromLong(content),
                         PyBool_FromLong(tune_run), PyBool_FromLong(ended && line_blank));
}

static PyObject *str_begin; /* "%%begin" */

static PyObject *tune_piece(PyObject *self, PyObject *arg) {
    if (!PyUnicode_Check(arg)) {
        PyErr_SetString(PyExc_TypeError, "tune_piece(str)");
        return NULL;
    }
    int kind = PyUnicode_KIND(arg);
    const void *data = PyUnicode_DATA(arg);
    Py_ssize_t n = PyUnicode_GET_LENGTH(arg), i, j, ends = 0;
    if (!(CH(0) == 'X' && CH(1) == ':')) return Py_BuildValue("(ii)", -1, 0);
    Py_ssize_t found = PyUnicode_Find(arg, str_begin, 0, n, 1);
    if (found == -2) return NULL;
    if (found >= 0) return Py_BuildValue("(ii)", -1, 0);
    /* no VT, FF, FS, GS, RS, NEL, LS or PS (split.has_other_breaks) */
    for (i = 0; i < n; i++) {
        Py_UCS4 c = CH(i);
        if ((c >= 0x0b && c <= 0x1e && (c <= 0x0c || c >= 0x1c)) || c == 0x85 || c == 0x2028
                || c == 0x2029)
            return Py_BuildValue("(ii)", -1, 0);
    }
    /* The tune: its X: line, then the lines that are neither blank nor an X: line (as
       split._TUNE_THEN_BLANK_RE matches them), each with its line end. */
    i = line_end_at(kind, data, 2, n);
    ends += i < n;
    i = after_line_end(kind, data, i, n);
    while (i < n) {
        if (CH(i) == 'X' && CH(i + 1) == ':') break;
        for (j = i; CH(j) == ' ' || CH(j) == '\t'; j++) {}
        if (j >= n || CH(j) == '\r' || CH(j) == '\n') break;
        j = line_end_at(kind, data, j + 1, n);
        ends += j < n;
        i = after_line_end(kind, data, j, n);
    }
    Py_ssize_t end = i;
    /* after it only blanks */
    for (j = end; j < n; j++) {
        Py_UCS4 c = CH(j);
        if (c != ' ' && c != '\t' && c != '\r' && c != '\n') return Py_BuildValue("(ii)", -1, 0);
    }
    return Py_BuildValue("(nn)", end, ends);
}

/*
 * header_line(text, pos) -> (kind, a, b, eol, end) | None: the tune header line that starts
 * at pos, as build._header_line_scanner's regex reads it (TuneBuilder.header_lines; a
 * short tune's header is most of what read_headers reads, and that regex with its match
 * object was a quarter of it). kind: HEADER_FIELD (a: the end of FIELD_START, where the
 * value starts; b: the end of FIELD_TEXT, or a where there is none; a COMMENT runs from b
 * to eol when b < eol), HEADER_DIRECTIVE, HEADER_COMMENT, HEADER_TEX (a, b: the line's
 * token), HEADER_EMPTY (a = b = pos). eol: where the line end starts (the text's length
 * at its end); end: after the line end. None where the regex must decide: a line that
 * starts %%begin (DIRECTIVE_BLOCK reaches over lines), a line no alternative takes (the
 * regex then finds no header line there either), the text's end.
 *
 *   FIELD_START  (?:[ \t]+(?![A-Ga-g]:[:|])|(?![a-g]:[:|]))[A-Za-z+]:
 *   FIELD_TEXT   characters other than \r \n % \, and a backslash with the character after
 *                it (any but \r \n) or alone before a line end or the text's end
 *   COMMENT      %[^\r\n]*        DIRECTIVE  %%[^\r\n]*        TEX_LINE  \\[A-Za-z][^\r\n]*
 */
enum { HEADER_FIELD = 0, HEADER_DIRECTIVE = 1, HEADER_COMMENT = 2, HEADER_TEX = 3,
       HEADER_EMPTY = 4 };

static inline int is_ascii_letter(Py_UCS4 c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }

static PyObject *header_line(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 2 || !PyUnicode_Check(args[0])) {
        PyErr_SetString(PyExc_TypeError, "header_line(str, int)");
        return NULL;
    }
    PyObject *text = args[0];
    Py_ssize_t pos = PyLong_AsSsize_t(args[1]);
    if (pos == -1 && PyErr_Occurred()) return NULL;
    Py_ssize_t n = PyUnicode_GET_LENGTH(text), a = pos, b = pos, j;
    if (pos < 0 || pos >= n) Py_RETURN_NONE;
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_UCS4 c = CH(pos);
    long line_kind;
    if (c == '%') {
        static const char begin[] = "%%begin";
        for (j = 0; begin[j] && CH(pos + j) == (Py_UCS4)begin[j]; j++) {}
        if (!begin[j]) Py_RETURN_NONE;
        line_kind = CH(pos + 1) == '%' ? HEADER_DIRECTIVE : HEADER_COMMENT;
        j = b = line_end_at(kind, data, pos + 1, n);
    } else if (c == '\\') {
        if (!is_ascii_letter(CH(pos + 1))) Py_RETURN_NONE;
        line_kind = HEADER_TEX;
        j = b = line_end_at(kind, data, pos + 2, n);
    } else if (c == '\r' || c == '\n') {
        line_kind = HEADER_EMPTY;
        j = pos;
    } else {
        Py_ssize_t i = pos;
        while (CH(i) == ' ' || CH(i) == '\t') i++;
        Py_UCS4 letter = CH(i), after = CH(i + 2);
        if (!(is_ascii_letter(letter) || letter == '+') || CH(i + 1) != ':') Py_RETURN_NONE;
        /* the look-aheads: an indented A-G or an unindented a-g before :: or :| is a bar
           line's start (§4.8), not a field */
        if ((after == ':' || after == '|')
                && (i > pos ? is_pitch(letter) : (letter >= 'a' && letter <= 'g')))
            Py_RETURN_NONE;
        line_kind = HEADER_FIELD;
        a = i + 2;
        for (b = a; b < n; b++) {
            Py_UCS4 d = CH(b);
            if (d == '\r' || d == '\n' || d == '%') break;
            if (d == '\\' && b + 1 < n && CH(b + 1) != '\r' && CH(b + 1) != '\n') b++;
        }
        j = line_end_at(kind, data, b, n); /* the comment */
    }
    Py_ssize_t end = after_line_end(kind, data, j, n);
    return Py_BuildValue("(lnnnn)", line_kind, a, b, j, end);
}

/* token_end(text, pos, kind) -> int: where the token of `kind` (0 NOTE, 1 WS, 2 QUOTED, 3 BAR)
   that the loop would read at pos ends, -1 if none there (for the tests). */
static PyObject *token_end(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 3 || !PyUnicode_Check(args[0])) {
        PyErr_SetString(PyExc_TypeError, "token_end(str, int, int)");
        return NULL;
    }
    PyObject *text = args[0];
    Py_ssize_t pos = PyLong_AsSsize_t(args[1]);
    long k = PyLong_AsLong(args[2]);
    if (PyErr_Occurred()) return NULL;
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    if (pos < 0 || pos >= n) return PyLong_FromLong(-1);
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    switch (k) {
    case KIND_NOTE: return PyLong_FromSsize_t(note_end(kind, data, pos, n));
    case KIND_WS: return PyLong_FromSsize_t(ws_end(kind, data, pos, n));
    case KIND_QUOTED: {
        Py_ssize_t stop;
        if (PyUnicode_READ(kind, data, pos) != '"') return PyLong_FromLong(-1);
        return PyLong_FromSsize_t(quoted_end(kind, data, pos, n, &stop));
    }
    case KIND_BAR: return PyLong_FromSsize_t(bar_end(kind, data, pos, n));
    }
    PyErr_SetString(PyExc_ValueError, "token_end: kind is 0, 1, 2 or 3");
    return NULL;
}

static PyMethodDef methods[] = {
    {"scan", (PyCFunction)(void (*)(void))scan, METH_FASTCALL,
     "scan(text, pos, lim, pure, native, children) -> pos: a music line's run of tokens"},
    {"take_run", (PyCFunction)(void (*)(void))take_run, METH_FASTCALL,
     "take_run(...) -> (notes, first_note_start, last_end): the builder's inline path"},
    {"read_token", (PyCFunction)(void (*)(void))read_token, METH_FASTCALL,
     "read_token(text, pos, native) -> int: the LALR step's token as an int, or -1"},
    {"block_cuts", (PyCFunction)(void (*)(void))block_cuts, METH_FASTCALL,
     "block_cuts(block, prev_blank, tune_run) -> (cuts, ...): split._block_cuts"},
    {"tune_piece", (PyCFunction)tune_piece, METH_O,
     "tune_piece(text) -> (end, line_ends): split._tune_piece_end"},
    {"header_line", (PyCFunction)(void (*)(void))header_line, METH_FASTCALL,
     "header_line(text, pos) -> (kind, a, b, eol, end) | None: a tune header line"},
    {"token_end", (PyCFunction)(void (*)(void))token_end, METH_FASTCALL,
     "token_end(text, pos, kind) -> int: where the loop's token of kind ends, or -1"},
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
    if (str_bar == NULL && (str_bar = PyUnicode_InternFromString("bar")) == NULL) return NULL;
    if (str_bars == NULL && (str_bars = PyUnicode_InternFromString("bars")) == NULL) return NULL;
    if (str_begin == NULL && (str_begin = PyUnicode_FromString("%%begin")) == NULL) return NULL;
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
