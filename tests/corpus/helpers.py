"""Shared helpers for the corpus tests: where the corpora are, a small mixed corpus, and
readers of the cleaner's outputs."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import abcparse
from abcparse.corpus.dedupe import body_of, melody_key
from abcparse.format import transpose_str

ROOT = Path(__file__).resolve().parents[2]
IRISH = ROOT / "corpus" / "irish.abc"
SHARED = Path(os.environ.get("ABCPARSE_SHARED_CORPUS", ROOT.parent / "shared" / "corpus"))
NOTTINGHAM = SHARED / "nottingham" / "ABC_original"
SPLITS = ("train", "valid", "test")


def nottingham_files() -> list[Path]:
    return sorted(NOTTINGHAM.glob("*.abc")) if NOTTINGHAM.is_dir() else []


def irish_tunes(count: int) -> list[str]:
    """The first ``count`` tunes of corpus/irish.abc, as written."""
    book = abcparse.parse_file(IRISH, mode="loose")
    return [t.text.rstrip("\n") + "\n" for t in book.tunes[:count]]


BROKEN = "X:900\nT:Overfull\nM:2/4\nL:1/8\nK:C\nabcde|abcd|]\n"
ACCENTED = "X:901\nT:Caf\u00e9 Waltz\nM:3/4\nL:1/8\nK:G\nG2 B2 d2|g6|]\n"


def small_corpus(folder: Path, count: int = 24) -> list[Path]:
    """Two files: some Irish tunes plus an exact copy (new number and title), a
    transposed copy, an overfull bar (invalid), a non-ASCII title; and a file with a
    file header that sets M: and L: for its tunes."""
    tunes = irish_tunes(count)
    copy = tunes[3].replace("X:4", "X:904", 1).replace("T:", "T:Copy of ", 1)
    moved = transpose_str(tunes[5], 2).replace("T:", "T:Transposed ", 1)
    a = folder / "a.abc"
    a.write_text("\n".join([*tunes, copy, moved, BROKEN, ACCENTED]), encoding="utf-8")
    b = folder / "b.abc"
    b.write_text(
        "%abc-2.1\nM:6/8\nL:1/8\nR:jig\n\n"
        "X:1\nT:Header Jig\nK:D\nd2e fed|ABA d3|]\n\n"
        "X:2\nT:Own Meter\nM:2/4\nK:G\nGA Bc|d4|]\n",
        encoding="utf-8",
    )
    return [a, b]


def read_outputs(outdir: Path) -> dict[str, str]:
    return {name: (outdir / f"{name}.abc").read_text(encoding="utf-8") for name in SPLITS}


def manifest(outdir: Path) -> dict[str, Any]:
    return json.loads((outdir / "manifest.json").read_text(encoding="utf-8"))


def output_tunes(outdir: Path) -> dict[str, list[abcparse.Tune]]:
    """The tunes of each split, read as the files declare (strictly)."""
    return {name: list(abcparse.parse(text).tunes) for name, text in read_outputs(outdir).items()}


def transposition_key(tune: abcparse.Tune) -> bytes:
    return melody_key(tune.events(unroll_repeats=False), tune.text)


def body(tune: abcparse.Tune) -> str:
    return body_of(tune.text)
