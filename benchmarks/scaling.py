"""Scaling: time and peak memory of parse, check, format, events and MIDI export on hostile
shapes, each input doubled four times (issue 15, item 4).

    python benchmarks/scaling.py [--quick] [--shape NAME ...] [--op NAME ...]
                                 [--base KB] [--no-10mb] [--repeat 3]

The shapes (``--shape``; each a generator of ABC text of about N bytes):

- ``line``: one tune whose music is one huge line (bars of real music, no line break);
- ``tunes``: many tiny tunes (``X:n``, ``K:``, one bar), one after another;
- ``quote``: lines that each open an annotation or chord symbol (``"abc ...``) and never
  close it; ``quote_line``: one such open quote, then one huge line of notes;
- ``deco``: lines that each open a decoration (``!trill abc ...``) without its closing
  ``!``; ``deco_line``: one such, then one huge line;
- ``tuplet``: ``(3abc`` repeated on one line; ``tie``: ``a-a-a-...``;
- ``broken``: ``a>b>c>...``; ``broken_run``: one run ``a>>>>...>b`` of N ``>``;
- ``chord``: one huge chord ``[CEGcegc'e'g'...]`` of about N/2 notes;
- ``open_chord``: ``[A`` repeated (chords that never close); ``open_grace``: ``{A``
  repeated (grace groups that never close);
- ``stray_close``: ``A]B}`` repeated (a ``]`` and a ``}`` that close nothing);
- ``microtone``: ``_/e^3/4c`` repeated (abcm2ps microtonal accidentals);
- ``quote_pairs``: ``"C"A`` repeated, then one quote left open;
- ``endings``: ``|:A|[1 B|[2 c`` repeated (endings without a repeat sign);
- ``continued``: a ``T:`` field continued by ``+:`` lines (§3.3);
  ``continued_lyrics``: a ``w:`` line continued the same way.

The last four are findings that ``--fix`` repairs, one per few characters: each fixer
must find what a finding points at without rescanning the line or the tune.

The operations (``--op``): ``parse`` (:func:`abcparse.parse`), ``check``
(:func:`abcparse.check`, the linter's default rules), ``format`` (:func:`abcparse.format_str`
with its safety checks; an :class:`~abcparse.format.UnsafeFormattingError` counts as done),
``events`` (:func:`abcparse.events.perform` of the first tune), ``midi``
(:func:`abcparse.midi.midi_bytes` of the first tune) and ``fix``
(:func:`abcparse.format.repair.fix_text` with unsafe fixes, what ``abc-lint --fix
--unsafe-fixes`` does to a file). For ``events`` and ``midi`` the tune is
parsed first and only the operation is timed; their peak includes the parse. An
:class:`~abcparse.errors.AbcLimitError` (a documented refusal, e.g. a tune too long for a
MIDI file) counts as done and is marked ``limit``.

Each size of each case runs in a fresh Python process (``--worker``), which builds its
input, warms up (imports, the parser built, the operation run on a tiny tune), then runs
the operation once to read the peak: ``ru_maxrss`` after it, less ``ru_maxrss`` before it
(the input text is already resident), per input byte. Time is CPU seconds of that process
(less disturbed by other jobs than elapsed time), the best of ``--repeat`` runs (fewer
once they add up to 2 s).

Sizes: ``--base`` KB (64 by default, 16 with ``--quick``), doubled 4 times (5 sizes, 16x).
The table gives, per shape and operation, the seconds at each size, the largest time ratio
between two consecutive sizes, and the bytes of peak memory per input byte at the largest
size. Then (unless ``--no-10mb``) ``parse`` of a 10 MB single-line tune (shape ``line``).

The bars (issue 15's must-show): every ratio <= 2.3 per doubling; ``parse`` <= 100 bytes
of peak memory per input byte, on inputs up to 10 MB. Nothing here asserts: it reports,
with PASS or FAIL beside each bar.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

RATIO_BAR = 2.3
PARSE_BYTES_BAR = 100.0
HEADER = "X:1\nT:scaling\nM:4/4\nL:1/8\nK:D\n"


def _repeat(unit: str, size: int, prefix: str = HEADER, suffix: str = "\n") -> str:
    room = max(size - len(prefix) - len(suffix), len(unit))
    return prefix + unit * (room // len(unit)) + suffix


def shape_line(size: int) -> str:
    return _repeat("|:GABc dedB|dedB dedB|c2ec B2dB|c2A2 A2BA:|", size)


def shape_tunes(size: int) -> str:
    out: list[str] = []
    n = total = 0
    while total < size:
        n += 1
        tune = f"X:{n}\nK:G\nGABc|\n\n"
        out.append(tune)
        total += len(tune)
    return "".join(out)


def shape_quote(size: int) -> str:
    return _repeat('ab"open annotation cde fga\n', size, suffix="")


def shape_quote_line(size: int) -> str:
    return _repeat("abc def ", size, prefix=HEADER + 'ab"')


def shape_deco(size: int) -> str:
    return _repeat("ab!trill cde fga|\n", size, suffix="")


def shape_deco_line(size: int) -> str:
    return _repeat("abc def ", size, prefix=HEADER + "ab!trill ")


def shape_tuplet(size: int) -> str:
    return _repeat("(3abc ", size)


def shape_tie(size: int) -> str:
    return _repeat("a-", size, suffix="a\n")


def shape_broken(size: int) -> str:
    return _repeat("a>b>c>d>", size, suffix="e\n")


def shape_broken_run(size: int) -> str:
    return _repeat(">", size, prefix=HEADER + "a", suffix="b\n")


def shape_chord(size: int) -> str:
    return _repeat("CEGcegc'e'g'", size, prefix=HEADER + "[", suffix="]\n")


def shape_open_chord(size: int) -> str:
    return _repeat("[A", size)


def shape_open_grace(size: int) -> str:
    return _repeat("{A", size)


def shape_stray_close(size: int) -> str:
    return _repeat("A]B}", size)


def shape_microtone(size: int) -> str:
    return _repeat("_/e^3/4c", size)


def shape_quote_pairs(size: int) -> str:
    return _repeat('"C"A', size, suffix='"Am abc\n')


def shape_endings(size: int) -> str:
    return _repeat("|:A|[1 B|[2 c", size)


def shape_continued(size: int) -> str:
    return _repeat("+:more words\n", size, prefix="X:1\nT:scaling\n", suffix="K:D\nabc\n")


def shape_continued_lyrics(size: int) -> str:
    return _repeat("+:la la la\n", size, prefix=HEADER + "abc def|\nw:la la\n", suffix="")


SHAPES: dict[str, Callable[[int], str]] = {
    name.removeprefix("shape_"): fn for name, fn in globals().items()
    if name.startswith("shape_") and callable(fn)
}
OPS = ("parse", "check", "format", "events", "midi", "fix")


def _operation(op: str) -> Callable[[str], object]:
    """The operation ``op`` on a text, prepared (imports done) so that timing it times the
    work only. For events/midi, parsing happens in :func:`_prepare`."""
    import abcparse
    from abcparse.errors import AbcLimitError
    from abcparse.format import UnsafeFormattingError

    def guarded(fn: Callable[[str], object]) -> Callable[[str], object]:
        def run(arg: str) -> object:
            try:
                return fn(arg)
            except AbcLimitError:
                return "limit"
            except UnsafeFormattingError:
                return "unsafe"
        return run

    if op == "parse":
        return guarded(abcparse.parse)
    if op == "check":
        return guarded(abcparse.check)
    if op == "format":
        return guarded(abcparse.format_str)
    if op == "fix":
        from abcparse.format.repair import fix_text

        return guarded(lambda text: fix_text(text, unsafe=True))
    raise ValueError(op)


def worker(shape: str, op: str, size: int, repeat: int) -> dict[str, object]:
    import gc
    import resource

    import abcparse
    from abcparse.errors import AbcLimitError
    from abcparse.events import perform
    from abcparse.midi import midi_bytes

    def kb() -> int:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    text = SHAPES[shape](size)
    tiny = SHAPES[shape](400)
    if op in ("events", "midi"):
        fn = perform if op == "events" else midi_bytes

        def call(t: object) -> object:
            try:
                return fn(t)  # type: ignore[arg-type]
            except AbcLimitError:
                return "limit"

        call(abcparse.parse(tiny).tunes[0])
        gc.collect()
        before = kb()
        arg: object = abcparse.parse(text).tunes[0]
    else:
        call = _operation(op)  # type: ignore[assignment]
        call(tiny)
        arg = text
        gc.collect()
        before = kb()
    times: list[float] = []
    result: object = None
    for i in range(repeat):
        start = time.process_time()
        result = call(arg)
        times.append(time.process_time() - start)
        if i == 0:
            peak = kb()
        if sum(times) > 2:  # long runs vary little; the repeats are for short ones
            break
    return {
        "shape": shape, "op": op, "bytes": len(text.encode()), "seconds": min(times),
        "peak_kb": peak - before, "note": result if result in ("limit", "unsafe") else "",
    }


@dataclass
class Point:
    size: int
    seconds: float
    peak_kb: float
    note: str
    failed: str = ""

    @property
    def per_byte(self) -> float:
        return self.peak_kb * 1024 / self.size


def run_case(shape: str, op: str, size: int, repeat: int) -> Point:
    argv = [sys.executable, __file__, "--worker", shape, op, str(size), "--repeat", str(repeat)]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=1800)
    if proc.returncode != 0:
        tail = (proc.stderr.strip().splitlines() or ["?"])[-1]
        return Point(size, float("nan"), float("nan"), "", failed=tail[:100])
    data = json.loads(proc.stdout.strip().splitlines()[-1])
    return Point(int(data["bytes"]), float(data["seconds"]), float(data["peak_kb"]),
                 str(data["note"]))


def _ratio(points: list[Point]) -> float:
    ratios = [b.seconds / a.seconds for a, b in itertools.pairwise(points) if a.seconds > 0]
    return max(ratios) if ratios else float("nan")


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="smaller sizes (16 KB base)")
    ap.add_argument("--shape", action="append", choices=sorted(SHAPES), help="repeatable")
    ap.add_argument("--op", action="append", choices=OPS, help="repeatable")
    ap.add_argument("--base", type=float, help="the smallest input in KB (default 64)")
    ap.add_argument("--repeat", type=int, default=3, help="timed runs per size (best kept)")
    ap.add_argument("--no-10mb", action="store_true", help="skip the 10 MB single-line parse")
    ap.add_argument("--worker", nargs=3, metavar=("SHAPE", "OP", "BYTES"),
                    help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        shape, op, size = args.worker
        print(json.dumps(worker(shape, op, int(size), args.repeat)))
        return 0
    base = int((args.base or (16 if args.quick else 64)) * 1024)
    sizes = [base * 2**i for i in range(5)]
    shapes = args.shape or list(SHAPES)
    ops = args.op or list(OPS)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"sizes: {', '.join(f'{s // 1024} KB' for s in sizes)}; CPU seconds, best of "
          f"{args.repeat}; {os.cpu_count()} CPUs, load {load:.1f}, Python "
          f"{sys.version.split()[0]}")
    head = (f"{'shape':<11} {'op':<7}" + "".join(f"{f'{s // 1024}K s':>9}" for s in sizes)
            + f" {'ratio':>6} {'B/byte':>7}  verdict")
    print(head)
    print("-" * len(head))
    failures: list[str] = []
    for shape in shapes:
        for op in ops:
            points = [run_case(shape, op, s, args.repeat) for s in sizes]
            broken = [p.failed for p in points if p.failed]
            ratio = _ratio(points)
            top = points[-1]
            verdict: list[str] = []
            ok = not broken and ratio <= RATIO_BAR
            if op == "parse":
                ok = ok and top.per_byte <= PARSE_BYTES_BAR
            verdict.append("PASS" if ok else "FAIL")
            notes = sorted({p.note for p in points if p.note})
            if notes:
                verdict.append(",".join(notes))
            if broken:
                verdict.append(f"error: {broken[0]}")
            if not ok:
                failures.append(f"{shape}/{op}")
            print(f"{shape:<11} {op:<7}" + "".join(f"{p.seconds:9.3f}" for p in points)
                  + f" {ratio:6.2f} {top.per_byte:7.0f}  {' '.join(verdict)}", flush=True)
    if not args.no_10mb and (args.shape is None or "line" in shapes) and "parse" in ops:
        ten = run_case("line", "parse", 10 * 1024 * 1024, 1)
        ok = not ten.failed and ten.per_byte <= PARSE_BYTES_BAR
        if not ok:
            failures.append("line/parse 10 MB")
        print(f"\nparse, one 10 MB line: {ten.seconds:.1f} s CPU, peak {ten.peak_kb / 1024:.0f} MB"
              f" above the start, {ten.per_byte:.0f} B/byte (bar <= {PARSE_BYTES_BAR:.0f})"
              f"  {'PASS' if ok else 'FAIL'} {ten.failed}")
    print(f"\nbars: time ratio <= {RATIO_BAR} per doubling (every row); parse peak <= "
          f"{PARSE_BYTES_BAR:.0f} B per input byte. "
          + ("all PASS" if not failures else f"FAIL: {', '.join(failures)}"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
