"""Pure-NumPy LSTM inference and batched sampling; never imports TensorFlow.

Why NumPy: the lab's sampler calls a Keras model once per character, paying the framework's
per-call overhead (milliseconds) for a matrix-vector product worth microseconds. Here one
step of a whole batch is a handful of NumPy calls on preallocated float32 buffers:

* **Embedding folded into the first layer.** ``embedding[v] @ W_x + b`` is precomputed for
  every character ``v`` into a table (vocab x 4*units), so layer 0's input projection is a row
  lookup instead of a matmul.
* **Fused gates.** The four gates come out of one matmul (``h @ U`` for layer 0,
  ``[x, h] @ [W; U]`` above it) into one (batch x 4*units) buffer.
* **One activation call for all gates.** The cell gate's columns are pre-scaled by 2 so that
  ``tanh(z) = 2*sigmoid(2z) - 1``: one sigmoid over the whole buffer serves all four gates.
* **Shrinking batch.** Rows that have written their end of tune leave the batch, so the
  cost follows the number of unfinished tunes.
* **Copy heads step by step.** Every row of a batch has read the same number of
  characters, so the heads' keys (:class:`CopyHistory`) are one array per batch and a
  step's lookup is one batched matmul over them and one ``bincount`` into the vocabulary.

Each row of a batch stops at its own end of tune (a blank line, see ``vocab.END_OF_TUNE``) or
at ``max_chars``. Sampling draws from a seeded ``numpy.random.Generator`` (PCG64), so the same
model, arguments and seed give byte-identical text.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from .cache import BatchCache, CacheParams, RowCache, TuneStates
from .config import GeneratorConfig
from .store import LoadedModel, load_model_dir
from .vocab import BOS, PAD, RESERVED, UNK, Vocab

DEFAULT_PRIME = "X:1\n"
DEFAULT_MAX_CHARS = 2000


class RowConstraint(Protocol):
    """Constrained decoding, one object per batch row (see :mod:`.constrain`).

    ``feed(ch)`` answers whether ``ch`` may come next and, if so, advances the row's state;
    a refused character leaves the state as it was. ``give_up()`` is called when every
    character was refused (the model and the constraint disagree completely): the row then
    samples freely, and the generate loop's validation and repair take over.
    """

    def feed(self, ch: str) -> bool: ...

    def give_up(self) -> None: ...


ConstraintFactory = Callable[[], RowConstraint]


@dataclass(frozen=True, slots=True)
class Sample:
    """One sampled tune: ``text`` includes the prime; ``finished`` is False when it hit the cap.

    A finished tune's text ends with exactly one newline (the end-of-tune blank line is
    removed), ready to be joined with blank lines into a tunebook.
    """

    text: str
    finished: bool


@dataclass(slots=True)
class CopyHistory:
    """What the copy heads look back on, per row: the key of the state before each character
    read so far and that character (see :class:`generator.model.CopyAttention`). Every row
    of a batch has read the same number of characters, ``n``.

    Keys are stored heads-first (rows x heads x capacity x dim) so that the keys read so far
    are a view, and the capacity doubles as a tune grows.
    """

    keys: np.ndarray
    chars: np.ndarray
    n: int = 0

    @classmethod
    def empty(cls, rows: int, heads: int, dim: int, capacity: int = 64) -> CopyHistory:
        return cls(np.zeros((rows, heads, capacity, dim), np.float32),
                   np.zeros((rows, capacity), np.intp))

    def take(self, idx: np.ndarray) -> CopyHistory:
        n = self.n
        return CopyHistory(self.keys[idx, :, :n].copy(), self.chars[idx, :n].copy(), n)

    def remember(self, keys: np.ndarray, ids: np.ndarray) -> None:
        """Add one key (rows x heads*dim) and the character it precedes (rows)."""
        rows, heads, cap, dim = self.keys.shape
        if self.n == cap:
            grown = CopyHistory.empty(rows, heads, dim, max(64, 2 * cap))
            grown.keys[:, :, : self.n] = self.keys
            grown.chars[:, : self.n] = self.chars
            self.keys, self.chars = grown.keys, grown.chars
        self.keys[:, :, self.n] = keys.reshape(rows, heads, dim)
        self.chars[:, self.n] = ids
        self.n += 1

    def read(self, queries: np.ndarray, vocab: int) -> np.ndarray:
        """Each head's distribution over the characters that followed the states most like
        the query (rows x heads*dim -> rows x heads*vocab)."""
        rows, heads, _, dim = self.keys.shape
        keys = self.keys[:, :, : self.n]
        q = queries.reshape(rows, heads, dim, 1)
        scores = np.matmul(keys, q)[..., 0] * np.float32(1.0 / dim**0.5)  # rows x heads x n
        scores -= scores.max(axis=-1, keepdims=True)
        np.exp(scores, out=scores)
        scores /= scores.sum(axis=-1, keepdims=True)
        slot = (np.arange(rows * heads) * vocab).reshape(rows, heads, 1)
        where = slot + self.chars[:, None, : self.n]
        out = np.bincount(where.ravel(), weights=scores.ravel(), minlength=rows * heads * vocab)
        return out.reshape(rows, heads * vocab).astype(np.float32)


@dataclass(slots=True)
class LSTMState:
    """Explicit recurrent state of a batch: per layer ``h`` and ``c`` (rows x units), and
    the copy heads' history when the network has them."""

    h: list[np.ndarray]
    c: list[np.ndarray]
    history: CopyHistory | None = None

    @property
    def rows(self) -> int:
        return int(self.h[0].shape[0])

    def take(self, rows: np.ndarray | Sequence[int]) -> LSTMState:
        idx = np.asarray(rows, dtype=np.intp)
        return LSTMState([h[idx].copy() for h in self.h], [c[idx].copy() for c in self.c],
                         None if self.history is None else self.history.take(idx))

    def copy(self) -> LSTMState:
        return self.take(np.arange(self.rows))


