"""What a user of ``abcparse.corpus.clean`` relies on: every output tune is strictly
valid, nothing is duplicated or leaks between splits (also transposed), the manifest
accounts for every tune, and a second run writes the same bytes."""

from __future__ import annotations

import hashlib
import itertools
import os
from collections import Counter
from pathlib import Path

import pytest

import abcparse
from abcparse.corpus import CleanOptions, clean

from .helpers import (
    IRISH,
    SPLITS,
    body,
    manifest,
    nottingham_files,
    output_tunes,
    read_outputs,
    small_corpus,
)


def melody(tune: abcparse.Tune) -> tuple[tuple[object, ...], ...]:
    """Independent of the cleaner's own key: (interval, onset step, duration) of the top
    note at each onset, as written."""
    top: dict[object, tuple[int, object]] = {}
    for e in tune.events(unroll_repeats=False):
        if e.onset not in top or e.pitch > top[e.onset][0]:
            top[e.onset] = (e.pitch, e.duration)
    onsets = sorted(top)  # type: ignore[type-var]
    return tuple(
        (top[b][0] - top[a][0], b - a, top[b][1])  # type: ignore[operator]
        for a, b in itertools.pairwise(onsets)
    )


def assert_clean_output(outdir: Path, inputs: list[Path]) -> dict[str, list[abcparse.Tune]]:
    texts = read_outputs(outdir)
    tunes = output_tunes(outdir)
    m = manifest(outdir)
    # Every output tune passes strict validation, read as the file declares it.
    for name, text in texts.items():
        assert text.startswith("%abc-2.1\n")
        errors = [
            d for d in abcparse.check(text, mode="strict") if d.severity is abcparse.Severity.ERROR
        ]
        assert errors == [], (name, errors[:3])
        assert all(t.strict for t in tunes[name])
        # Numbered X:1.. in each file, one empty line apart: the formatter's own form.
        assert [t.reference for t in tunes[name]] == list(range(1, len(tunes[name]) + 1))
        assert abcparse.format_str(text) == text
        assert m["outputs"][f"{name}.abc"]["tunes"] == len(tunes[name])
        assert m["outputs"][f"{name}.abc"]["sha256"] == hashlib.sha256(
            text.encode("utf-8")
        ).hexdigest()
    everything = [t for name in SPLITS for t in tunes[name]]
    # No two output tunes share a normalized body.
    bodies = Counter(body(t) for t in everything)
    assert max(bodies.values()) == 1
    # The splits are disjoint, also up to transposition.
    melodies = {name: {melody(t) for t in tunes[name] if len(melody(t)) > 1} for name in SPLITS}
    assert not melodies["train"] & melodies["valid"]
    assert not melodies["train"] & melodies["test"]
    assert not melodies["valid"] & melodies["test"]
    # The manifest accounts for every tune read.
    c = m["counts"]
    read = sum(s["tunes"] for s in m["sources"])
    assert c["read"] == read
    assert c["kept"] + c["dropped"] == c["read"]
    assert c["kept"] == len(everything)
    assert len(m["dropped"]) == c["dropped"]
    assert sum(c["dropped_by_reason"].values()) == c["dropped"]
    assert all(d["reason"] and d["message"] for d in m["dropped"])
    # ... one by one: every tune of every source is kept (with its place in a split) or
    # dropped (with its reason), exactly once.
    seen = Counter((d["source"], d["tune"]) for d in [*m["kept"], *m["dropped"]])
    assert seen == Counter((s["path"], i) for s in m["sources"] for i in range(1, s["tunes"] + 1))
    placed = {(k["split"], k["x"]) for k in m["kept"]}
    assert placed == {(name, t.reference) for name in SPLITS for t in tunes[name]}
    assert len(m["sources"]) == len(inputs)
    for s, path in zip(m["sources"], inputs, strict=True):
        assert os.path.basename(s["path"]) == path.name
        assert s["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    # The vocabulary is the characters of the three files, counted.
    vocab = Counter("".join(texts.values()))
    assert m["vocabulary"] == dict(vocab)
    assert m["abcparse_version"] == abcparse.__version__
    return tunes


def test_small_corpus(tmp_path: Path) -> None:
    inputs = small_corpus(tmp_path)
    out = tmp_path / "out"
    report = clean(inputs, out)
    tunes = assert_clean_output(out, inputs)
    m = manifest(out)
    reasons = {(d["source"].rsplit("/", 1)[-1], d["title"]): d["reason"] for d in m["dropped"]}
    assert reasons[("a.abc", "Copy of Blackbird")] == "duplicate"
    assert reasons[("a.abc", "Transposed Boys of Ballycastle")] == "duplicate-transposed"
    if not hasattr(abcparse, "repair"):
        assert reasons[("a.abc", "Overfull")] == "invalid"
    titles = {t.title for name in SPLITS for t in tunes[name]}
    # The file header's M: and L: are copied into its tunes, which stand on their own.
    jig = next(t for name in SPLITS for t in tunes[name] if t.title == "Header Jig")
    assert str(jig.meter) == "6/8" and jig.rhythm == "jig"
    own = next(t for name in SPLITS for t in tunes[name] if t.title == "Own Meter")
    assert str(own.meter) == "2/4"
    assert "Café Waltz" in titles
    assert report.read == m["counts"]["read"] == 24 + 4 + 2
    assert report.kept + report.dropped == report.read


def test_second_run_is_byte_identical(tmp_path: Path) -> None:
    inputs = small_corpus(tmp_path)
    clean(inputs, tmp_path / "one")
    clean(inputs, tmp_path / "two")
    for name in [*(f"{s}.abc" for s in SPLITS), "manifest.json"]:
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes()
    # Running again into the same folder replaces the files with the same bytes.
    before = {p.name: p.read_bytes() for p in (tmp_path / "one").iterdir()}
    clean(inputs, tmp_path / "one")
    after = {p.name: p.read_bytes() for p in (tmp_path / "one").iterdir()}
    assert before == after


def test_no_repair_drops_invalid_tunes_with_reason(tmp_path: Path) -> None:
    inputs = small_corpus(tmp_path)
    clean(inputs, tmp_path / "out", repair=False)
    m = manifest(tmp_path / "out")
    overfull = next(d for d in m["dropped"] if d["title"] == "Overfull")
    assert overfull["reason"] == "invalid"
    assert overfull["code"] == "ABC301"
    assert overfull["line"] > 1 and "ABC301" in overfull["message"]
    assert m["options"]["repair"] is False


def test_filters_and_fields(tmp_path: Path) -> None:
    inputs = small_corpus(tmp_path)
    out = tmp_path / "out"
    clean(
        inputs,
        out,
        CleanOptions(meters=("6/8",), ascii=True, keep_fields="XTMLK", min_bars=2),
    )
    tunes = assert_clean_output(out, inputs)
    kept = [t for name in SPLITS for t in tunes[name]]
    assert kept and all(str(t.meter) == "6/8" for t in kept)
    assert all(t.text.isascii() for t in kept)
    assert all(f.letter in "XTMLK" for t in kept for f in t.fields)
    m = manifest(out)
    reasons = Counter(d["reason"] for d in m["dropped"])
    assert reasons["filter-meter"] > 0
    assert m["options"]["meters"] == ["6/8"]


def test_keys_filter_reads_canonical_spellings(tmp_path: Path) -> None:
    inputs = small_corpus(tmp_path)
    clean(inputs, tmp_path / "out", keys=("A dorian", "G major"))
    kept = [t for ts in output_tunes(tmp_path / "out").values() for t in ts]
    assert kept
    assert {f.value for t in kept for f in t.fields if f.letter == "K"} <= {"ADor", "G"}


def test_max_chars_and_voices(tmp_path: Path) -> None:
    inputs = small_corpus(tmp_path)
    clean(inputs, tmp_path / "out", max_chars=150, max_voices=1)
    texts = read_outputs(tmp_path / "out")
    for t in (t for ts in output_tunes(tmp_path / "out").values() for t in ts):
        assert len(t.text.split("\n", 1)[1]) <= 150
    reasons = Counter(d["reason"] for d in manifest(tmp_path / "out")["dropped"])
    assert reasons["filter-chars"] > 0
    assert texts


def test_failed_run_leaves_old_outputs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    inputs = small_corpus(tmp_path)
    out = tmp_path / "out"
    clean(inputs, out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    import abcparse.corpus.pipeline as pipeline

    calls = {"n": 0}
    real = pipeline.process

    def interrupted(raw, options):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] > 10:
            raise KeyboardInterrupt
        return real(raw, options)

    monkeypatch.setattr(pipeline, "process", interrupted)
    with pytest.raises(KeyboardInterrupt):
        clean(inputs, out, split=(50, 25, 25))
    after = {p.name: p.read_bytes() for p in out.iterdir()}
    assert after == before  # no half-written file, no stray temporary file


@pytest.mark.parametrize("nth", [1, 2, 4])
def test_interrupt_while_a_split_file_is_made_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, nth: int
) -> None:
    """SIGTERM (an exception in the commands) between the making of a temporary file and
    the writer reaching the caller: the file is still removed. The 4th file is the
    manifest's, made after the splits are in place."""
    inputs = small_corpus(tmp_path)
    out = tmp_path / "out"
    import builtins

    import abcparse.corpus.outputs as outputs

    calls = {"n": 0}

    def interrupted_open(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == nth:
            raise KeyboardInterrupt  # the temporary file exists, the writer does not
        return builtins.open(*args, **kwargs)

    monkeypatch.setattr(outputs, "open", interrupted_open, raising=False)
    with pytest.raises(KeyboardInterrupt):
        clean(inputs, out)
    assert calls["n"] == nth
    left = sorted(p.name for p in out.iterdir()) if out.exists() else []
    assert not [name for name in left if name.startswith(".")], left
    if nth == 4:  # the splits were committed before the manifest failed
        assert "train.abc" in left and "manifest.json" not in left


def test_unreadable_input_writes_nothing(tmp_path: Path) -> None:
    with pytest.raises(abcparse.AbcIOError, match="no such file"):
        clean([tmp_path / "missing.abc"], tmp_path / "out")
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


# ---------------------------------------------------------------------------------------
# The Must-show list on the real corpora (slow: about a minute each on a 2-core machine)


@pytest.mark.slow
def test_irish_and_nottingham(tmp_path: Path) -> None:
    inputs = [IRISH, *nottingham_files()]
    if len(inputs) == 1:
        pytest.skip("the Nottingham corpus is not in ../shared/corpus")
    clean(inputs, tmp_path / "one", jobs=2)
    assert_clean_output(tmp_path / "one", inputs)
    clean(inputs, tmp_path / "two", jobs=1)
    for name in [*(f"{s}.abc" for s in SPLITS), "manifest.json"]:
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes()


@pytest.mark.slow
def test_shipped_splits_are_what_the_command_writes(tmp_path: Path) -> None:
    """corpus/{train,valid,test}.abc and manifest.json are exactly what
    ``abcparse corpus clean corpus/irish.abc -o corpus`` writes now."""
    here = os.getcwd()
    root = IRISH.parent.parent
    os.chdir(root)
    try:
        clean(["corpus/irish.abc"], tmp_path)
    finally:
        os.chdir(here)
    for name in [*(f"{s}.abc" for s in SPLITS), "manifest.json"]:
        assert (tmp_path / name).read_bytes() == (root / "corpus" / name).read_bytes(), name


def test_shipped_splits_are_strict_and_accounted() -> None:
    out = IRISH.parent
    if not (out / "manifest.json").exists():
        pytest.skip("the splits have not been generated")
    assert_clean_output(out, [IRISH])
    # Warnings were repaired too: the training data is abc-lint --strict clean, so the
    # model is not taught the habits the warnings are about.
    for name, text in read_outputs(out).items():
        assert abcparse.check(text, mode="strict") == [], name
    assert manifest(out)["counts"]["warnings_repaired"] > 0


def test_a_folder_means_its_abc_files_in_sorted_order(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    inputs = small_corpus(src, count=6)
    (src / "notes.txt").write_text("not ABC")
    clean([src], tmp_path / "out")
    m = manifest(tmp_path / "out")
    assert [os.path.basename(s["path"]) for s in m["sources"]] == ["a.abc", "b.abc"]
    assert m["counts"]["read"] == 6 + 4 + 2
    assert len(inputs) == 2
