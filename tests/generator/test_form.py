"""Form-aware decoding (generator/form.py), rhythm derivation (rhythm.py) and the music
measures of evaluate (music.py): the decoder accepts a whole AABB tune and refuses what
would break the form, the header plan, or what abc2midi refuses."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from abcparse.generator.form import FormConstraint, HeaderPlan, header_plans, writable
from abcparse.generator.music import jsd, music_report, tune_stats
from abcparse.generator.rhythm import add_rhythm, derive_rhythm
from abcparse.generator.vocab import Vocab

import abcparse

HEADER = "X:1\nT:t\nM:6/8\nL:1/8\nK:G\n"
A = ("G|ABc dBG|ABc def|gfe dBG|ABc dBG|\n"
     "Bcd dBG|ABc def|gfe dBG|ABc d2::\n")
B = ("d|efg fed|efg fed|gfg fed|edc BAG|\n"
     "efg fed|efg fed|gfg fed|edc B2:|\n")
TUNE = HEADER + A + B + "\n"


def accepts(text: str, plan: HeaderPlan | None = None) -> bool:
    return FormConstraint(plan).accepts(text)


def test_a_whole_aabb_tune_is_accepted_and_ends_there() -> None:
    c = FormConstraint()
    assert c.accepts(TUNE)
    assert c.tune_done
    assert not c.feed("A")  # nothing after the second part's repeat


@pytest.mark.parametrize(("text", "why"), [
    (HEADER + "ABc dBG|ABc d2::", "a part of two bars"),
    (HEADER + "ABc dBG||", "a double bar inside a part"),
    (HEADER + "ABc dB|", "a short bar inside a part"),
    (HEADER + "GABc|", "a pickup of more than half a bar"),
    (HEADER + "ABc dBG|[1", "an ending"),
    (HEADER + "ABc dBG|\nK:D", "a key change"),
    (HEADER + "G|ABc dBG|ABc def|gfe dBG|ABc dBG|Bcd dBG|ABc def|gfe dBG|ABc def::",
     "a last bar that does not complete the pickup"),
    (HEADER + A + "ef", "B opening with another pickup than A's"),
    (HEADER + "ABc dBG|ABc def|gfe dBG|ABc dBG|Bcd dBG|ABc def|gfe dBG|ABc d3:|\nA",
     "B not opening with |: after A's :|"),
    (HEADER + "d,", "c, (abc2midi refuses a comma after a lower-case note)"),
    (HEADER + "A2>B ", "broken rhythm between notes of different lengths"),
    (HEADER + "B>B/A", "... the second note shorter, the next note at once"),
    (HEADER + "z>B/A", "... after a rest"),
    (HEADER + "(3d2dd", "a tuplet of notes of different lengths (abc2midi refuses it)"),
    (HEADER + "(3ddd2 ", "... the last one longer"),
    (HEADER + "^DEd ", "an accidental's letter in another octave of its bar, unwritten"),
    (HEADER + "A/8", "a length off the grid"),
])
def test_what_breaks_the_form_is_refused(text: str, why: str) -> None:
    assert not accepts(text), why


def test_broken_rhythm_between_notes_of_one_length_is_kept() -> None:
    assert accepts(HEADER + "B>Bc d>ed|")
    assert accepts(HEADER + "B/>B/A/B/ c>de f|")
    assert accepts(HEADER + "(3ddd (3e2e2e2|")  # tuplets of one length each


def test_an_accidental_is_written_again_in_another_octave_of_its_bar() -> None:
    """§11.3's default carries ^D to d as well; abcjs does not: so d is written ^d or =d
    (every player then agrees), the same octave may go unwritten, and a bar line ends it."""
    assert accepts(HEADER + "^DED ^d2e|") and accepts(HEADER + "^DE=d ")
    assert accepts(HEADER + "^DEF ^d2e|dBG ABc|")
    # once two octaves carry one, neither goes unwritten: _G =g G is G natural by §11.3
    # and G flat to abcjs
    assert not accepts(HEADER + "_G=gG") and accepts(HEADER + "_G=g_G")


def test_octave_marks_go_one_way_and_not_too_far() -> None:
    """abc2midi refuses c, and e', ("Bad pitch specifier"); eight marks take a note out of
    MIDI's range, where each player plays something else; a rest has no octave."""
    assert accepts(HEADER + "C,,,DE c\'\'\'ba|")
    for bad in ("c,", "e\',", "C\'", "c\'\'\'\'", "C,,,,", "z\'", "z,"):
        assert not accepts(HEADER + bad), bad


