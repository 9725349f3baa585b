"""Builds the Lark parsers once per process and runs them.

``grammar/abc.lark`` is compiled by Lark into LALR(1) tables with a contextual lexer (one
terminal set per parser state). Lark's own parse loop creates a rich ``Token`` object per
token and walks several layers of Python per step; ABC is mostly one- or two-character
tokens, so that overhead dominated. :class:`LineParser` therefore drives *Lark's tables*
with a short loop: per parser state it compiles one regex of the terminals that state
accepts, in Lark's own order (priority, then longest pattern, then name), matches at the
current position, and shifts or reduces with Lark's tree callbacks. Tokens are the
``re.Match`` objects themselves, which carry the named groups of composite terminals
(``n_pitch``, ``b_end`` ...). ``tests/test_grammar.py`` checks that this loop and Lark's
``parse`` give the same trees on every corpus tune.

The field grammars (``fields.lark``, ``lyrics.lark``) are short texts; they use Lark's
parser directly, with a cache because the same values (``K:G``, ``M:6/8``) repeat.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import io
import os
import re
import sys
from array import array
from collections.abc import Callable, Iterator
from typing import Any, Protocol

import lark
import lark.lexer
from lark.parse_tree_builder import ChildFilterLALR_NoPlaceholders
from lark.parsers.lalr_analysis import Shift

from . import speedups
from .errors import AbcError
from .fileio import atomic_write_bytes, user_cache_folder
from .grammar import read as grammar_text

LINE_STARTS = ("tune", "lines", "free_text", "version_line")
FIELD_STARTS = {
    "key_value": "fields.lark",
    "meter_value": "fields.lark",
    "length_value": "fields.lark",
    "tempo_value": "fields.lark",
    "parts_value": "fields.lark",
    "voice_value": "fields.lark",
    "user_value": "fields.lark",
    "instruction_value": "fields.lark",
    "lyrics_value": "lyrics.lark",
    "symbol_value": "lyrics.lark",
}

# What each terminal is, in words, for "expected ..." messages.
TERMINAL_WORDS: dict[str, str] = {
    "$END": "the end of the tune",
    # fields.lark / lyrics.lark: what Lark's lexer calls the end of a field value.
    "<END-OF-FILE>": "the end of the value",
    "EOL": "the end of the line",
    "WS": "a space",
    "FIELD_START": "a field such as T:",
    "KEY_START": "the K: field",
    "FIELD_TEXT": "the field's text",
    "COMMENT": "a % comment",
    "DIRECTIVE": "a %% directive",
    "DIRECTIVE_BLOCK": "a %%begin ... %%end block",
    "VERSION_LINE": "the %abc version line",
    "TEXT_LINE": "text",
    "NOTE": "a note",
    "REST": "a rest",
    "MULTI_REST": "a multi-measure rest",
    "BAR": "a bar line",
    "VARIANT": "a variant ending such as [2",
    "CHORD_OPEN": "a chord [",
    "CHORD_CLOSE": "the end of a chord ]",
    "GRACE_OPEN": "grace notes {",
    "GRACE_CLOSE": "the end of grace notes }",
    "TUPLET": "a tuplet such as (3",
    "SLUR_OPEN": "a slur (",
    "SLUR_CLOSE": "the end of a slur )",
    "TIE": "a tie -",
    "BROKEN": "broken rhythm > or <",
    "DECORATION": "a decoration such as !trill!",
    "PLUS_DECORATION": "a decoration such as +trill+",
    "SYMBOL": "a decoration symbol such as ~",
    "QUOTED": 'a chord symbol or annotation in "quotes"',
    "INLINE_FIELD": "an inline field such as [K:G]",
    "SPACER": "the spacer y",
    "BACKQUOTE": "a backquote",
    "SCORE_BREAK": "the line break $",
    "LINEBREAK_20": "the ABC 2.0 line break !",
    "OVERLAY": "the voice overlay &",
    "LINE_CONT": "a line continuation \\",
    "RESERVED": "a reserved character",
    "STRAY": "any character",
    # fields.lark / lyrics.lark
    "TONIC": "a key note such as G, F# or Bb",
    "MODE": "a mode such as m, Dor or Mix",
    "KEY_SPECIAL": "none, HP or Hp",
    "KEY_ACCIDENTAL": "an accidental such as ^f",
    "WORD": "a word",
    "PROPERTY": "a property such as clef=bass",
    "STRING": 'a "quoted text"',
    "METER_NONE": "none",
    "COMMON_TIME": "C",
    "CUT_TIME": "C|",
    "INT": "a number",
    "PART_LABEL": "a part letter",
    "VOICE_ID": "a voice name",
    "USER_SYMBOL": "a symbol letter such as T or ~",
    "USER_DECORATION": "a decoration such as !trill!",
    "INSTRUCTION_NAME": "an instruction name",
    "INSTRUCTION_ARG": "its argument",
    "SYLLABLE": "a syllable",
    "HYPHEN": "-",
    "HOLD": "_",
    "SKIP": "*",
    "SPACE": "a space",
    "SYMBOL_TEXT": "a symbol",
    "SLASH": "/",
    "EQUAL": "=",
    "PLUS": "+",
    "LPAR": "(",
    "RPAR": ")",
    "DOT": ".",
}


def describe_expected(names: frozenset[str] | set[str]) -> str:
    """The expected terminals as a short English list, most useful first."""
    words = sorted({TERMINAL_WORDS.get(n, n) for n in names if n != "STRAY"})
    if not words:
        return "nothing more"
    if len(words) > 6:
        words = [*words[:6], "..."]
    return ", ".join(words[:-1]) + (" or " if len(words) > 1 else "") + words[-1]


class ParseFailure(Exception):
    """The text does not match the grammar at ``pos`` (0-based, in the parsed text)."""

    def __init__(self, pos: int, expected: frozenset[str], found: str) -> None:
        self.pos = pos
        self.expected = expected
        self.found = found
        shown = repr(found) if found else "the end"
        super().__init__(f"unexpected {shown} at {pos}; expected {describe_expected(expected)}")


Tree = lark.Tree
_ASCII = 128  # table index for every character above ASCII


def _first_chars(regex: str) -> list[bool]:
    """Which characters a match of ``regex`` can start with: 128 ASCII flags, then one
    flag for all non-ASCII characters. Computed from the regex's parse tree; where the
    analysis is unsure it answers True (a superset is always safe)."""
    import re._constants as c  # type: ignore[import-not-found]  # no stubs for these
    import re._parser as p  # type: ignore[import-not-found]

    flags = [False] * (_ASCII + 1)

    def mark_in(items: Any) -> None:
        negate = False
        chosen = [False] * (_ASCII + 1)
        for op, av in items:
            if op is c.NEGATE:
                negate = True
            elif op is c.LITERAL:
                chosen[min(av, _ASCII)] = True
            elif op is c.RANGE:
                lo, hi = av
                for code in range(lo, min(hi, _ASCII - 1) + 1):
                    chosen[code] = True
                if hi >= _ASCII:
                    chosen[_ASCII] = True
            elif op is c.CATEGORY:
                cls = _CATEGORY_CLASS[str(av).replace("UNI_", "").replace("LOC_", "")]
                for code in range(_ASCII):
                    if re.match(cls, chr(code)):
                        chosen[code] = True
                chosen[_ASCII] = True
            else:
                chosen = [True] * (_ASCII + 1)
        for code in range(_ASCII):
            if chosen[code] != negate:
                flags[code] = True
        # Non-ASCII: possible if the class names some, or if it is negated (it cannot
        # exclude them all).
        if chosen[_ASCII] or negate:
            flags[_ASCII] = True

    def walk(seq: Any) -> bool:
        """Mark the first characters of ``seq``; True if it can match the empty string."""
        for op, av in seq:
            if op is c.LITERAL:
                flags[min(av, _ASCII)] = True
                return False
            if op is c.NOT_LITERAL or op is c.ANY:
                for code in range(_ASCII + 1):
                    if code != av or op is c.ANY:
                        flags[code] = True
                return False
            if op is c.IN:
                mark_in(av)
                return False
            if op is c.SUBPATTERN:
                if not walk(av[-1]):
                    return False
            elif op is c.BRANCH:
                nullable = False
                for branch in av[1]:
                    nullable = walk(branch) or nullable
                if not nullable:
                    return False
            elif op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT):
                lo, _hi, sub = av
                if not walk(sub) and lo > 0:
                    return False
            elif op in (c.AT, c.ASSERT, c.ASSERT_NOT):
                continue
            else:
                for code in range(_ASCII + 1):
                    flags[code] = True
                return False
        return True

    if walk(p.parse(regex)):
        flags = [True] * (_ASCII + 1)
    return flags


_CATEGORY_CLASS = {
    "CATEGORY_DIGIT": r"\d",
    "CATEGORY_NOT_DIGIT": r"\D",
    "CATEGORY_SPACE": r"\s",
    "CATEGORY_NOT_SPACE": r"\S",
    "CATEGORY_WORD": r"\w",
    "CATEGORY_NOT_WORD": r"\W",
    "CATEGORY_LINEBREAK": r"\n",
    "CATEGORY_NOT_LINEBREAK": r"[^\n]",
}


@contextlib.contextmanager
def _no_collision_check(strict: bool) -> Iterator[None]:
    """Skip Lark's terminal-collision analysis unless building strictly.

    With the optional ``interegular`` package installed, Lark analyses every pair of
    terminals even when not strict (about 1.5 s for abc.lark, on every start of
    ``abc-lint``). That analysis proves a property of the grammar file, not of the input,
    so the test suite does it once with ``strict=True`` and normal runs skip it.
    """
    saved = lark.lexer.has_interegular
    if not strict:
        lark.lexer.has_interegular = False
    try:
        yield
    finally:
        lark.lexer.has_interegular = saved


class _Scanner(Protocol):
    """What the loop calls per token: a compiled regex, or :class:`_OnceALine`."""

    def match(self, text: str, pos: int, /) -> re.Match[str] | None: ...


_EOL = re.compile(r"[\r\n]")
#: Terminals that open with one character and must close on the same line (a quoted
#: string, an inline field), with a regex of their opening: the first character and
#: what must follow it for a failed match to mean "not closed on this line".
_CLOSED_ON_THE_LINE: dict[str, tuple[str, re.Pattern[str]]] = {
    '"': ("QUOTED", re.compile('"')),
    "[": ("INLINE_FIELD", re.compile(r"\[[A-Za-z+]:")),
}


class _OnceALine:
    """A first-character scanner that tries a closed-on-the-line terminal (``"..."``,
    ``[r:...]``) at most once per line where it cannot close.

    Their length is not limited (§4.19 sets none; tunebooks write notes of 500 characters
    in an annotation), so a match that fails scans to the end of the line. It fails only
    when nothing closes it there, and then no later opening on that line can close either:
    a later ``"`` inside the failed scan was read there as the escaped ``\\"``, and the scan
    from just after it sees the same characters in the same pairs; an inline field's
    value stops only at ``]``. So after one failure the rest of the line is scanned
    without that terminal: ``"\\"\\"\\"...`` or ``[r:[r:[r:...`` costs linear time,
    not the square of the line's length. What the scanner remembers is a fact about the
    text (where its line ends), so one parser may be shared by any number of parses."""

    __slots__ = ("full", "memo", "name", "opened", "others")

    def __init__(self, full: re.Pattern[str], others: re.Pattern[str] | None, name: str,
                 opened: re.Pattern[str]) -> None:
        self.full = full
        self.others = others
        self.name = name
        self.opened = opened
        self.memo: tuple[str, int, int] = ("", 0, -1)  # text, failure position, line end

    def match(self, text: str, pos: int) -> re.Match[str] | None:
        seen, after, end = self.memo
        if after < pos < end and seen is text:
            return self.others.match(text, pos) if self.others is not None else None
        m = self.full.match(text, pos)
        if (m is None or m.lastgroup != self.name) and self.opened.match(text, pos):
            eol = _EOL.search(text, pos)
            self.memo = (text, pos, eol.start() if eol is not None else len(text))
        return m


#: The terminals of the tokens the compiled loops keep as ints (start << 24 | length << 2
#: | kind), by kind; abcparse.build reads them back.
_INT_TERMINALS = ("NOTE", "WS", "QUOTED", "BAR")
_INT_LENGTH = (1 << 22) - 1


def _native_kind(rx: _Scanner | None) -> int:
    """What the compiled loop reads itself at a character whose regex is ``rx``: the
    terminal that regex tries first, when it is one the loop knows (see _speedups.c)."""
    full = rx.full if isinstance(rx, _OnceALine) else rx
    if not isinstance(full, re.Pattern):
        return 0
    for kind, name in enumerate(_INT_TERMINALS, 1):
        if full.pattern.startswith(f"(?P<{name}>") and (
                name == "QUOTED") == isinstance(rx, _OnceALine):
            return kind
    return 0


class TokenRun:
    """The rest of a very long run of music tokens, kept compact
    (``LineParser.parse(..., compact=True)``).

    A token as a ``re.Match`` object takes about 200 bytes, and all the tokens of one
    huge line, alive before the builder reads the first, were the peak of a parse (issue
    15: 194 bytes per input byte on a 1 MB line, against a model of about 100). After
    :data:`COMPACT_AFTER` characters of a run, the parser keeps each further token as one
    byte instead (``steps``): its length, shifted left by one (the 8 bytes of its end
    offset were the most of what a huge line's parse held beside its model); a token of
    128 characters or more is a 0 there and its step is in ``long_steps``, in order.
    Tokens follow each other with nothing between them, so a token starts where the one
    before it ended, and the run where its first token starts (``start``); ``stop`` is
    where the last one ends. :meth:`tokens` makes the match objects again, one at a time,
    with the same first-character regex (``pure``) at the same place in the same text:
    the same matches. The closed-on-the-line tokens of a :class:`_OnceALine` scanner
    (quoted text, inline fields) are the exception, since whether that scanner tries them
    depends on its memory of the line: their match objects are kept (``kept``, in order)
    and the low bit of their step is set. They are long, so they cost little per byte.
    Its other tokens (``[`` opening a chord, ``"`` left open) are made again as any
    other: with or without that terminal, its regexes try the rest in the same order, and
    the terminal fails there either way (a fact of the text, see :class:`_OnceALine`);
    ``[A[A[A...`` kept a match object per two characters (146 bytes per input byte)."""

    __slots__ = ("kept", "long_steps", "pure", "start", "steps", "stop")

    def __init__(self, start: int, pure: dict[str, _Scanner | None]) -> None:
        self.start = start
        self.stop = start
        self.pure = pure
        self.steps = array("B")
        self.long_steps: list[int] = []
        self.kept: list[re.Match[str]] = []

    @classmethod
    def read(cls, text: str, pos: int, pure: dict[str, _Scanner | None]) -> TokenRun:
        """The run of tokens from ``pos``, read with the loop's first-character regexes
        until one does not match (as the parser's own loop would)."""
        run = cls(pos, pure)
        add = run.steps.append
        keep = run.kept.append
        n = len(text)
        while pos < n:
            rx = pure.get(text[pos])
            m = rx.match(text, pos) if rx is not None else None
            if m is None:
                break
            end = m.end()
            step = (end - pos) << 1
            if rx.__class__ is _OnceALine and m.lastgroup == rx.name:
                keep(m)
                step |= 1
            if step < 256:
                add(step)
            else:
                add(0)
                run.long_steps.append(step)
            pos = end
        run.stop = pos
        return run

    def end(self) -> int:
        """Where the run's last token ends (as ``re.Match.end``)."""
        return self.stop

    def tokens(self, text: str) -> Iterator[re.Match[str]]:
        """The run's tokens as match objects, each made when it is reached (once: the
        kept ones are given away)."""
        # Kept matches are handed over, not copied: each is freed once its reader is done.
        kept = self.kept
        kept.reverse()
        long_steps = iter(self.long_steps)
        pure = self.pure
        pos = self.start
        for p in self.steps:
            if not p:
                p = next(long_steps)
            if p & 1:
                yield kept.pop()
            else:
                yield pure[text[pos]].match(text, pos)  # type: ignore[union-attr,misc]
            pos += p >> 1


#: Characters of a run of music tokens (and tokens of one line) read into match objects
#: before the rest go into a :class:`TokenRun`: a line of music is rarely half as long,
#: and a huge line's first tokens cost a bounded amount (about 200 kB).
COMPACT_AFTER = 1024
#: Characters of music tokens of one parse (a tune) read into match objects before every
#: further line keeps only its first token so: the whole tune is tokenized before it is
#: built, so a tune of many lines held all its tokens at once (a tune of 100,000 lines
#: with an open quote on each peaked at 207 bytes per input byte, its model at 24). No
#: tune of our collections is a tenth as long, so real tunes never pay the second match.
TUNE_KEEP = 16384
#: Match objects made again at a time from a :class:`TokenRun` by its reader.
REFILL = 256


class LineParser:
    """The ABC line grammar: Lark's LALR tables, a contextual lexer, and a tight loop."""

    def __init__(self, *, strict: bool = False) -> None:
        self.lark = _lark(grammar_text("abc.lark"), list(LINE_STARTS), strict=strict)
        lalr = self.lark.parser.parser
        parse_table = lalr._parse_table
        self._states: dict[int, dict[str, tuple[Any, Any]]] = parse_table.states
        self._start_states: dict[str, int] = parse_table.start_states
        self._end_states: dict[str, int] = parse_table.end_states
        self._callbacks: dict[Any, Callable[[list[Any]], Any]] = lalr.parser.callbacks
        terminals = {t.name: t for t in self.lark.terminals}
        self.terminals = terminals
        first = {name: _first_chars(t.pattern.to_regexp()) for name, t in terminals.items()}
        by_names: dict[tuple[str, ...], re.Pattern[str] | None] = {}

        def scanner(names: tuple[str, ...]) -> re.Pattern[str] | None:
            if names not in by_names:
                by_names[names] = (
                    re.compile(
                        "|".join(f"(?P<{n}>{terminals[n].pattern.to_regexp()})" for n in names)
                    )
                    if names
                    else None
                )
            return by_names[names]

        # Per state and per first character, a regex of only the terminals that can start
        # with that character, in Lark's order (priority, longest pattern, name): a note
        # then tries two alternatives instead of thirty.
        # The 123 states accept only 9 different sets of terminals: a table is made once
        # per set and shared (a third of the parser's start-up was remaking them).
        self._lexers: dict[int, list[_Scanner | None]] = {}
        self._accepts: dict[int, frozenset[str]] = {}
        by_set: dict[frozenset[str], list[_Scanner | None]] = {}
        for state, actions in self._states.items():
            accepted = frozenset(n for n in actions if n in terminals)
            self._accepts[state] = accepted | {"$END"} if "$END" in actions else accepted
            table = by_set.get(accepted)
            if table is None:
                ordered = sorted(
                    (terminals[n] for n in accepted),
                    key=lambda t: (
                        -t.priority, -t.pattern.max_width, -len(t.pattern.value), t.name),
                )
                table = by_set[accepted] = []
                for code in range(_ASCII + 1):
                    names = tuple(t.name for t in ordered if first[t.name][min(code, _ASCII)])
                    full = scanner(names)
                    closing = _CLOSED_ON_THE_LINE.get(chr(code))
                    if full is not None and closing is not None and closing[0] in names:
                        name, opened = closing
                        others = scanner(tuple(n for n in names if n != name))
                        table.append(_OnceALine(full, others, name, opened))
                    else:
                        table.append(full)
            self._lexers[state] = table
        self._loops = self._find_list_loops()
        # The same tables with plain keys and values for the loop: Lark's symbol names are
        # Token objects whose Python-level __eq__ showed up in profiles, and its rules are
        # objects whose size, origin and callback would be looked up on every reduce.
        self._plain_actions: dict[int, dict[str, tuple[Any, ...]]] = {
            state: {
                str(name): (
                    (True, arg)
                    if kind is Shift
                    else (False, len(arg.expansion), str(arg.origin.name),
                          _plain_callback(self._callbacks[arg]))
                )
                for name, (kind, arg) in acts.items()
            }
            for state, acts in self._states.items()
        }
        dispatch_of: dict[int, tuple[dict[str, _Scanner | None], _Scanner | None]] = {
            id(table): ({chr(code): table[code] for code in range(_ASCII)}, table[_ASCII])
            for table in by_set.values()
        }
        self._dispatch: dict[
            int, tuple[dict[str, _Scanner | None], _Scanner | None]
        ] = {state: dispatch_of[id(table)] for state, table in self._lexers.items()}
        # For the list loop: per first character, the same regex, but only where every
        # terminal that can start with that character is a list item (so any match is one
        # and needs no check); None elsewhere, which hands the token to the parser.
        self._loop_dispatch: dict[int, dict[str, _Scanner | None]] = {}
        for state, items in self._loops.items():
            in_state = [n for n in self._states[state] if n in terminals]
            pure: dict[str, _Scanner | None] = {}
            for code in range(_ASCII):
                starting = {n for n in in_state if first[n][code]}
                pure[chr(code)] = self._lexers[state][code] if starting <= items else None
            self._loop_dispatch[state] = pure
        # Runs are kept compact only in the loop of a music line (the other loop is a run
        # of empty lines).
        self._compact_loops = frozenset(s for s, items in self._loops.items() if "NOTE" in items)
        # For the compiled loop (abcparse.speedups.scan): per music-line loop state and
        # ASCII character, the terminal it reads itself, where that character's regex
        # tries it first (1 NOTE, 2 WS, 3 QUOTED, 4 BAR; 0 none: the regex reads the token).
        self._native: dict[int, bytes] = {}
        for state in self._compact_loops:
            pure = self._loop_dispatch[state]
            self._native[state] = bytes(_native_kind(pure.get(chr(code))) for code in range(_ASCII))
        # The same for the LALR step's own reads (a music line's first tokens), per state
        # whose table reads one of those terminals first somewhere (speedups.read_token).
        self._native_step: dict[int, bytes] = {}
        for state, table in self._lexers.items():
            kinds = bytes(_native_kind(table[code]) for code in range(_ASCII))
            if any(kinds):
                self._native_step[state] = kinds

    def _find_list_loops(self) -> dict[int, frozenset[str]]:
        """States where a token only extends a list rule and comes back to the same state.

        For a left-recursive list rule ``_X: _X T`` (what Lark makes of ``(A | B ...)+``),
        in the state P after ``_X``, shifting T leads to a state whose every action is to
        reduce ``_X -> _X T``, which pops back and goes to P again. The loop in
        :meth:`parse` appends such tokens to the list directly: the same tree, without a
        shift, a reduce and a callback per token.
        """
        states = self._states
        loops: dict[int, frozenset[str]] = {}
        for state, actions in states.items():
            terms = set()
            for name, (kind, arg) in actions.items():
                if kind is not Shift or name not in self.terminals:
                    continue
                reduces = {a for k, a in states[arg].values() if k is not Shift}
                shifts = [k for k, _ in states[arg].values() if k is Shift]
                if shifts or len(reduces) != 1:
                    continue
                (rule,) = reduces
                exp = [sym.name for sym in rule.expansion]
                if (
                    rule.origin.name.startswith("_")
                    and exp == [rule.origin.name, name]
                    and actions.get(rule.origin.name) is None
                ):
                    terms.add(name)
            if terms:
                loops[state] = frozenset(terms)
        return loops

    def parse(self, text: str, start: str, *, compact: bool = False, pos: int = 0) -> Any:
        """Parse ``text`` from ``start``, reading from offset ``pos``; the tree's tokens are
        ``re.Match`` objects, and with ``compact`` a music line's runs of tokens are
        :class:`TokenRun` objects."""
        actions = self._plain_actions
        compact_loops = self._compact_loops if compact else frozenset()
        scan = speedups.scan if compact else None
        read = speedups.read_token if compact else None
        native_step = self._native_step
        dispatch = self._dispatch
        loop_dispatch = self._loop_dispatch
        loops = self._loops
        end_state = self._end_states[start]
        state_stack = [self._start_states[start]]
        value_stack: list[Any] = []
        n = len(text)
        kept_left = TUNE_KEEP
        while True:
            state = state_stack[-1]
            table, other = dispatch[state]
            loop = loops.get(state)
            if loop is not None and pos < n:
                # A run of list items (the tokens of a music line): extend the list in
                # place until a token that needs the parser (see _find_list_loops).
                children = value_stack[-1].children
                append = children.append
                pure = loop_dispatch[state]
                # Where the run stops keeping match objects (see TokenRun): a bounded
                # stretch of the line, or none once the line holds that many tokens.
                lim = n
                if state in compact_loops:
                    if kept_left <= 0:  # a line's first token only (see TUNE_KEEP)
                        lim = pos if children else pos + 1
                    elif len(children) >= COMPACT_AFTER:
                        lim = pos
                    else:
                        lim = min(n, pos + COMPACT_AFTER, pos + kept_left)
                kept_from = pos
                if scan is not None and (native := self._native.get(state)) is not None:
                    # The compiled loop first (abcparse.speedups): the same tokens, its
                    # notes as ints; this loop then only confirms where it stopped.
                    pos = scan(text, pos, lim, pure, native, children)
                while pos < lim:
                    rx = pure.get(text[pos])
                    m = rx.match(text, pos) if rx is not None else None
                    if m is None:
                        break
                    append(m)
                    pos = m.end()
                kept_left -= pos - kept_from
                if lim <= pos < n:  # the stretch ended before the line: the rest as a TokenRun
                    run = TokenRun.read(text, pos, pure)
                    if run.steps:
                        append(run)
                        pos = run.end()
            if pos < n:
                token: Any = -1
                if read is not None and (mask := native_step.get(state)) is not None:
                    token = read(text, pos, mask)  # an int, as the compiled loop keeps it
                typ: str | None
                if token >= 0:
                    typ = _INT_TERMINALS[token & 3]
                    tok_pos = pos
                    pos += (token >> 2) & _INT_LENGTH
                else:
                    rx = table.get(text[pos], other)
                    m = rx.match(text, pos) if rx is not None else None
                    if m is None:
                        raise ParseFailure(pos, self._accepts[state], text[pos])
                    typ = m.lastgroup
                    token = m
                    tok_pos = pos
                    pos = m.end()
            else:
                typ = "$END"
                token = None
                tok_pos = n
            while True:
                action = actions[state].get(typ)  # type: ignore[arg-type]
                if action is None:
                    raise ParseFailure(
                        tok_pos, self._accepts[state],
                        "" if token is None else text[tok_pos:pos],
                    )
                if action[0]:  # shift
                    state_stack.append(action[1])
                    value_stack.append(token)
                    break
                _, size, origin, callback = action
                if size:
                    children = value_stack[-size:]
                    del value_stack[-size:]
                    del state_stack[-size:]
                else:
                    children = []
                value_stack.append(callback(children))
                state = actions[state_stack[-1]][origin][1]
                state_stack.append(state)
                if token is None and state == end_state:
                    return value_stack[-1]
                loop = loops.get(state)
                if loop is not None and typ in loop:
                    value_stack[-1].children.append(token)
                    break

    def reference_parse(self, text: str, start: str) -> Any:
        """Lark's own parser on the same grammar (for tests: it must agree with ``parse``)."""
        return self.lark.parse(text, start=start)


def _plain_callback(callback: Callable[[list[Any]], Any]) -> Callable[[list[Any]], Any]:
    """Lark's tree callback for a rule, or the same work written out for the filters a
    line reduces by (a list rule extended by a line, a music line's items): Lark's
    filter walks its list of (child, expand) pairs on every reduce, a few per line.
    As Lark's does, an expanded first child's list becomes the new node's (it is not
    copied: the child is dropped)."""
    include = getattr(callback, "to_include", None)
    if type(callback) is not ChildFilterLALR_NoPlaceholders or include is None:
        return callback
    build = callback.node_builder
    shape = [tuple(pair) for pair in include]
    if shape == [(0, True)]:
        return lambda children: build(children[0].children)
    if shape == [(0, True), (1, False)]:
        def extend(children: list[Any]) -> Any:
            items = children[0].children
            items.append(children[1])
            return build(items)
        return extend
    if shape == [(0, True), (1, False), (2, True)]:
        def extend_by(children: list[Any]) -> Any:
            items = children[0].children
            items.append(children[1])
            items += children[2].children
            return build(items)
        return extend_by
    return callback


@functools.cache
def line_parser() -> LineParser:
    return LineParser()


@functools.cache
def _note_regex() -> re.Pattern[str]:
    return re.compile(line_parser().terminals["NOTE"].pattern.to_regexp())


def plus_chord_notes(token: re.Match[str]) -> Iterator[re.Match[str]]:
    """The notes inside a PLUS_CHORD token (``+CE+2``, §12.1.3), as NOTE matches with
    the same named groups as the NOTE tokens of a music line."""
    return _note_regex().finditer(token.string, token.start("pc_notes"), token.end("pc_notes"))


def build_field_lark(start: str, *, strict: bool = False) -> lark.Lark:
    """A Lark LALR parser for one field-value start symbol."""
    return _lark(grammar_text(FIELD_STARTS[start]), [start], strict=strict)


def _lark(grammar: str, starts: list[str], *, strict: bool) -> lark.Lark:
    """Lark's LALR parser for ``grammar``, from the user's cache when it is there.

    Building the tables takes about 60 ms for the four grammars a lint run uses, a
    quarter of the start-up of ``abc-lint`` on one tune; loading them takes 6 ms. The
    cached file is Lark's own ``save`` of the parser, named by a digest of everything it
    is made from (grammar text, start symbols, Lark's and Python's versions), written
    atomically (two processes starting at once each write a whole file), and rebuilt
    when it cannot be read. The strict build (the test suite's grammar check) is never
    cached: its point is Lark's analysis.
    """
    options: dict[str, Any] = {
        "parser": "lalr",
        "lexer": "contextual",
        "start": starts,
        "strict": strict,
        "maybe_placeholders": False,
    }
    path = None if strict else _cache_path(grammar, options)
    if path is not None:
        try:
            with open(path, "rb") as f:
                return lark.Lark.load(f)
        except Exception:  # missing, or damaged in any way: built again below
            pass
    with _no_collision_check(strict):
        parser = lark.Lark(grammar, **options)
    if path is not None:
        try:
            buffer = io.BytesIO()
            parser.save(buffer)
            atomic_write_bytes(path, buffer.getvalue())
        except (OSError, AbcError):
            pass  # a read-only cache: the next start builds the tables again
    return parser


def _cache_path(grammar: str, options: dict[str, Any]) -> str | None:
    folder = user_cache_folder("grammar")
    if folder is None:
        return None
    key = "\0".join(
        (grammar, repr(sorted(options.items())), lark.__version__, sys.version)
    )
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]
    return os.path.join(folder, f"{digest}.lark")


@functools.cache
def _field_lark(start: str) -> lark.Lark:
    return build_field_lark(start)


@functools.lru_cache(maxsize=8192)
def parse_value(start: str, text: str) -> Any:
    """Parse a field value; returns the tree or raises :class:`ParseFailure`.

    Results are cached (by value), since a tunebook repeats the same few K: and M: values.
    """
    try:
        return _field_lark(start).parse(text)
    except lark.exceptions.UnexpectedCharacters as e:
        expected = frozenset(e.allowed or ())
        at = e.pos_in_stream or 0
        raise ParseFailure(at, expected, text[at : at + 1]) from None
    except lark.exceptions.UnexpectedToken as e:
        pos = e.token.start_pos if e.token.type != "$END" else len(text)
        found = "" if e.token.type == "$END" else str(e.token)
        raise ParseFailure(pos or 0, _value_end(e.expected), found) from None
    except lark.exceptions.UnexpectedEOF as e:
        raise ParseFailure(len(text), _value_end(e.expected), "") from None


def _value_end(expected: Any) -> frozenset[str]:
    """Lark's expected terminals of a field value, its end named as the lexer names it
    (``<END-OF-FILE>``: "the end of the value", not the tune's ``$END``)."""
    return frozenset("<END-OF-FILE>" if n == "$END" else n for n in expected or ())
