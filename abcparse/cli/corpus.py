"""``abcparse corpus clean`` and ``abcparse corpus stats``.

``clean`` turns ABC files into train/valid/test splits and a manifest (docs/corpus.md);
``stats`` describes a file of tunes. Exit codes: 0 success; 2 a usage or I/O error,
with one line on standard error and no output file changed (the main command turns
:class:`~abcparse.errors.AbcError` into that line).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import tempfile
from collections.abc import Iterator
from typing import Any

from ..corpus.options import DEDUPE_MODES, DEFAULT_KEEP_FIELDS, CleanOptions
from ..errors import AbcDecodeError, AbcIOError, AbcUsageError
from .inputs import NothingRead, clip_path, collect, file_key, nothing_found, stdin_to_file


def _list(values: list[str] | None) -> tuple[str, ...]:
    """``--keys D,G --keys Am`` → ("D", "G", "Am")."""
    out: list[str] = []
    for v in values or []:
        out.extend(x.strip() for x in v.split(",") if x.strip())
    return tuple(out)


def _split(value: str) -> tuple[int, int, int]:
    parts = value.replace("/", ",").split(",")
    try:
        numbers = tuple(int(p) for p in parts)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected three percentages such as 80,10,10, not {value!r:.40}"
        ) from None
    if len(numbers) != 3 or sum(numbers) != 100 or min(numbers) < 0:
        raise argparse.ArgumentTypeError(
            f"expected three percentages adding up to 100 (train,valid,test), not {value!r:.40}"
        )
    return numbers[0], numbers[1], numbers[2]


def _positive(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, not {value!r:.40}") from None
    if n < 0:
        raise argparse.ArgumentTypeError(f"expected 0 or more, not {n}")
    return n


def _jobs(value: str) -> int:
    """``--jobs``: 0 (one per CPU) to :data:`~.check.MAX_JOBS`, as abc-lint's."""
    from .check import MAX_JOBS

    n = _positive(value)
    if n > MAX_JOBS:
        raise argparse.ArgumentTypeError(
            f"expected 0 (one per CPU) to {MAX_JOBS}, not {str(n)[:40]}")
    return n


