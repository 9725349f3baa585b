"""What ``abc-lint --fix`` and ``--fix --unsafe-fixes`` do to real tunebooks (issue 13).

    python benchmarks/fix_corpus.py [--no-abc2midi] [--no-abcjs] [--no-cli] [--json OUT]
                                    [--only TEXT] [--files PATH ...]

On every tune of ``../shared/corpus`` (Nottingham, ``ABC_original`` and ``ABC_cleaned``,
and the Debian examples of abcm2ps and abcmidi) and of ``corpus/irish.abc``, measures:

- ``--fix`` (safe fixes, ``abcparse.format.repair.fix_text`` as the command calls it):
  the share of tunes whose notes abc2midi plays are the same before and after (it must be
  100%), each one that differs with what our music engine says about it, the findings
  before and after (they must go down), every safe fix the engine withdrew;
- ``--fix --unsafe-fixes``, read as the files declare (the default) and with ``--strict``:
  the share of tunes that end strictly valid (no error from ``abc-lint --strict`` inside
  the tune), and whether every tune whose music changed (for our engine or for abc2midi)
  is among those the command names;
- for both, what the fixes removed: ``P:`` fields, ties, words of free text and comments,
  notes (engine events), and rests added (issue 13, item 3: "P: lines, ties and free text
  are never dropped by a fix");
- with the command itself (``abc-lint --fix`` in a subprocess, on a copy of each folder),
  that it writes what ``fix_text`` gives and lists every fix and every withdrawn fix.

- abcjs 6.7.2 (where Node and ``node_modules/abcjs`` are there) before and after each
  safe fix the engine hears as no change: a fix that moves abcjs away from the engine's
  reading is listed (see :func:`compare_abcjs`);
- ``--files`` measures other collections (files or folders of ``.abc``) instead.

abc2midi's notes are read as ``tests/playback/peer.py`` reads them (the file header plus
the one tune, grace notes off, a 2-tick tolerance). A tune that only our engine or only
abc2midi hears differently is printed with both readings. No timing: run it with
``nice``; the whole corpus takes a few minutes.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("ABCPARSE_SHARED_CORPUS", ROOT.parent / "shared" / "corpus"))
_WORD_RE = re.compile(r"\w+")


def corpus_files() -> list[tuple[str, Path]]:
    """(label, path) of every file measured, in a fixed order."""
    files: list[tuple[str, Path]] = [("irish.abc", ROOT / "corpus" / "irish.abc")]
    for folder in ("ABC_original", "ABC_cleaned"):
        files += [(f"{folder}/{p.name}", p)
                  for p in sorted((SHARED / "nottingham" / folder).glob("*.abc"))]
    files += [(f"debian-examples/{p.parent.name}/{p.name}", p)
              for p in sorted((SHARED / "debian-examples").glob("*/*.abc"))]
    return [(label, p) for label, p in files if p.is_file()]


def given_files(paths: list[str]) -> list[tuple[str, Path]]:
    """(label, path) of the .abc files given on the command line, folders searched
    recursively, labelled by their path below the folder given."""
    files: list[tuple[str, Path]] = []
    for given in map(Path, paths):
        if given.is_dir():
            files += [(f"{given.name}/{p.relative_to(given)}", p)
                      for p in sorted(given.rglob("*.abc")) if p.is_file()]
        elif given.is_file():
            files.append((given.name, given))
    return files


def collection(label: str) -> str:
    return label.split("/")[0] if "/" in label else label


# ---------------------------------------------------------------------------------------
# What a fix may not drop (issue 13, item 3)


def _walk(elements: Iterable[Any]) -> Iterator[Any]:
    for e in elements:
        yield e
        items = getattr(e, "items", None)
        if isinstance(items, tuple):
            yield from _walk(items)


def kept_things(tune: Any) -> Counter[str]:
    """Counts of what a fix must keep or may only add to, in one tune."""
    from abcparse.model import Comment, Field, Note, Rest, SlurStart, Tie

    c: Counter[str] = Counter()
    for f in tune.fields:
        if isinstance(f, Field) and f.letter == "P":
            c["P: lines (fields, or commented out with their text)"] += 1
    for com in tune.comments:
        if isinstance(com, Comment) and com.text.lstrip("%").startswith("P:"):
            c["P: lines (fields, or commented out with their text)"] += 1
    for v in tune.voices:
        for bar in v.bars:
            for e in _walk(bar.elements):
                if isinstance(e, Tie):
                    c["ties"] += 1
                elif isinstance(e, SlurStart):
                    c["slurs"] += 1
                elif isinstance(e, Note):
                    c["written notes"] += 1
                elif isinstance(e, Rest):
                    c["rests"] += 1
    for com in tune.comments:
        if isinstance(com, Comment):
            c["comment words"] += len(_WORD_RE.findall(com.text))
    return c


def free_text_words(book: Any) -> int:
    return sum(len(_WORD_RE.findall(ft.text)) for ft in book.free_text)


# ---------------------------------------------------------------------------------------
# The measurement


@dataclass
class Tally:
    """What one way of fixing did to the corpus."""

    name: str
    tunes: int = 0
    changed: int = 0  # tunes whose text changed
    findings_before: int = 0
    findings_after: int = 0
    fixes: int = 0
    withdrawn: list[str] = field(default_factory=list)
    abc2midi_compared: int = 0
    abc2midi_equal: int = 0
    abc2midi_differ: list[str] = field(default_factory=list)
    engine_differ: list[str] = field(default_factory=list)
    reported_music: set[str] = field(default_factory=set)
    unreported: list[str] = field(default_factory=list)
    valid_as_read: int = 0  # no error in the mode the fix ran in
    strict_valid: int = 0
    strict_invalid: list[str] = field(default_factory=list)
    file_errors: int = 0
    dropped: Counter[str] = field(default_factory=Counter)  # summed over tunes that lost
    added: Counter[str] = field(default_factory=Counter)
    dropped_tunes: Counter[str] = field(default_factory=Counter)  # tunes that lost some
    by_collection: dict[str, Counter[str]] = field(default_factory=dict)
    kinds: Counter[str] = field(default_factory=Counter)  # abc2midi differences, by kind
    # abcjs, run once over every changed tune at the end (one Node process): per tune the
    # id, the texts abcjs reads before and after, and our engine's notes.
    abcjs_pending: list[tuple[str, str, str, Any]] = field(default_factory=list)
    abcjs_compared: int = 0
    abcjs_differ: list[str] = field(default_factory=list)
    abcjs_kinds: Counter[str] = field(default_factory=Counter)

    def summary(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "tunes": self.tunes,
            "tunes changed": self.changed,
            "findings before": self.findings_before,
            "findings after": self.findings_after,
            "fixes applied": self.fixes,
            "fixes withdrawn": len(self.withdrawn),
            "abc2midi compared (tunes whose text changed)": self.abc2midi_compared,
            "abc2midi equal, all tunes": f"{self.tunes - len(self.abc2midi_differ)}"
                                          f"/{self.tunes}",
            "abc2midi differ": len(self.abc2midi_differ),
            "engine differ": len(self.engine_differ),
            "music changes reported": len(self.reported_music),
            "music changes not reported": len(self.unreported),
            "no error as read (the fix's mode)": f"{self.valid_as_read}/{self.tunes}"
                f" ({100 * self.valid_as_read / max(1, self.tunes):.2f}%)",
            "strictly valid": f"{self.strict_valid}/{self.tunes}"
                              f" ({100 * self.strict_valid / max(1, self.tunes):.2f}%)",
            "errors outside any tune": self.file_errors,
            "dropped (count, tunes)": {k: (v, self.dropped_tunes[k])
                                       for k, v in sorted(self.dropped.items())},
            "added": dict(sorted(self.added.items())),
            "by collection": {k: dict(v) for k, v in self.by_collection.items()},
            "abc2midi differences where our engine hears none, by kind": dict(self.kinds),
        }
        if self.abcjs_compared:
            out["abcjs compared (tunes whose text changed)"] = self.abcjs_compared
            out["abcjs differ"] = len(self.abcjs_differ)
            out["abcjs differences where our engine hears none, by kind"] = dict(
                self.abcjs_kinds)
        return out


def _strict_errors(text: str) -> tuple[list[tuple[int, int]], list[Any], int]:
    """Tune spans of ``text`` read strictly, the errors strict checking finds, and how
    many of them lie outside every tune."""
    import abcparse
    from abcparse.diagnostics import Severity

    book = abcparse.parse(text, mode="strict")
    errors = [d for d in abcparse.check(book, mode="strict") if d.severity is Severity.ERROR]
    spans = [(t.span.start, t.span.end) for t in book.tunes]
    outside = sum(1 for d in errors if not any(a <= d.span.start < max(b, a + 1)
                                               for a, b in spans))
    return spans, errors, outside


class Player:
    """abc2midi's notes of one tune (tests/playback/peer.py), in a scratch folder."""

    def __init__(self, enabled: bool, abcjs: bool = False) -> None:
        self.enabled = enabled
        self.abcjs = abcjs  # also queue every changed tune for abcjs (see compare_abcjs)
        self.dir = tempfile.mkdtemp(prefix="fix-corpus-")

    def notes(self, header: str, tune_text: str) -> list[tuple[int, int, int]]:
        from tests.playback.peer import abc2midi_notes, peer_input

        return abc2midi_notes(peer_input(header, tune_text), self.dir)

    def close(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)