def test_a_bar_may_not_come_three_times_running() -> None:
    assert accepts(HEADER + "ABc dBG|ABc dBG|B")
    assert not accepts(HEADER + "ABc dBG|ABc dBG|A")


def test_the_header_follows_the_plan() -> None:
    plan = HeaderPlan("slip jig", "9/8", "ADor")
    assert accepts("X:1\nT:A tune\nR:slip jig\nM:9/8\nL:1/8\nK:ADor\n", plan)
    assert not accepts("X:1\nT:A tune\nM:", plan)  # R: comes first when planned
    assert not accepts("X:1\nT:A tune\nR:reel", plan)
    assert not accepts("X:1\nT:A tune\nR:slip jig\nM:6/8", plan)
    assert not accepts("X:1\nT:A tune\nR:slip jig\nM:9/8\nL:1/8\nK:G\n", plan)


def test_header_plans_come_from_the_training_tunes() -> None:
    train = [f"X:{i}\nT:t\nM:{m}\nL:1/8\nK:{k}\nabc|\n"
             for i, (m, k) in enumerate([("6/8", "D")] * 3 + [("C|", "G")] + [("9/8", "ADor")])]
    rng = np.random.default_rng(0)
    plans = header_plans(train, HeaderPlan(), rng, 400)
    meters = Counter(p.meter for p in plans)
    assert set(meters) == {"6/8", "C|", "9/8"} and meters["6/8"] > meters["C|"]
    assert all(p.rhythm == {"6/8": "jig", "C|": "reel", "9/8": "slip jig"}[p.meter]
               for p in plans)
    given = header_plans(train, HeaderPlan(meter="9/8"), rng, 20)
    assert {(p.meter, p.key) for p in given} == {("9/8", "ADor")}
    vocab = Vocab.from_texts(["X:1\nT:Reel\nM:6/8\nK:D\nabc|\n"])
    assert writable(HeaderPlan("jig", "6/8", "D"), vocab) == HeaderPlan(None, "6/8", "D")


@pytest.mark.parametrize(("tune", "rhythm"), [
    ("X:1\nT:The Kesh Jig\nM:6/8\nK:G\nGAB|\n", "jig"),
    ("X:1\nT:Cooley's\nM:C|\nK:Em\nEBBA B2EB|\n", "reel"),
    ("X:1\nT:Boys\nM:C\nK:D\nA>B c>d e>f g>a|b>a g>f e>d c>B|\n", "hornpipe"),
    ("X:1\nT:Foxhunter's\nM:9/8\nK:D\nABc|\n", "slip jig"),
    ("X:1\nT:Jig\nM:2/4\nK:D\nAB|\n", "jig"),  # the title says so
    ("X:1\nT:t\nR:Polka\nM:6/8\nK:D\nAB|\n", "polka"),  # its own R: wins
    ("X:1\nT:t\nM:5/4\nK:D\nAB|\n", None),
])
def test_rhythm_derivation(tune: str, rhythm: str | None) -> None:
    assert derive_rhythm(tune) == rhythm


def test_add_rhythm_puts_r_after_the_title() -> None:
    assert add_rhythm("X:1\nT:a\nT:b\nM:6/8\nK:G\nGAB|\n").split("\n")[3] == "R:jig"


