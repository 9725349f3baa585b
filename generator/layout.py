"""Names and shapes of the arrays in ``weights.npz`` (NumPy-free, TensorFlow-free).

Kept apart from :mod:`generator.model` so that loading and checking a model folder, and
sampling from it, never import Keras.
"""

from __future__ import annotations

from .config import GeneratorConfig


def weight_names(config: GeneratorConfig) -> list[str]:
    """Array names in a fixed order: embedding, per LSTM layer (kernel, recurrent, bias), the
    copy heads' projections (when there are heads), dense."""
    names = ["embedding"]
    for i in range(len(config.lstm_units)):
        names += [f"lstm_{i}/kernel", f"lstm_{i}/recurrent_kernel", f"lstm_{i}/bias"]
    if config.copy_heads:
        names += ["copy/query", "copy/key"]
    return [*names, "dense/kernel", "dense/bias"]


def expected_shapes(config: GeneratorConfig, vocab_size: int) -> dict[str, tuple[int, ...]]:
    """Shapes every weights.npz for this config must have (checked before any use).

    LSTM kernels pack the four gates along the last axis in Keras's order
    ``[input, forget, cell, output]``; the copy projections pack the heads along the last
    axis, ``copy_dim`` columns each.
    """
    shapes: dict[str, tuple[int, ...]] = {"embedding": (vocab_size, config.embedding_dim)}
    fan_in = config.embedding_dim
    for i, u in enumerate(config.lstm_units):
        shapes[f"lstm_{i}/kernel"] = (fan_in, 4 * u)
        shapes[f"lstm_{i}/recurrent_kernel"] = (u, 4 * u)
        shapes[f"lstm_{i}/bias"] = (4 * u,)
        fan_in = u
    heads, dim = config.copy_heads, config.copy_dim
    if heads:
        # Query from the state after a character, key from the state before one; the output
        # layer reads the state, then each head's distribution over the vocabulary.
        shapes["copy/query"] = (fan_in, heads * dim)
        shapes["copy/key"] = (fan_in, heads * dim)
    shapes["dense/kernel"] = (fan_in + heads * vocab_size, vocab_size)
    shapes["dense/bias"] = (vocab_size,)
    return shapes