def measure_file(label: str, text: str, tally: Tally, *, unsafe: bool, target: str,
                 player: Player) -> None:
    """Fix ``text`` one way and add what happened to ``tally``."""
    import abcparse
    from abcparse.diagnostics import Severity
    from abcparse.format.repair import fix_text
    from tests.playback.peer import normalize_peer, our_notes, same

    result = fix_text(text, target=target, unsafe=unsafe)
    repair = result.repair
    coll = tally.by_collection.setdefault(collection(label), Counter())
    mode = "auto" if target == "auto" else target
    before = abcparse.check(text, mode=mode)
    tally.findings_before += len(before)
    after = abcparse.check(result.text, mode=mode)
    tally.findings_after += len(after)
    errors_as_read = [d for d in after if d.severity is Severity.ERROR]
    tally.fixes += len(repair.edits)
    for line, col, w in repair.withdrawn():
        tally.withdrawn.append(f"{label}:{line}:{col}: {w.code}: {w.reason}")
    reported = {line for line, _ in repair.music_changes(target)} if unsafe else set()
    old_book = abcparse.parse(text, mode=mode)
    new_book = abcparse.parse(result.text, mode=mode)
    old_tunes, new_tunes = old_book.tunes, new_book.tunes
    lost_free = free_text_words(old_book) - free_text_words(new_book)
    if lost_free > 0:
        tally.dropped["free text words"] += lost_free
        tally.dropped_tunes["free text words"] += 1
    spans, errors, outside = _strict_errors(result.text)
    tally.file_errors += outside
    bad_spans = {i for i, (a, b) in enumerate(spans)
                 for d in errors if a <= d.span.start < max(b, a + 1)}
    for i, old in enumerate(old_tunes):
        tid = f"{label}#{i + 1} (line {old.span.line}, X:{old.reference} {old.title or ''})"
        tally.tunes += 1
        coll["tunes"] += 1
        new = new_tunes[i] if i < len(new_tunes) else None
        if new is not None and not any(
                new.span.start <= d.span.start < max(new.span.end, new.span.start + 1)
                for d in errors_as_read):
            tally.valid_as_read += 1
        valid = i < len(spans) and i not in bad_spans and len(spans) == len(old_tunes)
        if valid:
            tally.strict_valid += 1
            coll["strictly valid"] += 1
        else:
            tally.strict_invalid.append(tid)
        if unsafe and old.span.line in reported:
            tally.reported_music.add(tid)
        if new is not None and new.text == old.text:
            coll["abc2midi equal"] += 1
            continue
        tally.changed += 1
        coll["changed"] += 1
        if new is None:
            tally.engine_differ.append(f"{tid}: the tune is gone")
            continue
        k_old, k_new = kept_things(old), kept_things(new)
        # A tie between different pitches is rewritten as the slur it stands for (ABC321,
        # §4.11): the mark is kept, counted apart from ties dropped. A slur that nothing
        # closes may be deleted in the same tune (ABC310), which hides that many slurs
        # gained.
        unclosed = sum(1 for d in before if d.code == "ABC310"
                       and old.span.start <= d.span.start < old.span.end)
        unclosed -= sum(1 for d in after if d.code == "ABC310"
                        and new.span.start <= d.span.start < new.span.end)
        as_slurs = min(k_old["ties"] - k_new["ties"],
                       k_new["slurs"] - k_old["slurs"] + max(unclosed, 0))
        if as_slurs > 0:
            for counts in (k_old, k_new):
                counts["ties written as slurs"] = 0
            k_old["ties"] -= as_slurs
            k_new["slurs"] -= as_slurs
            tally.added["ties written as slurs"] += as_slurs
        for key in k_old.keys() | k_new.keys():
            d = k_old[key] - k_new[key]
            if d > 0:
                tally.dropped[key] += d
                tally.dropped_tunes[key] += 1
            elif d < 0:
                tally.added[key] -= d
        ours_old, orn_old = our_notes(old)
        ours_new, orn_new = our_notes(new)
        engine_same = same(ours_old, ours_new) is None
        if not engine_same:
            tally.engine_differ.append(tid)
        midi_same = True
        detail = ""
        if player.enabled:
            tally.abc2midi_compared += 1
            # abc2midi's rolls and trills folded back into their notes, as peer.py does.
            a = normalize_peer(player.notes(old_book.header.text, old.text), orn_old)
            b = normalize_peer(player.notes(new_book.header.text, new.text), orn_new)
            at = same(a, b)
            midi_same = at is None
            if not midi_same:
                detail = (f"abc2midi: {len(a)} notes -> {len(b)}, first difference at note"
                          f" {at}; our engine: {'same' if engine_same else 'different'}")
                if engine_same:
                    codes = sorted({e.code for line, _, e in repair.changes()
                                    if old.span.line <= line <= old.span.end_line})
                    kind = classify(tid.split(" ")[0], codes, old, a, b)
                    tally.kinds[kind] += 1
                    detail += f"; fixes {','.join(codes)}; {kind}"
                tally.abc2midi_differ.append(f"{tid}: {detail}")
        if midi_same:
            coll["abc2midi equal"] += 1
        if player.abcjs and engine_same:
            from tests.playback.abcjs_peer import abcjs_input
            from tests.playback.abcjs_peer import our_notes as abcjs_ours

            fixed_by = sorted({e.code for line, _, e in repair.changes()
                               if old.span.line <= line <= old.span.end_line})
            tally.abcjs_pending.append((f"{tid} [fixes {','.join(fixed_by)}]",
                                        abcjs_input(old_book.header.text, old.text),
                                        abcjs_input(new_book.header.text, new.text),
                                        abcjs_ours(old)[0]))
        if unsafe and (not engine_same or not midi_same) and old.span.line not in reported:
            tally.unreported.append(f"{tid}: {detail or 'our engine hears a change'}")


