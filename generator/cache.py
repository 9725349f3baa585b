"""A continuous cache over the tune written so far (Grave et al., "Improving Neural Language
Models with a Continuous Cache", ICLR 2017), with a gate: the LSTM's next-character
distribution is mixed with one that copies what followed similar states earlier in the tune.

Why: folk tunes repeat themselves (AABB forms, a phrase played twice with a different
ending), and a 512-unit LSTM trained on 640 tunes copies poorly: characters whose 12-character
context already occurred earlier in the same tune, followed by the same character, still
cost it about 1.3 bits each. The cache needs no training; it is a fixed function of the
network's top-layer states:

* for each earlier position ``i`` of the tune (state ``h_i``, the character ``y_i`` that
  followed it), a weight ``softmax_i(theta * h_t . h_i)``; the cache distribution puts each
  weight on its ``y_i``;
* a gate ``lambda_t = sigmoid(bias + scale * max_i cos(h_t, h_i))``: the cache speaks up
  when the network is in a state it has clearly been in before, and keeps quiet otherwise;
* ``p_t = (1 - lambda_t) * p_lstm + lambda_t * p_cache``.

The three numbers (``cache_theta``, ``cache_bias``, ``cache_scale`` in ``config.json``) are
fitted on the validation set after training (:func:`fit`); ``cache_theta = 0`` turns the
cache off. Held-out bits/char, sampling and ``generate`` all use the same mixture, so the
numbers reported are those of the distribution the tunes are drawn from.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

THETAS = (0.2, 0.3, 0.4, 0.5, 0.7)
BIASES = (-6.0, -10.0, -14.0, -18.0, -22.0)
SCALES = (8.0, 12.0, 16.0, 20.0, 24.0)


@dataclass(frozen=True, slots=True)
class CacheParams:
    theta: float
    bias: float
    scale: float

    @property
    def on(self) -> bool:
        return self.theta > 0


def _sigmoid(x: np.ndarray) -> np.ndarray:
    out: np.ndarray = 0.5 * (1.0 + np.tanh(0.5 * x))
    return out


@dataclass
class TuneStates:
    """One tune run through the network: top-layer states, the LSTM's probability of each
    target, and the targets; with their Gram matrix and cosine maxima, which do not depend
    on the cache parameters (so fitting evaluates many parameter sets cheaply)."""

    gram: np.ndarray  # (T, T) float64, h_t . h_i
    max_cos: np.ndarray  # (T,) max over i < t of cos(h_t, h_i); -1 for t = 0
    p_lstm: np.ndarray  # (T,) probability of y_t under the LSTM
    same: np.ndarray  # (T, T) bool, y_i == y_t
    lower: np.ndarray  # (T, T) bool, i < t

    @classmethod
    def build(cls, h: np.ndarray, p_target: np.ndarray, y: np.ndarray) -> TuneStates:
        h64 = np.asarray(h, dtype=np.float64)
        gram = h64 @ h64.T
        norm = np.sqrt(np.maximum(np.diag(gram), 1e-12))
        cos = gram / np.outer(norm, norm)
        n = len(y)
        lower = np.tril(np.ones((n, n), dtype=bool), -1)
        max_cos = np.where(lower, cos, -np.inf).max(axis=1) if n else np.zeros(0)
        if n:
            max_cos[0] = -1.0
        same = np.asarray(y)[None, :] == np.asarray(y)[:, None]
        return cls(gram, max_cos, np.asarray(p_target, dtype=np.float64), same, lower)

    def probabilities(self, params: CacheParams) -> np.ndarray:
        """Probability of each target under the mixture."""
        if not params.on or len(self.p_lstm) == 0:
            return self.p_lstm
        s = np.where(self.lower, params.theta * self.gram, -np.inf)
        top = s.max(axis=1, keepdims=True)
        top[0] = 0.0
        w = np.exp(s - top)
        w /= np.maximum(w.sum(axis=1, keepdims=True), 1e-300)
        p_cache = (w * self.same).sum(axis=1)
        lam = _sigmoid(params.bias + params.scale * self.max_cos)
        lam[0] = 0.0
        out: np.ndarray = (1.0 - lam) * self.p_lstm + lam * p_cache
        return out

    def bits(self, params: CacheParams) -> np.ndarray:
        out: np.ndarray = -np.log2(self.probabilities(params))
        return out


def fit(tunes: Sequence[TuneStates]) -> tuple[CacheParams, float]:
    """The grid point with the lowest bits/char over ``tunes`` (the validation set), and
    that bits/char. A small grid is enough: the optimum is flat (measured: +-0.005)."""
    total = sum(len(t.p_lstm) for t in tunes)
    best = CacheParams(0.0, 0.0, 0.0)
    best_bpc = sum(float(t.bits(best).sum()) for t in tunes) / max(1, total)
    for theta, bias, scale in itertools.product(THETAS, BIASES, SCALES):
        params = CacheParams(theta, bias, scale)
        bpc = sum(float(t.bits(params).sum()) for t in tunes) / max(1, total)
        if bpc < best_bpc - 1e-9:
            best, best_bpc = params, bpc
    return best, best_bpc


class RowCache:
    """The cache of one sampled tune: its states so far and the characters that followed."""

    __slots__ = ("h", "ids", "n", "norm")

    def __init__(self, units: int, capacity: int = 256) -> None:
        self.h = np.empty((capacity, units), dtype=np.float32)
        self.norm = np.empty(capacity, dtype=np.float32)
        self.ids = np.empty(capacity, dtype=np.intp)
        self.n = 0

    def copy(self) -> RowCache:
        out = RowCache.__new__(RowCache)
        out.h, out.norm, out.ids, out.n = self.h.copy(), self.norm.copy(), self.ids.copy(), self.n
        return out

    def add(self, h: np.ndarray, next_id: int) -> None:
        if self.n == len(self.ids):
            grow = 2 * len(self.ids)
            self.h = np.resize(self.h, (grow, self.h.shape[1]))
            self.norm = np.resize(self.norm, grow)
            self.ids = np.resize(self.ids, grow)
        self.h[self.n] = h
        self.norm[self.n] = math.sqrt(float(h @ h)) + 1e-6
        self.ids[self.n] = next_id
        self.n += 1

    def lookup(self, h: np.ndarray, params: CacheParams, vocab: int) -> tuple[np.ndarray, float]:
        """The cache distribution for state ``h`` and its gate (0 when the cache is empty)."""
        if not self.n:
            return np.zeros(vocab), 0.0
        dots = self.h[: self.n] @ h
        hn = math.sqrt(float(h @ h)) + 1e-6
        max_cos = float((dots / self.norm[: self.n]).max()) / hn
        s = params.theta * dots.astype(np.float64)
        w = np.exp(s - s.max())
        w /= w.sum()
        p_cache = np.bincount(self.ids[: self.n], weights=w, minlength=vocab)
        lam = 1.0 / (1.0 + math.exp(-(params.bias + params.scale * max_cos)))
        return p_cache, lam


class BatchCache:
    """The caches of a batch of sampled tunes, in one buffer so that one batched matmul
    serves every row.

    Every row of a batch starts together after the same prime, so all live rows always hold
    the same number of entries; a finished row leaves (its slot is skipped, and the buffer is
    compacted when most slots are dead). Measured on the shipped model at batch 64: the
    per-row loop cost as much as the LSTM step itself; this costs a fraction of it.
    """

    def __init__(self, prime: RowCache, rows: int, vocab: int) -> None:
        units = prime.h.shape[1]
        cap = max(256, 2 * prime.n)
        self.h = np.empty((rows, cap, units), dtype=np.float32)
        self.norm = np.empty((rows, cap), dtype=np.float32)
        self.ids = np.empty((rows, cap), dtype=np.intp)
        self.h[:, : prime.n] = prime.h[: prime.n]
        self.norm[:, : prime.n] = prime.norm[: prime.n]
        self.ids[:, : prime.n] = prime.ids[: prime.n]
        self.n = prime.n
        self.slots = np.arange(rows)  # buffer slot of each live row, in batch order
        self.vocab = vocab

    def _views(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if len(self.slots) == self.h.shape[0]:
            return self.h[:, : self.n], self.norm[:, : self.n], self.ids[:, : self.n]
        s = self.slots
        return self.h[s, : self.n], self.norm[s, : self.n], self.ids[s, : self.n]

    def mix(self, logits: np.ndarray, h: np.ndarray, params: CacheParams) -> np.ndarray:
        """Log-probabilities of the mixture for the live rows (``logits``, states ``h``)."""
        z = logits.astype(np.float64)
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        if self.n:
            hv, nv, iv = self._views()
            dots = np.matmul(hv, h[:, :, None])[..., 0].astype(np.float64)
            hn = np.sqrt(np.einsum("ru,ru->r", h, h, dtype=np.float64)) + 1e-6
            max_cos = (dots / nv).max(axis=1) / hn
            sc = params.theta * dots
            w = np.exp(sc - sc.max(axis=1, keepdims=True))
            w /= w.sum(axis=1, keepdims=True)
            rows = len(h)
            flat = (iv + np.arange(rows)[:, None] * self.vocab).ravel()
            p_cache = np.bincount(flat, weights=w.ravel(),
                                  minlength=rows * self.vocab).reshape(rows, self.vocab)
            lam = _sigmoid(params.bias + params.scale * max_cos)[:, None]
            p = (1.0 - lam) * p + lam * p_cache
        with np.errstate(divide="ignore"):
            out: np.ndarray = np.log(p)
        return out

    def add(self, h: np.ndarray, next_ids: np.ndarray) -> None:
        """Append each live row's state and the character drawn after it."""
        if self.n == self.h.shape[1]:
            grow = 2 * self.n
            for name in ("h", "norm", "ids"):
                old = getattr(self, name)
                new = np.empty((old.shape[0], grow, *old.shape[2:]), dtype=old.dtype)
                new[:, : self.n] = old
                setattr(self, name, new)
        s = self.slots
        self.h[s, self.n] = h
        self.norm[s, self.n] = np.sqrt(np.einsum("ru,ru->r", h, h)) + 1e-6
        self.ids[s, self.n] = next_ids
        self.n += 1

    def keep(self, rows: np.ndarray) -> None:
        """Only these live rows (indices into the current batch order) go on. The buffer is
        compacted at once: one copy per finished row group costs less than gathering the
        live rows at every step."""
        s = self.slots[rows]
        self.h, self.norm, self.ids = self.h[s], self.norm[s], self.ids[s]
        self.slots = np.arange(len(s))


def mix_rows(
    logits: np.ndarray, h: np.ndarray, caches: Sequence[RowCache], params: CacheParams
) -> np.ndarray:
    """Log-probabilities of the mixture for a batch: row ``j`` uses ``caches[j]``."""
    z = logits.astype(np.float64)
    z -= z.max(axis=1, keepdims=True)
    p = np.exp(z)
    p /= p.sum(axis=1, keepdims=True)
    vocab = p.shape[1]
    lam = np.zeros((len(caches), 1))
    p_cache = np.zeros_like(p)
    for j, cache in enumerate(caches):
        p_cache[j], lam[j, 0] = cache.lookup(h[j], params, vocab)
    mixed = (1.0 - lam) * p + lam * p_cache
    with np.errstate(divide="ignore"):
        out: np.ndarray = np.log(mixed)
    return out
