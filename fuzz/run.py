"""Run every fuzz harness for a fixed time; fail on an unexpected exception.

    python fuzz/run.py                      # each harness 25 s (CI: .ci/run)
    python fuzz/run.py --seconds 600 --workdir .fuzz --nice 10   # a long run, resumable
    python fuzz/run.py --only parse,midi --seconds 60

Each harness (``fuzz/fuzz_*.py``, atheris on libFuzzer) starts from seeds made from the
project's corpora: every tune of ``corpus/irish.abc`` and every ``.abc`` file under
``tests/fixtures`` (the model harness: the files of a small valid model folder). The
corpus a harness grows is kept under ``WORKDIR/corpus/NAME`` so a later run goes on from
it. A harness stops at its first crash: an exception its entry point does not document, an
input slower than ``--timeout`` seconds, or more than ``--rss-limit-mb`` of memory. The
input is saved as ``WORKDIR/crashes/NAME/crash-*`` (``timeout-*``, ``oom-*``); replay it
with ``python fuzz/fuzz_NAME.py FILE``.

Prints one line per harness (executions, speed, peak memory, new corpus units) and the
total; exits 0 when no harness crashed, 1 when one did, 2 when atheris is missing or the
arguments are wrong.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

#: name -> (script, seed kind). "text": raw ABC; "control": one control byte, then ABC
#: (the harness reads options from it); "model": written by fuzz_model.py.
HARNESSES: dict[str, tuple[str, str]] = {
    "parse": ("fuzz_parse.py", "text"),
    "parse_bytes": ("fuzz_parse_bytes.py", "text"),
    "check": ("fuzz_check.py", "control"),
    "format": ("fuzz_format.py", "text"),
    "repair": ("fuzz_repair.py", "control"),
    "events": ("fuzz_events.py", "control"),
    "midi": ("fuzz_midi.py", "control"),
    "model": ("fuzz_model.py", "model"),
}
_TUNE_START = re.compile(rb"(?:\r?\n){2,}(?=X:)")


@dataclass
class Result:
    name: str
    ok: bool
    executions: int
    seconds: float
    peak_rss_mb: int
    new_units: int
    detail: str
    crashes: int = 0


def write_seeds(kind: str, folder: Path, max_len: int) -> int:
    """The seed inputs of one kind; returns how many were written."""
    folder.mkdir(parents=True, exist_ok=True)
    if kind == "model":
        subprocess.run([sys.executable, str(HERE / "fuzz_model.py"), "--write-seeds",
                        str(folder)], check=True, cwd=HERE, capture_output=True)
        return len(list(folder.iterdir()))
    texts: list[bytes] = []
    irish = ROOT / "corpus" / "irish.abc"
    if irish.is_file():
        texts.extend(t for t in _TUNE_START.split(irish.read_bytes()) if t.strip())
    fixtures = ROOT / "tests" / "fixtures"
    if fixtures.is_dir():
        texts.extend(p.read_bytes() for p in sorted(fixtures.rglob("*.abc")))
    count = 0
    for i, text in enumerate(texts):
        data = text[:max_len]
        if kind == "control":
            data = bytes((i % 8,)) + data[: max_len - 1]
        (folder / f"seed-{i:05d}").write_bytes(data)
        count += 1
    return count


def _stat(output: str, name: str) -> int:
    m = re.search(rf"stat::{name}:\s+(\d+)", output)
    return int(m.group(1)) if m else 0


def run_one(name: str, args: argparse.Namespace, work: Path) -> Result:
    """One harness for ``--seconds``; with ``--keep-going`` it is restarted after each
    crash (the corpus it grew is kept) until the time is used, at most 50 times."""
    total = Result(name, True, 0, 0.0, 0, 0, "")
    while total.seconds < args.seconds - 1:
        left = max(1, round(args.seconds - total.seconds))
        r = _run_once(name, args, work, left)
        total.executions += r.executions
        total.seconds += r.seconds
        total.peak_rss_mb = max(total.peak_rss_mb, r.peak_rss_mb)
        total.new_units += r.new_units
        if not r.ok:
            total.ok = False
            total.detail += ("\n" if total.detail else "") + r.detail
            total.crashes += 1
            if not args.keep_going or total.crashes >= 50:
                break
    return total


def _run_once(name: str, args: argparse.Namespace, work: Path, seconds: int) -> Result:
    script, kind = HARNESSES[name]
    seeds = work / "seeds" / kind
    if not seeds.is_dir():
        write_seeds(kind, seeds, args.max_len)
    corpus = work / "corpus" / name
    crashes = work / "crashes" / name
    corpus.mkdir(parents=True, exist_ok=True)
    crashes.mkdir(parents=True, exist_ok=True)
    cmd = [
        sys.executable, str(HERE / script), str(corpus), str(seeds),
        f"-max_total_time={seconds}", f"-timeout={args.timeout}",
        f"-rss_limit_mb={args.rss_limit_mb}", f"-max_len={args.max_len}",
        "-print_final_stats=1", f"-artifact_prefix={crashes}{os.sep}",
    ]
    if args.nice and shutil.which("nice"):
        cmd = ["nice", "-n", str(args.nice), *cmd]
    started = time.monotonic()
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, cwd=HERE,
                              timeout=seconds + args.timeout + 600)
        output, code = done.stdout + done.stderr, done.returncode
    except subprocess.TimeoutExpired as e:
        output = (e.stdout or b"").decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
        code = -1
    seconds = time.monotonic() - started
    found = sorted(p.name for p in crashes.iterdir() if p.is_file())
    ok = code == 0 and "Uncaught Python exception" not in output
    detail = ""
    if not ok:
        trace = output[output.find("=== Uncaught Python exception"):]
        lines = [line for line in trace.splitlines() if line.strip()][:40]
        detail = "\n".join(lines) or output[-3000:]
        if found:
            detail += f"\ninput: {crashes / found[-1]}"
    return Result(name, ok, _stat(output, "number_of_executed_units"), seconds,
                  _stat(output, "peak_rss_mb"), _stat(output, "new_units_added"), detail)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="fuzz/run.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=25, help="per harness (default 25)")
    parser.add_argument("--only", default="", help="comma-separated harness names")
    parser.add_argument("--workdir", type=Path, default=None,
                        help="keep seeds, corpora and crashes here (default: a temporary"
                        " folder, removed unless something crashed)")
    parser.add_argument("--timeout", type=int, default=60,
                        help="seconds one input may take (default 60)")
    parser.add_argument("--rss-limit-mb", type=int, default=2048)
    parser.add_argument("--max-len", type=int, default=4096,
                        help="largest input in bytes (default 4096)")
    parser.add_argument("--nice", type=int, default=0, help="run the harnesses under nice -n N")
    parser.add_argument("--keep-going", action="store_true",
                        help="restart a harness after a crash until its time is used")
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.only.split(",") if n.strip()] or list(HARNESSES)
    unknown = [n for n in names if n not in HARNESSES]
    if unknown:
        parser.error(f"unknown harness {unknown[0]!r}; known: {', '.join(HARNESSES)}")
    if args.seconds < 1 or args.timeout < 1:
        parser.error("--seconds and --timeout must be at least 1")
    try:
        import atheris  # noqa: F401
    except ImportError:
        print("fuzz/run.py: atheris is not installed (pip install atheris)", file=sys.stderr)
        return 2
    work = args.workdir or Path(tempfile.mkdtemp(prefix="abcparse-fuzz-"))
    results = []
    for name in names:
        r = run_one(name, args, work)
        results.append(r)
        rate = r.executions / max(r.seconds, 1e-9)
        status = "ok" if r.ok else f"CRASH x{r.crashes}"
        print(f"{name:12s} {status:5s} {r.executions:>9,} executions in {r.seconds:5.0f} s"
              f" ({rate:,.0f}/s), peak {r.peak_rss_mb} MB, {r.new_units} new units",
              flush=True)
        if not r.ok:
            print(r.detail, flush=True)
    total = sum(r.executions for r in results)
    failed = [r.name for r in results if not r.ok]
    print(f"total: {total:,} executions in {len(results)} harnesses;"
          f" {'crashed: ' + ', '.join(failed) if failed else 'no unexpected exception'}")
    if args.workdir is None:
        if failed:
            print(f"inputs kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