# The fixes whose edits remove a known player difference (the kinds of
# tests/fixtures/abc2midi_playback_differences.json, and the faults found in other
# collections that docs/playback.md lists): the engine reads the tune the same before and
# after, abc2midi reads the fixed text as the engine does.
KIND_BY_FIX = {
    # docs/playback.md: abc2midi plays a section that a |: opens and nothing closes twice
    # when another |: follows (§4.8); the fix deletes the unclosed |:.
    "ABC305": "unclosed-start-repeat",
    "ABC103": "bang-line-break",
    "ABC105": "plus-chord",
    "ABC302": "repeat-end-without-start",
    "ABC323": "tie-apart-from-its-note",
    "ABC209": "empty-line-after-header",
    "ABC306": "endings-without-repeat-sign",
    # docs/playback.md: a second ending running on into a B part's endings; abc2midi
    # never plays the B part's first ending (§4.10). The fix writes the B part's |:.
    "ABC308": "ending-runs-into-section",
    # docs/playback.md: both players start the next bar's overlay where a short one
    # ends (§7.4); the fix pads the short overlay with an invisible rest.
    "ABC309": "overlay-duration",
    # docs/playback.md: abc2midi ignores repeat dots beside a thick bar (`|]:`); the safe
    # fix writes `|]|:`, which all three players read as a repeat.
    "ABC113": "thick-bar-repeat-dots",
    # docs/playback.md: abc2midi drops a broken rhythm next to a staccato dot or after a
    # fermata (`B.>G`); the fix moves the mark after the sign (`B>.G`, §4.4, §4.14).
    "ABC326": "abc2midi-broken-rhythm-by-a-mark",
    # §3.1.1: a tune begins with its X: line; abc2midi plays nothing of a tune without
    # one (a file of bare music). The fix writes the X: line.
    "ABC201": "tune-without-x",
    "ABC101": "unreadable-input",
    "ABC311": "unreadable-input",
    "ABC312": "unreadable-input",
    "ABC330": "unreadable-input",
    "ABC332": "unreadable-input",
}