class NumpyLSTM:
    """The trained network as NumPy arrays, with a batched single-step forward pass."""

    def __init__(self, config: GeneratorConfig, vocab: Vocab, weights: dict[str, np.ndarray]):
        self.config = config
        self.vocab = vocab
        self.units = tuple(config.lstm_units)
        f32 = np.float32
        w = {k: np.asarray(v, dtype=f32) for k, v in weights.items()}

        def scale_cell(m: np.ndarray, u: int) -> np.ndarray:
            m = m.copy()
            m[..., 2 * u : 3 * u] *= 2.0  # tanh(z) = 2*sigmoid(2z) - 1
            return m

        u0 = self.units[0]
        table = w["embedding"] @ w["lstm_0/kernel"] + w["lstm_0/bias"]
        self.table0 = np.ascontiguousarray(scale_cell(table, u0), dtype=f32)
        self.rec0 = np.ascontiguousarray(scale_cell(w["lstm_0/recurrent_kernel"], u0))
        self.upper: list[tuple[np.ndarray, np.ndarray]] = []
        for i in range(1, len(self.units)):
            u = self.units[i]
            stacked = np.vstack([w[f"lstm_{i}/kernel"], w[f"lstm_{i}/recurrent_kernel"]])
            self.upper.append(
                (np.ascontiguousarray(scale_cell(stacked, u)), scale_cell(w[f"lstm_{i}/bias"], u))
            )
        top = self.units[-1]
        self.dense_w = np.ascontiguousarray(w["dense/kernel"][:top])
        self.dense_b = w["dense/bias"].copy()
        self.heads, self.head_dim = config.copy_heads, config.copy_dim
        if self.heads:
            self.copy_query = np.ascontiguousarray(w["copy/query"])
            self.copy_key = np.ascontiguousarray(w["copy/key"])
            self.copy_dense = np.ascontiguousarray(w["dense/kernel"][top:])
        self._cap = 0
        self._alloc(1)
        self._prime_cache: dict[str, tuple[LSTMState, np.ndarray, RowCache]] = {}
        self.cache = CacheParams(config.cache_theta, config.cache_bias, config.cache_scale)

    @classmethod
    def from_loaded(cls, loaded: LoadedModel) -> NumpyLSTM:
        return cls(loaded.config, loaded.vocab, loaded.weights)

    @classmethod
    def from_dir(cls, folder: str | Path) -> NumpyLSTM:
        return cls.from_loaded(load_model_dir(folder))

    # -- buffers ----------------------------------------------------------------------------
    def _alloc(self, rows: int) -> None:
        """Grow the scratch buffers to ``rows``; views ``[:b]`` serve every smaller batch."""
        if rows <= self._cap:
            return
        f32 = np.float32
        self._z = [np.empty((rows, 4 * u), f32) for u in self.units]
        self._tmp = [np.empty((rows, u), f32) for u in self.units]
        ins = [self.units[i - 1] + self.units[i] for i in range(1, len(self.units))]
        self._xh = [np.empty((rows, n), f32) for n in ins]
        self._logits = np.empty((rows, self.vocab.size), f32)
        self._cap = rows

    def zero_state(self, rows: int) -> LSTMState:
        return LSTMState(
            [np.zeros((rows, u), np.float32) for u in self.units],
            [np.zeros((rows, u), np.float32) for u in self.units],
            CopyHistory.empty(rows, self.heads, self.head_dim) if self.heads else None,
        )

    # -- one step ---------------------------------------------------------------------------
    def _cell(self, z: np.ndarray, c: np.ndarray, h: np.ndarray, tmp: np.ndarray, u: int) -> None:
        """Gate activations and state update, in place on ``z``, ``c`` and ``h``."""
        np.negative(z, out=z)
        np.exp(z, out=z)
        z += 1.0
        np.reciprocal(z, out=z)  # sigmoid of every gate (cell gate pre-scaled by 2)
        i, f, g, o = z[:, :u], z[:, u : 2 * u], z[:, 2 * u : 3 * u], z[:, 3 * u :]
        g *= 2.0
        g -= 1.0  # = tanh of the unscaled cell pre-activation
        c *= f
        np.multiply(i, g, out=tmp)
        c += tmp
        np.tanh(c, out=tmp)
        np.multiply(o, tmp, out=h)

    def step(self, ids: np.ndarray, state: LSTMState) -> np.ndarray:
        """Feed one id per row, update ``state`` in place, return logits (rows x vocab).

        The returned array is a scratch buffer, overwritten by the next call.
        """
        b = len(ids)
        self._alloc(b)
        if state.history is not None:  # the key of the state before this character
            state.history.remember(state.h[-1] @ self.copy_key, ids)
        u0 = self.units[0]
        z = self._z[0][:b]
        np.matmul(state.h[0], self.rec0, out=z)
        z += self.table0[ids]
        self._cell(z, state.c[0], state.h[0], self._tmp[0][:b], u0)
        x = state.h[0]
        for li, (wcat, bias) in enumerate(self.upper, start=1):
            u = self.units[li]
            xh = self._xh[li - 1][:b]
            n_in = x.shape[1]
            xh[:, :n_in] = x
            xh[:, n_in:] = state.h[li]
            z = self._z[li][:b]
            np.matmul(xh, wcat, out=z)
            z += bias
            self._cell(z, state.c[li], state.h[li], self._tmp[li][:b], u)
            x = state.h[li]
        logits = self._logits[:b]
        np.matmul(x, self.dense_w, out=logits)
        logits += self.dense_b
        if state.history is not None:
            copied = state.history.read(x @ self.copy_query, self.vocab.size)
            logits += copied @ self.copy_dense
        return logits

    # -- whole sequences --------------------------------------------------------------------
    def sequence_logits(self, ids: np.ndarray, state: LSTMState | None = None) -> np.ndarray:
        """LSTM logits for every position of an id batch (rows x time), without the cache; a
        fresh zero state by default."""
        return self.sequence_outputs(ids, state)[0]

    def sequence_outputs(
        self, ids: np.ndarray, state: LSTMState | None = None, *, states: bool = False
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """LSTM logits (rows x time x vocab) and, with ``states``, the top layer's state
        after each input (rows x time x units), which the cache works on."""
        ids = np.asarray(ids, dtype=np.intp)
        if ids.ndim == 1:
            ids = ids[None, :]
        st = state if state is not None else self.zero_state(ids.shape[0])
        out = np.empty((ids.shape[0], ids.shape[1], self.vocab.size), np.float32)
        hs = (np.empty((ids.shape[0], ids.shape[1], self.units[-1]), np.float32)
              if states else None)
        for t in range(ids.shape[1]):
            out[:, t] = self.step(ids[:, t], st)
            if hs is not None:
                hs[:, t] = st.h[-1]
        return out, hs

    def sequence_probabilities(self, ids: np.ndarray) -> np.ndarray:
        return softmax(self.sequence_logits(ids))

    def char_bits(self, tunes: Sequence[str], batch_size: int = 64) -> list[np.ndarray]:
        """Per tune, the cost in bits of each character and of its end-of-tune newline.

        Each tune runs from a zero state after BOS, as in training and sampling; tunes are
        batched by length so the padding stays small.
        """

        return [ts.bits(self.cache) for ts in self.tune_states(tunes, batch_size)]

    def tune_states(self, tunes: Sequence[str], batch_size: int = 64) -> list[TuneStates]:
        """Each tune run through the network (zero state after BOS): what the cache and its
        fitting need (see :class:`~abcparse.generator.cache.TuneStates`)."""
        from .data import pad_batch, tune_sequences

        seqs = [tune_sequences(t, self.vocab, max_len=10**9)[0] for t in tunes]
        out: list[TuneStates] = [None] * len(seqs)  # type: ignore[list-item]
        order = np.argsort([len(s) for s in seqs], kind="stable")
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size]
            x, y = pad_batch([seqs[i] for i in rows])
            logits, hs = self.sequence_outputs(x, states=True)
            assert hs is not None
            logp = log_softmax(logits.astype(np.float64))
            picked = np.exp(np.take_along_axis(logp, y[..., None], axis=-1)[..., 0])
            for r, i in enumerate(rows):
                n = len(seqs[i]) - 1
                out[i] = TuneStates.build(hs[r, :n], picked[r, :n], y[r, :n])
        return out

    def bits_per_char(self, tunes: Sequence[str], *, body_only: bool = False) -> float:
        """Held-out bits/char over whole tunes, or over their bodies (after the first K: line).

        Whole tunes count every character plus each tune's end-of-tune newline, the same
        characters a file of those tunes holds, so the number compares with
        ``benchmarks/ngram_baseline.py`` on that file.
        """
        total, count = 0.0, 0
        for tune, bits in zip(tunes, self.char_bits(tunes), strict=True):
            if body_only:
                from .data import body_offset

                bits = bits[body_offset(tune) :]
            total += float(bits.sum())
            count += len(bits)
        return total / max(1, count)

    # -- sampling ---------------------------------------------------------------------------
    def prime_state(self, prime: str) -> tuple[LSTMState, np.ndarray]:
        st, logits, _ = self._prime(prime)
        return st, logits

    def _prime(self, prime: str) -> tuple[LSTMState, np.ndarray, RowCache]:
        """State after BOS + ``prime`` (one row), the logits for the next character, and the
        cache's history of the prime (each state and the character that followed it).

        Cached per prime: a generate loop calls :meth:`sample_batch` many times with the same
        prime, and the cached copy is never modified (callers get copies).
        """
        cached = self._prime_cache.get(prime)
        if cached is not None:
            return cached[0].copy(), cached[1].copy(), cached[2].copy()
        st = self.zero_state(1)
        ids = np.concatenate([[BOS], self.vocab.encode(prime)]).astype(np.intp)
        logits = np.zeros((1, self.vocab.size), np.float32)
        history = RowCache(self.units[-1])
        for k, i in enumerate(ids):
            logits = self.step(np.array([i], dtype=np.intp), st)
            if k + 1 < len(ids):
                history.add(st.h[-1][0], int(ids[k + 1]))
        if len(self._prime_cache) >= 16:
            self._prime_cache.clear()
        self._prime_cache[prime] = (st.copy(), logits.copy(), history.copy())
        return st, logits.copy(), history

    def sample_batch(
        self,
        n: int,
        *,
        seed: int,
        temperature: float = 1.0,
        top_k: int = 0,
        top_p: float = 1.0,
        prime: str = DEFAULT_PRIME,
        max_chars: int = DEFAULT_MAX_CHARS,
        constraint: ConstraintFactory | None = None,
    ) -> list[Sample]:
        """Sample ``n`` tunes in parallel, each until its own blank line or ``max_chars``.

        ``temperature`` 0 is greedy; ``top_k`` 0 and ``top_p`` 1 disable those filters. The
        same arguments and seed give the same texts; a loop asking for more tunes calls this
        again with another seed. ``constraint`` makes one :class:`RowConstraint` per row
        (already fed with ``prime``): a drawn character it refuses is masked out and the row
        draws again from what is left, which is sampling from the model's distribution
        restricted to the characters the constraint allows.
        """
        if n < 0:
            raise ValueError("n must be >= 0")
        if temperature < 0 or not 0.0 < top_p <= 1.0 or top_k < 0 or max_chars < 1:
            raise ValueError("need temperature >= 0, 0 < top_p <= 1, top_k >= 0, max_chars >= 1")
        if n == 0:
            return []
        rng = np.random.default_rng(seed)
        st1, first_logits, history = self._prime(prime)
        caches = BatchCache(history, n, self.vocab.size) if self.cache.on else None
        state = st1.take(np.zeros(n, dtype=np.intp))
        logits = np.repeat(first_logits, n, axis=0)
        newline = self.vocab.id_of("\n")
        prev_nl = np.full(n, prime.endswith("\n"), dtype=bool)
        out = np.zeros((n, max_chars), dtype=np.int32)
        lengths = np.zeros(n, dtype=np.int64)
        finished = np.zeros(n, dtype=bool)
        active = np.arange(n)  # original row of each live batch row
        banned = np.array([PAD, UNK, BOS], dtype=np.intp)
        rows = [constraint() for _ in range(n)] if constraint is not None else None
        for t in range(max_chars):
            if caches is not None:
                top = state.h[-1]
                logits = caches.mix(logits, top, self.cache)
            ids = choose(logits, rng, temperature, top_k, top_p, banned)
            if rows is not None:
                ids = self._constrain(ids, logits, active, rows, rng, temperature, top_k,
                                      top_p, banned)
            if caches is not None:
                caches.add(top, ids)
            out[active, t] = ids
            lengths[active] = t + 1
            is_nl = ids == newline
            done = is_nl & prev_nl[active]
            prev_nl[active] = is_nl
            if done.any():
                finished[active[done]] = True
                keep = np.flatnonzero(~done)
                if keep.size == 0:
                    break
                active = active[keep]
                state = state.take(keep)
                if caches is not None:
                    caches.keep(keep)
                ids = ids[keep]
            if t + 1 == max_chars:
                break
            logits = self.step(ids.astype(np.intp), state)
        samples = []
        chars = self.vocab.chars
        base = len(RESERVED)
        for r in range(n):
            text = prime + "".join(chars[i - base] for i in out[r, : lengths[r]])
            if finished[r]:
                text = text[:-1]  # drop the end-of-tune blank line's newline
            samples.append(Sample(text, bool(finished[r])))
        return samples


    def _constrain(
        self,
        ids: np.ndarray,
        logits: np.ndarray,
        active: np.ndarray,
        rows: list[RowConstraint],
        rng: np.random.Generator,
        temperature: float,
        top_k: int,
        top_p: float,
        banned: np.ndarray,
    ) -> np.ndarray:
        """Replace each drawn id its row's constraint refuses by a new draw without it.

        Rejection sampling: the first draw of every row is the unconstrained one, so rows
        the constraint agrees with (nearly all) cost one ``feed``; a refused id is set to
        -inf in that row's copy of the logits and the refused rows draw again, until every
        row has an allowed character or a row has nothing left (then its constraint gives
        up and it keeps its first draw). Deterministic: the draws come from ``rng`` in a
        fixed order."""
        chars = self.vocab.chars
        base = len(RESERVED)
        bad = [r for r in range(len(ids)) if not rows[active[r]].feed(chars[ids[r] - base])]
        if not bad:
            return ids
        ids = ids.copy()
        lg = logits[bad].astype(np.float64)
        lg[:, banned] = -np.inf
        first = ids[bad].copy()
        pending = np.arange(len(bad))
        lg[pending, ids[bad]] = -np.inf
        while pending.size:
            alive = np.isfinite(lg[pending]).any(axis=1)
            for j in pending[~alive]:
                rows[active[bad[j]]].give_up()
                rows[active[bad[j]]].feed(chars[first[j] - base])
            pending = pending[alive]
            if not pending.size:
                break
            new = choose(lg[pending], rng, temperature, top_k, top_p, banned)
            still = []
            for j, i in zip(pending, new, strict=True):
                r = bad[j]
                if rows[active[r]].feed(chars[i - base]):
                    ids[r] = i
                else:
                    lg[j, i] = -np.inf
                    still.append(j)
            pending = np.asarray(still, dtype=np.intp)
        return ids


