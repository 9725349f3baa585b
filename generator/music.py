"""The music of a set of tunes, measured: what ``abcparse evaluate`` reports beside validity.

Valid is not enough: the tunes must be read the same way by the players people use, have
the form of a tune, and sound like the tunes the model learnt from. For a list of tune
texts, :func:`music_report` gives:

- **abc2midi clean**: the share that abc2midi (abcMIDI) converts with no error and no
  warning, one tune per run (skipped when abc2midi is not installed);
- **abcjs clean**: the share that abcjs (``parseOnly``, in Node) parses with no warning
  (skipped without Node and abcjs: ``npm install abcjs``; found from the current folder,
  ``$ABCJS_DIR`` or the repository);
- **AABB**: the share with two repeated parts and 32 bars played, as the music engine
  plays them (two jumps back in the played order, 32 bars of time);
- **stuck**: the share in which one bar (its notes and lengths) comes three times in a row;
- **Jensen-Shannon divergence** (base 2, 0 = the same, 1 = disjoint) from a reference set
  of the distributions of pitch classes (of the notes played), keys (``K:``), meters
  (``M:``) and note lengths (written, in unit lengths).
"""

from __future__ import annotations

import itertools
import json
import math
import os
import shutil
import subprocess
import tempfile
from collections import Counter
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

__all__ = ["abc2midi_clean", "abcjs_warnings", "jsd", "music_report", "tune_stats"]

_JS = Path(__file__).with_name("abcjs_check.js")


def jsd(p: Counter[Any], q: Counter[Any]) -> float:
    """Jensen-Shannon divergence (base 2) between two count distributions."""
    tp, tq = sum(p.values()), sum(q.values())
    if not tp or not tq:
        return float("nan")
    out = 0.0
    for k in set(p) | set(q):
        a, b = p[k] / tp, q[k] / tq
        m = (a + b) / 2
        if a:
            out += a / 2 * math.log2(a / m)
        if b:
            out += b / 2 * math.log2(b / m)
    return out


def abc2midi_clean(texts: Sequence[str]) -> list[bool] | None:
    """For each tune, whether abc2midi converts it with no error and no warning; None
    when abc2midi is not installed."""
    exe = shutil.which("abc2midi")
    if exe is None:
        return None
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        src, mid = os.path.join(tmp, "t.abc"), os.path.join(tmp, "t.mid")
        for text in texts:
            with open(src, "w", encoding="utf-8") as f:
                f.write(text)
            try:
                r = subprocess.run([exe, src, "-o", mid], capture_output=True, text=True,
                                   timeout=30, cwd=tmp, check=False, errors="replace")
            except subprocess.TimeoutExpired:
                out.append(False)
                continue
            said = (r.stdout + r.stderr).splitlines()
            out.append(not any(ln.startswith(("Warning", "Error")) for ln in said))
    return out


def abcjs_warnings(texts: Sequence[str]) -> list[list[str]] | None:
    """abcjs's parser warnings of each tune; None when Node or abcjs is not there."""
    node = shutil.which("node")
    if node is None:
        return None
    lines = "".join(json.dumps({"id": i, "abc": t}) + "\n" for i, t in enumerate(texts))
    try:
        r = subprocess.run([node, str(_JS)], input=lines, capture_output=True, text=True,
                           timeout=600, check=False, cwd=os.getcwd())
    except (OSError, subprocess.TimeoutExpired):
        return None
    if r.returncode != 0:
        return None
    got: dict[int, list[str]] = {}
    for ln in r.stdout.splitlines():
        try:
            d = json.loads(ln)
        except ValueError:
            continue
        got[int(d["id"])] = [str(w) for w in d.get("warnings", [])] + (
            [f"error: {d['error']}"] if d.get("error") else [])
    return [got.get(i, ["no answer from abcjs"]) for i in range(len(texts))]


def tune_stats(text: str) -> dict[str, Any]:
    """What :func:`music_report` counts for one tune (parsed loosely, as players do)."""
    import abcparse
    from abcparse.music import played_order, timeline
    from abcparse.music.pitch import split_pitch

    book = abcparse.parse(text)
    out: dict[str, Any] = {"aabb": False, "stuck": False, "pitch_classes": Counter(),
                           "key": None, "meter": None, "lengths": Counter()}
    if not book.tunes:
        return out
    tune = book.tunes[0]
    for f in tune.header.fields:
        if f.letter == "K" and out["key"] is None:
            out["key"] = f.value.strip()
        if f.letter == "M" and out["meter"] is None:
            out["meter"] = f.value.strip()
    tl = timeline(tune)
    if not tl.voices:
        return out
    vt = tl.voices[0]
    for item in vt.items:
        # A microtone (off the semitone grid) counts as the semitone below it.
        out["pitch_classes"].update(split_pitch(p)[0] % 12 for p in item.pitches)
        e = item.element
        length = getattr(e, "length", None)
        if isinstance(length, Fraction):
            out["lengths"][str(length)] += 1
    # Stuck: the same bar (its pitches and lengths) three times running.
    sigs = []
    for b in vt.bars:
        if b.content:
            sigs.append(tuple((it.pitches, it.ticks)
                              for it in vt.items[b.first_item:b.end_item] if it.layer == 0))
    out["stuck"] = any(sigs[i] == sigs[i + 1] == sigs[i + 2] for i in range(len(sigs) - 2))
    # AABB: two parts each played twice (two jumps back), 32 bars of time.
    order = played_order(vt.segments, tl.parts)
    jumps = sum(1 for a, b in itertools.pairwise(order) if b <= a)
    nominal = next((b.nominal for b in vt.bars if b.nominal), None)
    played = sum(vt.segments[i].length for i in order)
    out["aabb"] = jumps == 2 and nominal is not None and played == 32 * nominal
    return out


def music_report(texts: Sequence[str], reference: Sequence[str] | None = None,
                 players: bool = True) -> dict[str, Any]:
    """The numbers of the module docstring for ``texts``; the divergences are from
    ``reference`` (the training tunes) when given."""
    n = len(texts)
    stats = [tune_stats(t) for t in texts]
    out: dict[str, Any] = {"tunes": n}
    if players:
        a2m = abc2midi_clean(texts)
        out["abc2midi_clean"] = None if a2m is None else sum(a2m) / max(1, n)
        js = abcjs_warnings(texts)
        out["abcjs_clean"] = None if js is None else sum(not w for w in js) / max(1, n)
    out["aabb"] = sum(s["aabb"] for s in stats) / max(1, n)
    out["stuck"] = sum(s["stuck"] for s in stats) / max(1, n)
    if reference is not None:
        ref = [tune_stats(t) for t in reference]

        def total(xs: list[dict[str, Any]], name: str) -> Counter[Any]:
            c: Counter[Any] = Counter()
            for s in xs:
                c.update(s[name])
            return c

        def one(xs: list[dict[str, Any]], name: str) -> Counter[Any]:
            return Counter(s[name] for s in xs if s[name] is not None)

        pcs = jsd(total(stats, "pitch_classes"), total(ref, "pitch_classes"))
        out["jsd"] = {
            "pitch_class": round(pcs, 4),
            "key": round(jsd(one(stats, "key"), one(ref, "key")), 4),
            "meter": round(jsd(one(stats, "meter"), one(ref, "meter")), 4),
            "note_length": round(jsd(total(stats, "lengths"), total(ref, "lengths")), 4),
        }
    return out
