"""The code stays ruff- and mypy-clean (the project's habits, checked in every CI run)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _run(*cmd: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False, timeout=600)


@pytest.mark.skipif(shutil.which("ruff") is None, reason="ruff is not installed")
def test_ruff_is_clean() -> None:
    done = _run("ruff", "check", ".")
    assert done.returncode == 0, done.stdout + done.stderr


def test_mypy_strict_is_clean() -> None:
    """The core and the generator (``files`` in pyproject.toml). The generator's types
    come from NumPy, so without the ``generate`` extra only the core is checked."""
    pytest.importorskip("mypy")
    try:
        import numpy  # noqa: F401
    except ImportError:
        done = _run(sys.executable, "-m", "mypy", "abcparse")
    else:
        done = _run(sys.executable, "-m", "mypy")
    assert done.returncode == 0, done.stdout + done.stderr
