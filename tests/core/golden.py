"""Golden files for the conformance suite: the parsed model of a fixture as plain JSON.

Every ``tests/fixtures/conformance/NAME.abc`` has a ``NAME.json`` beside it holding what
:func:`abcparse.parse_file` makes of it: every field of every node (dataclasses become
objects with a ``"type"``, fractions strings such as ``"3/2"``, enums their value, spans
``[line, col, end_line, end_col]``). The golden is the *expected* model: it is written by
hand-checking the output against the ABC 2.1 standard, never by copying whatever the
parser prints. ``tests/core/test_conformance.py`` compares the two.

Regenerating (see ``tests/fixtures/conformance/README.md``)::

    python -m tests.core.golden                 # dry run: diff every fixture, change nothing
    python -m tests.core.golden NAME ...        # only these fixtures
    python -m tests.core.golden --update NAME   # write the goldens that differ
    python -m tests.core.golden --write-bytes   # rewrite the byte-exact §2 fixtures

``--update`` prints the diff of each golden it writes. Read every changed line against the
standard section the fixture names before committing it: a golden that enshrines a parser
bug is worse than none.
"""

from __future__ import annotations

import argparse
import codecs
import dataclasses
import difflib
import enum
import json
import re
import sys
from fractions import Fraction
from pathlib import Path
from typing import Any

import abcparse
from abcparse.diagnostics import Span

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "conformance"

# Fields that repeat the input text (checked by the round-trip tests instead) or that
# depend on where the checkout lives.
_SKIPPED = {
    "Tune": {"text"},
    "FileHeader": {"text"},
    "Tunebook": {"pieces", "source"},
}

# §2 fixtures whose exact bytes matter (BOM, CRLF, CR, Latin-1, undecodable bytes). They
# are written from here, so the bytes are reviewable in one place and a checkout that
# rewrote line ends (despite .gitattributes' -text) fails test_fixture_bytes.
BYTE_FIXTURES: dict[str, bytes] = {
    # §2.1: a BOM at the start of the file is ignored (and kept for to_bytes()).
    "s2.1_bom.abc": codecs.BOM_UTF8
    + "%abc-2.1\nX:1\nT:Caf\u00e9 with a BOM\nM:4/4\nL:1/4\nK:C\nCDEF|]\n".encode(),
    # §8 Windows line ends.
    "s2.2_crlf.abc": b"X:1\r\nT:CRLF tune\r\nM:3/4\r\nL:1/4\r\nK:G\r\nGAB|c2d|]\r\n"
    b"\r\nX:2\r\nT:Second\r\nK:D\r\nDEF|]\r\n",
    # §8 old Macintosh line ends.
    "s2.2_cr.abc": b"X:1\rT:CR tune\rM:2/4\rL:1/8\rK:F\rFGAB|c4|]\r",
    # Mixed line ends: read fine, reported as ABC003 at the odd one.
    "s2.2_mixed_newlines.abc": b"X:1\nT:Mixed\r\nM:4/4\nL:1/4\nK:C\nCDEF|\nGABc|]\n",
    # §3.1.17 I:abc-charset iso-8859-1 in the file header: 0xE9 is e-acute.
    "s3.1.17_charset_iso.abc": b"I:abc-charset iso-8859-1\n\nX:1\nT:Caf\xe9 Latin\nC:Sch\xf6nberg\n"
    b'M:4/4\nL:1/4\nK:C\n"^\xe0 la"CDEF|]\n',
    # The older %%abc-charset form of the same declaration.
    "s3.1.17_charset_directive.abc": b"%%abc-charset iso-8859-1\n\nX:1\nT:Gar\xe7on\nK:C\nC4|]\n",
    # No declaration and bytes that are not UTF-8: ABC001 at the first one, bytes kept.
    "s2.1_undecodable.abc": b"X:1\nT:Bad \xff\xfe bytes\nK:C\nCD\x80E|]\n",
}