def register(subparsers: Any) -> None:
    corpus = subparsers.add_parser(
        "corpus",
        help="clean ABC collections for training; describe them",
        description="Clean ABC collections into train/valid/test splits, or describe one.",
    )
    sub = corpus.add_subparsers(dest="corpus_command", metavar="COMMAND")
    corpus.set_defaults(func=lambda args: _usage(corpus))

    c = sub.add_parser(
        "clean",
        help="validate, repair, normalize, de-duplicate and split tunes for training",
        description=(
            "Read ABC files as a stream; validate every tune strictly, repair it (or drop"
            " it with --no-repair), normalize it, filter, strip fields, drop duplicates"
            " (also transposed ones), split train/valid/test by tune, and write"
            " OUTDIR/{train,valid,test}.abc and OUTDIR/manifest.json, which accounts for"
            " every tune read. A second run writes the same bytes. See docs/corpus.md."
        ),
    )
    c.add_argument("inputs", nargs="+", metavar="IN",
                   help="ABC files, folders (*.abc, any case) or - for standard input")
    c.add_argument("-o", "--output", required=True, metavar="OUTDIR", help="output folder")
    c.add_argument("--no-repair", dest="repair", action="store_false",
                   help="drop tunes that fail strict validation instead of repairing them")
    c.add_argument("--keep-warnings", dest="repair_warnings", action="store_false",
                   help="do not repair strict-mode warnings (only errors are repaired)")
    g = c.add_argument_group("filters")
    g.add_argument("--meters", action="append", metavar="LIST",
                   help="keep only these meters, e.g. 6/8,4/4,C|")
    g.add_argument("--keys", action="append", metavar="LIST",
                   help="keep only these keys, e.g. D,G,Em,ADor")
    g.add_argument("--max-voices", type=_positive, metavar="N",
                   help="drop tunes with more than N voices (1: melodies only)")
    g.add_argument("--min-bars", type=_positive, default=0, metavar="N",
                   help="drop tunes with fewer than N bars")
    g.add_argument("--max-chars", type=_positive, metavar="N",
                   help="drop tunes longer than N characters (as written to the split)")
    g.add_argument("--ascii", action="store_true",
                   help="drop tunes with a character outside ASCII (as written)")
    f = c.add_argument_group("fields")
    f.add_argument("--keep-fields", default=DEFAULT_KEEP_FIELDS, metavar="LETTERS",
                   help=f"field letters to keep (default {DEFAULT_KEEP_FIELDS}; X and K always)")
    f.add_argument("--also-keep", default="", metavar="LETTERS",
                   help="keep these field letters too, e.g. CO for composer and origin")
    f.add_argument("--drop-fields", default="", metavar="LETTERS",
                   help="drop these field letters too, e.g. R")
    f.add_argument("--keep-comments", action="store_true", help="keep %% comments")
    f.add_argument("--keep-directives", action="store_true", help="keep %%%% directives")
    s = c.add_argument_group("duplicates and split")
    s.add_argument("--dedupe", choices=DEDUPE_MODES, default="transposed",
                   help="transposed (default): same body or same melody in any key;"
                        " exact: same normalized body; none")
    s.add_argument("--split", type=_split, default=(80, 10, 10), metavar="T,V,T",
                   help="percentages of train, valid, test (default 80,10,10)")
    s.add_argument("--split-seed", default="", metavar="TEXT",
                   help="another seed gives another assignment (default: none)")
    r = c.add_argument_group("running")
    r.add_argument("-j", "--jobs", type=_jobs, default=1, metavar="N",
                   help="worker processes (0: one per CPU); same output as 1")
    r.add_argument("--dask", metavar="SCHEDULER",
                   help="run the per-tune stage on a Dask cluster (tcp://host:8786)")
    progress = r.add_mutually_exclusive_group()
    progress.add_argument("--progress", dest="progress", action="store_true", default=None,
                          help="show a progress line (default: on a terminal)")
    progress.add_argument("--no-progress", dest="progress", action="store_false")
    r.add_argument("-q", "--quiet", action="store_true", help="print nothing on success")
    c.set_defaults(func=run_clean)

    st = sub.add_parser(
        "stats",
        help="counts and distributions of a file of tunes",
        description=(
            "Counts and distributions of the tunes of ABC files: keys, meters, unit note"
            " lengths, tune lengths in characters and bars, and every character."
        ),
    )
    st.add_argument("files", nargs="+", metavar="PATH",
                    help="ABC files, folders (*.abc, any case) or - for standard input")
    st.add_argument("--format", dest="fmt", choices=("text", "json"), default="text",
                    help="output format (default: text)")
    st.add_argument("--json", dest="fmt", action="store_const", const="json",
                    help=argparse.SUPPRESS)  # the old spelling of --format json
    st.add_argument("--plot", metavar="DIR",
                    help="write PNG histograms into DIR (needs matplotlib: abcparse[plot])")
    st.set_defaults(func=run_stats)


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


def _checked(values: tuple[str, ...], option: str, what: str, read: Any) -> tuple[str, ...]:
    """Each value of ``--meters``/``--keys`` read as M:/K: reads it: a value that does
    not read is a usage error, not a filter that silently drops every tune."""
    for value in values:
        try:
            read(value)
        except Exception as e:  # FieldError and whatever a field reader raises
            raise AbcUsageError(f"{option}: {value!r:.40} is not {what} ({str(e)[:120]})"
                                ) from None
    return values


