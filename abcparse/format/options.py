"""Formatter options, from keyword arguments, the command line, or ``pyproject.toml``.

A project keeps its choices in ``[tool.abcparse.format]`` (as black keeps its own in
``[tool.black]``), so everyone formatting the same tunebook gets the same bytes::

    [tool.abcparse.format]
    line-ending = "lf"        # "lf", "crlf" or "keep" (the file's dominant line end)
    decorations = "short"     # "short" (~ T ...), "long" (!roll! !trill!) or "keep"
    bar-spacing = "none"      # "none" (|abc|), "space" (| abc |) or "keep"
    target = "2.1"            # declare the output ABC 2.1 (adds %abc-2.1)
    renumber = false          # X: 1, 2, 3 ... in file order
    mode = "auto"             # how to read the input: "auto", "strict" or "loose"

Command-line flags override the file; keyword arguments of :func:`abcparse.format_str`
are the same names with ``_`` for ``-``.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import AbcIOError, AbcUsageError

LINE_ENDINGS = ("keep", "lf", "crlf")
DECORATION_STYLES = ("short", "long", "keep")
BAR_SPACINGS = ("none", "space", "keep")
TARGETS = (None, "2.1")
MODES = ("auto", "strict", "loose")


@dataclass(frozen=True, slots=True)
class FormatOptions:
    """What the canonical form may vary. Every field has the documented default."""

    line_ending: str = "keep"
    decorations: str = "short"
    bar_spacing: str = "none"
    target: str | None = None
    renumber: bool = False
    mode: str = "auto"

    def __post_init__(self) -> None:
        _choice("line-ending", self.line_ending, LINE_ENDINGS)
        _choice("decorations", self.decorations, DECORATION_STYLES)
        _choice("bar-spacing", self.bar_spacing, BAR_SPACINGS)
        _choice("target", self.target, TARGETS)
        _choice("mode", self.mode, MODES)
        if not isinstance(self.renumber, bool):
            raise AbcUsageError(f"renumber must be true or false, not {self.renumber!r}")

    @classmethod
    def from_mapping(cls, values: dict[str, Any], *, source: str = "options") -> FormatOptions:
        """Build options from ``{"line-ending": "lf", ...}`` (dashes or underscores);
        an unknown name is an error, so a typo in pyproject.toml does not pass silently."""
        names = {f.name for f in dataclasses.fields(cls)}
        clean: dict[str, Any] = {}
        for key, value in values.items():
            name = key.replace("-", "_")
            if name not in names:
                raise AbcUsageError(
                    f"{source}: unknown format option {key!r}"
                    f" (known: {', '.join(sorted(n.replace('_', '-') for n in names))})"
                )
            if name == "target" and value is not None:
                value = str(value)
            clean[name] = value
        try:
            return cls(**clean)
        except AbcUsageError as e:  # a bad value: say which file holds it
            raise AbcUsageError(f"{source}: {e}") from None

    def replace(self, **changes: Any) -> FormatOptions:
        """A copy with some options changed (None values are ignored, as unset flags)."""
        return dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})


def _choice(name: str, value: object, allowed: tuple[object, ...]) -> None:
    if value not in allowed:
        shown = ", ".join(repr(a) for a in allowed)
        raise AbcUsageError(f"{name} must be one of {shown}, not {value!r}")


def _load_toml(path: Path) -> dict[str, Any]:
    import tomllib
    try:
        with open(path, "rb") as f:
            data: dict[str, Any] = tomllib.load(f)
    except OSError as e:
        raise AbcIOError(f"{path}: cannot read: {e.strerror or e}") from None
    except tomllib.TOMLDecodeError as e:
        raise AbcUsageError(f"{path}: not valid TOML: {e}") from None
    return data


def find_pyproject(start: str | os.PathLike[str]) -> Path | None:
    """The nearest ``pyproject.toml`` in ``start`` or a folder above it (as black looks
    for its configuration), stopping at a repository root (``.git``)."""
    here = Path(start).resolve()
    if not here.is_dir():
        here = here.parent
    for folder in (here, *here.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            return candidate
        if (folder / ".git").exists():
            return None
    return None


def options_from_pyproject(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The ``[tool.abcparse.format]`` table of a pyproject.toml, or {} without one."""
    data = _load_toml(Path(path))
    table = data.get("tool", {}).get("abcparse", {}).get("format", {})
    if not isinstance(table, dict):
        raise AbcUsageError(f"{path}: [tool.abcparse.format] must be a table")
    return dict(table)


def load_options(start: str | os.PathLike[str] | None = None, **overrides: Any) -> FormatOptions:
    """Options for files under ``start`` (default: the current folder): the nearest
    pyproject.toml's ``[tool.abcparse.format]``, then ``overrides`` that are not None."""
    found = find_pyproject(start if start is not None else os.getcwd())
    values = options_from_pyproject(found) if found is not None else {}
    base = FormatOptions.from_mapping(values, source=str(found) if found else "options")
    return base.replace(**overrides)
