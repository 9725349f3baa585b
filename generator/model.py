"""The Keras 3 network, built in code from a :class:`GeneratorConfig`; imports TensorFlow.

Embedding → LSTM x n (dropout between layers and before the output) → [copy attention] →
Dense over the vocabulary. The Dense layer outputs logits; the softmax is applied by the loss
(``from_logits=True``, numerically safer than a softmax layer followed by a log) and by
:func:`keras_probabilities` / the NumPy sampler when probabilities are wanted.

Weights move in and out as a flat ``{name: ndarray}`` dict (:func:`get_weights` /
:func:`set_weights`) with names that do not depend on Keras's auto-generated layer names, so
``weights.npz`` is plain NumPy and the NumPy sampler reads it without TensorFlow.

Gate layout: Keras packs the LSTM kernels as ``[input, forget, cell, output]`` along the last
axis (4 x units); the NumPy sampler relies on that order.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from .config import GeneratorConfig
from .store import LoadedModel, load_model_dir

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep TensorFlow's start-up chatter off
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras


class CopyAttention(keras.layers.Layer):  # type: ignore[misc]
    """Copy heads: where in this tune was the network in a state like the present one, and
    which character came next there? A tune repeats its parts, so that character is the
    best guess for the next one; an LSTM alone has to remember it, this looks it up.

    For each position ``t`` and head, a query from the top state after character ``t`` is
    compared (scaled dot product) with a key from the state *before* each character ``s <=
    t`` (a zero state before the first); the softmax of the scores weighs the characters
    ``s``, giving a distribution over the vocabulary. The output is the state followed by one
    such distribution per head, which the Dense layer reads. The score for ``s`` needs only
    what precedes ``t + 1``, so the layer is causal and the NumPy sampler runs it step by
    step (:class:`generator.sampler.NumpyLSTM`). It is the learned counterpart of the
    continuous cache (generator/cache.py), which compares states with a fixed kernel.
    """

    def __init__(self, heads: int, dim: int, vocab_size: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.heads, self.dim, self.vocab_size = heads, dim, vocab_size

    def build(self, input_shape: Any) -> None:
        units = int(input_shape[0][-1])
        size = (units, self.heads * self.dim)
        self.query = self.add_weight(name="query", shape=size, initializer="glorot_uniform")
        self.key = self.add_weight(name="key", shape=size, initializer="glorot_uniform")

    def call(self, inputs: Any) -> Any:
        ops = keras.ops
        h, ids = inputs
        b, t = ops.shape(h)[0], ops.shape(h)[1]
        heads, dim = self.heads, self.dim
        before = ops.pad(h[:, :-1], [[0, 0], [1, 0], [0, 0]])

        def split(x: Any) -> Any:  # (b, t, heads*dim) -> (b, heads, t, dim)
            return ops.transpose(ops.reshape(x, (b, t, heads, dim)), (0, 2, 1, 3))

        q = split(ops.matmul(h, self.query))
        k = split(ops.matmul(before, self.key))
        scores = ops.matmul(q, ops.transpose(k, (0, 1, 3, 2))) * (1.0 / dim**0.5)
        causal = ops.tril(ops.ones((t, t), dtype="bool"))
        scores = ops.where(causal[None, None], scores, ops.full_like(scores, -1e9))
        weights = ops.softmax(scores, axis=-1)
        chars = ops.one_hot(ids, self.vocab_size, dtype=h.dtype)[:, None]  # (b, 1, t, V)
        copied = ops.matmul(weights, chars)  # (b, heads, t, V)
        copied = ops.reshape(ops.transpose(copied, (0, 2, 1, 3)), (b, t, heads * self.vocab_size))
        return ops.concatenate([h, copied], axis=-1)


def build_model(config: GeneratorConfig, vocab_size: int) -> keras.Model:
    """Stateless training/evaluation model: int ids (batch, time) → logits (batch, time, vocab)."""
    inputs = keras.Input(shape=(None,), dtype="int32", name="ids")
    x = keras.layers.Embedding(vocab_size, config.embedding_dim, name="embedding")(inputs)
    if config.embedding_dropout > 0:
        x = keras.layers.Dropout(config.embedding_dropout, name="embedding_dropout")(x)
    for i, units in enumerate(config.lstm_units):
        x = keras.layers.LSTM(units, return_sequences=True, name=f"lstm_{i}",
                              recurrent_dropout=config.recurrent_dropout)(x)
        if config.dropout > 0:
            x = keras.layers.Dropout(config.dropout, name=f"dropout_{i}")(x)
    if config.copy_heads:
        x = CopyAttention(config.copy_heads, config.copy_dim, vocab_size, name="copy")([x, inputs])
    logits = keras.layers.Dense(vocab_size, name="dense")(x)
    return keras.Model(inputs, logits, name="abc_char_lstm")


def _layer_variables(model: keras.Model, config: GeneratorConfig) -> dict[str, Any]:
    out: dict[str, Any] = {"embedding": model.get_layer("embedding").embeddings}
    for i in range(len(config.lstm_units)):
        cell = model.get_layer(f"lstm_{i}").cell
        out[f"lstm_{i}/kernel"] = cell.kernel
        out[f"lstm_{i}/recurrent_kernel"] = cell.recurrent_kernel
        out[f"lstm_{i}/bias"] = cell.bias
    if config.copy_heads:
        copy = model.get_layer("copy")
        out["copy/query"] = copy.query
        out["copy/key"] = copy.key
    dense = model.get_layer("dense")
    out["dense/kernel"] = dense.kernel
    out["dense/bias"] = dense.bias
    return out


def get_weights(model: keras.Model, config: GeneratorConfig) -> dict[str, np.ndarray]:
    return {k: np.asarray(v.numpy(), dtype=np.float32)
            for k, v in _layer_variables(model, config).items()}


def set_weights(
    model: keras.Model, config: GeneratorConfig, weights: dict[str, np.ndarray]
) -> None:
    for name, var in _layer_variables(model, config).items():
        value = np.asarray(weights[name], dtype=np.float32)
        if tuple(value.shape) != tuple(var.shape):
            raise ValueError(f"weight {name}: shape {value.shape} != model's {tuple(var.shape)}")
        var.assign(value)


def keras_probabilities(model: keras.Model, ids: np.ndarray) -> np.ndarray:
    """Softmax probabilities for a batch of id sequences (inference mode: no dropout)."""
    logits = model(np.asarray(ids, dtype=np.int32), training=False)
    return np.asarray(keras.ops.softmax(logits, axis=-1))


def load_keras_model(folder: str | Path) -> tuple[keras.Model, LoadedModel]:
    """A model folder as a Keras model: verified by its manifest, rebuilt in code from
    config.json, weights assigned from weights.npz. Never ``keras.models.load_model``,
    which would deserialise whatever a downloaded file describes."""
    loaded = load_model_dir(folder)
    model = build_model(loaded.config, loaded.vocab.size)
    set_weights(model, loaded.config, loaded.weights)
    return model, loaded
