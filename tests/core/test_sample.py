"""A sample of corpus tunes whose header values were checked by hand, by reading the file
(not the parser's output): reference, title, key (tonic and mode), meter, unit length, and
where the header has them tempo, parts, rhythm and composer.

Each case notes what makes it worth checking: an L: left out (the unit comes from the
meter, §3.1.7), a field that only appears in the body, a commented-out field, and so on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

import pytest

import abcparse
from abcparse import Mode

from .corpora import SHARED, SHIPPED_IRISH, needs_shared, parsed


@dataclass(frozen=True)
class Case:
    file: str  # "shipped/irish.abc" or a path under the shared corpus folder
    title: str
    reference: int
    tonic: str
    mode: Mode
    meter: str
    unit: Fraction
    extra: dict[str, object] = field(default_factory=dict)
    why: str = ""


EIGHTH = Fraction(1, 8)
QUARTER = Fraction(1, 4)
NOTT = "nottingham/ABC_original/"

CASES = [
    Case(
        "shipped/irish.abc",
        "Alexander's",
        1,
        "D",
        Mode.MAJOR,
        "C|",
        EIGHTH,
        why="first tune; cut time; 'K:D Major' spelled out",
    ),
    Case(
        "shipped/irish.abc",
        "Crabs in the Skillet",
        32,
        "G",
        Mode.DORIAN,
        "6/8",
        EIGHTH,
        why="mode word 'Dorian'",
    ),
    Case(
        "shipped/irish.abc",
        "Jenny's Chickens",
        161,
        "F#",
        Mode.MINOR,
        "C",
        EIGHTH,
        why="sharp tonic, 'Minor'; K:B Minor later in the body must not change the header",
    ),
    Case(
        "shipped/irish.abc",
        "Is the Big Man Within",
        12,
        "D",
        Mode.MAJOR,
        "9/8",
        EIGHTH,
        why="slip jig meter",
    ),
    Case(
        "shipped/irish.abc",
        "Merry Harriers",
        232,
        "A",
        Mode.DORIAN,
        "C",
        EIGHTH,
        why="'K: G Major' (with a space) later in the body",
    ),
    Case(
        NOTT + "ashover.abc",
        "Barry's Favourite",
        2,
        "D",
        Mode.MAJOR,
        "2/2",
        EIGHTH,
        why="'X: 2' with a space; no L:, 2/2 = 1.0 so the unit is 1/8",
    ),
    Case(NOTT + "ashover.abc", "Busker Brag", 7, "C", Mode.MAJOR, "4/4", QUARTER),
    Case(
        NOTT + "hpps.abc", "Barn Dance 1", 2, "D", Mode.MAJOR, "4/4", EIGHTH, {"rhythm": "Hornpipe"}
    ),
    Case(
        NOTT + "jigs.abc",
        "Abacus",
        2,
        "G",
        Mode.MAJOR,
        "6/8",
        EIGHTH,
        why="no L:, 6/8 = 0.75 so the unit is 1/8",
    ),
    Case(
        NOTT + "morris.abc",
        "Abram Circle",
        2,
        "G",
        Mode.MAJOR,
        "4/4",
        QUARTER,
        {"tempo": None},
        why="its Q: fields are all in the body, after K:",
    ),
    Case(
        NOTT + "morris.abc",
        "Highland Mary",
        7,
        "G",
        Mode.MAJOR,
        "4/4",
        QUARTER,
        {"parts": "AABABABAB"},
        why="P:A(AB)4 before S:",
    ),
    Case(
        NOTT + "playford.abc",
        "Mr Beveridge's Maggot",
        7,
        "G",
        Mode.MINOR,
        "3/2",
        EIGHTH,
        why="no L:, 3/2 = 1.5",
    ),
    Case(
        NOTT + "playford.abc",
        "CAL 1",
        2,
        "G",
        Mode.MAJOR,
        "9/8",
        EIGHTH,
        {"parts": "AABABA", "composer": None},
        why="S: is not C:",
    ),
    Case(NOTT + "slip.abc", "Dublin Streets", 2, "E", Mode.MINOR, "9/8", EIGHTH),
    Case(
        NOTT + "slip.abc",
        "The Racehorse",
        7,
        "Bb",
        Mode.MAJOR,
        "9/8",
        EIGHTH,
        why="flat tonic; M:6/8 later in the body",
    ),
    Case(
        NOTT + "waltzes.abc",
        "Blow the Wind Southerly",
        7,
        "D",
        Mode.MAJOR,
        "3/4",
        QUARTER,
        {"parts": "AAB"},
    ),
    Case(NOTT + "xmas.abc", "Ding Dong", 2, "Bb", Mode.MAJOR, "4/4", QUARTER),
    Case(
        NOTT + "xmas.abc",
        "The Boar's Head",
        1,
        "C",
        Mode.MAJOR,
        "4/4",
        QUARTER,
        {"parts": None},
        why="'%P:AAB' is a comment, not a P: field",
    ),
    Case(NOTT + "reelsr-t.abc", "Ragtime Annie", 2, "D", Mode.MAJOR, "2/4", QUARTER),
    Case(
        "nottingham/ABC_cleaned/ashover.abc",
        "Chestnut Reel",
        10,
        "G",
        Mode.MAJOR,
        "4/4",
        QUARTER,
        {"parts": None, "Y": "ABBCB"},
        why="the cleaned set's non-standard Y: field",
    ),
    Case(
        "debian-examples/abcm2ps/chinese.abc",
        "Green Island Serenade",
        1,
        "D",
        Mode.MAJOR,
        "4/4",
        EIGHTH,
        {
            "composer": "Chen Chang-shou",
            "strict": True,
            "titles": (
                "Green Island Serenade",
                "绿岛小夜曲",
                "綠島小夜曲",
                "Lǜ Dǎo Xiǎoyèqǔ",
                "Зелёный Остров",
                "جزيرة اخضرة",
            ),
        },
        why="six titles in four scripts; the file says %abc-2.1; 'T: ' with a space",
    ),
    Case(
        "debian-examples/abcm2ps/voices.abc",
        "Song for a guy",
        1,
        "C",
        Mode.MAJOR,
        "C",
        EIGHTH,
        {"composer": "Elton John", "tempo": (QUARTER, 128), "voices": ("RH", "LH")},
    ),
    Case(
        "debian-examples/abcmidi/coleraine.abc",
        "Coleraine",
        8,
        "A",
        Mode.MINOR,
        "6/8",
        EIGHTH,
        {"rhythm": "jig", "tempo": (QUARTER, 142)},
        why="Q: before T:, '1/4 = 142' with spaces; %%MIDI lines in the header",
    ),
]


def _find(case: Case) -> abcparse.Tune:
    path = SHIPPED_IRISH if case.file.startswith("shipped/") else SHARED / case.file
    if not path.is_file():
        pytest.skip(f"{path} not found")
    found = [t for t in parsed(path).tunes if t.title == case.title]
    assert len(found) == 1, f"{len(found)} tunes titled {case.title!r} in {case.file}"
    return found[0]


@needs_shared()
@pytest.mark.parametrize("case", CASES, ids=[c.title for c in CASES])
def test_hand_checked_header(case: Case) -> None:
    tune = _find(case)
    assert tune.reference == case.reference
    assert (tune.key.tonic, tune.key.mode) == (case.tonic, case.mode)
    assert str(tune.meter) == case.meter
    assert tune.unit_length == case.unit
    for name, want in case.extra.items():
        got: object
        if name == "tempo":
            got = None if tune.tempo is None else (tune.tempo.beat_length, tune.tempo.bpm)
        elif name == "voices":
            got = tuple(v.id for v in tune.voices)
        elif name == "Y":
            got = tune.header.first("Y")
        else:
            got = getattr(tune, name)
        assert got == want, f"{name}: {got!r} != {want!r}"


@needs_shared()
def test_sample_covers_every_corpus() -> None:
    """The sample reaches into each corpus: the shipped Irish file, both Nottingham sets
    and the Debian examples."""
    roots = {c.file.split("/")[0] + "/" + c.file.split("/")[1] for c in CASES}
    assert {"shipped/irish.abc", "nottingham/ABC_original", "nottingham/ABC_cleaned"} <= roots
    assert any(r.startswith("debian-examples/") for r in roots)
    assert len(CASES) >= 20