def to_data(obj: Any) -> Any:
    """The model as JSON-ready data: every dataclass field, spans as four numbers."""
    if obj is None or isinstance(obj, (bool, int, str)):
        return obj
    if isinstance(obj, Span):
        return [obj.line, obj.col, obj.end_line, obj.end_col]
    if isinstance(obj, Fraction):
        return str(obj)
    if isinstance(obj, enum.Enum):
        return obj.value
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        name = type(obj).__name__
        skipped = _SKIPPED.get(name, set())
        out: dict[str, Any] = {"type": name}
        for f in dataclasses.fields(obj):
            if f.name not in skipped:
                out[f.name] = to_data(getattr(obj, f.name))
        return out
    if isinstance(obj, (tuple, list)):
        return [to_data(x) for x in obj]
    if isinstance(obj, dict):
        return {str(k): to_data(v) for k, v in obj.items()}
    raise TypeError(f"no JSON form for {type(obj).__name__}")


def derived(tune: abcparse.Tune) -> dict[str, Any]:
    """What the typed header properties answer (the API users call), and the key
    signature the key implies (§3.1.14): goldens check these as well as the fields."""
    return {
        "reference": tune.reference,
        "title": tune.title,
        "titles": list(tune.titles),
        "composer": tune.composer,
        "origin": tune.origin,
        "rhythm": tune.rhythm,
        "meter": None if tune.meter is None else str(tune.meter),
        "bar_length": None if tune.meter is None else to_data(tune.meter.bar_length),
        "unit_length": to_data(tune.unit_length),
        "key_signature": tune.key.signature(),
        "parts": tune.parts,
    }


def book_data(book: abcparse.Tunebook) -> dict[str, Any]:
    """A tunebook with how its bytes were read (encoding, BOM, dominant line end), and
    each tune's derived header values under ``"derived"``."""
    data: dict[str, Any] = to_data(book)
    for tune, tune_data in zip(book.tunes, data["tunes"], strict=True):
        tune_data["derived"] = derived(tune)
    source = book.source
    if source is not None:
        data["source"] = {"encoding": source.encoding, "bom": source.bom, "newline": source.newline}
    return data


def _escape_surrogates(text: str) -> str:
    # Undecodable bytes are lone surrogates (surrogateescape); JSON spells them \udcXX.
    return re.sub("[\ud800-\udfff]", lambda m: f"\\u{ord(m.group()):04x}", text)


def dumps(data: Any, width: int = 100) -> str:
    """JSON with one small node per line: a value whose one-line form fits in ``width``
    stays on one line, bigger ones open up. Reviewable by eye, stable for diffs."""

    def leaf(value: Any) -> bool:
        # A node none of whose values is a non-empty object: one note, one field, one span.
        values = value.values() if isinstance(value, dict) else value
        return not any(isinstance(v, dict) and v for v in values) and not any(
            isinstance(v, list) and any(isinstance(x, (dict, list)) for x in v) for v in values
        )

    def fmt(value: Any, indent: int) -> str:
        one = json.dumps(value, ensure_ascii=False)
        if not isinstance(value, (dict, list)) or not value or indent + len(one) <= width:
            return one
        if isinstance(value, dict) and leaf(value):
            return one
        pad = " " * (indent + 2)
        if isinstance(value, dict):
            items = [
                f"{pad}{json.dumps(k, ensure_ascii=False)}: {fmt(v, indent + 2)}"
                for k, v in value.items()
            ]
            return "{\n" + ",\n".join(items) + "\n" + " " * indent + "}"
        items = [pad + fmt(v, indent + 2) for v in value]
        return "[\n" + ",\n".join(items) + "\n" + " " * indent + "]"

    return _escape_surrogates(fmt(data, 0)) + "\n"


