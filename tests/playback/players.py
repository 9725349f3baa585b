"""Our playback against both outside players, abc2midi and abcjs, on the whole corpus.

Issue 12's measurement: for every single-voice tune of ``corpus/irish.abc``, of the
Nottingham Music Database (both folders of ``../shared/corpus/nottingham``) and of the
Debian example files (``../shared/corpus/debian-examples``), is the music we play equal to
abc2midi's (``peer.py``: onset, pitch and duration), to abcjs's (``abcjs_peer.py``: onset
and pitch), to either? A tune equal to neither is where both players read the text
otherwise than we do: either both are wrong in different ways, or we are. Each such tune,
and each tune that differs from abcjs, is listed in
``tests/fixtures/abcjs_playback_differences.json`` under a kind with the section of ABC 2.1
that decides it (abc2midi's own kinds stay in ``abc2midi_playback_differences.json``).

    python -m tests.playback.players            # the shares, then every tune equal to neither
    python -m tests.playback.players --all      # also every tune differing from one player
    python -m tests.playback.players --only irish.abc#12 ABC_cleaned/jigs.abc#3
    python -m tests.playback.players --files ~/tunebooks/ other.abc   # any collection

The report ends with the tunes equal to neither player on which the two players agree
with each other: the first place to look for a fault of abcparse's.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import abcparse
from abcparse.cli.inputs import collect

from . import abcjs_kinds, abcjs_peer, peer

ABC2MIDI_FIXTURE = peer.ROOT / "tests" / "fixtures" / "abc2midi_playback_differences.json"


@dataclass(frozen=True)
class Verdict:
    """One tune against both players (``None``: that player was not run)."""

    id: str
    abc2midi: bool | None
    abcjs: bool | None
    abc2midi_detail: str = ""
    abcjs_detail: str = ""

    @property
    def either(self) -> bool:
        return bool(self.abc2midi) or bool(self.abcjs)


def all_tunes(only: Sequence[str] = (), files: Sequence[Path] = ()) -> list[peer.CorpusTune]:
    """Every single-voice tune of the four collections, or of ``files`` (files, and
    folders searched for ``*.abc``), or those named in ``only``."""
    tunes = list(peer.corpus_tunes(debian=True, files=given_files(files) if files else None))
    if only:
        wanted = set(only)
        tunes = [t for t in tunes if t.id in wanted]
    return tunes


def given_files(paths: Sequence[Path]) -> list[tuple[str, Path]]:
    """(label, path) for files and folders named on the command line, found as every
    command finds them (:func:`abcparse.cli.inputs.collect`): a folder's files are
    labelled from the folder's own name, so that the folder is one collection in the
    table; a file is a collection of its own."""
    out: list[tuple[str, Path]] = []
    for given in paths:
        for found, _error in collect([str(given)]):
            path = Path(found)
            if given.is_dir():
                out.append((f"{given.resolve().name}/{path.relative_to(given).as_posix()}",
                            path))
            else:
                out.append((given.name, path))
    return out


def _load(path: Path) -> dict[str, object]:
    if not path.is_file():
        return {"kinds": {}, "tunes": {}}
    data: dict[str, object] = json.loads(path.read_text(encoding="utf-8"))
    return data


def listed_kinds() -> dict[str, str]:
    """Tune id → kind of its difference from abcjs (the abcjs differences file); a tune
    with several kinds gets them joined with "+"."""
    tunes: dict[str, str | list[str]] = _load(abcjs_peer.FIXTURE)["tunes"]  # type: ignore[assignment]
    return {t: k if isinstance(k, str) else "+".join(k) for t, k in tunes.items()}


def abc2midi_kinds() -> dict[str, str]:
    """Tune id → kind of its difference from abc2midi (abc2midi's differences file)."""
    tunes: dict[str, str] = _load(ABC2MIDI_FIXTURE)["tunes"]  # type: ignore[assignment]
    return tunes


def judge(
    tunes: Sequence[peer.CorpusTune], *, abc2midi: bool = True, abcjs: bool = True
) -> list[Verdict]:
    """Compare every tune with each player that is installed (and asked for)."""
    by_a: dict[str, peer.Result] = {}
    by_j: dict[str, abcjs_peer.Comparison] = {}
    if abc2midi and peer.ABC2MIDI is not None:
        by_a = {r.id: r for r in peer.run(tunes)}
    if abcjs and abcjs_peer.available():
        by_j = {r.id: r for r in abcjs_peer.compare_corpus(tunes)}
    out = []
    for ct in tunes:
        a, j = by_a.get(ct.id), by_j.get(ct.id)
        out.append(
            Verdict(
                ct.id,
                None if a is None else a.equal,
                None if j is None else j.equal,
                "" if a is None else a.detail,
                "" if j is None else j.detail,
            )
        )
    return out


def players_agree(tunes: Sequence[peer.CorpusTune], verdicts: Sequence[Verdict]) -> list[str]:
    """The tunes equal to neither player on which abc2midi and abcjs agree with each other
    (the same played order of onset and pitch): where abcparse is the odd one out, the
    first place to look for a fault of ours (a coincidence of two players' faults is
    possible too: abc2midi leaves ``A2>B`` unbroken, abcjs ``A|>B``)."""
    neither = {v.id for v in verdicts if v.abc2midi is False and v.abcjs is False}
    if not neither or peer.ABC2MIDI is None or not abcjs_peer.available():
        return []
    chosen = [t for t in tunes if t.id in neither]
    played = abcjs_peer.run_abcjs([abcjs_peer.abcjs_input(t.header_text, t.tune.text)
                                   for t in chosen])
    out = []
    with tempfile.TemporaryDirectory() as workdir:
        for t, p in zip(chosen, played, strict=True):
            notes = peer.abc2midi_notes(peer.peer_input(t.header_text, t.tune.text), workdir)
            theirs = sorted((round(o * abcjs_peer.TPQ / peer.TPB), pitch)
                            for o, pitch, _ in notes)
            if abcjs_peer.first_difference(theirs, abcjs_peer.their_notes(p)[0]) is None:
                out.append(t.id)
    return out


#: A body ``P:`` line that is not a part label (``P:D.S.``, ``P:Fine``): a remark to us
#: (§3.1.9), a part abc2midi skips ("part-remark" in its differences file).
BODY_PART_REMARK = re.compile(r"^P:(?![ \t]*[A-Za-z][ \t]*\r?$)", re.M)
#: A header ``P:`` order with words after it (``P:AABA last time``): abc2midi ignores the
#: whole field, we play the order ("parts-with-text").
HEADER_PARTS_WITH_TEXT = re.compile(r"^(P:[ \t]*[A-Za-z0-9().]+)[ \t]+[^\r\n]*", re.M)


def _abc2midi_rewrite(text: str) -> tuple[str, list[str]]:
    """The tune with abc2midi's documented faults written around, and their kinds: a body
    part remark becomes a comment and a header order loses its words (both
    "abc2midi-part-fields", §3.1.9); a broken rhythm next to a mark
    (:func:`_broken_rhythms_written_out`, "abc2midi-broken-rhythm-by-a-mark", §4.4)."""
    kinds = []
    body = text.find("\nK:")
    if body >= 0:
        head, rest = text[:body], text[body:]
        new = HEADER_PARTS_WITH_TEXT.sub(r"\1", head) + BODY_PART_REMARK.sub("%P:", rest)
        if new != text:
            kinds.append("abc2midi-part-fields")
            text = new
    new = _broken_rhythms_written_out(text)
    if new != text:
        kinds.append("abc2midi-broken-rhythm-by-a-mark")
    return new, kinds


#: §4.4: what ``>``, ``>>``, ``>>>`` make of the note before and the note after.
_BROKEN = {n: (2 - Fraction(1, 2**n), Fraction(1, 2**n)) for n in (1, 2, 3)}


def _broken_rhythms_written_out(text: str) -> str:
    """The tune with each broken rhythm between two notes where a decoration stands
    before either note (``Hc>d``, ``d>.c``) written as the lengths it gives (``Hc3/2d/2``).
    abc2midi drops the rhythm there (docs/playback.md: after a fermata, before a staccato
    dot); the lengths say the same thing without the sign."""
    from dataclasses import replace

    from abcparse.model import BrokenRhythm, Decoration, Note

    try:
        tunes = abcparse.parse(text).tunes
    except abcparse.AbcError:
        return text
    if len(tunes) != 1:
        return text
    edits: list[tuple[int, int, str]] = []
    for voice in tunes[0].voices:
        els = voice.elements
        for i, el in enumerate(els):
            if type(el) is not BrokenRhythm or el.count not in _BROKEN or i == 0:
                continue
            before, j = els[i - 1], i + 1
            while j < len(els) and type(els[j]) is Decoration:
                j += 1
            if type(before) is not Note or j == len(els) or type(els[j]) is not Note:
                continue
            after = els[j]
            if j == i + 1 and not (i >= 2 and type(els[i - 2]) is Decoration):
                continue  # no mark on either side: abc2midi reads it
            first, second = _BROKEN[el.count]
            if el.direction == "<":
                first, second = second, first
            edits += [
                (before.span.start, before.span.end,
                 replace(before, length=before.length * first).spelling),
                (el.span.start, el.span.end, ""),
                (after.span.start, after.span.end,
                 replace(after, length=after.length * second).spelling),
            ]
    for start, end, new in sorted(edits, reverse=True):
        text = text[:start] + new + text[end:]
    return text


def _explained_by_abc2midi(tunes: Sequence[peer.CorpusTune]) -> dict[str, list[str]]:
    """Tune id → the kinds of :func:`_abc2midi_rewrite` applied, for each tune that
    abc2midi plays exactly as we do once they are written around, where the rewrite
    leaves our notes as they were."""
    if peer.ABC2MIDI is None:
        return {}
    out: dict[str, list[str]] = {}
    with tempfile.TemporaryDirectory() as workdir:
        for t in tunes:
            new, kinds = _abc2midi_rewrite(t.tune.text)
            if new == t.tune.text:
                continue
            book = abcparse.parse(peer.peer_input(t.header_text, new))
            if not book.tunes or peer.our_notes(book.tunes[-1]) != peer.our_notes(t.tune):
                continue
            rewritten = peer.CorpusTune(t.file, t.index, book.tunes[-1], t.header_text)
            if peer.compare(rewritten, workdir).equal:
                out[t.id] = kinds
    return out


def explained(
    tunes: Sequence[peer.CorpusTune], verdicts: Sequence[Verdict]
) -> dict[str, list[str]]:
    """Tune id → the documented player faults that explain its difference, for each tune
    equal to neither player that one player plays exactly as we do once its faults are
    written around by rewrites that leave our music as it was (checked note by note):

    - abcjs: the rewrites of :data:`abcjs_kinds.SAFE_KINDS`, each edit kept only where our
      notes stay the same;
    - abc2midi: its two ``P:`` faults and its broken rhythms dropped next to a mark
      (:func:`_abc2midi_rewrite`), as :func:`peer.peer_input` already writes around its
      hornpipe swing.

    What remains is read otherwise by both players for reasons not (yet) classified, or
    by us."""
    neither = {v.id for v in verdicts if v.abc2midi is False and v.abcjs is False}
    chosen = [t for t in tunes if t.id in neither]
    found: dict[str, list[str]] = {}
    if abcjs_peer.available():
        cases = [abcjs_kinds.Case(t.id, t.header_text, t.tune.text) for t in chosen]
        diagnosed = abcjs_kinds.diagnose(cases, abcjs_kinds.SAFE_KINDS)
        found = {cid: kinds for cid, kinds in diagnosed.items() if kinds != ["unexplained"]}
    found.update(_explained_by_abc2midi([t for t in chosen if t.id not in found]))
    return {t.id: found[t.id] for t in chosen if t.id in found}


def fixed_to_agree(
    tunes: Sequence[peer.CorpusTune], verdicts: Sequence[Verdict],
    explained_already: Collection[str] = (),
) -> dict[str, list[str]]:
    """Tune id → the codes of the safe fixes (``abc-lint --fix``) after which one player
    plays the tune exactly as we do, for each tune equal to neither player that
    :func:`explained` leaves unexplained, where the fixes leave our notes as they were
    (checked note by note, as the repair's own music check requires).

    Such a tune holds something we report and read one way while the players read it
    another: ``!`` line breaks (ABC103, §12.1.1: ABC 2.0's, which a player without
    ``I:linebreak !`` reads as a decoration, dropping the notes up to the next ``!``), a tie
    between different pitches (ABC321), a colon beside a thick bar (ABC113). Written as
    the fix writes it, the tune means to the player what it means to us. Not a player's
    fault: the finding says where the text is ambiguous, and the fix removes the
    ambiguity."""
    from abcparse.format.repair import fix_text

    neither = {v.id for v in verdicts if v.abc2midi is False and v.abcjs is False}
    chosen: list[tuple[str, peer.CorpusTune, list[str]]] = []
    for t in tunes:
        if t.id not in neither or t.id in explained_already:
            continue
        text = peer.peer_input(t.header_text, t.tune.text)
        try:
            result = fix_text(text)
        except abcparse.AbcError:
            continue
        if not result.changed:
            continue
        book = abcparse.parse(result.text)
        if not book.tunes or peer.our_notes(book.tunes[-1]) != peer.our_notes(t.tune):
            continue
        codes = sorted({e.code for e in result.repair.edits})
        chosen.append((t.id, peer.CorpusTune(t.file, t.index, book.tunes[-1], ""), codes))
    if not chosen:
        return {}
    by_j: dict[str, bool] = {}
    if abcjs_peer.available():
        by_j = {c.id: c.equal for c in abcjs_peer.compare_corpus([ct for _, ct, _ in chosen])}
    out: dict[str, list[str]] = {}
    with tempfile.TemporaryDirectory() as workdir:
        for tune_id, ct, codes in chosen:
            if by_j.get(tune_id) or (
                    peer.ABC2MIDI is not None and peer.compare(ct, workdir).equal):
                out[tune_id] = codes
    return out


def shares(
    verdicts: Sequence[Verdict], fault: Collection[str] = (), fixed: Collection[str] = ()
) -> list[tuple[str, int, int, int, int, int, int]]:
    """Per collection, then "all": (name, tunes, equal to abc2midi, to abcjs, to either,
    to either or explained by a player's documented faults (the ids in ``fault``), and
    that or equal to one once its safe fixes are made (the ids in ``fixed``))."""
    names = list(dict.fromkeys(peer.collection(v.id) for v in verdicts))
    rows = []
    for name in [*names, "all"]:
        vs = [v for v in verdicts if name == "all" or peer.collection(v.id) == name]
        rows.append(
            (
                name,
                len(vs),
                sum(bool(v.abc2midi) for v in vs),
                sum(bool(v.abcjs) for v in vs),
                sum(v.either for v in vs),
                sum(v.either or v.id in fault for v in vs),
                sum(v.either or v.id in fault or v.id in fixed for v in vs),
            )
        )
    return rows


def report(verdicts: Sequence[Verdict], everything: bool = False,
           agreeing: Sequence[str] = (), fault: Mapping[str, list[str]] | None = None,
           fixed: Mapping[str, list[str]] | None = None) -> str:
    """The table of shares, the kinds of the differences from abcjs, then each tune equal
    to neither player (with both players' kinds, and first those that ``fault`` and
    ``fixed`` explain); with ``everything`` every tune that differs from either player."""
    jkinds, akinds = listed_kinds(), abc2midi_kinds()
    fault = fault or {}
    fixed = fixed or {}
    lines = [f"{'collection':>15} {'tunes':>6} {'=abc2midi':>15} {'=abcjs':>15} {'=either':>15}"
             f" {'=either|fault':>15} {'|fix':>15}"]
    for name, n, a, j, e, f, x in shares(verdicts, fault, fixed):
        def pct(k: int, n: int = n) -> str:
            return f"{k} {100 * k / max(1, n):6.2f}%"

        lines.append(f"{name:>15} {n:>6} {pct(a):>15} {pct(j):>15} {pct(e):>15} {pct(f):>15}"
                     f" {pct(x):>15}")
    lines.append("=either|fault: equal to either player, or to one of them once its documented"
                 " faults in the tune are written around, our notes checked unchanged")
    lines.append("|fix: that, or equal to one of them once the tune's safe fixes (abc-lint"
                 " --fix) are made, our notes checked unchanged (fixed_to_agree)")
    kinds = Counter(
        k for v in verdicts if v.abcjs is False for k in jkinds.get(v.id, "unlisted").split("+")
    )
    lines.append("differences from abcjs by kind (a tune may count under several):")
    lines.extend(f"{n:>6}  {kind}" for kind, n in kinds.most_common())
    neither = Counter(
        k for v in verdicts if v.abcjs is False and v.abc2midi is False
        for k in jkinds.get(v.id, "unlisted").split("+")
    )
    lines.append("tunes equal to neither player, by abcjs kind:")
    lines.extend(f"{n:>6}  {kind}" for kind, n in neither.most_common())
    lines.append("equal to neither player, equal to one once its documented faults are"
                 " written around:")
    lines.extend(f"  {tune_id}  {'+'.join(kinds)}" for tune_id, kinds in fault.items())
    lines.append("equal to neither player, equal to one once its safe fixes are made:")
    lines.extend(f"  {tune_id}  fixed {','.join(codes)}" for tune_id, codes in fixed.items())
    lines.append("equal to neither player, not explained so:")
    for v in verdicts:
        if (v.either or v.id in fault or v.id in fixed
                or (v.abc2midi is None and v.abcjs is None)):
            continue
        lines.append(
            f"  {v.id}  abcjs kind: {jkinds.get(v.id, 'unlisted')}; "
            f"abc2midi kind: {akinds.get(v.id, '-')}\n    abcjs: {v.abcjs_detail}\n"
            f"    abc2midi: {v.abc2midi_detail}"
        )
    lines.append(f"equal to neither player while the two players agree with each other:"
                 f" {len(agreeing)}")
    lines.extend(f"  {tune_id}" for tune_id in agreeing)
    if everything:
        lines.append("differing from one player only:")
        for v in verdicts:
            if v.either and not (v.abc2midi and v.abcjs):
                who = "abcjs" if v.abc2midi else "abc2midi"
                detail = v.abcjs_detail if v.abc2midi else v.abc2midi_detail
                kind = jkinds.get(v.id, "unlisted") if v.abc2midi else akinds.get(v.id, "-")
                lines.append(f"  {v.id} [{who}: {kind}] {detail}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", nargs="*", default=(), help="tune ids such as irish.abc#12")
    ap.add_argument("--all", action="store_true", help="list tunes differing from one player too")
    ap.add_argument("--files", nargs="+", type=Path, default=(), metavar="PATH",
                    help="measure these files and folders (*.abc) instead of the corpus")
    ap.add_argument("--json", type=Path, help="also write every verdict to this JSON file")
    args = ap.parse_args(argv)
    missing = [str(p) for p in args.files if not p.exists()]
    if missing:
        print(f"no such file or folder: {', '.join(missing)}", file=sys.stderr)
        return 2
    if peer.ABC2MIDI is None and not abcjs_peer.available():
        print("neither abc2midi nor node with abcjs is installed", file=sys.stderr)
        return 2
    tunes = all_tunes(args.only, args.files)
    verdicts = judge(tunes)
    fault = explained(tunes, verdicts)
    print(report(verdicts, args.all, players_agree(tunes, verdicts), fault,
                 fixed_to_agree(tunes, verdicts, fault)))
    if args.json:
        args.json.write_text(
            json.dumps([v.__dict__ for v in verdicts], indent=1, ensure_ascii=False) + "\n",
            encoding="utf-8",
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
