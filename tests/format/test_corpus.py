"""Must show (issue 4): on every corpus tune, formatting is idempotent, keeps the music and
adds no diagnostic (``abcparse.check``'s, the validator's). The full run is ``slow``; a
sample runs by default. Each prints its counts."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import abcparse
from abcparse.format import FormatOptions, TuneCheck, format_text, read_source
from tests.core.corpora import SHIPPED_IRISH, all_files, file_id, needs_shared, shared_files


def _measure(files: list[Path], options: FormatOptions) -> Counter[str]:
    counts: Counter[str] = Counter()
    for path in files:
        text = read_source(path).text
        result = format_text(text, options)
        for d in result.diagnostics:
            print(f"{file_id(path)}:{d.line}:{d.col}: {d.code} {d.message}")
        checks = result.checks
        if not checks:
            # Already canonical (every tune passes without a check), or a file with no tune
            # whose text was reformatted (line ends, a %abc-2.1 line under --target 2.1).
            tunes = abcparse.parse(text).tunes
            assert result.ok and (not result.changed or not tunes)
            checks = tuple(TuneCheck(i, True, True, True) for i in range(len(tunes)))
        for c in checks:
            counts["tunes"] += 1
            counts["idempotent"] += c.idempotent
            counts["music kept"] += c.music_kept
            counts["no new diagnostic"] += c.no_new_diagnostic
    return counts


def _assert_all(counts: Counter[str], label: str) -> None:
    n = counts["tunes"]
    print(f"\n{label}: {dict(counts)}")
    assert n > 0
    assert counts["idempotent"] == counts["music kept"] == counts["no new diagnostic"] == n


def test_sample_default_options() -> None:
    files = [SHIPPED_IRISH, *[f for f in shared_files() if "debian" in str(f)]]
    _assert_all(_measure(files, FormatOptions()), "sample")


@needs_shared()
@pytest.mark.slow
@pytest.mark.parametrize(
    "options",
    [
        FormatOptions(),
        FormatOptions(decorations="long", bar_spacing="space", line_ending="crlf", renumber=True),
        FormatOptions(decorations="keep", bar_spacing="keep", line_ending="lf"),
    ],
    ids=["default", "long-space-crlf-renumber", "keep-keep-lf"],
)
def test_whole_corpus(options: FormatOptions) -> None:
    _assert_all(_measure(all_files(), options), f"all corpora, {options}")


@needs_shared()
@pytest.mark.slow
def test_whole_corpus_target_21() -> None:
    """``--target 2.1``: the output is read strictly. Two irish.abc tunes whose music
    only loose reading finds (after an empty line, ABC209) then show ABC302 and are
    refused; every other tune passes."""
    counts = _measure(all_files(), FormatOptions(target="2.1"))
    print(f"\ntarget 2.1: {dict(counts)}")
    assert counts["idempotent"] == counts["music kept"] == counts["tunes"]
    assert counts["tunes"] - counts["no new diagnostic"] <= 2


_ABC_CHARS = st.sampled_from([
    *"ABCDEFGabcdefgz,'/234|:[]!~.-()<>{}\"^_= \nKMLTXw%+&$\\\t",
    "K:G\n", "X:1\n", "M:6/8\n", "!trill!", "[K:Am]", "|]", "\n\n",
])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_ABC_CHARS, max_size=60).map("".join))
# A body of nothing but a 2.0 line break, then music after an empty line (free text):
# printed as the header alone, the tune took that music in when read again (ABC209).
@example("!\n\nA")
# A refused tune, then a blank line of a tab at the end of the file (the rest of the file,
# formatted: the tab goes).
@example(" K:G\n\t")
# An indented comment line between the header and an empty line: it counts as no music
# (§2.2.5), as the unindented one the formatter writes does (the second format used to
# join the music after the empty line to the tune).
@example("\t%K:G\n\nA")
def test_never_raises_and_never_hands_out_unchecked_text(text: str) -> None:
    src = "X:1\nT:t\nK:C\n" + text
    result = format_text(src)
    if result.ok:
        assert abcparse.format_str(result.text) == result.text
    else:
        # docs/format.md: the tune that fails is left as it was; the rest of the file is
        # formatted (here, what follows the tune: empty lines and free text, whose
        # trailing blanks go; " K:G\n\t" ends in a blank line the printer drops).
        end = abcparse.parse(src).tunes[0].span.end
        assert result.text[:end] == src[:end]
        assert _words_by_line(result.text[end:]) == _words_by_line(src[end:])
        assert {d.code for d in result.diagnostics} <= {"ABC902", "ABC903", "ABC904"}


def _words_by_line(text: str) -> list[str]:
    """The non-blank lines of ``text``, without their trailing blanks."""
    return [ln.rstrip() for ln in text.splitlines() if ln.strip()]
