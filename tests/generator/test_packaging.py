"""The extras (issue 14): sampling needs NumPy and rapidfuzz only, so ``pip install
'abcparse[generate]'`` installs no TensorFlow; ``[train]`` brings TensorFlow for training."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def extras() -> dict[str, list[str]]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return data["project"]["optional-dependencies"]  # type: ignore[no-any-return]


def test_generate_extra_has_no_tensorflow() -> None:
    generate = " ".join(extras()["generate"]).lower()
    assert "numpy" in generate and "rapidfuzz" in generate
    assert "tensorflow" not in generate and "keras" not in generate


def test_train_extra_brings_tensorflow_and_the_sampler() -> None:
    train = " ".join(extras()["train"]).lower()
    assert "tensorflow" in train and "abcparse[generate]" in train


def test_ci_and_readme_install_what_the_tests_need() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert 'pip install -e ".[generate]" &&' in readme  # quick start 1: no TensorFlow
    assert '.[generate,train,test]" && python3 -m pytest' in readme
    assert '.[generate,train,test]" && python3 -m pytest' in ci
