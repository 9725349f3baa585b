"""Scale: abc-lint and abcparse format on big tunebooks, time and peak memory (issue 16).

    python benchmarks/scale.py [--dir /tmp/abcparse-scale] [--mb 4.3] [--generated 100]
                               [--skip-format] [--jobs 2] [--joined] [--fix]

Builds (once, with benchmarks/bigbook.py's functions) a tunebook of every corpus tune,
renumbered and repeated to ``--mb`` megabytes (4.3 by default, the size of the
collection in issue 16), ten copies of it (43 MB), and with ``--generated`` a generated
tunebook of that many megabytes. Then runs, each as a fresh process the way a user runs
it, and reads that process's own peak resident memory (``os.wait4``'s rusage):

- ``abc-lint --exit-zero FILE`` (output to /dev/null) on the 1x and 10x books;
- ``abcparse format --check FILE`` on the same (unless ``--skip-format``);
- ``abc-lint --jobs N`` on the 1x book (with ``--jobs``);
- ``abc-lint`` on the generated book: peak memory and tunes/s;
- with ``--joined``, ``abc-lint`` and ``format --check`` on the 4.3 MB book written with
  no empty line between its tunes (as scraped and generated collections often are):
  the splitter must still hand out a tune at a time, so time and peak memory should be
  those of the book with empty lines;
- with ``--fix``, ``abc-lint --fix`` on a copy of the 4.3 MB book and on a copy of its
  first tenth: a file is repaired a unit at a time, so the peak should be the same for
  both and the time ten times (repaired whole, as files under 4 MB were before
  2026-12-06, a 3.8 MB book took 0.96 GB).

It prints seconds, peak MB, tunes/s, the 10x/1x ratios and issue 16's bars: for the
43 MB book, abc-lint peak RSS <= 250 MB and time <= 12x the 4.3 MB book's;
format --check peak RSS <= 300 MB. Nothing here asserts: it reports.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

import bigbook  # noqa: E402


@dataclass
class Run:
    seconds: float
    cpu: float  # user + system seconds of the process and its children
    peak_mb: float  # the process's own peak resident set
    status: int


def measure(argv: list[str]) -> Run:
    """Run ``argv`` as a child, output discarded; its wall time, CPU time and peak RSS."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    # ru_maxrss is the largest of the process and its waited-for children (the workers of
    # --jobs), in kilobytes on Linux.
    return Run(seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024,
               proc.returncode)


def lint(path: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "abcparse.cli.lint", "--no-config", "--exit-zero",
            *extra, str(path)]


def format_check(path: Path) -> list[str]:
    return [sys.executable, "-m", "abcparse.cli.main", "format", "--check", "-q", str(path)]


