"""Why a tune sounds different in abcjs: diagnosis by taking one feature away at a time.

A difference between our notes and abcjs's is explained by a *kind* when a small rewrite
of the tune's text, aimed at that one feature, makes the two agree. Each kind below has
such a rewrite (:attr:`Kind.rewrite`), and says whether the rewrite keeps our music as it
was (``ours_unchanged``):

- when it does (``Y:`` lines, which we ignore and abcjs plays), the rewrite only takes away
  text that abcjs misreads, and the diagnosis is checked: a rewrite that changes our notes
  for a tune is not used for that tune;
- when it does not (the header ``P:`` order, which abcjs ignores), the rewrite removes the
  feature from both sides: if the tunes agree without it, it was the cause.

Rewrites are tried in the order of :data:`KINDS`, each on top of the previous ones; when a
tune agrees, the kinds whose rewrites were needed are its kinds (one that can be left out
with the tune still agreeing is dropped). A tune that no rewrite explains is "unexplained"
and is looked at by hand.

``python -m tests.playback.abcjs_kinds`` runs the diagnosis on every tune of the corpus
that differs from abcjs and prints the ``tunes`` table of
``tests/fixtures/abcjs_playback_differences.json``, to be reviewed before it replaces
the fixture's (``--write`` replaces it; the kinds' descriptions are kept as written there).
"""

from __future__ import annotations

import argparse
import datetime
import json
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import abcparse

from . import abcjs_peer, peer

Edit = tuple[int, int, str]  # replace text[start:end] with the string
Rewrite = Callable[[str], list[Edit]]

FIELD_LINE = re.compile(r"^([A-Za-z+]):", re.M)
# Fields of ABC 2.1 (§3.1, §3.1.18) and what abcjs reads; any other letter is unknown.
KNOWN_FIELDS = frozenset("ABCDFGHIKLMNOPQRSTUVWXZmrsw+")


def apply_edits(text: str, edits: Sequence[Edit]) -> str:
    """``text`` with the (non-overlapping) edits made."""
    out = []
    at = 0
    for start, end, new in sorted(edits):
        out.append(text[at:start])
        out.append(new)
        at = end
    out.append(text[at:])
    return "".join(out)


def _lines(text: str) -> list[tuple[int, str]]:
    """(offset, line with its end) for every line of ``text``."""
    out = []
    at = 0
    for line in text.splitlines(keepends=True):
        out.append((at, line))
        at += len(line)
    return out


def _body_start(text: str) -> int:
    """Offset of the first body line (after the header's K:)."""
    for at, line in _lines(text):
        if line.startswith("K:"):
            return at + len(line)
    return len(text)


def drop_unknown_fields(text: str) -> list[Edit]:
    """Lines such as ``Y:AABB`` (a field ABC 2.1 does not define): abcjs plays their text
    as music."""
    return [
        (at, at + len(line), "")
        for at, line in _lines(text)
        if (m := FIELD_LINE.match(line)) and m.group(1) not in KNOWN_FIELDS
    ]


def drop_empty_lines(text: str) -> list[Edit]:
    """Empty lines inside the tune: abcjs ends the tune at the first one."""
    lines = _lines(text)
    while lines and not lines[-1][1].strip():
        lines.pop()
    return [(at, at + len(line), "") for at, line in lines if not line.strip()]


def drop_header_parts(text: str) -> list[Edit]:
    """The header ``P:`` (the order of the parts), which abcjs ignores."""
    body = _body_start(text)
    return [
        (at, at + len(line), "")
        for at, line in _lines(text)
        if at < body and line.startswith("P:")
    ]


def accidentals_by_octave(text: str) -> list[Edit]:
    """Make our side propagate accidentals only in their octave, as abcjs does (§11.3)."""
    lines = _lines(text)
    if not lines:
        return []
    end = len(lines[0][1])
    return [(end, end, "I:propagate-accidentals octave\n")]


# A :| (or a || or |]) with more music after it that is not a variant ending (white
# space, the 2.0 line break "!" and a continuation may come between).
_GAP = r"(?:\s|!(?=\s)|\\\n)*"
_MORE = rf"(?!{_GAP}\[?[0-9])(?={_GAP}[^\s!])"
OPEN_AFTER_REPEAT = re.compile(rf"(?<![|:]):\|(?![:|\]0-9\[]){_MORE}")
OPEN_AFTER_DOUBLE = re.compile(rf"(?<![|:\[])\|[|\]](?![:|\]0-9\[]){_MORE}")


