"""Deterministic cost of ``abcparse.parse`` and ``abcparse.read_headers``: the CPU
instructions one call executes, counted by valgrind's callgrind, for one or more checkouts
of abcparse side by side.

    python benchmarks/instructions.py [ROOT ...] [--files nottingham,irish]

Each ROOT is a folder holding an ``abcparse`` package (a ``git worktree`` of another
commit, say); the default is this checkout. For each file and ROOT, three processes run
under callgrind: one that only imports abcparse and warms it on a small text, one that then
parses the file once, and one that reads its headers ``N`` times; the differences are the
instructions of one parse and of one ``read_headers``.

Why: on the shared 2-core machine this project is measured on, the time of the same code
moves by 5-25% from one run to the next (``parse_speed.py`` reports best-of-N CPU times,
and abcjs's own times move as much), which hides a change of a few percent; instruction
counts repeat to within a hundredth of a percent. They are not time (cache misses, the
allocator and the garbage collector's pauses weigh differently), so a change is confirmed
with ``parse_speed.py`` too; but an A/B of two commits by instructions is exact.
``PYTHONHASHSEED`` is fixed so that both sides hash strings alike.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("ABCPARSE_SHARED_CORPUS", ROOT.parent / "shared" / "corpus"))

CHILD = r"""
import sys
sys.path.insert(0, sys.argv[1])
import abcparse
text = open(sys.argv[2], encoding="utf-8").read()
warm = text[:4000]
abcparse.parse(warm)
list(abcparse.read_headers(warm))
what, n = sys.argv[3], int(sys.argv[4])
for _ in range(n):
    if what == "parse":
        abcparse.parse(text)
    elif what == "headers":
        list(abcparse.read_headers(text))
"""


def files(names: list[str], tmp: Path) -> dict[str, Path]:
    out: dict[str, Path] = {}
    for name in names:
        if name == "irish":
            out[name] = ROOT / "corpus" / "irish.abc"
        elif name == "nottingham":
            parts = sorted((SHARED / "nottingham" / "ABC_original").glob("*.abc"))
            if not parts:
                raise SystemExit(f"Nottingham corpus not found under {SHARED}")
            path = tmp / "nottingham.abc"
            path.write_text("\n\n".join(p.read_text(encoding="utf-8").rstrip("\n")
                                        for p in parts) + "\n", encoding="utf-8")
            out[name] = path
        else:
            out[name] = Path(name)
    return out


def instructions(root: Path, path: Path, what: str, n: int, script: Path) -> int:
    """Instructions callgrind counts for the child process (the real interpreter, not a
    shim that starts it)."""
    env = dict(os.environ, PYTHONHASHSEED="0")
    done = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
         os.path.realpath(sys.executable), str(script), str(root), str(path), what, str(n)],
        capture_output=True, text=True, env=env, check=False,
    )
    m = re.search(r"Collected\s*:\s*(\d+)", done.stderr)
    if done.returncode != 0 or m is None:
        raise SystemExit(f"valgrind failed on {root} {path.name} {what}: "
                         f"{done.stderr.strip().splitlines()[-1:]}")
    return int(m.group(1))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("roots", nargs="*", type=Path, default=[ROOT],
                    help="folders holding an abcparse package (default: this checkout)")
    ap.add_argument("--files", default="nottingham,irish",
                    help="comma-separated: nottingham, irish, or paths to .abc files")
    ap.add_argument("--headers-calls", type=int, default=4,
                    help="read_headers calls per measurement (they are short)")
    args = ap.parse_args()
    if shutil.which("valgrind") is None:
        print("valgrind is not installed (apt-get install valgrind)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        script = tmp / "child.py"
        script.write_text(CHILD, encoding="utf-8")
        inputs = files(args.files.split(","), tmp)
        print(f"{'file':12} {'root':40} {'parse (M instr.)':>17} {'read_headers':>13} "
              f"{'ratio':>6} {'parse vs first':>15} {'headers vs first':>17}")
        for name, path in inputs.items():
            first: tuple[float, float] | None = None
            for root in args.roots:
                base = instructions(root, path, "none", 1, script)
                parse = instructions(root, path, "parse", 1, script) - base
                n = args.headers_calls
                headers = (instructions(root, path, "headers", n, script) - base) / n
                if first is None:
                    first = (parse, headers)
                rel = (f"{parse / first[0] - 1:+15.1%} {headers / first[1] - 1:+17.1%}"
                       if root is not args.roots[0] else f"{'':15} {'':17}")
                print(f"{name:12} {str(root)[-40:]:40} {parse / 1e6:17.1f} "
                      f"{headers / 1e6:13.1f} {parse / headers:6.2f} {rel}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