def softmax(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(axis=-1, keepdims=True)
    e = np.exp(z)
    out: np.ndarray = e / e.sum(axis=-1, keepdims=True)
    return out


def log_softmax(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(axis=-1, keepdims=True)
    out: np.ndarray = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))
    return out


def choose(
    logits: np.ndarray,
    rng: np.random.Generator,
    temperature: float,
    top_k: int,
    top_p: float,
    banned: np.ndarray,
) -> np.ndarray:
    """Draw one id per row from temperature-scaled, top-k/top-p filtered logits.

    Works in float64 on sorted rows: sorting 64 x ~90 values costs microseconds and makes
    top-k (a rank cut) and top-p (a cumulative-mass cut, always keeping the best id) the same
    operation. One uniform draw per row, inverted through the kept mass, picks the id.
    """
    lg = logits.astype(np.float64)
    lg[:, banned] = -np.inf
    if temperature == 0:
        greedy: np.ndarray = np.argmax(lg, axis=1)
        return greedy
    order = np.argsort(-lg, axis=1, kind="stable")
    srt = np.take_along_axis(lg, order, axis=1) / temperature
    p = np.exp(srt - srt[:, :1])
    if top_k > 0:
        p[:, top_k:] = 0.0
    if top_p < 1.0:
        cum = np.cumsum(p, axis=1)
        total = cum[:, -1:]
        # keep ids whose preceding mass is below top_p of the total
        p[:, 1:][(cum[:, :-1] >= top_p * total)] = 0.0
    cum = np.cumsum(p, axis=1)
    u = rng.random(len(p)) * cum[:, -1]
    pick = (cum < u[:, None]).sum(axis=1)
    pick = np.minimum(pick, p.shape[1] - 1)
    picked: np.ndarray = order[np.arange(len(p)), pick]
    return picked


class Sampler:
    """A loaded model ready to sample: the object phase B's generate loop holds on to."""

    def __init__(self, net: NumpyLSTM, loaded: LoadedModel | None = None) -> None:
        self.net = net
        self.loaded = loaded

    @classmethod
    def from_dir(cls, folder: str | Path) -> Sampler:
        loaded = load_model_dir(folder)
        return cls(NumpyLSTM.from_loaded(loaded), loaded)

    def sample_batch(
        self,
        n: int,
        *,
        seed: int,
        temperature: float = 1.0,
        top_k: int = 0,
        top_p: float = 1.0,
        prime: str = DEFAULT_PRIME,
        max_chars: int = DEFAULT_MAX_CHARS,
        constraint: ConstraintFactory | None = None,
    ) -> list[Sample]:
        """See :meth:`NumpyLSTM.sample_batch`."""
        return self.net.sample_batch(n, seed=seed, temperature=temperature, top_k=top_k,
                                     top_p=top_p, prime=prime, max_chars=max_chars,
                                     constraint=constraint)
