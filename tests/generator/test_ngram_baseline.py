"""The n-gram baseline the LSTM is measured against is a proper distribution."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


def load_baseline() -> ModuleType:
    spec = importlib.util.spec_from_file_location("ngram_baseline",
                                                  ROOT / "benchmarks" / "ngram_baseline.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.parametrize("context", ["", "X", "GABc", "|:dA", "zzzz", "\n\n"])
def test_probabilities_sum_to_one(tiny_corpus: str, context: str) -> None:
    nb = load_baseline()
    model = nb.KneserNey(tiny_corpus, order=5)
    total = sum(model.prob(context, c) for c in model.alphabet)
    assert total == pytest.approx(1.0, abs=1e-9)


def test_bits_per_char_is_finite_on_unseen_characters(tiny_corpus: str) -> None:
    nb = load_baseline()
    model = nb.KneserNey(tiny_corpus, order=5)
    seen = model.bits_per_char(tiny_corpus)
    unseen = model.bits_per_char("X:1\nK:D\n§§§\n")
    assert 0 < seen < unseen < math.inf
