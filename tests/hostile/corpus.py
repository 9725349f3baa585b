"""The hostile corpus (issue 15): inputs built to break a reader, generated, not stored.

Every input named in issue 15 is here, at two sizes: ``full`` (what benchmarks/hostile.py
runs each command on, with its 60 s and 2 GB bars) and ``small`` (the same shapes, small
enough for the default test run, tests/hostile/test_hostile.py). Generated so the repository
stays small and the sizes can grow; the bytes depend on nothing but the size (the random
bytes are seeded).

    from hostile.corpus import write_corpus
    paths = write_corpus(folder, "small")   # {name: path}
"""

from __future__ import annotations

import io
import random
import zipfile
from collections.abc import Callable
from pathlib import Path

HEAD = "X:1\nT:Hostile\nM:4/4\nL:1/8\nK:C\n"

#: (name, builder(n) -> bytes, n for "full", n for "small")
Builder = Callable[[int], bytes]


def _tune(body: str, head: str = HEAD) -> bytes:
    return (head + body + "\n").encode("utf-8")


def huge_line(n: int) -> bytes:
    """One line of ``n`` bytes of notes (no bar line, no line break)."""
    unit = "abcd efga "
    return _tune((unit * (n // len(unit) + 1))[:n])


def huge_line_bars(n: int) -> bytes:
    """One line of ``n`` bytes of four-note bars."""
    unit = "abcd efga|"
    return _tune((unit * (n // len(unit) + 1))[:n])


def many_tiny_tunes(n: int) -> bytes:
    """``n`` tunes of one note each."""
    return "".join(f"X:{i}\nK:C\nC|\n\n" for i in range(1, n + 1)).encode("ascii")


def unterminated_strings(n: int) -> bytes:
    """``n`` lines, each opening a chord symbol/annotation that never closes."""
    return _tune("\n".join('A "unterminated B c' for _ in range(n)))


def unterminated_string_one_line(n: int) -> bytes:
    return _tune('"' + "abc " * (n // 4))


def unterminated_decorations(n: int) -> bytes:
    """``n`` lines with a ``!decoration`` that never closes, and a ``+deco`` one."""
    return _tune("\n".join("A !trill B c +fermata d" for _ in range(n)))


def tuplet_run(n: int) -> bytes:
    return _tune("(3abc" * n + "|")


def tie_run(n: int) -> bytes:
    return _tune("a-" * n + "a|")


def broken_rhythm_run(n: int) -> bytes:
    return _tune("a>b<" * n + "|")


def greater_run(n: int) -> bytes:
    """One note, ``n`` ``>`` (issue 15: 100,000 of them crashed MIDI export)."""
    return _tune("a" + ">" * n + "b|")


def slur_run(n: int) -> bytes:
    return _tune("(" * n + "abc" + ")" * n + "|")


def grace_run(n: int) -> bytes:
    return _tune("{g}a" * n + "|")


def huge_chord(n: int) -> bytes:
    return _tune("[" + "CDEFGABcdefgab" * (n // 14 + 1) + "]|")


def chord_run(n: int) -> bytes:
    """``n`` ``[A`` (issue 15: MIDI export of 100k of them took 34 s)."""
    return _tune("[A" * n)


def overlays(n: int) -> bytes:
    """``n`` voice overlays ``&`` in one bar (issue 15: 32,768 crashed MIDI export)."""
    return _tune("a&" * n + "a|")


def many_voices(n: int) -> bytes:
    return _tune("".join(f"[V:{i}] a|\n" for i in range(1, n + 1)))


def big_x(n: int) -> bytes:
    """An X: number of ``n`` digits (issue 15: 5,000 crashed format, --fix and midi)."""
    return _tune("abc|", head="X:" + "9" * n + "\nT:Big X\nK:C\n")


def big_length(n: int) -> bytes:
    """A note length of ``n`` digits, and an L: and M: of ``n`` digits."""
    digits = "9" * n
    return _tune(f"a{digits} b/{digits}|", head=f"X:1\nM:{digits}/4\nL:1/{digits}\nK:C\n")


def big_tempo(n: int) -> bytes:
    return _tune("abc|", head=f"X:1\nQ:1/4={'9' * n}\nK:C\n")


def long_header_field(n: int) -> bytes:
    return _tune("abc|", head="X:1\nT:" + "t" * n + "\nK:C\n")


def non_latin_title(n: int) -> bytes:
    """A title outside Latin-1 (issue 15: crashed MIDI export)."""
    return _tune("abc|", head="X:1\nT:" + "日本の曲 ♫ " * max(1, n) + "\nK:C\n")


def charset(codec: str, tail: bytes = b"") -> Builder:
    """``%%abc-charset CODEC`` with a tune after it (issue 15: a codec Python knows that
    is not a text charset crashed every reader)."""

    def build(n: int) -> bytes:
        return f"%%abc-charset {codec}\n\n".encode("ascii") + _tune("abc|") + tail
    return build


def utf16(n: int) -> bytes:
    return _tune("abc|" * max(1, n)).decode("utf-8").encode("utf-16")


def utf16_no_bom(n: int) -> bytes:
    return _tune("abc|" * max(1, n)).decode("utf-8").encode("utf-16-le")


def utf32(n: int) -> bytes:
    return _tune("abc|" * max(1, n)).decode("utf-8").encode("utf-32")


def png(n: int) -> bytes:
    return b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * max(1, n // 256)


def zip_file(n: int) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("tune.abc", _tune("abc|" * max(1, n)))
    return buf.getvalue()


def elf(n: int) -> bytes:
    return b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + bytes(range(256)) * max(1, n // 256)


def random_bytes(n: int) -> bytes:
    return random.Random(15).randbytes(max(1, n))


def random_bytes_with_x(n: int) -> bytes:
    """Random bytes after a real tune header: the reader gets past the sniffing."""
    return _tune("") + random.Random(16).randbytes(max(1, n))


def nul_tune(n: int) -> bytes:
    return _tune("a\x00b\x00c|" * max(1, n))


def control_chars(n: int) -> bytes:
    return _tune("".join(chr(c) for c in range(1, 32) if c not in (10, 13)) * max(1, n))


def lone_surrogates(n: int) -> bytes:
    return _tune("abc|") + b"\xed\xa0\x80\xff\xfe" * max(1, n)


def crlf_mix(n: int) -> bytes:
    return b"X:1\r\nK:C\rabc|\n\r\n" * max(1, n)


def empty(n: int) -> bytes:
    return b""


def whitespace(n: int) -> bytes:
    return b" \n\t\n" * max(1, n)


def bom_only(n: int) -> bytes:
    return b"\xef\xbb\xbf"


def no_tune(n: int) -> bytes:
    return b"% only a comment\n" * max(1, n)


def fix_heavy(unit: str, tail: str = "") -> Builder:
    """One line of ``n`` copies of ``unit``, each a finding that ``--fix`` repairs: a
    fixer that rescans the line or the tune for every finding is quadratic here (found
    2026-12-03: stray ``]`` and ``}``, microtones, quotes, endings without repeats)."""
    def build(n: int) -> bytes:
        return _tune(unit * n + tail + "|")
    return build


def one_long_tune(n: int) -> bytes:
    """The music of corpus/irish.abc run together as one tune of ``n`` characters: real
    bars, many of them misfits across the joins, for ``--fix``'s re-reads of a tune."""
    text = (Path(__file__).resolve().parents[2] / "corpus" / "irish.abc").read_text("utf-8")
    body = "".join(line for line in text.splitlines(keepends=True)
                   if line.strip() and not line.startswith("%") and not (
                       len(line) > 1 and line[1] == ":" and line[0].isalpha()))
    return _tune((body * (n // max(1, len(body)) + 1))[:n])


def deep_macro(n: int) -> bytes:
    """A macro that refers to itself and user-defined symbols that chain."""
    head = "X:1\nm: ~n2 = n>n\nU: W = !trill!\nK:C\n"
    return _tune("~a2 W" * n + "|", head=head)


def long_part_order(n: int) -> bytes:
    """A ``P:`` order of ``n`` parts (flat, then thousands of times a long part): the order
    is bounded (ABC225 past 10,000 parts) and so is what it plays (AbcLimitError past a
    million bars), instead of every note of every pass being laid out first."""
    head = "X:1\nT:parts\nM:4/4\nL:1/8\nP:" + "AB" * max(1, n // 2) + "\nK:C\n"
    bars = "ABCDEFGA|" * max(1, n // 10)
    return (head + "P:A\n" + bars + "\nP:B\n" + bars + "\n").encode("utf-8")


def voices_part_order(n: int) -> bytes:
    """``n`` voices, each playing a 10,000-part order of one-bar parts: every voice within
    its own limit, together past what a tune may play (events.MAX_PLAYED_ITEMS)."""
    head = "X:1\nT:voices\nM:4/4\nL:1/8\nP:" + "AB" * 5_000 + "\nK:C\n"
    body = "".join(f"[V:{i}][P:A]ABCDEFGA|[P:B]ABCDEFGA|\n" for i in range(max(1, n)))
    return (head + body).encode("utf-8")


INPUTS: list[tuple[str, Builder, int, int]] = [
    ("huge_line", huge_line, 1_000_000, 4_000),
    ("huge_line_bars", huge_line_bars, 1_000_000, 4_000),
    ("many_tiny_tunes", many_tiny_tunes, 20_000, 100),
    ("unterminated_strings", unterminated_strings, 100_000, 100),
    ("unterminated_string_one_line", unterminated_string_one_line, 1_000_000, 4_000),
    ("unterminated_decorations", unterminated_decorations, 100_000, 100),
    ("tuplet_run", tuplet_run, 100_000, 100),
    ("tie_run", tie_run, 100_000, 300),
    ("broken_rhythm_run", broken_rhythm_run, 100_000, 1_000),
    ("greater_2000", greater_run, 2_000, 2_000),
    ("greater_100000", greater_run, 100_000, 5_000),
    ("slur_run", slur_run, 100_000, 1_000),
    ("grace_run", grace_run, 100_000, 300),
    ("huge_chord", huge_chord, 100_000, 1_000),
    ("chord_run", chord_run, 100_000, 1_000),
    ("overlays_32768", overlays, 32_768, 600),
    ("many_voices", many_voices, 5_000, 100),
    ("x_5000_digits", big_x, 5_000, 5_000),
    ("lengths_5000_digits", big_length, 5_000, 5_000),
    ("tempo_5000_digits", big_tempo, 5_000, 5_000),
    ("long_title", long_header_field, 1_000_000, 20_000),
    ("non_latin_title", non_latin_title, 10, 1),
    *[(f"charset_{c}", charset(c), 0, 0) for c in (
        "base64", "zlib", "bz2", "hex", "rot13", "uu", "quopri", "undefined", "idna",
        "punycode", "utf-32", "utf_16_be", "utf-16", "unicode_escape", "nosuchcodec",
        "iso-8859-1", "utf-8")],
    ("charset_utf16_odd_bytes", charset("utf-16", b"\x00"), 0, 0),
    ("charset_unicode_escape_bad_x", charset("unicode_escape", b"\\xZZ\n"), 0, 0),
    ("utf16_bom", utf16, 1_000, 10),
    ("utf16_no_bom", utf16_no_bom, 1_000, 10),
    ("utf32_bom", utf32, 1_000, 10),
    ("png", png, 100_000, 1_000),
    ("zip", zip_file, 10_000, 10),
    ("elf", elf, 100_000, 1_000),
    ("random_bytes", random_bytes, 1_000_000, 5_000),
    ("random_after_header", random_bytes_with_x, 1_000_000, 5_000),
    ("nul_bytes", nul_tune, 10_000, 100),
    ("control_chars", control_chars, 10_000, 100),
    ("lone_surrogates", lone_surrogates, 10_000, 100),
    ("crlf_cr_mix", crlf_mix, 10_000, 100),
    ("empty", empty, 0, 0),
    ("whitespace_only", whitespace, 1_000, 10),
    ("bom_only", bom_only, 0, 0),
    ("no_tune", no_tune, 1_000, 10),
    ("macros", deep_macro, 10_000, 200),
    ("nested_brackets", lambda n: _tune("[" * n + "A" + "]" * n + "|"), 100_000, 300),
    ("nested_braces", lambda n: _tune("{" * n + "A" + "}" * n + "|"), 100_000, 300),
    ("stray_closes", fix_heavy("A]B}"), 50_000, 300),
    ("microtones", fix_heavy("_/e^3/4c"), 30_000, 300),
    ("quotes_one_open", fix_heavy('"C"A', '"Am abc'), 50_000, 300),
    ("endings_no_repeat", fix_heavy("|:A|[1 B|[2 c"), 20_000, 100),
    ("lone_second_endings", fix_heavy("[2 AB|"), 50_000, 300),
    ("bang_line_breaks", fix_heavy("ab!trill cde fga|\n"), 20_000, 100),
    ("one_long_tune", one_long_tune, 300_000, 3_000),
    ("wrapped_endings", fix_heavy("|:AB cd|1 ef ga:|\n2 ga bc|\n"), 10_000, 100),
    # Found 2026-12-03 (session 8): a tuple grown per inline field (quadratic in [K:]
    # changes inside one bar), a slice of the tune's items per ABC321 tie.
    ("inline_key_changes", fix_heavy("[K:D]A"), 50_000, 300),
    ("ties_between_pitches", fix_heavy("A-B CDEF|"), 20_000, 100),
    ("long_part_order", long_part_order, 8_000, 100),
    ("voices_part_order", voices_part_order, 300, 3),
]


def write_corpus(folder: Path, size: str = "small", only: set[str] | None = None
                 ) -> dict[str, Path]:
    """Write every input (``size`` "full" or "small") as ``folder/NAME.abc``."""
    folder.mkdir(parents=True, exist_ok=True)
    out: dict[str, Path] = {}
    for name, build, full, small in INPUTS:
        if only is not None and name not in only:
            continue
        path = folder / f"{name}.abc"
        path.write_bytes(build(full if size == "full" else small))
        out[name] = path
    return out


__all__ = ["INPUTS", "write_corpus"]