def test_music_measures() -> None:
    stats = tune_stats(TUNE)
    assert stats["aabb"] and not stats["stuck"]
    assert stats["key"] == "G" and stats["meter"] == "6/8"
    stuck = tune_stats(HEADER + "ABc dBG|ABc dBG|ABc dBG|d6|]\n")
    assert stuck["stuck"] and not stuck["aabb"]
    once = tune_stats(HEADER + "ABc dBG|ABc d3|]\n")
    assert not once["aabb"]
    assert jsd(Counter(a=1), Counter(a=5)) == 0
    assert jsd(Counter(a=1), Counter(b=1)) == pytest.approx(1.0)
    report = music_report([TUNE], [TUNE], players=False)
    assert report["aabb"] == 1 and report["jsd"]["key"] == 0


def test_generated_tunes_have_the_form() -> None:
    """The shipped model with form-aware decoding: every tune it emits plays AABB and is
    checked with the playable profile."""
    from abcparse.generator.data import read_tunes
    from abcparse.generator.generate import TuneGenerator
    from abcparse.generator.sampler import NumpyLSTM

    folder = abcparse.generator.__path__[0] + "/default_model"
    net = NumpyLSTM.from_dir(folder)
    gen = TuneGenerator(net, None, constrained=True,
                        train_tunes=read_tunes(folder + "/train.abc"), batch_size=8)
    result = gen.run(8, seed=3)
    assert result.complete
    stats = [tune_stats(t) for t in result.tunes]
    assert sum(s["aabb"] for s in stats) >= 7
    for t in result.tunes:
        assert not abcparse.check("%abc-2.1\n\n" + t, extend_select=["ABC212", "ABC307"])


@pytest.mark.peer
def test_players_read_generated_tunes_cleanly() -> None:
    """Generated tunes through the outside players: abc2midi converts them with no error
    and no warning, abcjs 6.7.2 parses them with no warning (skipped without them)."""
    import shutil

    from abcparse.generator.data import read_tunes
    from abcparse.generator.generate import TuneGenerator
    from abcparse.generator.music import abc2midi_clean, abcjs_warnings
    from abcparse.generator.sampler import NumpyLSTM

    folder = abcparse.generator.__path__[0] + "/default_model"
    gen = TuneGenerator(NumpyLSTM.from_dir(folder), None, constrained=True,
                        train_tunes=read_tunes(folder + "/train.abc"), batch_size=16)
    tunes = gen.run(16, seed=8).tunes
    a2m = abc2midi_clean(tunes)
    js = abcjs_warnings(tunes)
    if a2m is None and js is None:
        pytest.skip("neither abc2midi nor node with abcjs is installed")
    if shutil.which("abc2midi") and a2m is not None:
        assert sum(a2m) >= 14, [t for t, ok in zip(tunes, a2m, strict=True) if not ok]
    if js is not None:
        assert all(not w for w in js), [w for w in js if w]


def test_header_plans_keep_rhythm_and_meter_together() -> None:
    """What is asked for that no training tune has: the rhythm drawn is the meter's own
    (or none), the meter drawn is the rhythm's own; never a reel in 3/4."""
    train = [f"X:{i}\nT:t\nM:{m}\nL:1/8\nK:{k}\nabc|\n"
             for i, (m, k) in enumerate([("6/8", "D"), ("C|", "G"), ("3/4", "G")])]
    rng = np.random.default_rng(0)
    # 3/4 and Bb: no tune has both; the 3/4 tune gives the rhythm, the key is as asked.
    assert set(header_plans(train, HeaderPlan(meter="3/4", key="Bb"), rng, 20)) == {
        HeaderPlan("waltz", "3/4", "Bb")}
    # A meter no tune is in: its own dance, or no R: at all.
    assert {p.rhythm for p in header_plans(train, HeaderPlan(meter="12/8"), rng, 20)} == {
        "slide"}
    assert {p.rhythm for p in header_plans(train, HeaderPlan(meter="5/4"), rng, 20)} == {
        None}
    # A rhythm no tune has: the dance's meter.
    assert {(p.rhythm, p.meter)
            for p in header_plans(train, HeaderPlan(rhythm="mazurka"), rng, 20)} == {
        ("mazurka", "3/4")}
    # Both asked for: written as asked, whatever the tunes say.
    assert {(p.rhythm, p.meter)
            for p in header_plans(train, HeaderPlan("reel", "6/8"), rng, 5)} == {
        ("reel", "6/8")}
