"""Shared fixtures for the generator tests.

The tests import the plugin by its installed name, ``abcparse.generator``. In a checkout that
has not been installed (``pip install -e .``), the ``generator/`` folder is loaded under that
name here, the same mapping pyproject's ``package-dir`` gives an install.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]

BOOTSTRAP = f"""
import importlib, importlib.util, sys
try:
    import abcparse.generator
except ImportError:
    sys.path.insert(0, {str(ROOT)!r})
    import abcparse
    spec = importlib.util.spec_from_file_location(
        "abcparse.generator", {str(ROOT / "generator" / "__init__.py")!r},
        submodule_search_locations=[{str(ROOT / "generator")!r}])
    mod = importlib.util.module_from_spec(spec)
    sys.modules["abcparse.generator"] = mod
    spec.loader.exec_module(mod)
"""
"""Code that makes ``abcparse.generator`` importable; subprocess tests run it first."""

exec(BOOTSTRAP)  # same mapping in this process

from abcparse.generator.config import GeneratorConfig  # noqa: E402
from abcparse.generator.layout import expected_shapes  # noqa: E402
from abcparse.generator.store import save_model_dir  # noqa: E402
from abcparse.generator.vocab import Vocab  # noqa: E402

TINY_CORPUS = "\n".join(
    f"X:{i}\nT:Tune {i}\nM:6/8\nL:1/8\nK:{key}\n{body}\n"
    for i, (key, body) in enumerate(
        [
            ("D", "|:dAF dAF|GBd gfe|dAF dAF|GEF D3:|"),
            ("G", "|:GAB d2B|c2A B2G|GAB d2B|cAF G3:|"),
            ("A", "|:ABc e2c|d2B c2A|ABc e2c|dBG A3:|"),
            ("D", "|:fed cBA|Bcd e2c|fed cBA|BGE D3:|"),
        ]
        * 3,
        start=1,
    )
)


def random_weights(config: GeneratorConfig, vocab: Vocab, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {
        k: (rng.standard_normal(shape) * 0.3).astype(np.float32)
        for k, shape in expected_shapes(config, vocab.size).items()
    }


@pytest.fixture(scope="session")
def tiny_corpus() -> str:
    """Twelve short tunes in the corpus format (blank-line separated)."""
    return TINY_CORPUS


@pytest.fixture
def tiny_vocab() -> Vocab:
    return Vocab.from_texts([TINY_CORPUS])


@pytest.fixture
def random_model_dir(tmp_path: Path, tiny_vocab: Vocab) -> Path:
    """A model folder with random weights (float32) of a small two-layer config."""
    config = GeneratorConfig(embedding_dim=8, lstm_units=(16, 12), weights_dtype="float32")
    weights = random_weights(config, tiny_vocab)
    # Make the newline likely so random tunes end within a few dozen characters.
    weights["dense/bias"][tiny_vocab.id_of("\n")] += 3.0
    return save_model_dir(tmp_path / "model", config, tiny_vocab, weights, {"valid_bpc": 9.9})


@pytest.fixture
def corpus_files(tmp_path: Path) -> tuple[Path, Path]:
    train = tmp_path / "train.abc"
    valid = tmp_path / "valid.abc"
    train.write_text(TINY_CORPUS, encoding="utf-8")
    valid.write_text(TINY_CORPUS.split("\n\n")[0] + "\n\n" + TINY_CORPUS.split("\n\n")[2] + "\n",
                     encoding="utf-8")
    return train, valid


@pytest.fixture
def run_python():  # type: ignore[no-untyped-def]
    """Run Python code in a fresh interpreter with ``abcparse.generator`` importable."""
    import subprocess
    import sys

    def run(code: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        env = dict(os.environ)
        env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
        return subprocess.run([sys.executable, "-c", BOOTSTRAP + code], capture_output=True,
                              text=True, env=env, timeout=timeout, cwd=str(ROOT))

    return run

