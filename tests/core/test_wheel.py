"""Build the wheel, install it in a fresh virtual environment and use it there: proves that
the package data (the ``.lark`` grammars, ``py.typed``) ship, so a missing data file fails
here instead of on a user's machine.

The wheel is built from a copy of the source folders (the shared checkout is left alone),
without build isolation so the test needs no network. Dependencies come from ``pip
download`` into a local wheelhouse (the pip cache or index); where that is impossible the
venv sees the system's site-packages instead, and the test checks that ``abcparse`` itself
is still imported from the venv. The wheel holds the compiled note loops where a C
compiler is there, and the test reads the shipped corpus with them and without them
(``ABCPARSE_PURE=1``): the same model. Takes 10-20 seconds.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
TUNE = "%abc-2.1\nX:1\nT:Wheel test\nM:6/8\nL:1/8\nK:G\nGAB c2d|e2d B2A|G3 G3|]\n"

pytest.importorskip("build", reason="the 'build' package builds the wheel")


def run(args: list[str | Path], cwd: Path, timeout: int = 300,
        env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=timeout,
        env=env,
    )


def copy_sources(dest: Path) -> dict[str, Any]:
    """Copy what the build needs: pyproject and setup.py (the C extension), README/LICENSE,
    the package folders (without an extension an editable install built in place)."""
    project: dict[str, Any] = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    shutil.copy2(ROOT / "pyproject.toml", dest)
    shutil.copy2(ROOT / "setup.py", dest)
    for extra in [*ROOT.glob("README*"), *ROOT.glob("LICENSE*")]:
        shutil.copy2(extra, dest)
    folders = set(project["tool"]["setuptools"]["package-dir"].values())
    skip = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "*.so", "*.pyd")
    for folder in folders:
        shutil.copytree(ROOT / folder, dest / folder, ignore=skip)
    return project


def project_version(wheel: Path) -> str:
    """The version in the wheel's file name (``abcparse-0.1.0-py3-none-any.whl``)."""
    return wheel.name.split("-")[1]


def venv_bin(venv: Path, name: str) -> Path:
    scripts = venv / ("Scripts" if sys.platform == "win32" else "bin")
    return scripts / (name + (".exe" if sys.platform == "win32" else ""))


def test_wheel_installs_and_parses(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    project = copy_sources(src)
    dist = tmp_path / "dist"
    built = run(
        [
            sys.executable,
            "-m",
            "build",
            "--wheel",
            "--no-isolation",
            "--skip-dependency-check",
            "--outdir",
            dist,
            src,
        ],
        cwd=tmp_path,
    )
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    (wheel,) = dist.glob("abcparse-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for data_file in ("abc.lark", "fields.lark", "lyrics.lark"):
        assert f"abcparse/grammar/{data_file}" in names
    assert "abcparse/py.typed" in names

    # Dependencies: a local wheelhouse if pip can fill one, else the system's packages.
    wheelhouse = tmp_path / "wheelhouse"
    requirements: list[str] = list(project["project"]["dependencies"])
    fetched = run(
        [sys.executable, "-m", "pip", "download", "-q", "-d", wheelhouse, *requirements],
        cwd=tmp_path,
        timeout=180,
    )
    offline = fetched.returncode != 0
    venv = tmp_path / "venv"
    made = run(
        [sys.executable, "-m", "venv", *(["--system-site-packages"] if offline else []), venv],
        cwd=tmp_path,
    )
    assert made.returncode == 0, made.stderr
    python = venv_bin(venv, "python")
    install: list[str | Path] = [python, "-m", "pip", "install", "-q", "--no-index"]
    install += ["--no-deps", wheel] if offline else ["--find-links", wheelhouse, wheel]
    installed = run(install, cwd=tmp_path)
    assert installed.returncode == 0, installed.stdout[-3000:] + installed.stderr[-3000:]

    # Use it from a folder without the sources, so only the installed wheel can answer.
    work = tmp_path / "work"
    work.mkdir()
    (work / "tune.abc").write_text(TUNE, encoding="utf-8")
    check = (
        "import sys, abcparse\n"
        f"assert abcparse.__file__.startswith({str(venv)!r}), abcparse.__file__\n"
        "book = abcparse.parse_file('tune.abc')\n"
        "tune = book.tunes[0]\n"
        "assert (tune.title, tune.key.tonic, str(tune.meter)) == ('Wheel test', 'G', '6/8')\n"
        "assert not book.diagnostics, book.diagnostics\n"
        "assert 'tensorflow' not in sys.modules\n"
        "from importlib import metadata\n"
        "installed = metadata.version('abcparse')\n"
        "assert installed == abcparse.__version__, installed\n"
        "print('ok')\n"
    )
    used = run([python, "-c", check], cwd=work)
    assert used.returncode == 0 and "ok" in used.stdout, used.stderr[-3000:]

    # Both parsing paths (issue 16): the compiled note loops, which the wheel holds where
    # the build had a C compiler, and pure Python (ABCPARSE_PURE=1), which every install
    # has, read the shipped corpus into the same model, spans and findings included.
    compiled = any(n.startswith("abcparse/_speedups") for n in names)
    if shutil.which("cc") or shutil.which("gcc"):
        assert compiled, sorted(n for n in names if not n.endswith(".py"))
    shutil.copy2(ROOT / "corpus" / "irish.abc", work / "irish.abc")
    probe = (
        "import hashlib, abcparse, abcparse.speedups as s\n"
        "book = abcparse.parse_file('irish.abc')\n"
        "seen = [(repr(d), repr(d.span)) for d in book.diagnostics]\n"
        "for t in book.tunes:\n"
        "    seen += [repr(t.header), repr(t.diagnostics)]\n"
        "    seen += [(repr(e), repr(e.span)) for v in t.voices for e in v.elements]\n"
        "print(s.active(), len(book.tunes), hashlib.sha1(repr(seen).encode()).hexdigest())\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "ABCPARSE_PURE"}
    native = run([python, "-c", probe], cwd=work, env=env)
    pure = run([python, "-c", probe], cwd=work, env={**env, "ABCPARSE_PURE": "1"})
    assert native.returncode == 0 and pure.returncode == 0, native.stderr + pure.stderr
    assert native.stdout.split()[0] == str(compiled) and pure.stdout.split()[0] == "False"
    assert native.stdout.split()[1:] == pure.stdout.split()[1:]

    # python -m abcparse (issue 15), with the version the metadata has.
    module = run([python, "-m", "abcparse", "--version"], cwd=work)
    assert module.returncode == 0, module.stderr[-3000:]
    assert module.stdout.split() == ["abcparse", project_version(wheel)]

    # Once the linter exists, its console script must work from the wheel too.
    if (ROOT / "abcparse" / "cli" / "lint.py").exists():
        lint = run([venv_bin(venv, "abc-lint"), "tune.abc"], cwd=work)
        assert "Traceback" not in lint.stderr, lint.stderr[-3000:]
        assert lint.returncode == 0, lint.stdout[-3000:] + lint.stderr[-3000:]