def options_from_args(args: argparse.Namespace) -> CleanOptions:
    from ..build import read_key, read_meter

    keep = set(args.keep_fields) | set(args.also_keep)
    keep -= set(args.drop_fields) - set("XK")
    return CleanOptions(
        repair=args.repair,
        repair_warnings=args.repair_warnings,
        meters=_checked(_list(args.meters), "--meters", "a meter such as 6/8, C| or none",
                        read_meter),
        keys=_checked(_list(args.keys), "--keys", "a key such as D, Em or ADor", read_key),
        max_voices=args.max_voices or None,
        min_bars=args.min_bars,
        max_chars=args.max_chars or None,
        ascii=args.ascii,
        keep_fields="".join(sorted(keep)),
        keep_comments=args.keep_comments,
        keep_directives=args.keep_directives,
        dedupe=args.dedupe,
        split=args.split,
        split_seed=args.split_seed,
    )


@contextlib.contextmanager
def _input_files(paths: list[str], names: dict[str, str], output: str | None = None
                 ) -> Iterator[list[str]]:
    """The files to read (docs/cli.md, "Inputs"): folders give their ``*.abc`` files,
    ``-`` is standard input copied to a temporary file; a missing path, a file that is
    not ABC text (binary, UTF-16/32: :func:`abcparse.source.not_abc`) or inputs holding
    no tune at all are refused before any output is written. ``names`` is filled with
    the name to show for each file (``-`` for standard input's copy). A file inside the
    ``output`` folder (``corpus clean -o``) is left out, with a line that says so: it is
    an earlier run's split, which would be read back as input (or overwritten)."""
    from ..corpus.reader import SourceFile
    from ..source import not_abc_stream

    with tempfile.TemporaryDirectory(prefix="abcparse-stdin-") as tmp:
        files: list[str] = []
        names.clear()
        inside = os.path.join(file_key(output), "") if output is not None else None
        for path, error in collect(paths):
            if error is not None:
                raise AbcIOError(f"{path}: {error}")
            if inside is not None and path != "-" and file_key(path).startswith(inside):
                print(f"abcparse corpus: {path}: left out: it is in the output folder -o"
                      f" {output}", file=sys.stderr)
                continue
            if path == "-":
                path = stdin_to_file(tmp)
                shown = "-"
            else:
                shown = path
            try:
                with open(path, "rb") as f:
                    why = not_abc_stream(f)
            except OSError as e:
                raise AbcIOError(f"{shown}: cannot read: {e.strerror or e}") from None
            if why is not None:
                raise AbcDecodeError(f"{shown}: not an ABC file: {why}")
            files.append(path)
            names[path] = shown
        if not files:
            raise nothing_found(paths)
        if not any(next(iter(SourceFile(f).tunes_iter()), None) is not None for f in files):
            shown_all = ", ".join(clip_path(p) for p in paths[:3])
            raise NothingRead(f"warning: no tune (no X: field) in {shown_all};"
                              " nothing was read")
        yield files


def run_clean(args: argparse.Namespace) -> int:
    from ..corpus import clean

    options = options_from_args(args)
    jobs = args.jobs or (os.cpu_count() or 1)
    with _input_files(args.inputs, {}, args.output) as files:
        report = clean(
            files, args.output, options, jobs=jobs, dask=args.dask, progress=args.progress
        )
    if not args.quiet:
        print(report.summary())
    return 0


def run_stats(args: argparse.Namespace) -> int:
    from ..corpus import stats

    if args.plot:
        # Fail before reading anything when matplotlib is missing.
        from ..corpus.plot import _pyplot

        _pyplot()
    names: dict[str, str] = {}
    with _input_files(args.files, names) as files:
        result = stats(files)
    result.files = [names.get(f, f) for f in result.files]
    if args.fmt == "json":
        print(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
    else:
        print(result.to_text())
    if args.plot:
        from ..corpus.plot import write_plots

        for path in write_plots(result, args.plot):
            if args.fmt != "json":
                print(f"wrote {path}")
    return 0


__all__ = ["options_from_args", "register", "run_clean", "run_stats"]