def _known_differences() -> dict[str, str]:
    path = ROOT / "tests" / "fixtures" / "abc2midi_playback_differences.json"
    try:
        return dict(json.loads(path.read_text(encoding="utf-8"))["tunes"])
    except (OSError, ValueError, KeyError):
        return {}


def classify(tune_id: str, codes: list[str], tune: Any, before: list[tuple[int, int, int]],
             after: list[tuple[int, int, int]]) -> str:
    """Why abc2midi hears a fixed tune differently while our engine does not: "fix
    brings abc2midi to our reading (KIND)" when abc2midi's notes after the fix are the
    engine's and before it were not (the fix removed a known player difference, named by
    the fixer), "... closer to our reading" when abc2midi's first departure from the
    engine comes later after the fix (it removed one, another remains that abc2midi had
    before too), "known difference (KIND)" for a tune the fixture already lists, "... at
    the same note" when abc2midi's first departure from the engine is where it was (what
    the fix changed lies beyond a difference of abc2midi's own), else "unclassified" (a
    finding: a fixer or its declaration to mend)."""
    from tests.playback.peer import departure_verdict, our_notes, same

    ours, _ = our_notes(tune)
    was, now = before, after  # normalized already
    kinds = ", ".join(sorted({KIND_BY_FIX[c] for c in codes if c in KIND_BY_FIX}))
    was_at, now_at = same(ours, was), same(ours, now)
    verdict = departure_verdict(was_at, now_at)
    if kinds and verdict == "to":
        return f"fix brings abc2midi to our reading ({kinds})"
    if kinds and verdict == "closer":
        return (f"fix brings abc2midi closer to our reading ({kinds}): its first"
                f" departure from it moves from note {was_at} to {now_at}")
    known = _known_differences().get(tune_id)
    if known is not None:
        return f"known difference ({known})"
    if verdict == "same":
        return "abc2midi departs from our reading at the same note before and after"
    return "unclassified"


