"""PNG histograms for ``abcparse corpus stats --plot DIR`` (matplotlib, optional extra).

matplotlib is imported only here and only when plots are asked for, so the core stays
light; without it :func:`write_plots` raises :class:`MissingPlotLibrary`, which the
command turns into one message and exit status 2.
"""

from __future__ import annotations

import importlib
import os
from collections import Counter
from typing import Any

from ..errors import AbcIOError, AbcUsageError
from ..fileio import atomic_write_bytes
from .stats import CorpusStats


class MissingPlotLibrary(AbcUsageError):
    """matplotlib is not installed."""


def _pyplot() -> Any:
    try:
        matplotlib: Any = importlib.import_module("matplotlib")
    except ImportError:
        raise MissingPlotLibrary(
            "--plot needs matplotlib: pip install 'abcparse[plot]'"
        ) from None
    matplotlib.use("Agg")  # files only, never a window
    return importlib.import_module("matplotlib.pyplot")


def _save(plt: Any, fig: Any, path: str) -> None:
    import io

    buf = io.BytesIO()
    # No date or software version in the file, so the same statistics give the same bytes.
    fig.savefig(buf, format="png", dpi=100, metadata={"Software": None})
    plt.close(fig)
    atomic_write_bytes(path, buf.getvalue())


def _bars(plt: Any, counter: Counter[str], title: str, xlabel: str, top: int = 25) -> Any:
    items = sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
    fig, ax = plt.subplots(figsize=(max(6.0, 0.35 * len(items) + 2), 4))
    ax.bar([k for k, _ in items], [n for _, n in items], color="#4c72b0")
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("tunes")
    ax.tick_params(axis="x", rotation=60)
    fig.tight_layout()
    return fig


def _histogram(plt: Any, counter: Counter[int], title: str, xlabel: str) -> Any:
    fig, ax = plt.subplots(figsize=(7, 4))
    values = list(counter.keys())
    weights = list(counter.values())
    if values:
        ax.hist(values, bins=min(50, max(len(values), 1)), weights=weights, color="#55a868")
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("tunes")
    fig.tight_layout()
    return fig


def write_plots(result: CorpusStats, folder: str | os.PathLike[str]) -> list[str]:
    """Write keys.png, meters.png, unit_lengths.png, tune_characters.png,
    tune_bars.png and characters.png into ``folder``; returns their paths."""
    plt = _pyplot()
    out = os.fspath(folder)
    try:
        os.makedirs(out, exist_ok=True)
    except OSError as e:
        raise AbcIOError(f"{out}: cannot create the folder: {e.strerror or e}") from None
    chars = Counter({repr(c)[1:-1] or " ": n for c, n in result.characters.items()})
    figures = {
        "keys.png": _bars(plt, result.keys, "Keys", "K:"),
        "meters.png": _bars(plt, result.meters, "Meters", "M:"),
        "unit_lengths.png": _bars(plt, result.unit_lengths, "Unit note lengths", "L:"),
        "tune_characters.png": _histogram(
            plt, result.tune_characters, "Tune length", "characters per tune"
        ),
        "tune_bars.png": _histogram(plt, result.tune_bars, "Bars per tune", "bars"),
        "characters.png": _bars(plt, chars, "Characters", "character", top=100),
    }
    paths = []
    for name, fig in figures.items():
        path = os.path.join(out, name)
        _save(plt, fig, path)
        paths.append(path)
    return paths
