"""Training: Adam + gradient clipping, early stopping on validation bits/char, per-epoch
checkpoints, resume, a progress bar on a terminal, seeded; optional transposition.

Why a hand-written loop rather than ``model.fit``: resuming needs the optimizer's moments and
the data-order RNG saved in plain files we control (``.npz`` + JSON, never pickle), the
validation metric is bits/char over masked, variable-length tunes, and a ``max_minutes``
bound must be able to stop in the middle of an epoch (experiments share two CPU cores).

Learning-rate schedule: when an epoch does not improve validation bits/char, the rate is
multiplied by ``lr_decay``; after ``patience`` such epochs training stops. The weights kept
are those of the best epoch.

Output folder: the model files of :mod:`generator.store` plus ``checkpoint/`` (last epoch's
weights, optimizer state, RNG state and history) for ``resume=True``.
"""

from __future__ import annotations

import hashlib
import json
import math
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from . import limits
from .config import GeneratorConfig, network_parameters
from .data import batches, encode_corpus, read_tunes
from .rhythm import add_rhythm
from .store import (
    TRAIN_CORPUS,
    LoadedModel,
    atomic_write_bytes,
    load_model_dir,
    npz_bytes,
    save_model_dir,
    weights_to_bytes,
)
from .vocab import PAD, RESERVED, Vocab

CHECKPOINT = "checkpoint"
LN2 = math.log(2.0)
#: Largest checkpoint/state.json (history, config, vocabulary, RNG state) read on --resume.
MAX_STATE_BYTES = 16 * 1024 * 1024
#: Digits of its integers: the PCG64 state holds 128-bit numbers (39 digits).
_STATE_DIGITS = 40


class TrainError(Exception):
    """Bad training input (empty corpus, missing checkpoint...); one line for the user, at
    most :data:`~generator.limits.MAX_MESSAGE` characters."""

    def __init__(self, message: str) -> None:
        super().__init__(limits.clip(message))


@dataclass
class TrainResult:
    out_dir: Path
    metrics: dict[str, Any]
    history: list[dict[str, float]] = field(default_factory=list)