def compare_abcjs(tally: Tally) -> None:
    """abcjs before and after the fix, for every changed tune our engine hears the same:
    a difference is "fix brings abcjs to our reading" when abcjs played the engine's
    notes after the fix and not before, "... closer" when its first departure from them
    comes later, "... at the same note" when it comes at the same note (the change lies
    beyond a departure of abcjs's own), and "fix moves abcjs away from our reading"
    otherwise (abcjs heard the tune as the engine does before the fix, or the fix moved
    its first departure earlier): the case a safe fix must not make."""
    from tests.playback.abcjs_peer import first_difference, run_abcjs, their_notes
    from tests.playback.peer import departure_verdict

    pending, tally.abcjs_pending = tally.abcjs_pending, []
    if not pending:
        return
    texts = [t for _, old, new, _ in pending for t in (old, new)]
    played = run_abcjs(texts)
    for k, (tid, _, _, ours) in enumerate(pending):
        was_played, now_played = played[2 * k], played[2 * k + 1]
        tally.abcjs_compared += 1
        if was_played.error or now_played.error:
            when = ("before and after the fix" if was_played.error and now_played.error
                    else "before the fix only" if was_played.error else "after the fix only")
            tally.abcjs_differ.append(f"{tid}: abcjs failed {when}: "
                                      f"{(was_played.error or now_played.error)[:200]}")
            tally.abcjs_kinds[f"abcjs failed {when}"] += 1
            continue
        was, now = their_notes(was_played)[0], their_notes(now_played)[0]
        at = first_difference(was, now)
        if at is None:
            continue
        verdict = departure_verdict(first_difference(ours, was), first_difference(ours, now))
        kind = {
            "to": "fix brings abcjs to our reading",
            "closer": "fix brings abcjs closer to our reading",
            "same": "abcjs departs from our reading at the same note before and after",
            "away": "fix moves abcjs away from our reading",
        }[verdict]
        tally.abcjs_kinds[kind] += 1
        tally.abcjs_differ.append(f"{tid}: abcjs: {len(was)} notes -> {len(now)}, first"
                                  f" difference at note {at}; {kind}")


