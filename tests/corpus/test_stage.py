"""The per-tune stage and its parts: reading, self-contained tunes, stripping fields,
keys, the split, and the repair hook."""

from __future__ import annotations

import glob
import types
from pathlib import Path
from typing import Any

import pytest

import abcparse
from abcparse.corpus import CleanOptions
from abcparse.corpus.dedupe import Deduper, body_key, melody_key
from abcparse.corpus.reader import RawTune, SourceFile
from abcparse.corpus.split import assign
from abcparse.corpus.stage import process, self_contained, strip_fields
from abcparse.format import transpose_str
from abcparse.split import split

from .helpers import IRISH, SHARED

VERSION = "%abc-2.1\n\n"


def raw(text: str, header: str = "") -> RawTune:
    return RawTune(0, 1, 1, text, header)


# ---------------------------------------------------------------------------------------
# Reader


def corpus_files() -> list[str]:
    files = [str(IRISH)]
    files += sorted(glob.glob(str(SHARED / "nottingham" / "ABC_original" / "*.abc")))
    files += sorted(glob.glob(str(SHARED / "debian-examples" / "*" / "*.abc")))
    return files


@pytest.mark.parametrize("path", corpus_files())
def test_reader_gives_the_tunes_split_gives(path: str) -> None:
    """Streaming gives exactly the tune chunks of the core's split of the whole text."""
    sf = SourceFile(path)
    got = [(t.text, t.line) for t in sf.tunes_iter()]
    source, _ = __import__("abcparse.source", fromlist=["decode"]).decode(
        Path(path).read_bytes()
    )
    chunks, _ = split(source.text, loose=True)
    assert got == [(c.text, c.line) for c in chunks if c.kind == "tune"]
    assert sf.tunes == len(got)


def test_reader_line_ends_blocks_and_charsets(tmp_path: Path, monkeypatch: Any) -> None:
    import abcparse.corpus.reader as reader

    monkeypatch.setattr(reader, "_BLOCK", 7)  # tiny blocks: CRLF split across reads
    text = (
        "I:abc-charset iso-8859-1\r\nM:3/4\r\n\r\nX:1\r\nT:Caf\xe9\r\nK:C\r\nCDE|\r\n\r\n"
        "%%begin text\r\n\r\nX:9 not a tune\r\n%%end text\r\n\r\nX:2\r\nT:b\r\nK:C\r\nC|\r\n"
    )
    path = tmp_path / "latin.abc"
    path.write_bytes(text.encode("latin-1"))
    sf = SourceFile(path)
    tunes = list(sf.tunes_iter())
    assert [t.title for t in tunes] == ["Caf\xe9", "b"]
    assert [t.line for t in tunes] == [4, 14]
    assert tunes[0].header == "I:abc-charset iso-8859-1\r\nM:3/4\r\n"
    assert sf.encoding == "iso8859-1"
    assert len(sf.sha256) == 64
    cr = tmp_path / "cr.abc"
    cr.write_bytes(b"X:1\rT:a\rK:C\rC|\r\rX:2\rT:b\rK:C\rD|\r")
    assert [t.title for t in SourceFile(cr).tunes_iter()] == ["a", "b"]


# ---------------------------------------------------------------------------------------
# Self-contained tunes and stripping


def test_file_header_fields_are_copied_unless_the_tune_sets_them() -> None:
    header = "%abc-2.1\nM:6/8\nL:1/8\nU:T=!trill!\nI:abc-charset utf-8\n%%MIDI program 1\n"
    text, at, count = self_contained(raw("X:1\nT:a\nM:2/4\nK:G\nGA|\n", header))
    assert text == "X:1\nT:a\nL:1/8\nU:T=!trill!\n%%MIDI program 1\nM:2/4\nK:G\nGA|\n"
    assert (at, count) == (2, 3)
    assert self_contained(raw("X:1\nT:a\nK:G\nGA|\n")) == ("X:1\nT:a\nK:G\nGA|\n", 0, 0)


def test_strip_fields_keeps_music_and_chosen_fields() -> None:
    text = abcparse.format_str(
        "X:3\nT:t\nC:Trad\nZ:id:1\nM:6/8\nL:1/8\nR:jig\nK:D\n"
        "% a comment line\n%%MIDI program 2\ndef \"^50%\"gfe|[K:G]gab % end comment\n"
        "w:la la la la la la\nP:B\nM:3/4\nabc abc|]\nW:words\n",
        target="2.1",
    )
    tune = abcparse.parse(text).tunes[0]
    out = strip_fields(text, tune, "XTMLKQR")
    assert out == (
        "X:3\nT:t\nR:jig\nM:6/8\nL:1/8\nK:D\n"
        'def "^50%"gfe|[K:G]gab\nP:B\nM:3/4\nabc abc|]\n'
    )
    more = strip_fields(text, tune, "XTMLKQRCW", keep_comments=True, keep_directives=True)
    assert "C:Trad" in more and "% a comment line" in more and "%%MIDI program 2" in more
    assert "% end comment" in more and "W:words" in more and "Z:" not in more


