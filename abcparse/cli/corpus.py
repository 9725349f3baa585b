"""``abcparse corpus clean`` and ``abcparse corpus stats``.

``clean`` turns ABC files into train/valid/test splits and a manifest (docs/corpus.md);
``stats`` describes a file of tunes. Exit codes: 0 success; 2 a usage or I/O error,
with one line on standard error and no output file changed (the main command turns
:class:`~abcparse.errors.AbcError` into that line).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from ..corpus.options import DEDUPE_MODES, DEFAULT_KEEP_FIELDS, CleanOptions


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
    c.add_argument("inputs", nargs="+", metavar="IN", help="ABC files or folders (*.abc)")
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
    r.add_argument("-j", "--jobs", type=_positive, default=1, metavar="N",
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
    st.add_argument("files", nargs="+", metavar="FILE", help="ABC files")
    st.add_argument("--json", action="store_true", help="print JSON")
    st.add_argument("--plot", metavar="DIR",
                    help="write PNG histograms into DIR (needs matplotlib: abcparse[plot])")
    st.set_defaults(func=run_stats)


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


def options_from_args(args: argparse.Namespace) -> CleanOptions:
    keep = set(args.keep_fields) | set(args.also_keep)
    keep -= set(args.drop_fields) - set("XK")
    return CleanOptions(
        repair=args.repair,
        repair_warnings=args.repair_warnings,
        meters=_list(args.meters),
        keys=_list(args.keys),
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


def run_clean(args: argparse.Namespace) -> int:
    from ..corpus import clean

    options = options_from_args(args)
    jobs = args.jobs or (os.cpu_count() or 1)
    report = clean(
        args.inputs, args.output, options, jobs=jobs, dask=args.dask, progress=args.progress
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
    result = stats(args.files)
    if args.json:
        print(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
    else:
        print(result.to_text())
    if args.plot:
        from ..corpus.plot import write_plots

        for path in write_plots(result, args.plot):
            if not args.json:
                print(f"wrote {path}")
    return 0


__all__ = ["options_from_args", "register", "run_clean", "run_stats"]
