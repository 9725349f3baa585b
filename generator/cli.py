"""The generator's subcommands for the ``abcparse`` command: ``train``, ``sample``,
``generate`` and ``evaluate``.

The core's ``abcparse`` command finds :func:`register` through the ``abcparse.commands`` entry
point group and calls it with its subparsers. Importing this module must stay cheap and must
not import TensorFlow (``abcparse --help`` should not take seconds), so every handler imports
what it needs when it runs.

Contract: each handler returns the exit code; bad input (a missing file, a corrupt model
folder, an invalid ``--config``) prints one line to standard error and returns 2, never a
traceback. Option values are checked where argparse reads them (the types below): a seed,
a count or a temperature out of range, ``nan`` or ``inf``, or a number of thousands of
digits is a usage error naming the option (exit 2), not an exception deep in NumPy or
TensorFlow. ``python -m abcparse.generator.cli`` runs the same subcommands standalone.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

DEFAULT_MODEL_DIR = Path(__file__).resolve().parent / "default_model"
#: ``evaluate``'s test corpus: the checkout's corpus/test.abc (this folder's parent is the
#: project root in a checkout or an editable install), never relative to the current folder.
DEFAULT_TEST = Path(__file__).resolve().parent.parent / "corpus" / "test.abc"
EXIT_USAGE = 2
EXIT_BOUND = 1
# Constrained decoding is on by default: measured on the shipped model (docs/generator.md)
# it raises the share of tunes valid as sampled and the valid tunes per second.
DEFAULT_CONSTRAINED = True


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
    from .limits import clip

    print(f"abcparse: error: {clip(message)}", file=sys.stderr)
    return EXIT_USAGE


# ---------------------------------------------------------------------------------------
# Option values. Bounds: a seed is what NumPy's legacy seeding (``keras.utils.
# set_random_seed``) accepts, 0 to 2**32 - 1; counts and lengths are bounded so that one
# sampled batch stays in memory (``sample`` holds n x max-chars ids).

MAX_SEED = 2**32 - 1
MAX_TUNES = 100_000
MAX_CHARS = 100_000
MAX_TOP_K = 1_000_000
MAX_TEMPERATURE = 100.0
MAX_ATTEMPTS = 10_000_000
MAX_PRIME = 100_000
MAX_MINUTES = 10_000_000.0
#: Characters ``abcparse sample`` may hold at once (n x --max-chars int32 ids: 80 MB).
MAX_SAMPLE_CELLS = 20_000_000


def _shown(value: str) -> str:
    return repr(value) if len(value) <= 40 else repr(value[:40]) + "..."


def whole_number(low: int, high: int) -> Callable[[str], int]:
    """An argparse type: a whole number from ``low`` to ``high`` (digits only, at most as
    many as ``high`` has, so ``int()`` never sees thousands of digits)."""

    def parse(value: str) -> int:
        text = value.strip()
        digits = text[1:] if text.startswith("-") else text
        if not (digits.isascii() and digits.isdigit()) or len(digits) > len(str(high)) + 1:
            raise argparse.ArgumentTypeError(f"expected a whole number, not {_shown(value)}")
        n = int(text)
        if not low <= n <= high:
            raise argparse.ArgumentTypeError(f"must be from {low:,} to {high:,}, not {n:,}")
        return n

    parse.__name__ = "whole number"  # argparse names the type in some messages
    return parse


def number(
    low: float, high: float, *, low_open: bool = False
) -> Callable[[str], float]:
    """An argparse type: a finite number in ``[low, high]`` (``(low, high]`` with
    ``low_open``); ``nan``, ``inf`` and anything else are refused."""

    def parse(value: str) -> float:
        try:
            x = float(value) if len(value) <= 100 else math.nan
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, not {_shown(value)}") from None
        if not math.isfinite(x):
            raise argparse.ArgumentTypeError(f"expected a finite number, not {_shown(value)}")
        if x < low or (low_open and x == low) or x > high:
            left = "(" if low_open else "["
            raise argparse.ArgumentTypeError(
                f"must be in {left}{low:g}, {high:g}], not {_shown(value)}")
        return x

    parse.__name__ = "number"
    return parse


def prime_text(value: str) -> str:
    if len(value) > MAX_PRIME:
        raise argparse.ArgumentTypeError(f"at most {MAX_PRIME:,} characters")
    return value


# What sampling needs beyond the core (the ``generate`` extra; TensorFlow only for training).
SAMPLING_MODULES = ("numpy", "rapidfuzz")


def _ready_to_sample(command: str, modules: Sequence[str] = SAMPLING_MODULES) -> int | None:
    """Before a sampling command: None when the modules of the ``generate`` extra it needs
    are installed (and BLAS is set to one thread), else the exit code of a one-line
    message naming what to install, so a user who installed only the core gets told what
    to do, not an ImportError."""
    import importlib.util

    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    if missing:
        return _error(
            f"{command} needs {', '.join(missing)} (not installed):"
            " pip install 'abcparse[generate]'"
        )
    single_thread_blas()
    return None


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``train`` and ``sample`` to the ``abcparse`` command."""
    tp = subparsers.add_parser(
        "train",
        help="train the character LSTM tune generator (needs the [train] extra: TensorFlow)",
        description="Train a character-level LSTM on an ABC corpus (one tune per blank-line "
        "separated block) and write a model folder: config.json, vocab.json, weights.npz, "
        "manifest.json.",
    )
    tp.add_argument("--train", required=True, type=Path, help="training corpus (.abc)")
    tp.add_argument("--valid", required=True, type=Path, help="validation corpus (.abc)")
    tp.add_argument("-o", "--output", "--out", dest="out", required=True, type=Path,
                    help="model folder to write")
    tp.add_argument("--epochs", type=whole_number(0, 100_000), default=None,
                    help="maximum epochs (config default)")
    tp.add_argument("--seed", type=whole_number(0, MAX_SEED), default=0,
                    help="random seed, 0 to 2**32-1 (default 0)")
    tp.add_argument("--config", default=None, metavar="JSON",
                    help="config as inline JSON or a JSON file; keys override the defaults")
    tp.add_argument("--resume", action="store_true",
                    help="continue from OUT/checkpoint (config and seed come from there)")
    tp.add_argument("--max-minutes", type=number(0, MAX_MINUTES, low_open=True), default=None,
                    help="stop after this much wall time and keep the best model so far")
    tp.add_argument("--augment", action=argparse.BooleanOptionalAction, default=None,
                    help="augment by random transposition (default: the config's setting)")
    tp.add_argument("--init", type=Path, default=None, metavar="DIR",
                    help="start from this model folder's weights (same layers, or copy heads"
                    " added to a model without them; new characters are added); not with"
                    " --resume")
    tp.add_argument("-v", "--verbose", action="store_true",
                    help="show TensorFlow's own log messages (hidden by default)")
    tp.set_defaults(func=train_command)

    sp = subparsers.add_parser(
        "sample",
        help="sample raw text from a generator model (no validation)",
        description="Sample tunes from a model folder with the NumPy sampler (no TensorFlow). "
        "Output is raw model text: it is not validated or repaired.",
    )
    sp.add_argument("--model", type=Path, default=None,
                    help="model folder (default: the model shipped with abcparse)")
    sp.add_argument("-n", type=whole_number(0, MAX_TUNES), default=1,
                    help="number of tunes (default 1)")
    sp.add_argument("--seed", type=whole_number(0, MAX_SEED), default=0,
                    help="random seed, 0 to 2**32-1 (default 0)")
    sp.add_argument("--temperature", type=number(0, MAX_TEMPERATURE), default=1.0,
                    help="default 1.0; 0 is greedy")
    sp.add_argument("--top-k", type=whole_number(0, MAX_TOP_K), default=0,
                    help="keep the k likeliest (0: all)")
    sp.add_argument("--top-p", type=number(0, 1, low_open=True), default=1.0,
                    help="nucleus mass (1.0: all)")
    sp.add_argument("--prime", default=None, type=prime_text,
                    help=r"text every tune starts with (default 'X:1\n'; '\n' is a newline)")
    sp.add_argument("--max-chars", type=whole_number(1, MAX_CHARS), default=2000,
                    help="length cap per tune in characters (default 2000)")
    sp.add_argument("--constrained", action="store_true",
                    help="constrained decoding (see abcparse generate --help)")
    sp.set_defaults(func=sample_command)

    gp = subparsers.add_parser(
        "generate",
        help="generate new tunes that pass abc-lint --strict (sample, validate, repair)",
        description="Sample tunes from a model (the one shipped with abcparse by default), "
        "validate each strictly, repair what is wrong, reject what cannot be repaired or is "
        "too close to a training tune, and sample more until N are accepted. The tunes go to "
        "standard output (or --out) numbered X:1..N; the counts go to standard error.",
        epilog="Exit status: 0 N tunes written; 1 the --max-attempts bound was reached "
        "before N tunes were accepted (nothing is written); 2 usage or I/O error.",
    )
    _sampling_args(gp)
    gp.add_argument("-n", type=whole_number(0, MAX_TUNES), default=10,
                    help="number of tunes (default 10)")
    gp.add_argument("-o", "--output", "--out", dest="out", type=Path, default=None,
                    help="write the tunes to this file (atomically) instead of standard output")
    gp.add_argument("--midi", type=Path, default=None, metavar="DIR",
                    help="also write one MIDI file per tune into DIR (created if needed)")
    gp.add_argument("--report", action="store_true",
                    help="also print the codes the validator found in the sampled tunes")
    loud = gp.add_mutually_exclusive_group()
    loud.add_argument("-q", "--quiet", action="store_true",
                      help="print errors only (not the counts line)")
    loud.add_argument("-v", "--verbose", dest="report", action="store_true",
                      help="the counts line and the validator's report (as --report)")
    gp.add_argument("--max-attempts", type=whole_number(1, MAX_ATTEMPTS), default=None,
                    metavar="M",
                    help="give up after examining M sampled tunes (default max(64, 10 N))")
    gp.add_argument("--key", default=None, help="the key, as K: writes it (D, Ador, Em...)")
    gp.add_argument("--meter", default=None, help="the meter, as M: writes it (6/8, C|...)")
    gp.add_argument("--rhythm", default=None,
                    help="the rhythm, as R: writes it (reel, jig, slip jig, polka...)")
    gp.add_argument("--title", default=None, help="the title (T:)")
    gp.add_argument("--prefix", default=None, type=prime_text, metavar="TEXT",
                    help="the start of every tune (its header, and an opening the tunes go"
                    " on from); must be ABC the generator can continue")
    gp.set_defaults(func=generate_command)

    ep = subparsers.add_parser(
        "evaluate",
        help="measure a generator model: held-out bits/char, validity, speed, novelty",
        description="Held-out bits per character of a model (the shipped one by default) on "
        "a test corpus, over whole tunes and over bodies only (after the first K: line), and "
        "over -n generated tunes: the share valid as sampled, repaired and rejected, valid "
        "tunes per second of the whole generate loop, and novelty (median nearest-neighbour "
        "edit similarity of bodies to the training set, share at or above 0.8).",
    )
    _sampling_args(ep)
    ep.add_argument("--test", type=Path, default=None,
                    help="test corpus (default: corpus/test.abc of the abcparse checkout this"
                    " runs from, wherever the current folder is; an installed wheel has none,"
                    " so give --test there)")
    ep.add_argument("-n", type=whole_number(0, MAX_TUNES), default=200,
                    help="tunes to generate (default 200)")
    ep.add_argument("--format", dest="fmt", choices=("text", "json"), default="text",
                    help="output format (default: text)")
    ep.add_argument("--json", dest="fmt", action="store_const", const="json",
                    help=argparse.SUPPRESS)  # the old spelling of --format json
    ep.set_defaults(func=evaluate_command)


