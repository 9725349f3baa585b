"""The per-tune stage of the cleaner: one raw tune in, one outcome out.

This is the part that runs in worker processes (``--jobs``) or on a Dask cluster
(``--dask``): a pure function of the tune's text and the options, so the output does
not depend on where or in which order it ran. The steps follow the issue's pipeline:

1. **parse loosely**: the reader cut the file with loose rules (§12.2; an empty line
   between header and music is bridged, ABC209). The file header's fields are copied
   into the tune (:func:`self_contained`), so every output tune stands on its own.
2. **validate strictly**: ``abcparse.check(text, mode="strict")``. Errors that the
   normalizer itself removes (the ABC 2.0 ``!`` line break ABC103, a tie written apart
   from its note ABC323, a missing empty line ABC211) need no repair.
3. **repair** any other error with ``abcparse.repair`` (its edits are recorded), or drop
   the tune with ``--no-repair`` (or when the repair does not make it valid).
4. **normalize** with ``abcparse.format_str(..., target="2.1")``: canonical spelling,
   ``!`` line breaks rewritten, read strictly afterwards; the formatter's own safety
   checks (same music, idempotent, no new diagnostic) must pass.
5. **filter** (meters, keys, voices, bars; characters and ASCII on the text as written).
6. **strip fields** not kept, comments and directives (:func:`strip_fields`), then check
   that the tune still reads strictly with no error and holds the same music (key,
   unit length, bars and their elements, :func:`_music`); if not, the fields that define how the
   music reads (I: U: m: V: P: and directives) are kept too, and failing that the tune
   is dropped.
7. **keys** for de-duplication and the split (:mod:`abcparse.corpus.dedupe`).

De-duplication, the split and writing need every earlier tune, so they happen in the
main process, in input order (:mod:`abcparse.corpus.pipeline`).
"""

from __future__ import annotations

import dataclasses
import re
import traceback
from dataclasses import dataclass
from typing import Any

from ..api import parse
from ..diagnostics import Diagnostic, Severity
from ..format import UnsafeFormattingError, canonical_key, canonical_meter, format_str
from ..model import Chord, InlineField, LineBreak, Note, Rest, Tune, Tunebook
from ..split import text_lines
from ..validate import check
from .dedupe import body_key, melody_key
from .options import CleanOptions
from .reader import RawTune