# The start of the music after a part label in the body (P:B on its own line, §3.1.9).
AFTER_PART_LABEL = re.compile(r"^P:[A-Z][ \t]*\r?\n(\|(?![:|\]])|(?=[^|:\[\s%]))", re.M)


def open_every_section(text: str) -> list[Edit]:
    """Mark the start of every section with ``|:``: a ``:|`` followed by more music becomes
    ``:||:``, a ``||`` or ``|]`` followed by more music becomes ``|:``, and so does the start
    of the music after a part label (``P:B``; abcparse ends a variant ending where a new
    part begins, §4.10, §3.1.9, abcjs ignores part labels). Each edit is kept
    only where abcparse plays the same with it (§4.8: a ``:|`` with no ``|:`` goes back to
    the beginning of the tune, the latest double bar line or end of repeated section;
    §4.10: ``||``, ``|]`` and ``|:`` all end a variant ending); abcjs starts a section only
    at ``|:`` or the tune's start."""
    body = _body_start(text)
    edits = [(m.start(), m.end(), ":||:") for m in OPEN_AFTER_REPEAT.finditer(text, body)]
    edits += [(m.start(), m.end(), "|:") for m in OPEN_AFTER_DOUBLE.finditer(text, body)]
    edits += [(m.start(1), m.end(1), "|:") for m in AFTER_PART_LABEL.finditer(text, body)]
    return edits


NOTE_BEFORE = re.compile(r"([_^=]*)([A-Ga-g])([,']*)[0-9/]*$")
# What may stand between a tie and the next note: spaces, bar lines, variant endings,
# chord symbols and annotations, decorations, a continuation, a tuplet sign.
NOTE_AFTER = re.compile(
    r"(?:\s|\||[:\]\[]|(?<=[\[|])[0-9][0-9,\-]*|\"[^\"]*\"|![^!\n]*!|\\\n)*?"
    r"(?:\(\d)?([_^=]*)([A-Ga-g])([,']*)"
)


def _pitch_key(acc: str, letter: str, octs: str) -> tuple[str, int]:
    octave = (1 if letter.islower() else 0) + octs.count("'") - octs.count(",")
    return letter.upper(), octave


def drop_ties_between_pitches(text: str) -> list[Edit]:
    """Remove a tie ``-`` between two notes written with different letters or octaves
    (``B-|e``): abcparse drops such a tie (§4.11: a tie joins notes of the same pitch),
    abcjs does not."""
    edits: list[Edit] = []
    for m in re.finditer(r"-", text[: len(text)]):
        j = m.start()
        if j < _body_start(text):
            continue
        before = NOTE_BEFORE.search(text, 0, j)
        after = NOTE_AFTER.match(text, j + 1)
        if before and after and _pitch_key(*before.groups()) != _pitch_key(*after.groups()):
            edits.append((j, j + 1, ""))
    return edits


# A music line that ends with a note (not a bar line), then perhaps field or comment
# lines, then a line that starts with |: or :: .
START_REPEAT_AT_LINE_START = re.compile(
    r"(?:(?<=[^|\s:\]\\!])|(?<=[^|\[]\]))"  # a note, or a chord's ]
    r"([ \t]*\r?\n(?:(?:[A-Za-z+]:|%)[^\n]*\n)*[ \t]*)"
    # the |: or ::, after a :| of its own at the line start if any (``:|`` newline ``|:``)
    r"((?::\|[ \t]*(?:\r?\n[ \t]*)?)?(?:\|:|::))"
    # a bar left alone on its line takes its line break (or continuation) with it
    r"(?:[ \t]*\\?\r?\n)?"
)
_LINE_BREAK = re.compile(r"[ \t]*\r?\n[ \t]*")


def start_repeat_to_line_end(text: str) -> list[Edit]:
    """Move a ``|:`` or ``::`` that starts a music line to the end of the music line before
    it when that line ends with a note (``...F\n|:G`` becomes ``...F|:\nG``), with the
    ``:|`` that starts the line before it if any (``...F\n:|\n|:G`` becomes ``...F:| |:\nG``):
    the same music for abcparse (a line break means nothing to playback); abcjs plays the
    last note before such a ``|:`` again at the start of every pass of the new section."""
    body = _body_start(text)
    return [
        (m.start(), m.end(), _LINE_BREAK.sub(" ", m.group(2)) + m.group(1))
        for m in START_REPEAT_AT_LINE_START.finditer(text, body)
    ]


