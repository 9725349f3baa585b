"""Sampling speed: abcparse's NumPy batched sampler against the lab-style eager loop.

The lab this project grew from samples by calling a stateful Keras model once per character
with batch 1 (``model(x)`` eagerly, then ``tf.random.categorical``), which costs the
framework's per-call overhead for every character. This script measures, in one run and on
the same weights:

* our NumPy sampler (``generator.sampler``) at batch 1 and batch 64, in characters/second
  (every character of every row counts until the row writes its end of tune or the cap);
* the lab-style loop, rebuilt for Keras 3 (``Input(batch_shape=(1, None))`` with
  ``LSTM(stateful=True)`` and ``reset_state()``; Keras 2's ``batch_input_shape`` and
  ``reset_states`` are gone), over ``--eager-chars`` characters;

and prints the ratios (issue 7 asks for at least 100x at batch 64), and then the speed of the
whole ``abcparse generate`` loop at batch 64 (sampling, strict validation, repair, novelty
check): valid tunes per second, unconstrained and with constrained decoding, over
``--loop-tunes`` sampled tunes each. Without ``--model`` the
shipped default model is used when present, else a randomly initialised model of the default
config's sizes (speed does not depend on the weights, only on the sizes). No assertions:
benchmarks print numbers.

Usage::

    python benchmarks/sample_speed.py [--model DIR] [--eager-chars 300] [--max-chars 1000]
                                      [--blas-threads 1|2|env] [--loop-tunes 128]
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def _generator(module: str) -> Any:
    """A module of the installed ``abcparse.generator``, or of the checkout's ``generator/``."""
    try:
        return importlib.import_module(f"abcparse.generator.{module}")
    except ImportError:
        if str(ROOT) not in sys.path:
            sys.path.insert(0, str(ROOT))
        return importlib.import_module(f"generator.{module}")


def eager_loop_chars_per_s(config: Any, vocab: Any, weights: Any, n_chars: int, seed: int) -> float:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras
    import numpy as np
    import tensorflow as tf

    inp = keras.Input(batch_shape=(1, None), dtype="int32")
    x = keras.layers.Embedding(vocab.size, config.embedding_dim, name="embedding")(inp)
    for i, units in enumerate(config.lstm_units):
        x = keras.layers.LSTM(units, return_sequences=True, stateful=True, name=f"lstm_{i}")(x)
    out = keras.layers.Dense(vocab.size, name="dense")(x)
    model = keras.Model(inp, out)
    _set(model, config, weights)
    tf.random.set_seed(seed)
    for layer in model.layers:
        if hasattr(layer, "reset_state") and getattr(layer, "stateful", False):
            layer.reset_state()
    ids = [2]  # BOS, then one character at a time as the lab does
    current = np.array([[ids[-1]]], dtype=np.int32)
    model(current)  # warm-up call (graph building) is not timed
    t0 = time.perf_counter()
    for _ in range(n_chars):
        logits = model(current)[:, -1, :]
        nxt = int(tf.random.categorical(logits, num_samples=1)[0, 0].numpy())
        ids.append(nxt)
        current = np.array([[nxt]], dtype=np.int32)
    return n_chars / (time.perf_counter() - t0)


def _set(model: Any, config: Any, weights: Any) -> None:
    model.get_layer("embedding").embeddings.assign(weights["embedding"].astype("float32"))
    for i in range(len(config.lstm_units)):
        cell = model.get_layer(f"lstm_{i}").cell
        cell.kernel.assign(weights[f"lstm_{i}/kernel"].astype("float32"))
        cell.recurrent_kernel.assign(weights[f"lstm_{i}/recurrent_kernel"].astype("float32"))
        cell.bias.assign(weights[f"lstm_{i}/bias"].astype("float32"))
    # The lab's network has no copy heads: with a model that has them, the loop runs its
    # LSTM and the output layer's rows for the LSTM state only, less work per character than
    # the whole network, so the ratio printed is, if anything, too small.
    top = config.lstm_units[-1]
    model.get_layer("dense").kernel.assign(weights["dense/kernel"][:top].astype("float32"))
    model.get_layer("dense").bias.assign(weights["dense/bias"].astype("float32"))


