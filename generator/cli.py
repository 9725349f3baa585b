"""The generator's subcommands for the ``abcparse`` command: ``train`` and ``sample``.

The core's ``abcparse`` command finds :func:`register` through the ``abcparse.commands`` entry
point group and calls it with its subparsers. Importing this module must stay cheap and must
not import TensorFlow (``abcparse --help`` should not take seconds), so every handler imports
what it needs when it runs.

Contract: each handler returns the exit code; bad input (a missing file, a corrupt model
folder, an invalid ``--config``) prints one line to standard error and returns 2, never a
traceback. ``python -m abcparse.generator.cli`` runs the same subcommands standalone.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

DEFAULT_MODEL_DIR = Path(__file__).resolve().parent / "default_model"
EXIT_USAGE = 2


BLAS_THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def single_thread_blas() -> None:
    """Ask NumPy's BLAS for one thread, unless the user chose a number or NumPy is loaded.

    Why: one sampling step is a few small matmuls. With a multi-threaded OpenBLAS on a busy
    machine (the 2-core CI box, a laptop compiling in the background), its threads spin
    waiting for cores and sampling was measured 10x slower at batch 1 and 6x slower at batch
    64 than with one thread. Only works before NumPy is first imported, which is the case
    in the ``abcparse`` command; set ``OPENBLAS_NUM_THREADS`` to override.
    """
    if "numpy" in sys.modules:
        return
    for var in BLAS_THREAD_VARS:
        os.environ.setdefault(var, "1")


def _error(message: str) -> int:
    print(f"abcparse: error: {message}", file=sys.stderr)
    return EXIT_USAGE


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``train`` and ``sample`` to the ``abcparse`` command."""
    tp = subparsers.add_parser(
        "train",
        help="train the character LSTM tune generator (needs the [generate] extra)",
        description="Train a character-level LSTM on an ABC corpus (one tune per blank-line "
        "separated block) and write a model folder: config.json, vocab.json, weights.npz, "
        "manifest.json.",
    )
    tp.add_argument("--train", required=True, type=Path, help="training corpus (.abc)")
    tp.add_argument("--valid", required=True, type=Path, help="validation corpus (.abc)")
    tp.add_argument("--out", required=True, type=Path, help="model folder to write")
    tp.add_argument("--epochs", type=int, default=None, help="maximum epochs (config default)")
    tp.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    tp.add_argument("--config", default=None, metavar="JSON",
                    help="config as inline JSON or a JSON file; keys override the defaults")
    tp.add_argument("--resume", action="store_true",
                    help="continue from OUT/checkpoint (config and seed come from there)")
    tp.add_argument("--max-minutes", type=float, default=None,
                    help="stop after this much wall time and keep the best model so far")
    tp.add_argument("--augment", action=argparse.BooleanOptionalAction, default=None,
                    help="augment by random transposition (default: the config's setting)")
    tp.set_defaults(func=train_command)

    sp = subparsers.add_parser(
        "sample",
        help="sample raw text from a generator model (no validation)",
        description="Sample tunes from a model folder with the NumPy sampler (no TensorFlow). "
        "Output is raw model text: it is not validated or repaired.",
    )
    sp.add_argument("--model", type=Path, default=None,
                    help="model folder (default: the model shipped with abcparse)")
    sp.add_argument("-n", type=int, default=1, help="number of tunes (default 1)")
    sp.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    sp.add_argument("--temperature", type=float, default=1.0, help="default 1.0; 0 is greedy")
    sp.add_argument("--top-k", type=int, default=0, help="keep the k likeliest (0: all)")
    sp.add_argument("--top-p", type=float, default=1.0, help="nucleus mass (1.0: all)")
    sp.add_argument("--prime", default=None,
                    help=r"text every tune starts with (default 'X:1\n'; '\n' is a newline)")
    sp.add_argument("--max-chars", type=int, default=2000,
                    help="length cap per tune in characters (default 2000)")
    sp.set_defaults(func=sample_command)


def train_command(args: argparse.Namespace) -> int:
    from .config import ConfigError, GeneratorConfig

    try:
        config = GeneratorConfig.from_arg(args.config) if args.config else GeneratorConfig()
    except (ConfigError, OSError) as exc:
        return _error(f"--config: {exc}")
    if args.epochs is not None and args.epochs < 0:
        return _error("--epochs must be >= 0")
    for label, path in (("--train", args.train), ("--valid", args.valid)):
        if not path.is_file():
            return _error(f"{label}: {path}: file not found")
    try:
        import tensorflow  # noqa: F401
    except ImportError:
        return _error("training needs TensorFlow: pip install 'abcparse[generate]'")
    from .store import ModelLoadError
    from .train import TrainError, train

    try:
        result = train(args.train, args.valid, args.out, config, args.seed, epochs=args.epochs,
                       resume=args.resume, max_minutes=args.max_minutes, augment=args.augment)
    except (TrainError, ModelLoadError, UnicodeDecodeError) as exc:
        return _error(str(exc))
    except OSError as exc:
        return _error(f"{exc.filename or args.out}: {exc.strerror or exc}")
    m = result.metrics
    print(f"wrote {result.out_dir}: valid {m['valid_bpc']:.4f} bits/char, train "
          f"{m['train_bpc']:.4f}, {m['epochs']} epochs ({m['stopped']}), "
          f"{m['train_seconds']:.0f} s", file=sys.stderr)
    return 0


def sample_command(args: argparse.Namespace) -> int:
    single_thread_blas()
    from .sampler import DEFAULT_PRIME, NumpyLSTM
    from .store import ModelLoadError

    folder = args.model if args.model is not None else DEFAULT_MODEL_DIR
    if args.n < 0:
        return _error("-n must be >= 0")
    try:
        net = NumpyLSTM.from_dir(folder)
    except ModelLoadError as exc:
        return _error(str(exc))
    prime = DEFAULT_PRIME if args.prime is None else args.prime.replace("\\n", "\n")
    try:
        samples = net.sample_batch(args.n, seed=args.seed, temperature=args.temperature,
                                   top_k=args.top_k, top_p=args.top_p, prime=prime,
                                   max_chars=args.max_chars)
    except ValueError as exc:
        return _error(str(exc))
    sys.stdout.write("\n".join(s.text if s.text.endswith("\n") else s.text + "\n"
                               for s in samples))
    sys.stdout.flush()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Standalone entry (``python -m abcparse.generator.cli``), same subcommands."""
    parser = argparse.ArgumentParser(prog="abcparse-generator")
    sub = parser.add_subparsers(dest="command", required=True)
    register(sub)
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
