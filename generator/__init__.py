"""abcparse.generator: a character-level LSTM that writes ABC tunes (optional plugin).

Importing this package is cheap and never imports TensorFlow: the sampler runs on NumPy, and
only training (:func:`abcparse.generator.train.train`) and the Keras model
(:mod:`abcparse.generator.model`) need the ``[train]`` extra (TensorFlow); sampling needs
the ``[generate]`` extra (NumPy, rapidfuzz). The names below are loaded on
first use.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = [
    "GeneratorConfig",
    "ModelIntegrityError",
    "ModelLoadError",
    "NumpyLSTM",
    "Sample",
    "Sampler",
    "Vocab",
    "load_model_dir",
]

_LAZY = {
    "GeneratorConfig": ".config",
    "ModelIntegrityError": ".store",
    "ModelLoadError": ".store",
    "load_model_dir": ".store",
    "NumpyLSTM": ".sampler",
    "Sample": ".sampler",
    "Sampler": ".sampler",
    "Vocab": ".vocab",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module, __name__), name)


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
