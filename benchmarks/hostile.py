"""The hostile corpus through every command (issue 15, "Must show").

    python benchmarks/hostile.py [--size full|small] [--only NAME,...] [--commands lint,...]
                                 [--timeout 60] [--memory-mb 2048] [--dir DIR] [--json FILE]

Builds the inputs of tests/hostile/corpus.py (``--size full`` by default: a 1 MB line,
20,000 tunes, 100,000 ``>``, 32,768 overlays, a 5,000-digit X:, non-text charsets, UTF-16,
PNG, zip, ELF, random bytes ...) and runs each, as a fresh process the way a user runs it,
through:

- ``abc-lint FILE``
- ``abc-lint --fix COPY`` (a temporary copy)
- ``abcparse format COPY`` (a temporary copy)
- ``abcparse midi FILE -o TMP/``
- ``abcparse transpose -s 2 COPY`` (a temporary copy)

For each run it records the exit code, whether standard error holds a Python traceback
or the one-line "internal error" of the commands' last-resort handler (a bug all the same),
the wall time and the process's own peak resident memory (``os.wait4``'s rusage). The
bars: 0 tracebacks, 0 internal errors, every exit code 0, 1 or 2, each run <= 60 s and
<= 2 GB. A run past ``--timeout`` is killed and counted as a failure. Prints one line
per run that breaks a bar, the slowest and largest runs, and a summary; exits 1 when any
bar is broken. Nothing is asserted about speed in the test suite:
tests/hostile/test_hostile.py runs the small sizes for tracebacks and exit codes only.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from hostile.corpus import write_corpus  # noqa: E402

PY = sys.executable
COMMANDS: dict[str, tuple[list[str], bool]] = {
    # name: (argv before/around the file, runs on a copy)
    "lint": ([PY, "-m", "abcparse.cli.lint", "{file}"], False),
    "lint-fix": ([PY, "-m", "abcparse.cli.lint", "--fix", "{file}"], True),
    "format": ([PY, "-m", "abcparse", "format", "{file}"], True),
    "midi": ([PY, "-m", "abcparse", "midi", "{file}", "-o", "{out}/"], False),
    "transpose": ([PY, "-m", "abcparse", "transpose", "-s", "2", "{file}"], True),
}


@dataclass
class Run:
    input: str
    command: str
    rc: int
    seconds: float
    peak_mb: float
    traceback: bool
    internal: bool
    timed_out: bool
    last_line: str


def run_one(argv: list[str], timeout: float) -> tuple[int, float, float, str, bool]:
    """(exit code, seconds, peak RSS MB, standard error, timed out) of one process."""
    with tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=err, start_new_session=True)
        killed = threading.Event()

        def kill() -> None:
            killed.set()
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)

        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        stderr = err.read().decode("utf-8", "replace")
    peak_mb = usage.ru_maxrss / 1024  # kilobytes on Linux
    return proc.returncode, seconds, peak_mb, stderr, killed.is_set()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", choices=("full", "small"), default="full")
    ap.add_argument("--only", help="comma-separated input names")
    ap.add_argument("--commands", default=",".join(COMMANDS),
                    help=f"comma-separated, of {','.join(COMMANDS)}")
    ap.add_argument("--timeout", type=float, default=60.0, help="seconds per run (bar: 60)")
    ap.add_argument("--memory-mb", type=float, default=2048.0, help="peak RSS bar (2048)")
    ap.add_argument("--dir", type=Path, help="keep the inputs here (default: a temp folder)")
    ap.add_argument("--json", type=Path, help="write every run as JSON here")
    args = ap.parse_args(argv)

    commands = [c.strip() for c in args.commands.split(",") if c.strip()]
    unknown = [c for c in commands if c not in COMMANDS]
    if unknown:
        ap.error(f"unknown command {unknown[0]!r}")
    only = {n.strip() for n in args.only.split(",")} if args.only else None
    work = Path(tempfile.mkdtemp(prefix="abcparse-hostile-"))
    try:
        inputs = write_corpus(args.dir or work / "inputs", args.size, only)
        total_mb = sum(p.stat().st_size for p in inputs.values()) / 1e6
        print(f"{len(inputs)} inputs ({total_mb:.1f} MB, size {args.size}) x"
              f" {len(commands)} commands", flush=True)
        runs: list[Run] = []
        for name, path in inputs.items():
            for command in commands:
                template, on_copy = COMMANDS[command]
                scratch = Path(tempfile.mkdtemp(dir=work))
                target = path
                if on_copy:
                    target = scratch / path.name
                    shutil.copyfile(path, target)
                out = scratch / "out"
                cmd = [a.replace("{file}", str(target)).replace("{out}", str(out))
                       for a in template]
                rc, seconds, peak, stderr, timed_out = run_one(cmd, args.timeout)
                lines = [ln for ln in stderr.splitlines() if ln.strip()]
                run = Run(name, command, rc, round(seconds, 2), round(peak, 1),
                          "Traceback (most recent call last)" in stderr,
                          ": internal error (" in stderr, timed_out,
                          lines[-1][:160] if lines else "")
                runs.append(run)
                shutil.rmtree(scratch, ignore_errors=True)
                bad = _broken(run, args.timeout, args.memory_mb)
                if bad:
                    print(f"FAIL {name} {command}: {', '.join(bad)} | {run.last_line}",
                          flush=True)
        return _report(runs, args)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _broken(run: Run, timeout: float, memory_mb: float) -> list[str]:
    bad = []
    if run.traceback:
        bad.append("traceback")
    if run.internal:
        bad.append("internal error (a bug caught by the last-resort handler)")
    if run.timed_out:
        bad.append(f"killed after {timeout:g} s")
    elif run.rc not in (0, 1, 2):
        bad.append(f"exit {run.rc}")
    if run.seconds > timeout:
        bad.append(f"{run.seconds:.1f} s")
    if run.peak_mb > memory_mb:
        bad.append(f"{run.peak_mb:.0f} MB")
    return bad


def _report(runs: list[Run], args: argparse.Namespace) -> int:
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in runs], indent=1))
    print("\nslowest runs:")
    for r in sorted(runs, key=lambda r: -r.seconds)[:8]:
        print(f"  {r.seconds:7.2f} s  {r.peak_mb:7.1f} MB  exit {r.rc}  {r.input} {r.command}")
    print("largest runs:")
    for r in sorted(runs, key=lambda r: -r.peak_mb)[:5]:
        print(f"  {r.peak_mb:7.1f} MB  {r.seconds:7.2f} s  exit {r.rc}  {r.input} {r.command}")
    codes: dict[int, int] = {}
    for r in runs:
        codes[r.rc] = codes.get(r.rc, 0) + 1
    broken = [r for r in runs if _broken(r, args.timeout, args.memory_mb)]
    tracebacks = sum(r.traceback for r in runs)
    internal = sum(r.internal for r in runs)
    print(f"\n{len(runs)} runs: tracebacks {tracebacks}, internal errors {internal}, exit codes"
          f" {dict(sorted(codes.items()))}, max time {max(r.seconds for r in runs):.2f} s,"
          f" max peak memory {max(r.peak_mb for r in runs):.0f} MB;"
          f" {len(broken)} run(s) break a bar (traceback, exit not 0/1/2,"
          f" > {args.timeout:g} s, > {args.memory_mb:g} MB)")
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
