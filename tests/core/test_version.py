"""One version source and ``python -m abcparse`` (issue 15).

The version is written once, as ``abcparse.__version__``; pyproject.toml declares it
dynamic and setuptools reads it from there, so the installed metadata, the ``--version``
of both commands and the corpus manifests agree. (tests/core/test_wheel.py checks the
same in a wheel installed in a fresh virtual environment.)
"""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import abcparse

ROOT = Path(__file__).resolve().parents[2]


def test_pyproject_takes_the_version_from_the_package() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "version" not in project["project"]
    assert "version" in project["project"]["dynamic"]
    dynamic = project["tool"]["setuptools"]["dynamic"]["version"]
    assert dynamic == {"attr": "abcparse.__version__"}


def test_the_version_is_written_once() -> None:
    """No other file of the package or pyproject.toml spells the version out."""
    version = abcparse.__version__
    assert re.fullmatch(r"\d+\.\d+\.\d+([.-]?\w+)?", version)
    holders = [
        p.relative_to(ROOT).as_posix()
        for folder in ("abcparse", "generator", "grammar")
        for p in (ROOT / folder).rglob("*.py")
        if re.search(rf"""["']{re.escape(version)}["']""", p.read_text(encoding="utf-8"))
    ]
    assert holders == ["abcparse/__init__.py"]
    assert f'"{version}"' not in (ROOT / "pyproject.toml").read_text(encoding="utf-8")


def test_installed_metadata_agrees() -> None:
    assert metadata.version("abcparse") == abcparse.__version__


def test_python_dash_m_abcparse() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "abcparse", "--version"],
        capture_output=True, text=True, timeout=120, cwd=ROOT,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == f"abcparse {abcparse.__version__}"


def test_python_dash_m_abcparse_without_a_command_is_a_usage_error() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "abcparse"], capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 2
    assert "usage: abcparse" in run.stderr
    assert "Traceback" not in run.stderr