class Progress:
    """A one-line progress bar on a terminal, silence elsewhere (logs, CI, pipes)."""

    def __init__(self, stream: TextIO | None = None, enabled: bool | None = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        isatty = getattr(self.stream, "isatty", lambda: False)
        self.enabled = bool(isatty()) if enabled is None else enabled
        self._last = 0.0

    def update(self, epoch: int, done: int, total: int, loss_bpc: float, started: float) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if done < total and now - self._last < 0.2:
            return
        self._last = now
        width = 30
        filled = int(width * done / max(1, total))
        secs = now - started
        eta = secs / max(1, done) * (total - done)
        self.stream.write(
            f"\repoch {epoch:3d} [{'#' * filled}{'.' * (width - filled)}] {done}/{total} "
            f"train {loss_bpc:.3f} bits/char  {secs:5.0f}s eta {eta:4.0f}s"
        )
        self.stream.flush()

    def line(self, text: str) -> None:
        if self.enabled:
            self.stream.write("\r" + text + " " * 20 + "\n")
            self.stream.flush()


def corpus_sha256(*paths: str | Path) -> str:
    h = hashlib.sha256()
    for p in paths:
        h.update(Path(p).read_bytes())
    return h.hexdigest()


#: Share of training tunes shown with a derived ``R:`` line, drawn again every epoch.
RHYTHM_SHARE = 0.75


def train(
    train_path: str | Path,
    valid_path: str | Path,
    out_dir: str | Path,
    config: GeneratorConfig | None = None,
    seed: int = 0,
    *,
    epochs: int | None = None,
    resume: bool = False,
    max_minutes: float | None = None,
    augment: bool | None = None,
    init: str | Path | None = None,
    progress: Progress | None = None,
    log: Callable[[str], None] | None = None,
) -> TrainResult:
    """Train a model on ``train_path``, early-stopping on ``valid_path``; write ``out_dir``.

    ``epochs`` and ``augment`` override the config's values. With ``resume`` the config, vocab
    and state come from ``out_dir/checkpoint`` and training continues where it stopped.
    ``max_minutes`` bounds wall time: training stops (mid-epoch if need be), evaluates, and
    writes the best model so far. ``init`` names a model folder to start from (a warm start,
    see :func:`warm_weights`): its layers must match ``config``'s, which may add copy heads to
    a model that has none; the vocabulary becomes
    the union of its and the corpus's characters.
    """
    import keras
    import tensorflow as tf

    from .model import build_model, get_weights, set_weights

    started_wall = time.monotonic()
    out = Path(out_dir)
    ckpt = out / CHECKPOINT
    progress = progress or Progress()
    say = log or progress.line

    for p in (train_path, valid_path):
        if not Path(p).is_file():
            raise TrainError(f"{p}: file not found")
    train_tunes = read_tunes(train_path)
    valid_tunes = read_tunes(valid_path)
    if not train_tunes or not valid_tunes:
        raise TrainError("training and validation files must each hold at least one tune")

    state: dict[str, Any] = {}
    if resume:
        if not (ckpt / "state.json").is_file():
            raise TrainError(f"{ckpt}: no checkpoint to resume from")
        try:
            state = limits.loads(limits.read_capped(ckpt / "state.json", MAX_STATE_BYTES,
                                                    "checkpoint state"),
                                 max_digits=_STATE_DIGITS)
            if not isinstance(state, dict):
                raise TypeError("not a JSON object")
            config = GeneratorConfig.from_dict(state["config"])
            vocab = Vocab.from_dict(state["vocab"])
            seed = int(state["seed"])
        except (ValueError, KeyError, TypeError, OSError) as exc:  # JSON, config, vocab errors
            raise TrainError(
                limits.clip(f"{ckpt / 'state.json'}: damaged checkpoint ({exc})")
            ) from exc
    else:
        config = config or GeneratorConfig()
        vocab = Vocab.from_texts([*train_tunes, *(add_rhythm(t) for t in train_tunes)])
    start: LoadedModel | None = None
    if init is not None and not resume:
        start = load_model_dir(init)
        def layers(c: GeneratorConfig) -> str:
            heads = f", copy heads {c.copy_heads}x{c.copy_dim}" if c.copy_heads else ""
            return f"embedding {c.embedding_dim}, LSTM {list(c.lstm_units)}{heads}"

        same = (start.config.embedding_dim, start.config.lstm_units) == (
            config.embedding_dim, config.lstm_units)
        # Copy heads may be added to a model that has none (they start fresh), not changed.
        heads_fit = start.config.copy_heads == 0 or (
            (start.config.copy_heads, start.config.copy_dim)
            == (config.copy_heads, config.copy_dim))
        if not (same and heads_fit):
            raise TrainError(
                f"--init {init}: its layers ({layers(start.config)}) differ from the config's"
                f" ({layers(config)})"
            )
        vocab = Vocab(tuple(sorted(set(vocab.chars) | set(start.vocab.chars))))
    if epochs is not None:
        config = config.replace(epochs=epochs)
    if augment is not None:
        config = config.replace(augment=augment)

    keras.utils.set_random_seed(seed)
    rng = np.random.default_rng(seed)
    if state:
        rng.bit_generator.state = state["rng"]

    valid_seqs = encode_corpus(valid_tunes, vocab, config.max_len)
    base_train_seqs = encode_corpus(train_tunes, vocab, config.max_len)
    n_train_chars = int(sum(len(s) - 1 for s in base_train_seqs))

    # config.validate bounds the layers without a vocabulary; the output layer (and each
    # copy head's rows of it) grows with the corpus's characters, so bound the whole here.
    weights_count = network_parameters(config.embedding_dim, config.lstm_units, vocab.size,
                                       config.copy_heads, config.copy_dim)
    if weights_count > limits.MAX_PARAMETERS:
        raise TrainError(
            f"the model would have {weights_count:,} weights with this corpus's"
            f" {vocab.size:,} characters, more than {limits.MAX_PARAMETERS:,}"
        )
    model = build_model(config, vocab.size)
    if start is not None:
        set_weights(model, config, warm_weights(start, vocab, get_weights(model, config)))
    if config.weight_decay > 0:
        optimizer = keras.optimizers.AdamW(learning_rate=config.learning_rate,
                                           weight_decay=config.weight_decay,
                                           clipnorm=config.clipnorm)
    else:
        optimizer = keras.optimizers.Adam(learning_rate=config.learning_rate,
                                          clipnorm=config.clipnorm)
    optimizer.build(model.trainable_variables)
    # Weight averaging: one shadow copy per trainable variable, updated after every step
    # with a decay that ramps up from 0 (so early averages are not dominated by the random
    # initial weights).
    ema_decay = config.ema_decay
    use_ema = ema_decay > 0
    ema_vars = [tf.Variable(v.value, trainable=False) for v in model.trainable_variables] \
        if use_ema else []
    ema_steps = tf.Variable(0.0, trainable=False)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction="sum")

    spec = tf.TensorSpec([None, None], tf.int32)

    # Weight drop (DropConnect on the recurrent kernels, as in AWD-LSTM): for each step a
    # random mask zeroes a share of the hidden-to-hidden weights, scaled to keep their
    # expectation; the gradient reaches the kept weights only. Done on the variables around
    # the step, so the LSTM keeps its fast fused kernel (Keras's recurrent_dropout does not).
    recurrent = [model.get_layer(f"lstm_{i}").cell.recurrent_kernel
                 for i in range(len(config.lstm_units))] if config.weight_drop > 0 else []
    rec_index = [next(j for j, v in enumerate(model.trainable_variables) if v is r)
                 for r in recurrent]
    keep = 1.0 - config.weight_drop

    def train_step_fn(x: Any, y: Any) -> Any:
        weight = tf.cast(tf.not_equal(y, PAD), tf.float32)
        count = tf.reduce_sum(weight)
        saved, masks = [], []
        for r in recurrent:
            mask = tf.cast(tf.random.uniform(tf.shape(r)) < keep, tf.float32) / keep
            saved.append(tf.identity(r))
            masks.append(mask)
            r.assign(r * mask)
        with tf.GradientTape() as tape:
            logits = model(x, training=True)
            loss_sum = loss_fn(y, logits, sample_weight=weight)
            loss = loss_sum / count
        grads = tape.gradient(loss, model.trainable_variables)
        for r, value, mask, j in zip(recurrent, saved, masks, rec_index, strict=True):
            r.assign(value)
            grads[j] = grads[j] * mask
        optimizer.apply_gradients(zip(grads, model.trainable_variables, strict=True))
        if use_ema:
            ema_steps.assign_add(1.0)
            decay = tf.minimum(ema_decay, (1.0 + ema_steps) / (10.0 + ema_steps))
            for e, v in zip(ema_vars, model.trainable_variables, strict=True):
                e.assign(decay * e + (1.0 - decay) * v)
        return loss_sum, count

    train_step = tf.function(train_step_fn, input_signature=[spec, spec])

    def eval_step_fn(x: Any, y: Any) -> Any:
        weight = tf.cast(tf.not_equal(y, PAD), tf.float32)
        logits = model(x, training=False)
        return loss_fn(y, logits, sample_weight=weight), tf.reduce_sum(weight)

    eval_step = tf.function(eval_step_fn, input_signature=[spec, spec])

    def evaluate(seqs: list[np.ndarray]) -> float:
        total, count = 0.0, 0.0
        for x, y in batches(seqs, 64):
            s, c = eval_step(tf.constant(x), tf.constant(y))
            total += float(s)
            count += float(c)
        return total / max(count, 1.0) / LN2

    def swap_ema() -> None:
        """Exchange the model's weights and the averaged ones (twice restores them)."""
        for e, v in zip(ema_vars, model.trainable_variables, strict=True):
            tmp = v.numpy()
            v.assign(e)
            e.assign(tmp)

    history: list[dict[str, float]] = list(state.get("history", []))
    best_bpc = float(state.get("best_valid_bpc", math.inf))
    bad_epochs = int(state.get("bad_epochs", 0))
    best_epoch = int(state.get("best_epoch", 0))
    lr = float(state.get("learning_rate", config.learning_rate))
    start_epoch = int(state.get("epoch", 0))
    train_seconds = float(state.get("train_seconds", 0.0))
    best_weights: dict[str, np.ndarray] | None = None
    if state:
        try:
            set_weights(model, config, _read_npz(ckpt / "weights.npz"))
            opt_vals = _read_npz(ckpt / "optimizer.npz")
            for i, var in enumerate(optimizer.variables):
                var.assign(opt_vals[f"v{i}"])
            best_path = ckpt / "best.npz"
            best_weights = _read_npz(best_path) if best_path.is_file() else None
            if use_ema:
                ema_vals = _read_npz(ckpt / "ema.npz")
                for i, var in enumerate(ema_vars):
                    var.assign(ema_vals[f"v{i}"])
                ema_steps.assign(float(ema_vals["steps"]))
        except Exception as exc:  # a damaged .npz: BadZipFile, KeyError, ValueError...
            raise TrainError(f"{ckpt}: damaged checkpoint ({exc})") from exc
    optimizer.learning_rate.assign(lr)

    augmenter = None
    if config.augment:
        from .transpose import augment_tunes

        augmenter = augment_tunes

    deadline = started_wall + max_minutes * 60 if max_minutes else math.inf
    stopped = "epochs"
    epoch = start_epoch
    while epoch < config.epochs:
        if time.monotonic() >= deadline:
            stopped = "time"
            break
        epoch += 1
        t0 = time.monotonic()
        epoch_tunes = (augmenter(train_tunes, rng, config.augment_prob)
                       if augmenter is not None else list(train_tunes))
        # A derived R: line (generator/rhythm.py) on most tunes, so the model knows R: and
        # can be conditioned on a rhythm, and still reads tunes without one.
        epoch_tunes = [add_rhythm(t) if rng.random() < RHYTHM_SHARE else t
                       for t in epoch_tunes]
        seqs = encode_corpus(epoch_tunes, vocab, config.max_len)
        n_batches = math.ceil(len(seqs) / config.batch_size)
        tot, cnt = 0.0, 0.0
        cut_short = False
        for bi, (x, y) in enumerate(batches(seqs, config.batch_size, rng), start=1):
            s, c = train_step(tf.constant(x), tf.constant(y))
            tot += float(s)
            cnt += float(c)
            progress.update(epoch, bi, n_batches, tot / max(cnt, 1.0) / LN2, t0)
            if time.monotonic() >= deadline and bi < n_batches:
                cut_short = True
                break
        train_bpc = tot / max(cnt, 1.0) / LN2
        epoch_secs = time.monotonic() - t0
        train_seconds += epoch_secs
        if use_ema:
            swap_ema()
        valid_bpc = evaluate(valid_seqs)
        improved = valid_bpc < best_bpc - 1e-4
        if improved:
            best_bpc = valid_bpc
            best_epoch = epoch
            bad_epochs = 0
            best_weights = get_weights(model, config)
        else:
            bad_epochs += 1
            lr *= config.lr_decay
            optimizer.learning_rate.assign(lr)
        if use_ema:
            swap_ema()
        history.append({
            "epoch": epoch, "train_bpc": round(train_bpc, 5), "valid_bpc": round(valid_bpc, 5),
            "seconds": round(epoch_secs, 2), "learning_rate": lr, "partial": cut_short,
        })
        say(f"epoch {epoch}: train {train_bpc:.4f} valid {valid_bpc:.4f} bits/char "
            f"({epoch_secs:.0f}s){' *' if improved else ''}{' (partial)' if cut_short else ''}")
        if use_ema:  # before state.json: a checkpoint with a state.json is complete
            ckpt.mkdir(parents=True, exist_ok=True)
            ema_arrays = {f"v{i}": np.asarray(v.numpy()) for i, v in enumerate(ema_vars)}
            ema_arrays["steps"] = np.asarray(ema_steps.numpy())
            atomic_write_bytes(ckpt / "ema.npz", npz_bytes(ema_arrays))
        _save_checkpoint(ckpt, model, optimizer, config, vocab, seed, rng, {
            "epoch": epoch, "history": history, "best_valid_bpc": best_bpc,
            "bad_epochs": bad_epochs, "best_epoch": best_epoch, "learning_rate": lr,
            "train_seconds": train_seconds,
        }, best_weights if improved else None)
        if cut_short:
            stopped = "time"
            break
        if bad_epochs >= config.patience:
            stopped = "early"
            break

    if best_weights is None:
        best_weights = get_weights(model, config)
        best_bpc = evaluate(valid_seqs)
    set_weights(model, config, best_weights)
    final_train_bpc = evaluate(base_train_seqs)
    stored = _roundtrip_dtype(best_weights, config.weights_dtype)
    metrics = {
        "train_bpc": round(final_train_bpc, 5),
        "valid_bpc": round(best_bpc, 5),
        "best_epoch": best_epoch,
        "epochs": epoch,
        "stopped": stopped,
        "train_seconds": round(train_seconds, 1),
        "seconds_per_epoch": round(train_seconds / max(1, len(history)), 1),
        "train_chars": n_train_chars,
        "train_tunes": len(train_tunes),
        "valid_tunes": len(valid_tunes),
        "corpus_sha256": corpus_sha256(train_path, valid_path),
        "train_sha256": corpus_sha256(train_path),
        "valid_sha256": corpus_sha256(valid_path),
        "seed": seed,
        "augment": config.augment,
        "parameters": int(sum(int(np.prod(v.shape)) for v in best_weights.values())),
    }
    if start is not None:
        metrics["init_weights_sha256"] = hashlib.sha256(
            (Path(start.path) / "weights.npz").read_bytes()).hexdigest()
    if config.fit_cache:
        config, cache_metrics = fit_cache(config, vocab, stored, valid_tunes)
        metrics.update(cache_metrics)
    # The training corpus travels with the model: generate rejects tunes too close to it.
    save_model_dir(out, config, vocab, stored, metrics,
                   {TRAIN_CORPUS: Path(train_path).read_bytes()})
    return TrainResult(out, metrics, history)