def numpy_chars_per_s(net: Any, batch: int, max_chars: int, seed: int, repeats: int) -> float:
    net.sample_batch(batch, seed=seed + 1000, max_chars=20)  # warm-up: buffers, BLAS threads
    best = 0.0
    for r in range(repeats):
        t0 = time.perf_counter()
        samples = net.sample_batch(batch, seed=seed + r, max_chars=max_chars)
        secs = time.perf_counter() - t0
        chars = sum(len(s.text) - len("X:1\n") + (1 if s.finished else 0) for s in samples)
        best = max(best, chars / secs)
    return best


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="NumPy batched sampler vs lab-style eager loop")
    ap.add_argument("--model", type=Path, default=None, help="model folder")
    ap.add_argument("--eager-chars", type=int, default=300)
    ap.add_argument("--max-chars", type=int, default=1000, help="cap per sampled tune")
    ap.add_argument("--repeats", type=int, default=3, help="best of N runs for NumPy")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--loop-tunes", type=int, default=128,
                    help="sampled tunes per generate-loop measurement (0: skip it)")
    ap.add_argument("--blas-threads", default="1",
                    help="BLAS threads for the NumPy sampler, set before NumPy loads; 1 is what "
                    "the abcparse command uses; 'env' keeps the environment's setting")
    args = ap.parse_args(argv)
    if args.blas_threads != "env":
        for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[var] = args.blas_threads
    import numpy as np
    cli, config_mod, sampler, store, vocab_mod, layout = (
        _generator(m) for m in ("cli", "config", "sampler", "store", "vocab", "layout")
    )
    default_dir: Path = cli.DEFAULT_MODEL_DIR

    folder = args.model or (default_dir if default_dir.is_dir() else None)
    if folder is not None:
        try:
            loaded = store.load_model_dir(folder)
        except store.ModelLoadError as exc:
            print(f"sample_speed: {exc}", file=sys.stderr)
            return 2
        config, vocab, weights = loaded.config, loaded.vocab, loaded.weights
        where = str(folder)
    else:
        config = config_mod.GeneratorConfig()
        vocab = vocab_mod.Vocab((*(chr(c) for c in range(32, 127)), "\n"))
        rng = np.random.default_rng(args.seed)
        weights = {k: (rng.standard_normal(s) * 0.05).astype(np.float32)
                   for k, s in layout.expected_shapes(config, vocab.size).items()}
        where = "random weights, default config sizes"
    net = sampler.NumpyLSTM(config, vocab, weights)
    units = "x".join(str(u) for u in config.lstm_units)
    print(f"model: {where}; embedding {config.embedding_dim}, LSTM {units}, vocab {vocab.size}")
    print(f"threads: {os.cpu_count()} CPUs visible, BLAS threads for NumPy: "
          f"{os.environ.get('OPENBLAS_NUM_THREADS', 'library default')}")

    b1 = numpy_chars_per_s(net, 1, args.max_chars, args.seed, args.repeats)
    b64 = numpy_chars_per_s(net, 64, args.max_chars, args.seed, args.repeats)
    cache = "with the model's continuous cache" if net.cache.on else "no cache"
    print(f"numpy sampler, batch 1:  {b1:10.0f} chars/s ({cache})")
    print(f"numpy sampler, batch 64: {b64:10.0f} chars/s ({cache})")
    if net.cache.on:
        lstm_only = sampler.NumpyLSTM(config.replace(cache_theta=0.0), vocab, weights)
        b64_lstm = numpy_chars_per_s(lstm_only, 64, args.max_chars, args.seed, args.repeats)
        print(f"numpy sampler, batch 64: {b64_lstm:10.0f} chars/s (LSTM alone, cache off)")
    eager = eager_loop_chars_per_s(config, vocab, weights, args.eager_chars, args.seed)
    print(f"lab-style eager loop (Keras 3, stateful, batch 1, one call per char): "
          f"{eager:8.1f} chars/s")
    print(f"ratio batch 1 / eager:  {b1 / eager:8.1f}x")
    print(f"ratio batch 64 / eager: {b64 / eager:8.1f}x  (issue 7 bar: >= 100x)")
    if args.loop_tunes > 0 and folder is not None:
        generate = _generator("generate")
        train_file = loaded.train_corpus
        novelty = generate.Novelty.from_file(train_file) if train_file is not None else None
        for constrained in (False, True):
            gen = generate.TuneGenerator(net, novelty, constrained=constrained, batch_size=64)
            stats, _ = gen.evaluate_samples(args.loop_tunes, seed=args.seed)
            print(f"generate loop, batch 64, {'constrained' if constrained else 'unconstrained'}"
                  f": {stats.accepted / stats.seconds:6.1f} valid tunes/s ({stats.accepted} of "
                  f"{stats.sampled} accepted in {stats.seconds:.1f} s; sampling "
                  f"{stats.sample_seconds:.1f} s, {stats.chars / stats.sample_seconds:.0f} "
                  f"chars/s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