ENDING_START = re.compile(r"(?:\[|(?<=\|))[0-9][0-9,\-]*")
SECTION_MARK = re.compile(r"\|\||\|\]|\[\||:\||\|:|::")


def close_ending_at_line_end(text: str) -> list[Edit]:
    """Close with ``||`` a variant ending that runs on past the end of its line to the
    next section's ``:|`` (``:|2 G2|\nA...:|``). abcparse reads §4.10 as written: the ending
    runs to that ``:|`` and the next section is played once; abcjs (like abc2midi) ends
    the ending at the end of its line and repeats the next section."""
    body = _body_start(text)
    edits: list[Edit] = []
    for m in ENDING_START.finditer(text, body):
        eol = text.find("\n", m.end())
        if eol < 0:
            continue
        rest = text[m.end():eol]
        if SECTION_MARK.search(rest):
            continue
        nxt = SECTION_MARK.search(text, eol)
        if not nxt or nxt.group() != ":|":
            continue
        last = rest.rstrip(" \t\r!\\")
        if last.endswith("|"):
            at = m.end() + len(last) - 1
            edits.append((at, at + 1, "||"))
    return edits


PLUS_CHORD = re.compile(r"\+((?:\s*[_^=]*[A-Ga-g][,']*[0-9/]*)+)\s*\+|(?<=\[)\+(?=[_^=A-Ga-g])")


def plus_chords_to_brackets(text: str) -> list[Edit]:
    """Write the obsolete chord ``+E3 c3 +`` (§10.2.3, §12.1.3) as ``[E3c3]``, and the
    mixture ``[+GB]`` as ``[GB]``: abcparse plays both alike; abcjs reads ``+...+`` as an
    unknown decoration and drops its notes."""
    body = _body_start(text)
    return [
        (m.start(), m.end(), "[" + re.sub(r"\s+", "", m.group(1)) + "]" if m.group(1) else "")
        for m in PLUS_CHORD.finditer(text, body)
    ]


def music_after_the_last_ending_repeat(text: str) -> list[Edit]:
    """Write a silent bar (``x0|]``, no time) after the ``:|`` that closes the last
    variant ending of a group when no note follows it (``|1 A :|2 B :|`` at the end of
    the tune). abcparse, like abc2midi, goes back once more there (§4.8: any ``:|``
    repeats; §4.10: that pass takes no ending); abcjs does so only when music follows."""
    body = _body_start(text)
    edits: list[Edit] = []
    for m in ENDING_START.finditer(text, body):
        nxt = SECTION_MARK.search(text, m.end())
        if not nxt or nxt.group() != ":|":
            continue
        after = text[nxt.end():nxt.end() + 1]
        if after in ("|", ":") or re.match(rf"{_GAP}\[?[0-9]", text[nxt.end():]):
            continue  # another ending follows, or the repeat sign goes on (:||:)
        rest = re.sub(r'"[^"\n]*"|%[^\n]*', "", text[nxt.end():])
        if re.search(r"[A-Ga-g]", rest):
            continue  # music follows: abcjs goes back as abcparse does
        edits.append((nxt.end(), nxt.end(), " x0|]"))
    return sorted(set(edits))


def _outside_quotes(text: str, start: int) -> list[tuple[int, int]]:
    """Spans of the music lines from ``start`` on, with quoted text, comments and field
    lines left out."""
    spans: list[tuple[int, int]] = []
    for at, line in _lines(text):
        if at < start or FIELD_LINE.match(line) or line.startswith("%"):
            continue
        code = line.split("%", 1)[0]
        pos = 0
        for m in re.finditer(r'"[^"\n]*"', code):
            spans.append((at + pos, at + m.start()))
            pos = m.end()
        spans.append((at + pos, at + len(code)))
    return spans


FERMATA = re.compile(r"H(?=[_^=]*[A-Ga-gzx\[(])|!(?:fermata|invertedfermata)!")