def warm_weights(
    start: LoadedModel, vocab: Vocab, fresh: dict[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """The weights of ``start`` laid out for ``vocab`` (a superset of its characters).

    Why: a model that must learn a few new characters (the letters of a new R: value, say)
    need not relearn the rest. The LSTM layers are copied as they are; each known
    character's embedding row and output column (and bias) move to its id in ``vocab``; a
    new character keeps its fresh random embedding and output column, and its output bias
    starts at the lowest of the known ones, so the start model's predictions are almost
    unchanged until training teaches the new characters. Copy heads added to a model that
    had none start fresh, with their rows of the output layer at zero, so that training
    starts from the start model's predictions.
    """
    out = {k: v.copy() for k, v in fresh.items()}
    for name, value in start.weights.items():
        if name.startswith(("lstm_", "copy/")):
            out[name] = np.asarray(value, dtype=np.float32)
    old_ids = list(range(len(RESERVED))) + [start.vocab.encode(c)[0] for c in start.vocab.chars]
    new_ids = list(range(len(RESERVED))) + [vocab.encode(c)[0] for c in start.vocab.chars]
    emb = np.asarray(start.weights["embedding"], dtype=np.float32)
    kernel = np.asarray(start.weights["dense/kernel"], dtype=np.float32)
    bias = np.asarray(start.weights["dense/bias"], dtype=np.float32)
    out["embedding"][new_ids] = emb[old_ids]
    # The output layer's rows: the top state's, then (with copy heads) one block of
    # vocabulary rows per head, laid out by character id like the columns.
    top = start.config.lstm_units[-1]
    if start.config.copy_heads == 0:
        out["dense/kernel"][top:] = 0.0  # added heads: the start model's predictions at first
    old_rows, new_rows = list(range(top)), list(range(top))
    for h in range(start.config.copy_heads):
        old_rows += [top + h * start.vocab.size + i for i in old_ids]
        new_rows += [top + h * vocab.size + i for i in new_ids]
    out["dense/kernel"][np.ix_(new_rows, new_ids)] = kernel[np.ix_(old_rows, old_ids)]
    unseen = np.setdiff1d(np.arange(vocab.size), new_ids)
    out["dense/bias"][unseen] = float(bias[len(RESERVED):].min())
    out["dense/bias"][new_ids] = bias[old_ids]
    return out


def fit_cache(
    config: GeneratorConfig,
    vocab: Vocab,
    weights: dict[str, np.ndarray],
    valid_tunes: list[str],
) -> tuple[GeneratorConfig, dict[str, Any]]:
    """Fit the continuous cache (:mod:`.cache`) on the validation tunes with the NumPy
    network of the weights as stored; the config gets the parameters and ``valid_bpc``
    becomes the bits/char of the mixture (``valid_bpc_lstm`` keeps the LSTM's own)."""
    from .cache import fit
    from .sampler import NumpyLSTM

    net = NumpyLSTM(config.replace(cache_theta=0.0), vocab, weights)
    states = net.tune_states(valid_tunes)
    params, bpc = fit(states)
    lstm_bpc = sum(float(t.bits(net.cache).sum()) for t in states) / max(
        1, sum(len(t.p_lstm) for t in states))
    config = config.replace(cache_theta=params.theta, cache_bias=params.bias,
                            cache_scale=params.scale)
    return config, {"valid_bpc": round(bpc, 5), "valid_bpc_lstm": round(lstm_bpc, 5)}


def _roundtrip_dtype(weights: dict[str, np.ndarray], dtype: str) -> dict[str, np.ndarray]:
    return {k: np.asarray(v, dtype=dtype) for k, v in weights.items()}


def _read_npz(path: Path) -> dict[str, np.ndarray]:
    with np.load(path, allow_pickle=False) as z:
        return {k: np.asarray(z[k]) for k in z.files}


def _save_checkpoint(
    ckpt: Path,
    model: Any,
    optimizer: Any,
    config: GeneratorConfig,
    vocab: Vocab,
    seed: int,
    rng: np.random.Generator,
    progress_state: dict[str, Any],
    best_weights: dict[str, np.ndarray] | None,
) -> None:
    """Everything resume needs, in plain files; state.json is written last so a checkpoint
    with a state.json is complete."""
    from .model import get_weights

    ckpt.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(ckpt / "weights.npz", weights_to_bytes(get_weights(model, config)))
    opt = {f"v{i}": np.asarray(v.numpy()) for i, v in enumerate(optimizer.variables)}
    # npz_bytes keeps each variable's dtype (the step counter is an integer)
    atomic_write_bytes(ckpt / "optimizer.npz", npz_bytes(opt))
    if best_weights is not None:
        atomic_write_bytes(ckpt / "best.npz", weights_to_bytes(best_weights))
    state = {
        **progress_state,
        "config": config.to_dict(),
        "vocab": vocab.to_dict(),
        "seed": seed,
        "rng": rng.bit_generator.state,
    }
    atomic_write_bytes(ckpt / "state.json", (json.dumps(state, indent=1) + "\n").encode())
