"""Build large tunebooks for the scale benchmarks (benchmarks/scale.py).

    python benchmarks/bigbook.py OUTDIR [--mb 4.3]

Writes into OUTDIR:

- ``book-1x.abc``: every tune of the corpora (the shipped Irish file, the Nottingham
  database as published and as cleaned, the Debian examples), each once per round,
  renumbered, rounds repeated until the file reaches ``--mb`` megabytes (4.3 by
  default, the size of the collection in issue 16);
- ``book-10x.abc``: ten copies of ``book-1x.abc`` (about 43 MB);
- with ``--generated MB``: ``generated.abc``, a tunebook of that many megabytes made by
  varying the corpus tunes (keys, meters, lengths, titles), streamed to disk so that the
  script itself holds one tune at a time.

Tunes are taken as written (their own text), with the file header of the file they come
from dropped: the scale benchmarks measure size, not the header's effect.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("ABCPARSE_SHARED_CORPUS", ROOT.parent / "shared" / "corpus"))


def corpus_files() -> list[Path]:
    files = [ROOT / "corpus" / "irish.abc"]
    files += sorted((SHARED / "nottingham" / "ABC_original").glob("*.abc"))
    files += sorted((SHARED / "nottingham" / "ABC_cleaned").glob("*.abc"))
    files += sorted((SHARED / "debian-examples").glob("*/*.abc"))
    return [f for f in files if f.is_file()]


def corpus_tunes() -> list[str]:
    """The text of every corpus tune, ending with one line end."""
    import abcparse

    out = []
    for f in corpus_files():
        for tune in abcparse.iter_tunes(f):
            text = tune.text.rstrip("\r\n")
            if text:
                out.append(text + "\n")
    return out


def _renumbered(text: str, number: int) -> str:
    first, _, rest = text.partition("\n")
    if first.startswith("X:"):
        return f"X:{number}\n{rest}"
    return f"X:{number}\n{text}"


def write_rounds(path: Path, tunes: list[str], megabytes: float) -> int:
    """Write rounds of ``tunes`` until ``path`` holds ``megabytes``; the tune count."""
    limit = int(megabytes * 1_000_000)
    size = count = 0
    with open(path, "w", encoding="utf-8", newline="") as out:
        while size < limit:
            for t in tunes:
                count += 1
                piece = _renumbered(t, count) + "\n"
                out.write(piece)
                size += len(piece.encode("utf-8"))
                if size >= limit:
                    break
    return count


def write_copies(path: Path, source: Path, copies: int) -> None:
    data = source.read_bytes()
    with open(path, "wb") as out:
        for _ in range(copies):
            out.write(data)


_KEYS = ["C", "G", "D", "A", "E", "F", "Bb", "Am", "Em", "Dm", "ADor", "DMix", "EDor"]
_METERS = ["4/4", "6/8", "3/4", "2/4", "9/8", "C|"]


def generated(tunes: list[str], seed: int = 0) -> Iterator[str]:
    """Endless varied tunes: each a corpus tune with another title, key and meter."""
    rng = random.Random(seed)
    number = 0
    while True:
        number += 1
        text = rng.choice(tunes)
        lines = []
        for line in text.splitlines():
            if line.startswith("X:"):
                line = f"X:{number}"
            elif line.startswith("T:"):
                line = f"T:Tune {number} ({line[2:].strip()[:40]})"
            elif line.startswith("K:") and rng.random() < 0.5:
                line = f"K:{rng.choice(_KEYS)}"
            elif line.startswith("M:") and rng.random() < 0.2:
                line = f"M:{rng.choice(_METERS)}"
            lines.append(line)
        yield "\n".join(lines) + "\n\n"


def write_generated(path: Path, tunes: list[str], megabytes: float) -> int:
    limit = int(megabytes * 1_000_000)
    size = count = 0
    with open(path, "w", encoding="utf-8", newline="") as out:
        for piece in generated(tunes):
            out.write(piece)
            size += len(piece.encode("utf-8"))
            count += 1
            if size >= limit:
                break
    return count


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("outdir", type=Path)
    ap.add_argument("--mb", type=float, default=4.3, help="size of book-1x.abc in MB")
    ap.add_argument("--copies", type=int, default=10, help="copies in book-10x.abc")
    ap.add_argument("--generated", type=float, default=0.0, metavar="MB",
                    help="also write generated.abc of this many MB (e.g. 100)")
    args = ap.parse_args()
    args.outdir.mkdir(parents=True, exist_ok=True)
    tunes = corpus_tunes()
    one = args.outdir / "book-1x.abc"
    n = write_rounds(one, tunes, args.mb)
    print(f"{one}: {n} tunes, {one.stat().st_size / 1e6:.1f} MB")
    ten = args.outdir / "book-10x.abc"
    write_copies(ten, one, args.copies)
    print(f"{ten}: {n * args.copies} tunes, {ten.stat().st_size / 1e6:.1f} MB")
    if args.generated:
        gen = args.outdir / "generated.abc"
        g = write_generated(gen, tunes, args.generated)
        print(f"{gen}: {g} tunes, {gen.stat().st_size / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
