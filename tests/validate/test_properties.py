"""Properties: check() never raises and no rule crashes, whatever the text."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import abcparse

# Characters that matter to ABC, weighted towards tune structure.
ALPHABET = "ABCDEFGabcdefgzxZXy|:[]{}()<>-!+.~^_=,'/0123456789 \"%\\&$#*;?@HTuvJMPLKVw\n\t"
HEADER = st.sampled_from(["", "%abc-2.1\n", "I:linebreak !\n\n", "M:6/8\n\n"])
TUNE_HEAD = st.sampled_from(
    ["X:1\nT:t\nK:C\n", "X:1\nT:t\nM:4/4\nL:1/8\nK:D\n", "X:2\nM:3/4\nK:Gm\n", "X:3\nT:t\n",
     "X:1\nT:t\nM:6/8\nV:1\nV:2\nK:C\nV:1\n", "X:1\nT:t\nM:none\nK:none\n"]
)
BODY = st.text(alphabet=ALPHABET, max_size=160)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(HEADER, TUNE_HEAD, BODY, st.sampled_from(["auto", "strict", "loose"]))
def test_check_never_crashes(header: str, head: str, body: str, mode: str) -> None:
    text = header + head + body
    found = abcparse.check(text, mode=mode, select="ALL")
    assert not [d for d in found if d.code == "ABC901"], found
    assert found == sorted(found, key=abcparse.Diagnostic.sort_key)
    assert len({(d.code, d.span) for d in found}) == len(found)
    n = len(text)
    for d in found:
        assert 0 <= d.span.start <= d.span.end <= n + 1
        assert d.line >= 1 and d.col >= 1


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=200))
def test_bytes_never_crash(data: bytes) -> None:
    found = abcparse.check(b"X:1\nT:t\nK:C\n" + data)
    assert not [d for d in found if d.code == "ABC901"], found