def drop_fermatas(text: str) -> list[Edit]:
    """Take out fermatas (``H``, ``!fermata!``). abcparse lets a note with a fermata last
    twice as long, as abc2midi does (§4.14 names the symbol and gives it no length);
    abcjs plays the note as written."""
    edits: list[Edit] = []
    for a, b in _outside_quotes(text, _body_start(text)):
        edits.extend((m.start(), m.end(), "") for m in FERMATA.finditer(text, a, b))
    return edits


WHOLE_REST = re.compile(r"(?<![A-Za-z\"!])z([1-9][0-9]*)(?![0-9/])")


def split_long_rests(text: str) -> list[Edit]:
    """Write a rest ``zN`` (N even) as two halves, ``zN/2 zN/2``: the same time for
    abcparse (§4.5); abcjs shortens a rest one whole note long (``z4`` at ``L:1/4``) to
    the length of the bar when the bar is shorter (a whole-bar rest in engraving)."""
    edits: list[Edit] = []
    for a, b in _outside_quotes(text, _body_start(text)):
        for m in WHOLE_REST.finditer(text, a, b):
            n = int(m.group(1))
            if n >= 2 and n % 2 == 0:
                edits.append((m.start(), m.end(), f"z{n // 2}z{n // 2}"))
    return edits




# A line break, or a continuation \ (which abcjs reads as one, even with no line end
# after it: ``:|\[2``), between a bar line and a variant ending.
ENDING_AT_LINE_START = re.compile(
    r"(?<=[|:])[ \t]*(?:\\[ \t]*(?:\r?\n)?|\r?\n)(?=[ \t]*\[[0-9])")


def join_line_before_ending(text: str) -> list[Edit]:
    """Join a line that starts with a variant ending (``[2``) to the line before, or drop
    the continuation ``\\`` before it: the same music for abcparse; abcjs, like abc2midi,
    does not continue a tie into an ending that starts a line (``G4-|[1 G2 :|`` newline
    ``[2 G2``: the second ending's G sounds again)."""
    body = _body_start(text)
    return [(m.start(), m.end(), "") for m in ENDING_AT_LINE_START.finditer(text, body)]


def repeat_sign_before_next_ending(text: str) -> list[Edit]:
    """Write ``:|`` for the ``||`` or ``|]`` that closes a variant ending when another
    ending follows it (``|1 A || [2 B ||`` becomes ``|1 A :| [2 B ||``): abcparse reads the
    two endings as a repeat either way (§4.9); abcjs plays the second ending straight
    after the first."""
    body = _body_start(text)
    edits: list[Edit] = []
    for m in ENDING_START.finditer(text, body):
        nxt = SECTION_MARK.search(text, m.end())
        if nxt and nxt.group() in ("||", "|]") and re.match(
            rf"{_GAP}\[?[0-9]", text[nxt.end():]
        ):
            edits.append((nxt.start(), nxt.end(), ":|"))
    return edits


CONTINUATION_BEFORE_FIELD = re.compile(r"\\([ \t]*\r?\n)(?=[A-Za-z]:)")


def drop_continuation_before_field(text: str) -> list[Edit]:
    """Take out a ``\\`` that ends a music line when the next line is a field
    (``...[EGc]|\\`` newline ``w:...``). §2.2.6: a music line is continued *through*
    fields, which stay fields; abcparse reads them so, abcjs plays the field's text as
    notes."""
    body = _body_start(text)
    return [
        (m.start(), m.end(), m.group(1))
        for m in CONTINUATION_BEFORE_FIELD.finditer(text, body)
    ]


def drop_double_bar_inside_ending(text: str) -> list[Edit]:
    """Write ``|`` for a ``||`` inside a variant ending that goes on to a ``:|`` (``[1 A ||
    B :| [2 C``). abcparse ends the ending at the ``||`` (§4.10 lists ``||`` among the
    signs that end one), so ``B`` is played on every pass; abcjs reads ``A || B`` as the
    first ending."""
    body = _body_start(text)
    edits: list[Edit] = []
    for m in ENDING_START.finditer(text, body):
        first = SECTION_MARK.search(text, m.end())
        if not first or first.group() != "||":
            continue
        second = SECTION_MARK.search(text, first.end())
        if second and second.group() == ":|" and not ENDING_START.search(
            text, first.end(), second.start()
        ):
            edits.append((first.start(), first.end(), "|"))
    return edits