def test_stripping_that_would_change_the_music_keeps_the_reading_fields() -> None:
    opts = CleanOptions()
    o = process(raw("X:1\nT:u\nM:2/4\nL:1/8\nU:W=!5!\nK:C\nWc2 d2|]\n"), opts)
    assert o.kept and o.text is not None
    assert "U:W=!5!" in o.text


# ---------------------------------------------------------------------------------------
# The stage's decisions


def test_bang_line_breaks_need_no_repair() -> None:
    text = "X:5\nT:bang\nM:2/4\nL:1/8\nK:D\nABcd|efga|!\nfedc|d4|]!\n"
    o = process(raw(text), CleanOptions(repair=False))
    assert o.kept and not o.valid_as_read and o.edits is None
    assert o.text == "T:bang\nM:2/4\nL:1/8\nK:D\nABcd|efga|\nfedc|d4|]\n"


def test_drop_reasons() -> None:
    opts = CleanOptions(repair=False)
    bad = process(raw("X:1\nT:b\nM:2/4\nL:1/8\nK:C\nabcde|]\n"), opts)
    assert (bad.reason, bad.code) == ("invalid", "ABC301")
    und = process(raw("X:1\nT:b\nK:C\nab\udce9c|]\n"), opts)
    assert (und.reason, und.code) == ("undecodable", "ABC001")
    fm = process(raw("X:1\nT:b\nM:3/4\nL:1/8\nK:C\nabcdef|]\n"), CleanOptions(meters=("6/8",)))
    assert fm.reason == "filter-meter" and "3/4" in (fm.message or "")
    fb = process(raw("X:1\nT:b\nM:3/4\nL:1/8\nK:C\nabcdef|]\n"), CleanOptions(min_bars=4))
    assert fb.reason == "filter-bars"
    fv = process(
        raw("X:1\nT:b\nM:2/4\nL:1/8\nV:1\nV:2\nK:C\n[V:1]abcd|]\n[V:2]cdef|]\n"),
        CleanOptions(max_voices=1),
    )
    assert fv.reason == "filter-voices"


