"""Warm start (``abcparse train --init DIR``): a model learning a few new characters keeps
what its start model knew. Checked without TensorFlow: the layout of the copied weights
decides the start model's predictions, and the NumPy sampler reads them."""

from __future__ import annotations

import numpy as np
import pytest

from generator.cli import DEFAULT_MODEL_DIR
from generator.config import GeneratorConfig
from generator.layout import expected_shapes
from generator.sampler import NumpyLSTM
from generator.store import load_model_dir
from generator.train import warm_weights
from generator.vocab import BOS, RESERVED, Vocab


def _fresh(config: GeneratorConfig, vocab_size: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    return {name: rng.normal(0, 0.05, size=shape).astype(np.float32)
            for name, shape in expected_shapes(config, vocab_size).items()}


def _rows(config: GeneratorConfig, vocab_size: int, char_id: int) -> list[int]:
    """The output layer's rows that belong to one character: one per copy head."""
    top = config.lstm_units[-1]
    return [top + h * vocab_size + char_id for h in range(config.copy_heads)]


def _next(net: NumpyLSTM, vocab: Vocab, text: str) -> np.ndarray:
    ids = np.concatenate([[BOS], vocab.encode(text)])
    return net.sequence_probabilities(ids[None, :])[0, -1]


def test_known_characters_keep_their_rows_and_new_ones_start_unlikely() -> None:
    start = load_model_dir(DEFAULT_MODEL_DIR)
    new_chars = [c for c in "jqzQ\u00e9" if c not in start.vocab.chars]
    assert new_chars, "the shipped vocabulary already holds every test character"
    vocab = Vocab(tuple(sorted(set(start.vocab.chars) | set(new_chars))))
    warm = warm_weights(start, vocab, _fresh(start.config, vocab.size))
    top = start.config.lstm_units[-1]
    known_old = [int(start.vocab.encode(c)[0]) for c in start.vocab.chars]
    known_new = [int(vocab.encode(c)[0]) for c in start.vocab.chars]

    for old, new in zip(known_old, known_new, strict=True):
        np.testing.assert_array_equal(warm["embedding"][new], start.weights["embedding"][old])
        # The column of the character: the state's rows, and each copy head's rows of
        # the known characters, moved to their new ids.
        old_rows = list(range(top)) + [r for o in known_old
                                       for r in _rows(start.config, start.vocab.size, o)]
        new_rows = list(range(top)) + [r for n in known_new
                                       for r in _rows(start.config, vocab.size, n)]
        np.testing.assert_array_equal(warm["dense/kernel"][new_rows, new],
                                      start.weights["dense/kernel"][old_rows, old])
        assert warm["dense/bias"][new] == start.weights["dense/bias"][old]
    for name in start.weights:
        if name.startswith(("lstm_", "copy/")):
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
    warm = warm_weights(start, vocab, _fresh(start.config, vocab.size))
    text = "X:1\nT:Test\nM:6/8\nL:1/8\nK:D\n|:d2B AFA|"
    before = _next(NumpyLSTM(start.config, start.vocab, start.weights), start.vocab, text)
    after = _next(NumpyLSTM(start.config, vocab, warm), vocab, text)
    known = [int(vocab.encode(c)[0]) for c in start.vocab.chars]
    old = [int(start.vocab.encode(c)[0]) for c in start.vocab.chars]
    assert after[known].sum() > 0.98
    np.testing.assert_allclose(after[known] / after[known].sum(),
                               before[old] / before[old].sum(), atol=1e-4)