# Strict errors that normalizing removes by itself (docs/format.md rules 1, 14, 16).
NORMALIZER_FIXES = frozenset({"ABC103", "ABC211", "ABC323"})
# Body fields that change what the music is; never stripped from the body (§3 table).
BODY_MUSIC_FIELDS = frozenset("KLMPQVIUm")
# Fields that define how the music is read; kept on the second stripping attempt.
READING_FIELDS = "IUmVP"
VERSION_LINE = "%abc-2.1"
_FIELD_LINE = re.compile(r"([A-Za-z+]):")
_SURROGATE = re.compile("[\udc80-\udcff]")


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one tune.

    ``text`` is the cleaned tune without its ``X:`` line (the writer numbers tunes per
    split) when the tune is kept, else None and ``reason`` (a stable slug), ``code``
    (the ABC diagnostic code behind it, if any) and ``message`` say why. ``edits`` are
    the repair's edits when an error was repaired, ``repaired`` which text their offsets
    are in; ``warning_edits`` the edits that repaired warnings after normalizing (offsets
    in the normalized tune). ``body``/``melody`` are the de-duplication keys."""

    source: int
    ordinal: int
    line: int
    reference: str
    title: str
    text: str | None = None
    reason: str | None = None
    code: str | None = None
    message: str | None = None
    edits: tuple[Any, ...] | None = None
    repaired: str | None = None
    warning_edits: tuple[Any, ...] | None = None
    body: bytes = b""
    melody: bytes = b""
    valid_as_read: bool = False

    @property
    def kept(self) -> bool:
        return self.text is not None


class _Drop(Exception):
    def __init__(self, reason: str, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.code = code


# ---------------------------------------------------------------------------------------
# Step 1: a self-contained tune


def self_contained(raw: RawTune) -> tuple[str, int, int]:
    """The tune's text with the file header's fields copied in (§2.2.2: they apply to
    every tune of the file), so it can be written on its own.

    Fields the tune sets itself are not copied (its own value wins); ``U:``, ``I:`` and
    ``m:`` definitions, which accumulate, are copied before the tune's own (which then
    override them), as are ``%%`` directives. X: and T: are never copied. The lines go
    right after the tune's X: line and T: lines. Returns (text, line after which lines
    were inserted, number of lines inserted)."""
    if not raw.header:
        return raw.text, 0, 0
    lines = text_lines(raw.text, keepends=True)
    own: set[str] = set()
    for line in lines:
        m = _FIELD_LINE.match(line)
        if m:
            own.add(m.group(1))
        if line.startswith("K:"):
            break
    copied: list[str] = []
    taking = False
    in_block = False
    for line in text_lines(raw.header, keepends=True):
        if in_block:
            in_block = not line.startswith("%%end")
            continue
        if line.startswith("%%begin"):
            in_block = True
            continue
        m = _FIELD_LINE.match(line)
        if line.startswith("%%"):
            if not line.startswith(("%%abc-charset", "%%abc-version")):
                copied.append(line)
            taking = False
            continue
        if m is None:
            taking = False
            continue
        letter = m.group(1)
        if letter == "+":
            if taking:
                copied.append(line)
            continue
        value = line[2:].strip()
        taking = letter not in "XT" and (letter in "IUm" or letter not in own)
        if letter == "I" and value.startswith(("abc-charset", "abc-version", "abc-creator")):
            taking = False
        if taking:
            copied.append(line)
    if not copied:
        return raw.text, 0, 0
    copied = [c if c.endswith(("\n", "\r")) else c + "\n" for c in copied]
    at = 0
    if lines and lines[0].startswith("X:"):
        at = 1
        while at < len(lines) and lines[at].startswith("T:"):
            at += 1
    return "".join(lines[:at] + copied + lines[at:]), at, len(copied)


# ---------------------------------------------------------------------------------------
# Step 6: strip fields


def strip_fields(
    text: str,
    tune: Tune,
    keep: str,
    *,
    keep_comments: bool = False,
    keep_directives: bool = False,
) -> str:
    """The normalized tune ``text`` (as ``format_str`` prints it, version line first)
    with only the fields in ``keep`` (header and body; X: K: and the body's music fields
    always), and comments and directives only when asked. ``tune`` is ``text`` parsed,
    for the positions of end-of-line comments. The version line goes."""
    cut_at: dict[int, int] = {}
    if not keep_comments:
        for c in tune.comments:
            if c.span.col > 1:
                cut_at[c.span.line] = c.span.col
    out: list[str] = []
    in_header = True
    in_block = False
    last_kept = False
    for number, line in enumerate(text_lines(text, keepends=True), 1):
        if number == 1 and line.startswith("%abc"):
            continue
        if in_block:
            in_block = not line.startswith("%%end")
            if keep_directives:
                out.append(line)
            continue
        if not line.strip(" \t\r\n"):
            continue
        if line.startswith("%%"):
            in_block = line.startswith("%%begin")
            if keep_directives:
                out.append(line)
            continue
        if line.startswith("%"):
            if keep_comments:
                out.append(line)
            continue
        m = _FIELD_LINE.match(line)
        if m is not None:
            letter = m.group(1)
            if letter == "+":
                kept = last_kept
            elif letter in "XK" or letter in keep:
                kept = True
            else:
                kept = not in_header and letter in BODY_MUSIC_FIELDS
            last_kept = kept
            if letter == "K" and in_header:
                in_header = False
            if not kept:
                continue
        col = cut_at.get(number)
        if col is not None:
            line = line[: col - 1].rstrip(" \t") + "\n"
            if not line.strip():
                continue
        out.append(line)
    return "".join(out)


# ---------------------------------------------------------------------------------------
# The stage


def _errors(diags: list[Diagnostic]) -> list[Diagnostic]:
    return [d for d in diags if d.severity is Severity.ERROR]


def _describe(d: Diagnostic, raw: RawTune, shift: tuple[int, int] = (0, 0)) -> str:
    """``line N: CODE message`` with N the line in the input file."""
    at, count = shift
    line = d.line - count if at and d.line > at + count else d.line
    return f"line {raw.line + line - 1}: {d.code} {d.message}"


def _music(tune: Tune) -> tuple[Any, ...]:
    """What stripping must not change: the key, the unit length, and every voice's bars
    (bar lines, endings, elements), without line breaks and without the body field lines
    that stripping may remove. The model's equality ignores positions, so this compares
    the music as read, cheaply (the typed model, not the sounding notes)."""
    voices = []
    for v in tune.voices:
        bars = []
        for bar in v.bars:
            elements = tuple(
                e
                for e in bar.elements
                if not isinstance(e, LineBreak)
                and not (
                    isinstance(e, InlineField)
                    and not e.inline
                    and e.letter not in BODY_MUSIC_FIELDS
                )
            )
            bars.append((bar.opening, bar.closing, bar.ending, elements))
        voices.append((v.id, tuple(bars)))
    return (tune.key, tune.unit_length, tuple(voices))


def _sounding_bars(tune: Tune) -> int:
    return sum(
        1 for bar in tune.bars if any(isinstance(e, (Note, Rest, Chord)) for e in bar.elements)
    )


def _header_value(tune: Tune, letter: str) -> str | None:
    for f in tune.fields:
        if f.letter == letter and not f.in_body:
            return f.value
    return None


def _repair(text: str, *, warnings: bool = False) -> tuple[str, tuple[Any, ...], bool]:
    """Run ``abcparse.repair`` (strict target; ``warnings`` repairs those too): (text,
    edits, valid). Looked up when called, so that tests can put a fake in its place."""
    import abcparse

    # The cleaner owns its output: unsafe fixes too, every change listed in the manifest.
    result = abcparse.repair(text, warnings=warnings, unsafe=True)
    return result.text, tuple(result.edits), bool(result.valid)


def process(raw: RawTune, options: CleanOptions) -> Outcome:
    """Clean one tune (module docstring). Never raises: a failure inside abcparse drops
    the tune with reason "internal-error" and the exception in the message."""
    base = Outcome(raw.source, raw.ordinal, raw.line, raw.reference, raw.title)
    edits: tuple[Any, ...] | None = None
    try:
        return _process(raw, options, base)
    except _Drop as d:
        return dataclasses.replace(
            base,
            reason=d.reason,
            code=d.code,
            message=d.message,
            edits=getattr(d, "edits", None),
            repaired=getattr(d, "stage", None),
        )
    except Exception as e:  # a bug must cost one tune, not the run
        tb = traceback.extract_tb(e.__traceback__)
        where = f" at {tb[-1].filename.rsplit('/', 1)[-1]}:{tb[-1].lineno}" if tb else ""
        return dataclasses.replace(
            base,
            reason="internal-error",
            code="ABC901",
            message=f"{type(e).__name__}: {e}{where}; this is a bug in abcparse",
            edits=edits,
        )


def process_chunk(raws: list[RawTune], options: CleanOptions) -> list[Outcome]:
    """:func:`process` over a chunk (the unit of work sent to a process or a worker)."""
    return [process(r, options) for r in raws]


def _process(raw: RawTune, options: CleanOptions, base: Outcome) -> Outcome:
    text, at, count = self_contained(raw)
    shift = (at, count)
    bad = _SURROGATE.search(text)
    if bad is not None:
        line = raw.line + text.count("\n", 0, bad.start())
        raise _Drop(
            "undecodable",
            f"line {line}: bytes that are not valid in the file's character set",
            "ABC001",
        )

    # 2. validate strictly
    findings = check(text, mode="strict")
    errors = _errors(findings)
    valid_as_read = not errors
    needs_repair = [d for d in errors if d.code not in NORMALIZER_FIXES]
    edits: tuple[Any, ...] | None = None
    read_mode = "strict" if valid_as_read else "loose"

    # 3. repair or drop
    stage: str | None = None

    def dropped(reason: str, message: str, code: str | None = None) -> _Drop:
        d = _Drop(reason, message, code)
        d.edits = edits  # type: ignore[attr-defined]
        d.stage = stage  # type: ignore[attr-defined]
        return d

    def repaired(source: str, first: Diagnostic, described: str, when: str) -> str:
        nonlocal edits, stage
        if not options.repair:
            raise dropped("invalid", described, first.code)
        new_text, new_edits, valid = _repair(source)
        edits, stage = new_edits, when
        left = _errors(check(new_text, mode="strict"))
        if not valid or left:
            d = left[0] if left else first
            raise dropped("unrepairable", f"after repair: {d.code} {d.message}", d.code)
        return new_text

    # 4. normalize
    def normalize(source: str, mode: str) -> Tunebook:
        try:
            normalized = format_str(
                source,
                target="2.1",
                mode=mode,
                line_ending="lf",
                decorations="short",
                bar_spacing="none",
                renumber=True,
            )
        except UnsafeFormattingError as e:
            d = e.diagnostics[0]
            raise dropped("format-unsafe", f"{d.code} {d.message}", d.code) from None
        book = parse(normalized, mode="strict")
        if len(book.tunes) != 1:
            raise dropped(
                "not-one-tune", f"normalizing gave {len(book.tunes)} tunes instead of one"
            )
        return book

    if needs_repair:
        first = needs_repair[0]
        text = repaired(text, first, _describe(first, raw, shift), "as read")
        read_mode = "strict"
    book = normalize(text, read_mode)
    book_findings: list[Diagnostic] | None = None  # check(book, "strict"), once made
    if errors and not needs_repair:
        # The normalizer was trusted with these errors (NORMALIZER_FIXES): check it
        # removed them; what it could not goes to the repair like any other error.
        book_findings = check(book, mode="strict")
        left = _errors(book_findings)
        if left:
            d = left[0]
            text = repaired(
                book.tunes[0].text, d, f"after normalizing: {d.code} {d.message}", "normalized"
            )
            book = normalize(text, "strict")
            book_findings = None
    warning_edits: tuple[Any, ...] | None = None
    # The formatter adds no finding (its safety check), so a tune read with no warning
    # and not repaired has none now: the check is only for the others.
    may_warn = len(findings) > len(errors) or stage is not None
    warned: list[Diagnostic] = []
    if options.repair and options.repair_warnings and may_warn:
        warned = book_findings if book_findings is not None else check(book, mode="strict")
    if warned:
        # 4b. Only warnings are left (errors were repaired above). Their repair is kept
        # only if the result normalizes, reads strictly and has fewer findings.
        source = book.tunes[0].text
        fixed = _repair(source, warnings=True)
        if fixed[2] and fixed[0] != source:
            rebook: Tunebook | None
            try:
                rebook = normalize(fixed[0], "strict")
            except _Drop:
                rebook = None
            if rebook is not None:
                after = check(rebook, mode="strict")
                if not _errors(after) and len(after) < len(warned):
                    book, warning_edits = rebook, fixed[1]
    normalized = book.to_text()
    tune = book.tunes[0]

    # 5. filter (on the tune's own header)
    if options.meters:
        meter = str(tune.meter) if tune.meter is not None else "none"
        wanted = {canonical_meter(m) for m in options.meters}
        if meter not in wanted:
            shown = ", ".join(sorted(wanted))
            raise dropped("filter-meter", f"meter {meter} is not one of {shown}")
    if options.keys:
        key = canonical_key(_header_value(tune, "K") or "")
        wanted = {canonical_key(k) for k in options.keys}
        if key not in wanted:
            raise dropped("filter-key", f"key {key} is not one of {', '.join(sorted(wanted))}")
    if options.max_voices is not None and len(tune.voices) > options.max_voices:
        raise dropped(
            "filter-voices", f"{len(tune.voices)} voices, more than {options.max_voices}"
        )
    if options.min_bars:
        bars = _sounding_bars(tune)
        if bars < options.min_bars:
            raise dropped("filter-bars", f"{bars} bars, fewer than {options.min_bars}")

    # 6. strip fields, then check the result reads strictly and holds the same music
    music = _music(tune)
    final: str | None = None
    final_tune: Tune | None = None
    problem: tuple[str, str, str | None] = ("", "", None)
    attempts = [
        (options.keep_fields, options.keep_comments, options.keep_directives),
        (options.keep_fields + READING_FIELDS, options.keep_comments, True),
    ]
    for keep, comments, directives in attempts:
        candidate = strip_fields(
            normalized, tune, keep, keep_comments=comments, keep_directives=directives
        )
        cbook = parse(VERSION_LINE + "\n\n" + candidate, mode="strict")
        errs = _errors(check(cbook, mode="strict"))
        if errs:
            d = errs[0]
            problem = ("strict-recheck", f"{d.code} {d.message}", d.code)
            continue
        if len(cbook.tunes) != 1 or _music(cbook.tunes[0]) != music:
            problem = ("strip-changed-music", "stripping fields would change the music", None)
            continue
        final, final_tune = candidate, cbook.tunes[0]
        break
    if final is None or final_tune is None:
        raise dropped(*problem)

    if options.ascii and not final.isascii():
        ch = next(c for c in final if not c.isascii())
        raise dropped("filter-ascii", f"character {ch!r} (U+{ord(ch):04X}) is not ASCII")
    if options.max_chars is not None and len(final) > options.max_chars:
        raise dropped(
            "filter-chars", f"{len(final)} characters, more than {options.max_chars}"
        )

    # 7. keys; the X: line goes (the writer numbers tunes per split)
    first_line, _, rest = final.partition("\n")
    if not first_line.startswith("X:"):
        raise dropped("not-one-tune", "the cleaned tune does not start with X:")
    return dataclasses.replace(
        base,
        text=rest,
        edits=edits,
        repaired=stage,
        warning_edits=warning_edits,
        body=body_key(final),
        melody=melody_key(final_tune.events(unroll_repeats=False), final),
        valid_as_read=valid_as_read,
    )