def test_internal_errors_cost_one_tune(monkeypatch: Any) -> None:
    import abcparse.corpus.stage as stage

    def boom(*a: Any, **k: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(stage, "format_str", boom)
    o = process(raw("X:1\nT:b\nM:2/4\nL:1/8\nK:C\nabcd|]\n"), CleanOptions())
    assert o.reason == "internal-error" and "boom" in (o.message or "")


def test_repair_hook(monkeypatch: Any) -> None:
    """A tune the validator rejects goes through abcparse.repair; its edits are kept."""
    calls = []

    def fake_repair(text: str, **kwargs: Any) -> Any:
        calls.append(text)
        return types.SimpleNamespace(
            text=text.replace("abcde|", "abcd|"),
            edits=({"what": "delete", "text": "e", "why": "ABC301"},),
            valid=True,
        )

    monkeypatch.setattr(abcparse, "repair", fake_repair, raising=False)
    o = process(raw("X:1\nT:b\nM:2/4\nL:1/8\nK:C\nabcde|]\n"), CleanOptions())
    assert calls and o.kept and o.edits == ({"what": "delete", "text": "e", "why": "ABC301"},)
    assert o.text is not None and "abcd|]" in o.text
    dropped = process(raw("X:1\nT:b\nM:2/4\nL:1/8\nK:C\nabcde|]\n"), CleanOptions(repair=False))
    assert dropped.reason == "invalid" and len(calls) == 1

    def useless_repair(text: str, **kwargs: Any) -> Any:
        return types.SimpleNamespace(text=text, edits=(), valid=False)

    monkeypatch.setattr(abcparse, "repair", useless_repair, raising=False)
    o = process(raw("X:1\nT:b\nM:2/4\nL:1/8\nK:C\nabcde|]\n"), CleanOptions())
    assert o.reason == "unrepairable" and o.code == "ABC301"


@pytest.mark.skipif(not hasattr(abcparse, "repair"), reason="abcparse.repair not there yet")
def test_real_repair_makes_broken_tunes_usable() -> None:
    o = process(raw("X:1\nT:b\nM:2/4\nL:1/8\nK:C\nabcde|abcd|]\n"), CleanOptions())
    assert o.kept and o.edits


def test_warnings_are_repaired_so_the_output_is_lint_clean() -> None:
    """A second part closed by ``:|`` with no ``|:`` (ABC302, a strict-mode warning) gets
    its ``|:`` by default, so the split passes ``abc-lint --strict`` with no finding; the
    edits are recorded apart from error repairs. ``--keep-warnings`` leaves it."""
    text = "X:1\nT:two parts\nM:2/4\nL:1/8\nK:D\n|:ABcd|efga:|\nfedc|d4:|\n"
    o = process(raw(text), CleanOptions())
    assert o.kept and o.valid_as_read and o.edits is None
    assert o.warning_edits and {e.code for e in o.warning_edits} == {"ABC302"}
    assert o.text is not None and "efga::" in o.text
    assert abcparse.check(VERSION + "X:1\n" + o.text, mode="strict") == []
    kept = process(raw(text), CleanOptions(repair_warnings=False))
    assert kept.warning_edits is None and kept.text is not None and "efga:|" in kept.text
    codes = [d.code for d in abcparse.check(VERSION + "X:1\n" + kept.text, mode="strict")]
    assert codes == ["ABC302"]


# ---------------------------------------------------------------------------------------
# Keys and split


def tune_of(text: str) -> abcparse.Tune:
    return abcparse.parse(text).tunes[0]


def test_melody_key_ignores_transposition_and_unit_length() -> None:
    a = "X:1\nT:a\nM:6/8\nL:1/8\nK:D\nd2e fed|ABA d3|]\n"
    b = transpose_str(a, 5)
    c = "X:1\nT:a\nM:6/8\nL:1/16\nK:D\nd4e2 f2e2d2|A2B2A2 d6|]\n"
    d = "X:1\nT:a\nM:6/8\nL:1/8\nK:D\nd2e fed|ABA d2c|]\n"
    keys = [melody_key(tune_of(t).events(unroll_repeats=False), t) for t in (a, b, c, d)]
    assert keys[0] == keys[1] == keys[2] != keys[3]
    assert body_key(a) != body_key(b)


def test_deduper_keeps_the_first() -> None:
    d = Deduper("transposed")
    assert d.seen(b"b1", b"m1") is None
    d.add(b"b1", b"m1", 0, 1)
    assert d.seen(b"b1", b"m2") == ("duplicate", (0, 1))
    assert d.seen(b"b2", b"m1") == ("duplicate-transposed", (0, 1))
    assert Deduper("exact").seen(b"b2", b"m1") is None
    e = Deduper("none")
    e.add(b"b1", b"m1", 0, 1)
    assert e.seen(b"b1", b"m1") is None


def test_split_is_a_function_of_the_key() -> None:
    keys = [i.to_bytes(8, "big") for i in range(3000)]
    names = [assign(k) for k in keys]
    assert names == [assign(k) for k in keys]
    share = {n: names.count(n) / len(names) for n in ("train", "valid", "test")}
    assert 0.76 < share["train"] < 0.84 and 0.07 < share["valid"] < 0.13
    assert [assign(k, (0, 0, 100)) for k in keys[:50]] == ["test"] * 50
    assert names != [assign(k, seed="other") for k in keys]


def test_errors_left_by_the_normalizer_go_to_the_repair(monkeypatch: Any) -> None:
    import abcparse.corpus.stage as stage

    # Pretend the normalizer fixes overfull bars: it does not, so the normalized tune still
    # has the error and must be repaired (its edits then refer to the normalized text).
    monkeypatch.setattr(stage, "NORMALIZER_FIXES", stage.NORMALIZER_FIXES | {"ABC301"})
    seen: list[str] = []

    def fake_repair(text: str, **kwargs: Any) -> Any:
        seen.append(text)
        return types.SimpleNamespace(text=text.replace("abcde|", "abcd|"), edits=("x",),
                                     valid=True)

    monkeypatch.setattr(abcparse, "repair", fake_repair, raising=False)
    o = process(raw("X:7\nT:b\nM:2/4\nL:1/8\nK:C\nabcde|!\n"), CleanOptions())
    assert seen == ["X:1\nT:b\nM:2/4\nL:1/8\nK:C\nabcde|\n"]
    assert o.kept and o.repaired == "normalized" and o.edits == ("x",)
    o = process(raw("X:7\nT:b\nM:2/4\nL:1/8\nK:C\nabcde|!\n"), CleanOptions(repair=False))
    assert o.reason == "invalid" and (o.message or "").startswith("after normalizing: ABC301")