def tunes_in(path: Path) -> int:
    import abcparse

    return sum(1 for _ in abcparse.read_headers(path))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dir", type=Path, default=Path("/tmp/abcparse-scale"),
                    help="where the books are built (kept for the next run)")
    ap.add_argument("--mb", type=float, default=4.3, help="size of the 1x book")
    ap.add_argument("--generated", type=float, default=0.0, metavar="MB",
                    help="also stream a generated book of this many MB through abc-lint")
    ap.add_argument("--skip-format", action="store_true", help="do not run format --check")
    ap.add_argument("--jobs", type=int, default=0, help="also time abc-lint --jobs N on 1x")
    ap.add_argument("--joined", action="store_true",
                    help="also the 1x book with no empty line between its tunes")
    ap.add_argument("--fix", action="store_true",
                    help="also abc-lint --fix on copies of the 1x book and of its first tenth")
    args = ap.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    one, ten = args.dir / "book-1x.abc", args.dir / "book-10x.abc"
    if not one.exists() or abs(one.stat().st_size / 1e6 - args.mb) > 0.2:
        tunes = bigbook.corpus_tunes()
        bigbook.write_rounds(one, tunes, args.mb)
        bigbook.write_copies(ten, one, 10)
    n1, n10 = tunes_in(one), tunes_in(ten)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"books: {one} {one.stat().st_size / 1e6:.1f} MB, {n1:,} tunes;"
          f" {ten} {ten.stat().st_size / 1e6:.1f} MB, {n10:,} tunes")
    print(f"machine: {os.cpu_count()} CPUs, load average {load:.1f},"
          f" Python {sys.version.split()[0]}")
    rows: list[tuple[str, int, Run]] = []

    def row(name: str, tunes: int, run: Run) -> Run:
        rows.append((name, tunes, run))
        print(f"  {name:<34} {run.seconds:8.1f} s  cpu {run.cpu:8.1f} s"
              f"  peak {run.peak_mb:7.0f} MB  {tunes / run.seconds:8.0f} tunes/s"
              f"  exit {run.status}", flush=True)
        return run

    l1 = row("abc-lint 4.3 MB", n1, measure(lint(one)))
    l10 = row("abc-lint 43 MB", n10, measure(lint(ten)))
    if args.jobs > 1:
        row(f"abc-lint --jobs {args.jobs} 4.3 MB", n1, measure(lint(one, "--jobs",
                                                                    str(args.jobs))))
    f1 = f10 = None
    if not args.skip_format:
        f1 = row("format --check 4.3 MB", n1, measure(format_check(one)))
        f10 = row("format --check 43 MB", n10, measure(format_check(ten)))
    if args.joined:
        joined = args.dir / "book-1x-joined.abc"
        if not joined.exists() or joined.stat().st_mtime < one.stat().st_mtime:
            text = one.read_text(encoding="utf-8")
            joined.write_text(re.sub(r"\n[ \t]*\n(?=X:)", "\n", text), encoding="utf-8")
        nj = tunes_in(joined)
        lj = row("abc-lint 4.3 MB, no empty lines", nj, measure(lint(joined)))
        print(f"    vs the book with empty lines: time {lj.seconds / l1.seconds:.2f}x,"
              f" peak {lj.peak_mb:.0f} MB against {l1.peak_mb:.0f} MB")
        if not args.skip_format:
            row("format --check 4.3 MB, no empty lines", nj, measure(format_check(joined)))
    if args.fix:
        text = one.read_text(encoding="utf-8")
        cut = text.find("\n\nX:", len(text) // 10) + 1
        small, big = args.dir / "fix-0.1x.abc", args.dir / "fix-1x.abc"
        small.write_text(text[:cut], encoding="utf-8")
        big.write_text(text, encoding="utf-8")
        fs = row("abc-lint --fix 0.43 MB", tunes_in(small), measure(lint(small, "--fix")))
        fb = row("abc-lint --fix 4.3 MB", n1, measure(lint(big, "--fix")))
        print(f"    4.3 MB / 0.43 MB: time {fb.seconds / fs.seconds:.1f}x,"
              f" peak {fb.peak_mb:.0f} MB against {fs.peak_mb:.0f} MB")
    if args.generated:
        gen = args.dir / f"generated-{args.generated:g}mb.abc"
        if not gen.exists():
            bigbook.write_generated(gen, bigbook.corpus_tunes(), args.generated)
        ng = tunes_in(gen)
        print(f"generated: {gen} {gen.stat().st_size / 1e6:.1f} MB, {ng:,} tunes")
        row(f"abc-lint {args.generated:g} MB generated", ng, measure(lint(gen)))
    print()
    print(f"abc-lint 43 MB / 4.3 MB: time {l10.seconds / l1.seconds:.1f}x"
          f" (cpu {l10.cpu / l1.cpu:.1f}x; bar <= 12x), peak {l10.peak_mb:.0f} MB (bar <= 250)")
    if f1 is not None and f10 is not None:
        print(f"format --check 43 MB / 4.3 MB: time {f10.seconds / f1.seconds:.1f}x"
              f" (cpu {f10.cpu / f1.cpu:.1f}x), peak {f10.peak_mb:.0f} MB (bar <= 300)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
