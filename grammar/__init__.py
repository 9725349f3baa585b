"""The ABC 2.1 grammars (installed as ``abcparse.grammar``).

``abc.lark`` holds the line and music grammar, ``fields.lark`` the field values and
``lyrics.lark`` the ``w:`` and ``s:`` lines. :func:`read` returns a grammar's text.
"""

from __future__ import annotations

from importlib import resources

GRAMMARS = ("abc.lark", "fields.lark", "lyrics.lark")


def read(name: str) -> str:
    """Text of one of the packaged grammar files."""
    if name not in GRAMMARS:
        raise ValueError(f"unknown grammar {name!r}; one of {', '.join(GRAMMARS)}")
    return resources.files(__name__).joinpath(name).read_text(encoding="utf-8")
