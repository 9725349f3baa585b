"""Warm start (``abcparse train --init DIR``): a model learning a few new characters keeps
what its start model knew. Checked without TensorFlow: the layout of the copied weights
decides the start model's predictions, and the NumPy sampler reads them."""

from __future__ import annotations

import numpy as np
import pytest

from generator.cli import DEFAULT_MODEL_DIR
from generator.sampler import NumpyLSTM
from generator.store import load_model_dir
from generator.train import warm_weights
from generator.vocab import BOS, RESERVED, Vocab


def _fresh(vocab_size: int, start_weights: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    out = {}
    for name, value in start_weights.items():
        shape = list(value.shape)
        if name == "embedding":
            shape[0] = vocab_size
        elif name.startswith("dense/"):
            shape[-1] = vocab_size
        out[name] = rng.normal(0, 0.05, size=shape).astype(np.float32)
    return out


def _next(net: NumpyLSTM, vocab: Vocab, text: str) -> np.ndarray:
    ids = np.concatenate([[BOS], vocab.encode(text)])
    return net.sequence_probabilities(ids[None, :])[0, -1]


def test_known_characters_keep_their_rows_and_new_ones_start_unlikely() -> None:
    start = load_model_dir(DEFAULT_MODEL_DIR)
    new_chars = [c for c in "jqzQ\u00e9" if c not in start.vocab.chars]
    assert new_chars, "the shipped vocabulary already holds every test character"
    vocab = Vocab(tuple(sorted(set(start.vocab.chars) | set(new_chars))))
    warm = warm_weights(start, vocab, _fresh(vocab.size, start.weights))

    for c in start.vocab.chars:
        old, new = int(start.vocab.encode(c)[0]), int(vocab.encode(c)[0])
        np.testing.assert_array_equal(warm["embedding"][new], start.weights["embedding"][old])
        np.testing.assert_array_equal(warm["dense/kernel"][:, new],
                                      start.weights["dense/kernel"][:, old])
        assert warm["dense/bias"][new] == start.weights["dense/bias"][old]
    for name in start.weights:
        if name.startswith("lstm_"):
            np.testing.assert_array_equal(warm[name], start.weights[name])
    lowest = start.weights["dense/bias"][len(RESERVED):].min()
    for c in new_chars:
        assert warm["dense/bias"][int(vocab.encode(c)[0])] == pytest.approx(lowest)


def test_the_warm_model_predicts_like_its_start() -> None:
    """Next-character probabilities of the known characters barely move: the new ones
    take a sliver of the mass, so the warm start begins where the start model ended."""
    start = load_model_dir(DEFAULT_MODEL_DIR)
    new_chars = [c for c in "jqzQ" if c not in start.vocab.chars]
    vocab = Vocab(tuple(sorted(set(start.vocab.chars) | set(new_chars))))
    warm = warm_weights(start, vocab, _fresh(vocab.size, start.weights))
    text = "X:1\nT:Test\nM:6/8\nL:1/8\nK:D\n|:d2B AFA|"
    before = _next(NumpyLSTM(start.config, start.vocab, start.weights), start.vocab, text)
    after = _next(NumpyLSTM(start.config, vocab, warm), vocab, text)
    known = [int(vocab.encode(c)[0]) for c in start.vocab.chars]
    old = [int(start.vocab.encode(c)[0]) for c in start.vocab.chars]
    assert after[known].sum() > 0.98
    np.testing.assert_allclose(after[known] / after[known].sum(),
                               before[old] / before[old].sum(), atol=1e-4)
