"""Corpus text → tunes → padded training batches.

The corpus format (issue 7 / corpus cleaning) is one tune after another separated by one
blank line. The model learns each tune from a zero state, as one sequence::

    inputs:  BOS  X  :  1 \\n ...  last-line \\n
    targets:  X   :  1 \\n  ...  \\n         \\n   <- the blank line: end of tune

so every character of the file, and the end of every tune, is predicted exactly once, and
bits/char over a file means the same thing here and in the n-gram baseline. Tunes longer
than ``max_len`` are cut into pieces; each later piece starts from a zero state with the
previous piece's last character as its first input (rare: the corpus's longest tune is about
600 characters).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from abcparse.split import body_start

from .vocab import BOS, PAD, Vocab

_BLANK = re.compile(r"\n[ \t]*\n")
_TUNE_START = re.compile(r"^X:", re.MULTILINE)


def split_tunes(text: str) -> list[str]:
    """Split a tunebook into tunes, each ending with exactly one newline.

    Why here and not the core's splitter: training only needs the corpus format (blank-line
    separated), and the generator must import without the parser.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    tunes = []
    for chunk in _BLANK.split(text):
        chunk = chunk.strip("\n")
        # A block without an X: line is no tune: the ``%abc-2.1`` version line that opens
        # every corpus split (§2.2), or free text between tunes. Training on it would teach
        # the model a "tune" that is one comment line, and count it in held-out bits/char.
        if chunk.strip() and _TUNE_START.search(chunk):
            tunes.append(chunk.rstrip() + "\n")
    return tunes


def read_tunes(path: str | Path) -> list[str]:
    return split_tunes(Path(path).read_text(encoding="utf-8"))


def body_offset(tune: str) -> int:
    """Index of the first character after the tune's first ``K:`` line (the body's start);
    ``len(tune)`` when there is no ``K:`` line."""
    start = body_start(tune)
    return len(tune) if start is None else start


def tune_sequences(tune: str, vocab: Vocab, max_len: int) -> list[np.ndarray]:
    """One tune → id sequences of at most ``max_len + 1`` (inputs ``[:-1]``, targets ``[1:]``)."""
    # The tune ends with "\n"; one more "\n" completes END_OF_TUNE (the blank line).
    if not tune.endswith("\n"):
        tune += "\n"
    ids = vocab.encode(tune + "\n")
    full = np.concatenate([np.array([BOS], dtype=np.int32), ids])
    pieces = []
    start = 0
    while start < len(full) - 1:
        pieces.append(full[start : start + max_len + 1])
        start += max_len
    return pieces


def encode_corpus(tunes: Sequence[str], vocab: Vocab, max_len: int) -> list[np.ndarray]:
    out: list[np.ndarray] = []
    for t in tunes:
        out.extend(tune_sequences(t, vocab, max_len))
    return out


def pad_batch(seqs: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Right-pad to the longest sequence: (inputs, targets), PAD where there is nothing.

    Right padding needs no mask inside the LSTM: padded steps come after every real step,
    so they cannot change a real output; the loss gives them weight 0.
    """
    width = max(len(s) for s in seqs) - 1
    x = np.full((len(seqs), width), PAD, dtype=np.int32)
    y = np.full((len(seqs), width), PAD, dtype=np.int32)
    for r, s in enumerate(seqs):
        x[r, : len(s) - 1] = s[:-1]
        y[r, : len(s) - 1] = s[1:]
    return x, y


def batches(
    seqs: Sequence[np.ndarray],
    batch_size: int,
    rng: np.random.Generator | None = None,
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Length-bucketed batches: little padding, yet a shuffled order when ``rng`` is given.

    Sequences are shuffled, cut into pools of 20 batches, sorted by length inside a pool,
    batched, and the batches shuffled again; without ``rng`` the order is fixed (evaluation).
    """
    order = np.arange(len(seqs))
    if rng is not None:
        rng.shuffle(order)
    else:
        order = np.argsort([len(s) for s in seqs], kind="stable")
    pool = batch_size * 20
    groups: list[np.ndarray] = []
    for p in range(0, len(order), pool):
        chunk = order[p : p + pool]
        if rng is not None:
            chunk = chunk[np.argsort([len(seqs[i]) for i in chunk], kind="stable")]
        groups.extend(chunk[b : b + batch_size] for b in range(0, len(chunk), batch_size))
    if rng is not None:
        perm = rng.permutation(len(groups))
        groups = [groups[i] for i in perm]
    for g in groups:
        yield pad_batch([seqs[i] for i in g])