def _sampling_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", type=Path, default=None,
                   help="model folder (default: the model shipped with abcparse)")
    p.add_argument("--seed", type=whole_number(0, MAX_SEED), default=0,
                   help="random seed, 0 to 2**32-1; the same seed gives the same output"
                   " (default 0)")
    p.add_argument("--temperature", type=number(0, MAX_TEMPERATURE), default=1.0,
                   help="default 1.0")
    p.add_argument("--top-k", type=whole_number(0, MAX_TOP_K), default=0,
                   help="keep the k likeliest (0: all)")
    p.add_argument("--top-p", type=number(0, 1, low_open=True), default=1.0,
                   help="nucleus mass (1.0: all)")
    p.add_argument("--max-chars", type=whole_number(1, MAX_CHARS), default=2000,
                   help="length cap per sampled tune in characters (default 2000)")
    p.add_argument("--constrained", action=argparse.BooleanOptionalAction,
                   default=DEFAULT_CONSTRAINED,
                   help="constrained decoding: mask characters that cannot continue a valid "
                   f"tune (bar durations, endings, header fields; default "
                   f"{'on' if DEFAULT_CONSTRAINED else 'off'})")
    p.add_argument("--train", type=Path, default=None, metavar="FILE",
                   help="training corpus for the novelty check (default: the model folder's "
                   "train.abc)")
    p.add_argument("--similarity", type=number(0, 1, low_open=True), default=0.8, metavar="S",
                   help="reject tunes whose body is this similar to a training tune's "
                   "(normalised edit similarity, default 0.8)")
    p.add_argument("--form", action=argparse.BooleanOptionalAction, default=True,
                   help="form-aware decoding (with --constrained): a header as asked or as the"
                   " training tunes have them, two 8-bar parts each repeated, pickups"
                   " completed (default on)")


