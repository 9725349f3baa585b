"""abcparse: a toolkit for music written in ABC notation (ABC 2.1).

Parse, validate (strict or loose, ABC 2.1 §12), normalize and repair ABC tunebooks; turn
tunes into MIDI; clean corpora for training. ``import abcparse`` is light: it imports
Lark, never TensorFlow (the generator is the optional ``abcparse.generator`` plugin).

>>> import abcparse
>>> book = abcparse.parse("X:1\\nT:Example\\nM:6/8\\nK:G\\nGAB c2d|\\n")
>>> tune = book.tunes[0]
>>> tune.title, str(tune.meter), tune.key.tonic, tune.unit_length
('Example', '6/8', 'G', Fraction(1, 8))
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .api import (
    TuneStream,
    iter_tunes,
    parse,
    parse_bytes,
    parse_file,
    read_headers,
    version_is_strict,
)
from .diagnostics import Diagnostic, Fix, Severity, Span
from .errors import AbcDecodeError, AbcError, AbcIOError, AbcLimitError, AbcUsageError
from .model import (
    Accidental,
    Annotation,
    Bar,
    BarKind,
    BarLine,
    BrokenRhythm,
    Chord,
    ChordSymbol,
    Clef,
    Comment,
    Decoration,
    Directive,
    Element,
    ErrorNode,
    Field,
    FileHeader,
    FreeText,
    GraceGroup,
    InlineField,
    Key,
    KeyAccidental,
    LineBreak,
    LyricsLine,
    Meter,
    Microtone,
    Mode,
    Note,
    Overlay,
    Reserved,
    Rest,
    SlurEnd,
    SlurStart,
    Spacer,
    Syllable,
    SymbolLine,
    Tempo,
    Tie,
    Tune,
    Tunebook,
    TuneHeader,
    Tuplet,
    VariantEnding,
    Voice,
)
from .validate import check

if TYPE_CHECKING:
    from .format import format_str
    from .format.repair import RepairResult, repair
    from .midi import to_midi

# Names whose modules load on first use (PEP 562): a lint run needs neither the
# formatter and its repairs nor MIDI writing, and importing them was a tenth of the
# start-up of ``abc-lint`` on one tune.
_LAZY = {
    "format_str": ".format",
    "RepairResult": ".format.repair",
    "repair": ".format.repair",
    "to_midi": ".midi",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value

# The one place the version is written: pyproject.toml reads it from here at build time
# ([tool.setuptools.dynamic]), so an editable install, a wheel and a source checkout all
# agree, and nothing needs the installed metadata at run time.
__version__ = "0.1.0"

__all__ = [
    "AbcDecodeError",
    "AbcError",
    "AbcIOError",
    "AbcLimitError",
    "AbcUsageError",
    "Accidental",
    "Annotation",
    "Bar",
    "BarKind",
    "BarLine",
    "BrokenRhythm",
    "Chord",
    "ChordSymbol",
    "Clef",
    "Comment",
    "Decoration",
    "Diagnostic",
    "Directive",
    "Element",
    "ErrorNode",
    "Field",
    "FileHeader",
    "Fix",
    "FreeText",
    "GraceGroup",
    "InlineField",
    "Key",
    "KeyAccidental",
    "LineBreak",
    "LyricsLine",
    "Meter",
    "Microtone",
    "Mode",
    "Note",
    "Overlay",
    "RepairResult",
    "Reserved",
    "Rest",
    "Severity",
    "SlurEnd",
    "SlurStart",
    "Spacer",
    "Span",
    "Syllable",
    "SymbolLine",
    "Tempo",
    "Tie",
    "Tune",
    "TuneHeader",
    "TuneStream",
    "Tunebook",
    "Tuplet",
    "VariantEnding",
    "Voice",
    "__version__",
    "check",
    "format_str",
    "iter_tunes",
    "parse",
    "parse_bytes",
    "parse_file",
    "read_headers",
    "repair",
    "to_midi",
    "version_is_strict",
]
