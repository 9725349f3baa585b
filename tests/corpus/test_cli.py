"""``abcparse corpus clean`` and ``abcparse corpus stats`` through a real subprocess."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

from abcparse.corpus import stats

from .helpers import SPLITS, manifest, small_corpus


def abcparse_cmd(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "abcparse.cli.main", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
    )


def test_clean_command(tmp_path: Path) -> None:
    inputs = small_corpus(tmp_path)
    r = abcparse_cmd(
        "corpus", "clean", *map(str, inputs), "-o", str(tmp_path / "out"),
        "--also-keep", "C", "--drop-fields", "R", "--split", "70,15,15", "--jobs", "2",
    )
    assert r.returncode == 0, r.stderr
    assert "read 30 tunes" in r.stdout and "train" in r.stdout
    assert r.stderr == ""  # no progress bar when standard error is not a terminal
    m = manifest(tmp_path / "out")
    assert m["options"]["split"] == [70, 15, 15]
    assert m["options"]["keep_fields"] == "CKLMQTX"
    for name in SPLITS:
        assert not any(
            line.startswith("R:")
            for line in (tmp_path / "out" / f"{name}.abc").read_text().splitlines()
        )


def test_progress_line_only_when_asked_or_on_a_terminal(tmp_path: Path) -> None:
    inputs = small_corpus(tmp_path, count=6)
    r = abcparse_cmd("corpus", "clean", *map(str, inputs), "-o", str(tmp_path / "o"),
                     "--progress", "-q")
    assert r.returncode == 0 and r.stdout == ""
    assert "corpus clean [" in r.stderr and "tunes/s" in r.stderr


def test_clean_usage_and_io_errors(tmp_path: Path) -> None:
    r = abcparse_cmd("corpus", "clean", str(tmp_path / "nope.abc"), "-o", str(tmp_path / "o"))
    assert r.returncode == 2
    assert "nope.abc: no such file" in r.stderr and "Traceback" not in r.stderr
    inputs = small_corpus(tmp_path, count=6)
    r = abcparse_cmd("corpus", "clean", str(inputs[0]), "-o", str(tmp_path / "o"),
                     "--split", "50,50")
    assert r.returncode == 2 and "percentages" in r.stderr
    r = abcparse_cmd("corpus", "clean", str(inputs[0]), "-o", str(tmp_path / "o"),
                     "--keep-fields", "X1")
    assert r.returncode == 2 and "field letters" in r.stderr and "Traceback" not in r.stderr
    blocker = tmp_path / "file"
    blocker.write_text("")
    r = abcparse_cmd("corpus", "clean", str(inputs[0]), "-o", str(blocker / "sub"))
    assert r.returncode == 2 and "cannot" in r.stderr and "Traceback" not in r.stderr
    r = abcparse_cmd("corpus")
    assert r.returncode == 2


def test_stats_command_text_and_json(tmp_path: Path) -> None:
    inputs = small_corpus(tmp_path, count=6)
    r = abcparse_cmd("corpus", "stats", str(inputs[1]))
    assert r.returncode == 0, r.stderr
    assert "tunes: 2" in r.stdout and "6/8" in r.stdout and "2/4" in r.stdout
    r = abcparse_cmd("corpus", "stats", "--json", *map(str, inputs))
    data = json.loads(r.stdout)
    assert data["tunes"] == 12
    assert data["keys"]["G"] >= 1
    assert data["tune_bars"]["count"] == 12
    assert sum(data["characters"].values()) == data["characters_total"]


def test_stats_counts() -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "t.abc"
        path.write_text(
            "M:6/8\n\nX:1\nT:a\nK:D\nd2e fed|ABA d3|]\n\n"
            "X:2\nT:b\nM:2/4\nL:1/16\nK:A dorian\nA4 B4|c8|e8|]\n",
            encoding="utf-8",
        )
        s = stats(path)
    assert s.tunes == 2
    assert s.keys == {"D": 1, "ADor": 1}
    assert s.meters == {"6/8": 1, "2/4": 1}
    assert s.unit_lengths == {"1/8": 1, "1/16": 1}
    assert s.tune_bars == {2: 1, 3: 1}
    j = s.to_json()
    assert j["tune_bars"]["min"] == 2 and j["tune_bars"]["max"] == 3


@pytest.mark.skipif(importlib.util.find_spec("matplotlib") is None, reason="no matplotlib")
def test_stats_plots(tmp_path: Path) -> None:
    inputs = small_corpus(tmp_path, count=6)
    r = abcparse_cmd("corpus", "stats", str(inputs[0]), "--plot", str(tmp_path / "plots"))
    assert r.returncode == 0, r.stderr
    names = sorted(p.name for p in (tmp_path / "plots").iterdir())
    assert names == [
        "characters.png", "keys.png", "meters.png", "tune_bars.png", "tune_characters.png",
        "unit_lengths.png",
    ]
    assert all((tmp_path / "plots" / n).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for n in names)


def test_stats_plot_without_matplotlib_is_a_clear_error(tmp_path: Path) -> None:
    inputs = small_corpus(tmp_path, count=6)
    code = (
        "import sys; sys.modules['matplotlib'] = None\n"
        "from abcparse.cli.main import main\n"
        f"sys.exit(main(['corpus', 'stats', {str(inputs[0])!r}, '--plot', "
        f"{str(tmp_path / 'p')!r}]))\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 2
    assert "matplotlib" in r.stderr and "abcparse[plot]" in r.stderr
    assert "Traceback" not in r.stderr
    assert not (tmp_path / "p").exists()


def test_stats_quantiles_are_nearest_rank() -> None:
    """"90% at most N": of tunes of 49 and 67 characters the 90th percentile is 67 (it
    said "90% below 49", where half the tunes are longer)."""
    from collections import Counter

    from abcparse.corpus.stats import distribution

    two = distribution(Counter([49, 67]))
    assert (two["median"], two["p90"]) == (49, 67)
    ten = distribution(Counter(range(1, 11)))
    assert (ten["min"], ten["median"], ten["p90"], ten["max"]) == (1, 5, 9, 10)