# What TensorFlow prints to the process's standard error while it is imported, and is not
# about the user's training: absl's banner and its info and warning lines (oneDNN, CPU
# features), written from C++ before logging is set up, so TF_CPP_MIN_LOG_LEVEL does not
# reach all of them (TensorFlow 2.21 prints the oneDNN line twice regardless).
_TF_NOISE = re.compile(
    r"WARNING: All log messages before absl::InitializeLog\(\) is called"
    r"|[IW]\d{4} \d\d:\d\d:\d\d"
    r"|To enable the following instructions"
)


def import_tensorflow(verbose: bool) -> Any:
    """Import TensorFlow (and Keras); unless ``verbose``, without its start-up log lines.

    They drown the one-line summary ``train`` ends with. The process's standard error
    (file descriptor 2, where the C++ side writes) goes to a temporary file during the
    import, and whatever is not noise (an error, a Python warning) is written back
    afterwards, so nothing that matters is lost. Raises ImportError as ``import`` does."""
    if verbose or "tensorflow" in sys.modules:
        import tensorflow

        return tensorflow
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import logging
    import tempfile

    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), 2)
        try:
            import keras  # noqa: F401
            import tensorflow
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            captured.seek(0)
            lines = captured.read().decode("utf-8", errors="replace").splitlines()
            kept = [line for line in lines if not _TF_NOISE.match(line)]
            if kept:
                print("\n".join(kept), file=sys.stderr)
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    return tensorflow