def outline(data: Any, indent: int = 0, label: str = "") -> str:
    """A compact view of golden data for review by eye: one node per line, its scalar
    fields inline (``Note letter=C octave=1 length=1/2 @3:5-3:8``), children indented.
    Empty lists and None values are left out."""
    pad = "  " * indent
    head = f"{pad}{label}: " if label else pad
    if isinstance(data, dict):
        parts = [str(data.get("type", ""))]
        children: list[tuple[str, Any]] = []
        for k, v in data.items():
            if k == "type" or v is None or v == [] or v == {}:
                continue
            if k == "span" and isinstance(v, list):
                parts.append(f"@{v[0]}:{v[1]}-{v[2]}:{v[3]}")
            elif isinstance(v, dict) or (
                isinstance(v, list) and any(isinstance(x, (dict, list)) for x in v)
            ):
                children.append((k, v))
            else:
                quote = isinstance(v, str) and (not v or any(c.isspace() for c in v))
                parts.append(f"{k}={json.dumps(v, ensure_ascii=False) if quote else v}")
        lines = [head + " ".join(parts)]
        lines.extend(outline(v, indent + 1, k) for k, v in children)
        return "\n".join(lines)
    if isinstance(data, list):
        lines = [f"{head}[{len(data)}]"]
        lines.extend(outline(v, indent + 1) for v in data)
        return "\n".join(lines)
    return f"{head}{data!r}"


def fixtures() -> list[Path]:
    return sorted(FIXTURES.glob("*.abc"))


def golden_path(fixture: Path) -> Path:
    return fixture.with_suffix(".json")


def render(fixture: Path) -> str:
    """The golden text that the parser gives for ``fixture`` now."""
    return dumps(book_data(abcparse.parse_file(fixture)))


def write_bytes() -> None:
    for name, data in BYTE_FIXTURES.items():
        (FIXTURES / name).write_bytes(data)
        print(f"wrote {name} ({len(data)} bytes)")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m tests.core.golden",
        description="Compare (and with --update, rewrite) the conformance goldens.",
    )
    ap.add_argument("names", nargs="*", help="fixture names (NAME or NAME.abc); default all")
    ap.add_argument("--update", action="store_true", help="write goldens that differ")
    ap.add_argument("--write-bytes", action="store_true", help="rewrite the byte fixtures")
    ap.add_argument("--quiet", action="store_true", help="no diffs, only the summary")
    ap.add_argument("--show", action="store_true", help="print an outline of each model")
    args = ap.parse_args(argv)
    if args.write_bytes:
        write_bytes()
    chosen = fixtures()
    if args.names:
        wanted = {Path(n).name.removesuffix(".abc").removesuffix(".json") for n in args.names}
        chosen = [f for f in chosen if f.stem in wanted]
        missing = wanted - {f.stem for f in chosen}
        if missing:
            print(f"no such fixture: {', '.join(sorted(missing))}", file=sys.stderr)
            return 2
    if args.show:
        for fixture in chosen:
            print(f"== {fixture.name}")
            print(outline(book_data(abcparse.parse_file(fixture))))
        return 0
    differing = 0
    for fixture in chosen:
        new = render(fixture)
        gold = golden_path(fixture)
        old = gold.read_text(encoding="utf-8") if gold.exists() else ""
        if new == old:
            continue
        differing += 1
        status = "NEW" if not old else "CHANGED"
        print(f"== {status} {gold.relative_to(ROOT)}")
        if not args.quiet:
            sys.stdout.writelines(
                difflib.unified_diff(
                    old.splitlines(keepends=True),
                    new.splitlines(keepends=True),
                    "golden",
                    "parser",
                )
            )
        if args.update:
            gold.write_text(new, encoding="utf-8")
    verb = "written" if args.update else "differ"
    print(f"{differing} of {len(chosen)} goldens {verb}")
    if args.update and differing:
        print("Review every written golden against the standard before committing it.")
    return 1 if differing and not args.update else 0


if __name__ == "__main__":
    raise SystemExit(main())