@dataclass(frozen=True)
class Kind:
    """A kind of difference: its rewrite, and whether the rewrite leaves our notes as
    they were (then a rewrite that changes them for a tune is not used for that tune)."""

    name: str
    rewrite: Rewrite
    ours_unchanged: bool


KINDS: tuple[Kind, ...] = (
    Kind("abcjs-unknown-field-as-notes", drop_unknown_fields, True),
    Kind("empty-line-in-tune", drop_empty_lines, True),
    Kind("abcjs-ignores-header-parts", drop_header_parts, False),
    Kind("abcjs-accidental-in-octave-only", accidentals_by_octave, False),
    Kind("last-ending-repeat-sign", music_after_the_last_ending_repeat, True),
    Kind("ending-without-repeat-sign", repeat_sign_before_next_ending, True),
    Kind("abcjs-section-starts-only-at-start-repeat", open_every_section, True),
    Kind("abcjs-tie-between-different-pitches", drop_ties_between_pitches, True),
    Kind("abcjs-start-repeat-at-line-start", start_repeat_to_line_end, True),
    Kind("plus-chord", plus_chords_to_brackets, True),
    Kind("unclosed-last-ending", close_ending_at_line_end, False),
    Kind("fermata-length", drop_fermatas, False),
    Kind("abcjs-whole-rest-as-bar-rest", split_long_rests, True),
    Kind("abcjs-tie-into-ending-at-line-start", join_line_before_ending, True),
    Kind("abcjs-field-after-continuation-as-notes", drop_continuation_before_field, True),
    Kind("double-bar-inside-ending", drop_double_bar_inside_ending, False),
)


@dataclass(frozen=True)
class Case:
    """One tune as text: its id, the file header and the tune."""

    id: str
    header: str
    text: str


_OURS: dict[tuple[str, str], list[abcjs_peer.Note]] = {}


def _ours(header: str, text: str) -> list[abcjs_peer.Note]:
    """Our notes for a tune text under its file header (cached: the rewrites ask often)."""
    key = (header, text)
    if key not in _OURS:
        try:
            book = abcparse.parse(abcjs_peer.abcjs_input(header, text))
            _OURS[key] = abcjs_peer.our_notes(book.tunes[-1])[0] if book.tunes else []
        except Exception:  # no notes: the rewrite is not used, and nothing matches
            _OURS[key] = [(-1, -1)]
    return _OURS[key]


def agree(cases: Sequence[Case]) -> list[bool]:
    """For each case, whether our notes and abcjs's are equal (one Node run for all)."""
    if not cases:
        return []
    played = abcjs_peer.run_abcjs([abcjs_peer.abcjs_input(c.header, c.text) for c in cases])
    out = []
    for c, p in zip(cases, played, strict=True):
        theirs = abcjs_peer.their_notes(p)[0]
        ours = _ours(c.header, c.text)
        out.append(not p.error and abcjs_peer.first_difference(ours, theirs) is None)
    return out


def _step(case: Case, kind: Kind) -> Case:
    """``case`` rewritten for ``kind``. For a kind that must leave our music as it was, an
    edit that would change our notes is left out (all edits are tried together first,
    then one at a time)."""
    edits = kind.rewrite(case.text)
    if not edits:
        return case
    new = apply_edits(case.text, edits)
    if kind.ours_unchanged and _ours(case.header, new) != _ours(case.header, case.text):
        text = case.text
        for edit in sorted(edits, reverse=True):  # from the end: offsets stay valid
            trial = apply_edits(text, [edit])
            if _ours(case.header, trial) == _ours(case.header, text):
                text = trial
        new = text
    return case if new == case.text else Case(case.id, case.header, new)


def _apply(case: Case, kinds: Sequence[Kind]) -> Case:
    for k in kinds:
        case = _step(case, k)
    return case


#: The kinds whose rewrite leaves our music as it was: a tune that agrees with abcjs once
#: only these are applied differs from abcjs by abcjs's documented faults alone.
SAFE_KINDS: tuple[Kind, ...] = tuple(k for k in KINDS if k.ours_unchanged)