_STOPPED = {
    "epochs": "reached the epoch limit",
    "early": "stopped early: validation stopped improving",
    "time": "stopped at --max-minutes",
}


def train_summary(out_dir: Path, metrics: dict[str, Any], wall_seconds: float) -> str:
    """The one line ``train`` ends with: what was written, how good, how many epochs and
    why it stopped, and the whole run's wall time (training alone is a part of it: the
    TensorFlow start, the final evaluations, the cache fit and the writes add to it)."""
    epochs = int(metrics["epochs"])
    why = _STOPPED.get(str(metrics["stopped"]), str(metrics["stopped"]))
    return (
        f"wrote {out_dir}: valid {metrics['valid_bpc']:.4f} bits/char, train"
        f" {metrics['train_bpc']:.4f}, best epoch {metrics.get('best_epoch', '?')} of"
        f" {epochs} epoch{'' if epochs == 1 else 's'} ({why}); {wall_seconds:.0f} s in all,"
        f" {float(metrics['train_seconds']):.0f} s of it training"
    )


def train_command(args: argparse.Namespace) -> int:
    from .config import ConfigError, GeneratorConfig

    started = time.monotonic()
    try:
        config = GeneratorConfig.from_arg(args.config) if args.config else GeneratorConfig()
    except (ConfigError, OSError) as exc:
        return _error(f"--config: {exc}")
    for label, path in (("--train", args.train), ("--valid", args.valid)):
        if not path.is_file():
            return _error(f"{label}: {path}: file not found")
    if args.init is not None and args.resume:
        return _error("--init and --resume do not go together: a resumed run keeps its weights")
    try:
        tf = import_tensorflow(getattr(args, "verbose", False))
    except ImportError:
        return _error("training needs TensorFlow: pip install 'abcparse[train]'")
    from .store import ModelLoadError
    from .train import TrainError, train

    try:
        result = train(args.train, args.valid, args.out, config, args.seed, epochs=args.epochs,
                       resume=args.resume, max_minutes=args.max_minutes, augment=args.augment,
                       init=args.init)
    except (TrainError, ModelLoadError, UnicodeDecodeError) as exc:
        return _error(str(exc))
    except (MemoryError, tf.errors.ResourceExhaustedError):
        return _error(
            "out of memory while training: try smaller lstm_units, embedding_dim, batch_size"
            " or max_len in --config"
        )
    except OSError as exc:
        return _error(f"{exc.filename or args.out}: {exc.strerror or exc}")
    print(train_summary(result.out_dir, result.metrics, time.monotonic() - started),
          file=sys.stderr)
    return 0


