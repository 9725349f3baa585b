"""``import abcparse`` stays light: parsing never pulls in TensorFlow (the generator plugin is
the only code that imports it), checked in a fresh interpreter so no other test's imports
can hide a regression."""

from __future__ import annotations

import subprocess
import sys


def test_parsing_does_not_import_tensorflow() -> None:
    code = (
        "import sys, abcparse; abcparse.parse('X:1\\nK:C\\nCDE|'); "
        "assert 'tensorflow' not in sys.modules, 'tensorflow was imported'; "
        "assert 'keras' not in sys.modules, 'keras was imported'"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr


def test_public_names() -> None:
    """Everything in __all__ exists, and the API entry points are there."""
    import abcparse

    missing = [name for name in abcparse.__all__ if not hasattr(abcparse, name)]
    assert not missing
    for name in ("parse", "parse_file", "read_headers", "Tunebook", "Tune", "AbcError"):
        assert name in abcparse.__all__


def test_lint_loads_neither_formatter_nor_midi() -> None:
    """``format_str``, ``repair`` and ``to_midi`` load on first use (PEP 562): a lint run
    does not pay for importing them, and the names still work from the package."""
    code = (
        "import sys, abcparse; abcparse.check('X:1\\nK:C\\nCDE|\\n'); "
        "loaded = [m for m in ('abcparse.format', 'abcparse.format.repair', 'abcparse.midi')"
        " if m in sys.modules]; assert not loaded, loaded; "
        "from abcparse import format_str, repair, to_midi, RepairResult; "
        "assert format_str('X:1\\nK:C\\nCDE|\\n').startswith('X:1'); "
        "assert 'abcparse.format' in sys.modules"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr


def test_unknown_name_is_an_attribute_error() -> None:
    import abcparse

    try:
        abcparse.no_such_name  # type: ignore[attr-defined]  # noqa: B018
    except AttributeError as e:
        assert "no_such_name" in str(e)
    else:
        raise AssertionError("abcparse.no_such_name did not raise")