def diagnose(cases: Sequence[Case], kinds: Sequence[Kind] = KINDS) -> dict[str, list[str]]:
    """Tune id → the kinds that explain its difference (``["unexplained"]`` if none do),
    trying the rewrites of ``kinds`` in their order."""
    found: dict[str, list[str]] = {}
    current = {c.id: c for c in cases}
    used: dict[str, list[Kind]] = {c.id: [] for c in cases}
    original = {c.id: c for c in cases}
    for kind in kinds:
        changed = []
        for cid, case in current.items():
            new = _step(case, kind)
            if new is not case:
                current[cid] = new
                used[cid].append(kind)
                changed.append(new)
        solved = [c.id for c, ok in zip(changed, agree(changed), strict=True) if ok]
        # Which of the rewrites were needed: leave each out in turn (one batch).
        trials = [
            (cid, k, _apply(original[cid], [o for o in used[cid] if o is not k]))
            for cid in solved
            for k in used[cid]
            if len(used[cid]) > 1
        ]
        still = agree([t for _, _, t in trials])
        spare = {(cid, k.name) for (cid, k, _), ok in zip(trials, still, strict=True) if ok}
        for cid in solved:
            names = [k.name for k in used[cid] if (cid, k.name) not in spare]
            found[cid] = names or [k.name for k in used[cid]]
            del current[cid]
    for cid in current:
        found[cid] = ["unexplained"]
    return found


def measure(tunes: Sequence[peer.CorpusTune]) -> dict[str, object]:
    """The shares of issue 12 for the fixture's ``measured`` block (both players)."""
    from . import players

    verdicts = players.judge(tunes)
    rows = players.shares(verdicts, players.explained(tunes, verdicts))
    n, a, j, e, f = next((n, a, j, e, f) for name, n, a, j, e, f, _ in rows if name == "all")
    abc2midi = ""
    if peer.ABC2MIDI is not None:
        out = subprocess.run(
            [peer.ABC2MIDI, "-ver"], capture_output=True, text=True, check=False
        ).stdout
        abc2midi = out.strip().splitlines()[0] if out.strip() else ""
    return {
        "tunes": n,
        "equal_abc2midi": a,
        "equal_abcjs": j,
        "equal_either": e,
        "share_either": round(e / max(1, n), 4),
        # Equal to either player, or to one of them once its documented faults are
        # written around with our notes unchanged (players.explained).
        "equal_either_or_player_fault": f,
        "share_either_or_player_fault": round(f / max(1, n), 4),
        "by_collection": {
            name: {"tunes": n, "abc2midi": a, "abcjs": j, "either": e, "either_or_fault": f}
            for name, n, a, j, e, f in rows
            if name != "all"
        },
        "abcjs": abcjs_peer.abcjs_version(),
        "abc2midi": abc2midi,
        "date": datetime.date.today().isoformat(),
        "command": "python -m tests.playback.abcjs_kinds --write",
    }


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", nargs="*", default=(), help="tune ids such as irish.abc#12")
    ap.add_argument(
        "--write",
        action="store_true",
        help="replace the fixture's tune table and measured shares (kinds are kept)",
    )
    args = ap.parse_args(argv)
    if not abcjs_peer.available():
        print("node or node_modules/abcjs is missing: run `npm ci`", file=sys.stderr)
        return 2
    tunes = list(peer.corpus_tunes(debian=True))
    if args.only:
        tunes = [t for t in tunes if t.id in set(args.only)]
    results = abcjs_peer.compare_corpus(tunes)
    differing = [
        Case(ct.id, ct.header_text, ct.tune.text)
        for ct, r in zip(tunes, results, strict=True)
        if not r.equal
    ]
    found = diagnose(differing)
    data = abcjs_peer.known() if abcjs_peer.FIXTURE.is_file() else {"kinds": {}, "tunes": {}}
    old: dict[str, object] = data.get("tunes", {})  # type: ignore[assignment]
    table: dict[str, object] = {}
    for cid, kinds in found.items():
        if kinds == ["unexplained"] and cid in old:
            table[cid] = old[cid]  # classified by hand
        else:
            table[cid] = kinds[0] if len(kinds) == 1 else kinds
    counts = Counter(
        k for v in table.values() for k in ([v] if isinstance(v, str) else v)  # type: ignore[union-attr]
    )
    for kind, n in counts.most_common():
        print(f"{n:>6}  {kind}", file=sys.stderr)
    if args.write:
        data["tunes"] = dict(sorted(table.items()))
        if not args.only:
            data["measured"] = measure(tunes)
        abcjs_peer.FIXTURE.write_text(
            json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
    else:
        print(json.dumps(table, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