def sample_command(args: argparse.Namespace) -> int:
    not_ready = _ready_to_sample("abcparse sample", ("numpy",))
    if not_ready is not None:
        return not_ready
    from .sampler import DEFAULT_PRIME, NumpyLSTM
    from .store import ModelLoadError

    folder = args.model if args.model is not None else DEFAULT_MODEL_DIR
    if args.n * args.max_chars > MAX_SAMPLE_CELLS:
        return _error(
            f"-n {args.n:,} x --max-chars {args.max_chars:,} characters is more than one"
            f" sample may hold ({MAX_SAMPLE_CELLS:,}); sample fewer tunes at a time"
        )
    try:
        net = NumpyLSTM.from_dir(folder)
    except ModelLoadError as exc:
        return _error(str(exc))
    prime = DEFAULT_PRIME if args.prime is None else args.prime.replace("\\n", "\n")
    constraint = None
    if args.constrained:
        from .constrain import TuneConstraint

        constraint = TuneConstraint.factory(net.vocab, prime)
    try:
        samples = net.sample_batch(args.n, seed=args.seed, temperature=args.temperature,
                                   top_k=args.top_k, top_p=args.top_p, prime=prime,
                                   max_chars=args.max_chars, constraint=constraint)
    except ValueError as exc:
        return _error(str(exc))
    sys.stdout.write("\n".join(s.text if s.text.endswith("\n") else s.text + "\n"
                               for s in samples))
    sys.stdout.flush()
    return 0


def _load_generator(args: argparse.Namespace) -> Any:
    """The model and novelty data named by the arguments, as a ``TuneGenerator``; raises
    ``ModelLoadError`` or ``_UsageError`` with a one-line message."""
    from .generate import Novelty, TuneGenerator
    from .sampler import NumpyLSTM
    from .store import load_model_dir

    if args.temperature < 0 or not 0.0 < args.top_p <= 1.0 or args.top_k < 0:
        raise _UsageError("need --temperature >= 0, 0 < --top-p <= 1, --top-k >= 0")
    if args.max_chars < 1:
        raise _UsageError("--max-chars must be >= 1")
    if not 0.0 < args.similarity <= 1.0:
        raise _UsageError("--similarity must be in (0, 1]")
    folder = args.model if args.model is not None else DEFAULT_MODEL_DIR
    loaded = load_model_dir(folder)
    corpus = args.train if args.train is not None else loaded.train_corpus
    novelty = None
    if corpus is not None:
        try:
            novelty = Novelty.from_file(corpus)
        except (OSError, UnicodeDecodeError) as exc:
            raise _UsageError(f"--train: {corpus}: cannot read ({exc})") from exc
    else:
        print(f"abcparse: warning: {folder} has no train.abc and no --train was given: "
              "tunes are not checked for closeness to the training tunes", file=sys.stderr)
    net = NumpyLSTM.from_loaded(loaded)
    prime, wanted = _controls(args, net.vocab)
    train_tunes: list[str] = []
    if corpus is not None:
        from .data import read_tunes

        train_tunes = read_tunes(corpus)
    return TuneGenerator(net, novelty,
                         temperature=args.temperature, top_k=args.top_k, top_p=args.top_p,
                         max_chars=args.max_chars, constrained=args.constrained,
                         threshold=args.similarity, form=args.form, wanted=wanted,
                         train_tunes=train_tunes, prime=prime)