def run_cli(files: list[tuple[str, Path]], args: list[str], expect: dict[str, str]
            ) -> dict[str, Any]:
    """``abc-lint --no-config ARGS`` on a copy of the files, as a user runs it: whether it
    wrote what ``fix_text`` gives (``expect``: label -> text) and how many fixes and
    withdrawn fixes it listed."""
    from abcparse.format import read_source

    out: dict[str, Any] = {"args": args, "files": len(files), "same text": 0,
                           "fixed lines": 0, "withdrawn lines": 0, "music lines": 0,
                           "exit": None}
    with tempfile.TemporaryDirectory(prefix="fix-corpus-cli-") as d:
        copies: dict[str, Path] = {}
        for label, path in files:
            dest = Path(d) / label
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, dest)
            copies[label] = dest
        env = dict(os.environ, PYTHONIOENCODING="utf-8")
        run = subprocess.run(
            [sys.executable, "-m", "abcparse.cli.lint", "--no-config", *args,
             *(str(p) for p in copies.values())],
            capture_output=True, text=True, encoding="utf-8", env=env, check=False)
        out["exit"] = run.returncode
        out["traceback"] = "Traceback" in run.stderr
        for line in run.stderr.splitlines():
            if ": fixed ABC" in line:
                out["fixed lines"] += 1
            elif ": not fixed ABC" in line and "withdrawn" in line:
                out["withdrawn lines"] += 1
            elif "changed the music of this tune" in line:
                out["music lines"] += 1
        for label, dest in copies.items():
            out["same text"] += read_source(dest).text == expect[label]
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--no-abc2midi", action="store_true", help="skip abc2midi")
    ap.add_argument("--no-abcjs", action="store_true", help="skip abcjs")
    ap.add_argument("--files", nargs="+", metavar="PATH",
                    help="measure these .abc files or folders instead of the corpora")
    ap.add_argument("--no-cli", action="store_true", help="skip the abc-lint subprocess runs")
    ap.add_argument("--json", metavar="OUT", help="write every number and list as JSON")
    ap.add_argument("--only", metavar="TEXT", help="only files whose label contains TEXT")
    ap.add_argument("--quiet", action="store_true", help="summaries only, no tune lists")
    ap.add_argument("--ways", default="fix,unsafe,strict",
                    help="which runs: fix (--fix), unsafe (--fix --unsafe-fixes), strict"
                    " (--strict --fix --unsafe-fixes); comma-separated, default all")
    args = ap.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from abcparse.format import read_source
    from abcparse.format.repair import fix_text
    from tests.playback.abcjs_peer import available as abcjs_available

    chosen_files = given_files(args.files) if args.files else corpus_files()
    files = [(label, p) for label, p in chosen_files if not args.only or args.only in label]
    player = Player(not args.no_abc2midi and shutil.which("abc2midi") is not None,
                    not args.no_abcjs and abcjs_available())
    chosen = set(args.ways.split(","))
    ways = [w for key, w in (
        ("fix", ("--fix", False, "auto")),
        ("unsafe", ("--fix --unsafe-fixes", True, "auto")),
        ("strict", ("--strict --fix --unsafe-fixes", True, "strict")),
    ) if key in chosen]
    tallies = {name: Tally(name) for name, _, _ in ways}
    texts = {label: read_source(p).text for label, p in files}
    try:
        for label, _ in files:
            for name, unsafe, target in ways:
                measure_file(label, texts[label], tallies[name], unsafe=unsafe,
                             target=target, player=player)
    finally:
        player.close()
    for tally in tallies.values():
        compare_abcjs(tally)
    report: dict[str, Any] = {"files": [label for label, _ in files],
                              "abc2midi": player.enabled, "abcjs": player.abcjs}
    for name, tally in tallies.items():
        report[name] = tally.summary()
        report[name]["lists"] = {
            "withdrawn": tally.withdrawn,
            "abc2midi differ": tally.abc2midi_differ,
            "abcjs differ": tally.abcjs_differ,
            "engine differ": tally.engine_differ,
            "unreported music changes": tally.unreported,
            "not strictly valid": tally.strict_invalid,
        }
    if not args.no_cli:
        for name, unsafe, target in ways:
            expect = {label: fix_text(texts[label], target=target, unsafe=unsafe).text
                      for label, _ in files}
            report[name]["command"] = run_cli(files, name.split(), expect)
    for name in tallies:
        print(f"\n== abc-lint {name} ==")
        for key, value in report[name].items():
            if key == "lists":
                continue
            print(f"  {key}: {value}")
        if not args.quiet:
            for key, items in report[name]["lists"].items():
                if key == "not strictly valid" and name == "--fix":
                    continue
                for item in items:
                    print(f"  [{key}] {item}")
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1, default=sorted),
                                   encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