def _controls(args: argparse.Namespace, vocab: Any) -> tuple[str, Any]:
    """The prime and the header plan from --key, --meter, --rhythm, --title and --prefix,
    each checked: a value the validator cannot read, or that the model cannot write, is a
    one-line usage error."""
    from abcparse.build import FieldError, read_key, read_meter
    from abcparse.format import canonical_key, canonical_meter

    from .constrain import TuneConstraint, field_values
    from .form import FormConstraint, HeaderPlan, prime_fields
    from .sampler import DEFAULT_PRIME
    from .vocab import RESERVED

    def writable(what: str, value: str) -> None:
        bad = sorted({ch for ch in value if vocab.id_of(ch) < len(RESERVED)})
        if bad:
            raise _UsageError(f"{what} {_shown(value)}: the model cannot write {''.join(bad)!r}")

    key = getattr(args, "key", None)
    meter = getattr(args, "meter", None)
    rhythm = getattr(args, "rhythm", None)
    title = getattr(args, "title", None)
    prefix = getattr(args, "prefix", None)
    def field(option: str, value: str | None, letter: str, read: Callable[[str], object],
              canonical: Callable[[str], str], what: str, examples: str) -> str | None:
        """A --key or --meter value, read by the validator's own reader and written as the
        generator writes that field."""
        if value is None:
            return None
        try:
            read(value)
        except FieldError as exc:
            raise _UsageError(f"{option} {_shown(value)}: not a {what} ({exc.message})") from None
        value = canonical(value)
        if value not in field_values(letter)[0]:
            raise _UsageError(f"{option} {_shown(value)}: the generator writes {what}s such as"
                              f" {examples}")
        return value

    key = field("--key", key, "K", read_key, canonical_key, "key", "D, Ador, Em, GMix")
    meter = field("--meter", meter, "M", read_meter, canonical_meter, "meter", "6/8, 9/8, C, C|")
    if rhythm is not None:
        rhythm = " ".join(rhythm.lower().split())
        if not rhythm or not all(ch.isalpha() or ch == " " for ch in rhythm):
            raise _UsageError(f"--rhythm {_shown(rhythm)}: a rhythm is a word such as reel,"
                              " jig, slip jig")
        writable("--rhythm", rhythm)
    prime = DEFAULT_PRIME
    if title is not None:
        if "\n" in title or not title.strip() or not title.isprintable():
            raise _UsageError("--title: one line of printable text")
        writable("--title", title.strip())
        prime = f"X:1\nT:{title.strip()}\n"
    wanted = HeaderPlan(rhythm, meter, key)
    if prefix is not None:
        if title is not None:
            raise _UsageError("give the title in --prefix (T:) or with --title, not both")
        prime = prefix if prefix.startswith("X:") else "X:1\n" + prefix
        writable("--prefix", prime)
        fields = prime_fields(prime)
        given = HeaderPlan(fields.get("R") or None, fields.get("M") or None,
                           fields.get("K") or None)
        for name, mine, theirs in (("--rhythm", rhythm, given.rhythm),
                                   ("--meter", meter, given.meter), ("--key", key, given.key)):
            if mine is not None and theirs is not None and mine != theirs:
                raise _UsageError(f"{name} {mine} but the prefix says {theirs}")
        wanted = HeaderPlan(rhythm or given.rhythm, meter or given.meter, key or given.key)
    if args.constrained:
        checker = FormConstraint(wanted) if args.form else TuneConstraint()
        for i, ch in enumerate(prime):
            if not checker.feed(ch):
                where = prime[max(0, i - 20) : i + 1].replace("\n", "\\n")
                raise _UsageError(f"the prefix is not ABC the generator can continue, at"
                                  f" character {i + 1}: ...{where}")
    return prime, wanted


class _UsageError(Exception):
    pass


def generate_command(args: argparse.Namespace) -> int:
    not_ready = _ready_to_sample("abcparse generate")
    if not_ready is not None:
        return not_ready
    from .store import ModelLoadError

    if args.n < 0:
        return _error("-n must be >= 0")
    if args.max_attempts is not None and args.max_attempts < 1:
        return _error("--max-attempts must be >= 1")
    if args.out is not None and args.out.is_dir():
        return _error(f"--out: {args.out}: is a folder")
    if args.out is not None and not args.out.parent.is_dir():
        return _error(f"--out: {args.out}: folder {args.out.parent} does not exist")
    if args.midi is not None and args.midi.exists() and not args.midi.is_dir():
        return _error(f"--midi: {args.midi}: not a folder")
    if args.out is not None and args.train is not None:
        from abcparse.cli.inputs import file_key

        if args.train.exists() and file_key(str(args.out)) == file_key(str(args.train)):
            # docs/cli.md row 9: an output that is one of the inputs is refused.
            return _error(f"--out: {args.out} is the --train corpus; nothing written")
    if args.midi is not None:
        try:  # made before sampling: a folder that cannot be made is no half-done run
            args.midi.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            return _error(f"--midi: {args.midi}: cannot make the folder: {exc.strerror or exc}")
    try:
        gen = _load_generator(args)
    except (ModelLoadError, _UsageError) as exc:
        return _error(str(exc))
    result = gen.run(args.n, seed=args.seed, max_attempts=args.max_attempts)
    stats = result.stats
    mode = "constrained" if args.constrained else "unconstrained"
    if not getattr(args, "quiet", False):
        print(f"abcparse generate: {stats.summary()}; {mode} sampling, temperature "
              f"{args.temperature:g}, {stats.seconds:.1f} s", file=sys.stderr)
    if args.report:
        print(stats.report(), file=sys.stderr)
    if not result.complete:
        print(f"abcparse: error: only {stats.accepted} of {args.n} tunes were accepted after "
              f"examining {stats.sampled} sampled tunes (the --max-attempts bound); nothing "
              f"was written. Try a lower --temperature,"
              f"{'' if args.constrained else ' --constrained,'} or a better model.",
              file=sys.stderr)
        return EXIT_BOUND
    text = result.text()
    from abcparse.errors import AbcError
    from abcparse.fileio import atomic_write_bytes

    try:
        if args.out is not None:
            atomic_write_bytes(args.out, text.encode("utf-8"))
        else:
            sys.stdout.write(text)
            sys.stdout.flush()
        if args.midi is not None:
            _write_midi(result.tunes, args.midi)
    except AbcError as exc:
        return _error(str(exc))
    except BrokenPipeError:
        raise  # the reader went away (| head): the command's quiet exit, not an error
    except OSError as exc:
        return _error(f"{exc.filename or args.out}: {exc.strerror or exc}")
    return 0


def _write_midi(tunes: Sequence[str], folder: Path) -> None:
    """One MIDI file per tune, ``tune-<X>.mid``, each written atomically."""
    import abcparse

    folder.mkdir(parents=True, exist_ok=True)
    width = len(str(len(tunes)))
    for i, text in enumerate(tunes, start=1):
        tune = abcparse.parse("%abc-2.1\n\n" + text).tunes[0]
        abcparse.to_midi(tune, folder / f"tune-{i:0{width}d}.mid")


def evaluate_command(args: argparse.Namespace) -> int:
    not_ready = _ready_to_sample("abcparse evaluate")
    if not_ready is not None:
        return not_ready
    import json

    from .evaluate import EmptyTestError, evaluate, format_table
    from .store import ModelLoadError

    if args.n < 0:
        return _error("-n must be >= 0")
    if args.test is not None:
        test = args.test
    elif DEFAULT_TEST.is_file():
        test = DEFAULT_TEST
    else:
        return _error("--test: give the test corpus (--test FILE.abc): the default,"
                      " corpus/test.abc of an abcparse checkout, is not installed with the"
                      " package")
    if not test.is_file():
        return _error(f"--test: {test}: file not found")
    try:
        gen = _load_generator(args)
        numbers = evaluate(gen, test, n=args.n, seed=args.seed)
    except (ModelLoadError, _UsageError) as exc:
        return _error(str(exc))
    except (OSError, UnicodeDecodeError) as exc:
        return _error(f"{test}: cannot read ({exc})")
    except EmptyTestError as exc:
        # docs/cli.md row 3: nothing read is a warning and exit 2, not a clean run.
        print(f"abcparse evaluate: warning: {exc}", file=sys.stderr)
        return 2
    numbers["model"] = str(args.model if args.model is not None else DEFAULT_MODEL_DIR)
    if args.fmt == "json":
        # JSON has no NaN: a number that could not be measured is null.
        print(json.dumps(_no_nan(numbers), indent=2, sort_keys=True))
    else:
        print(format_table(numbers))
    return 0


def _no_nan(value: Any) -> Any:
    """``value`` with every NaN or infinite float replaced by None."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _no_nan(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_no_nan(v) for v in value]
    return value


def main(argv: Sequence[str] | None = None) -> int:
    """Standalone entry (``python -m abcparse.generator.cli``), same subcommands."""
    parser = argparse.ArgumentParser(prog="abcparse-generator")
    sub = parser.add_subparsers(dest="command", required=True)
    register(sub)
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
