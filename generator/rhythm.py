"""The rhythm of a tune (its ``R:`` field, §3.1.13), derived where the corpus does not say.

Why: users ask for a rhythm (``abcparse generate --rhythm "slip jig"``), and conditioning
works by writing ``R:`` into the header the model continues, so the model must have seen
``R:`` lines in training. The shipped corpus (the MIT Irish tunes) has none, so training
adds one to a tune that lacks it, derived by these rules, in this order:

1. A dance named in the title: "... Reel", "The ... Jig", "Hornpipe", "Polka", "Slide",
   "Slip Jig", "Waltz", "Mazurka", "Barndance", "March", "Air" (the tune's own name for
   itself).
2. Otherwise the meter, as Irish dance music uses it: 6/8 jig, 9/8 slip jig, 12/8 slide,
   2/4 polka, 3/4 waltz; in 4/4 (``C``), 2/2 (``C|``): hornpipe when at least a third of
   the bars swing (broken rhythm ``>`` or ``<``), else reel.
3. Otherwise no ``R:`` (free meter, rare meters).

The rules are deliberately simple and documented (docs/generator.md): a derived rhythm is
a label for conditioning, not musicology. A tune that carries ``R:`` keeps it.
"""

from __future__ import annotations

import re

__all__ = ["RHYTHMS", "add_rhythm", "derive_rhythm", "meter_for_rhythm", "rhythm_for_meter"]

#: The rhythms derivation produces, lower case as the corpus writes them.
RHYTHMS = ("reel", "jig", "slip jig", "hornpipe", "polka", "slide", "waltz", "mazurka",
           "barndance", "march", "air")

_TITLE_WORDS = (
    ("slip jig", "slip jig"), ("hornpipe", "hornpipe"), ("reel", "reel"), ("jig", "jig"),
    ("polka", "polka"), ("slide", "slide"), ("waltz", "waltz"), ("mazurka", "mazurka"),
    ("barndance", "barndance"), ("barn dance", "barndance"), ("march", "march"),
    ("air", "air"),
)
_METERS = {"6/8": "jig", "9/8": "slip jig", "12/8": "slide", "2/4": "polka", "3/4": "waltz"}
_COMMON = frozenset({"C", "C|", "4/4", "2/2"})
# The meter a dance is written in, for a rhythm asked for that no training tune has
# (rule 2 read backwards, plus the dances only a title names).
_DANCE_METERS = {"jig": "6/8", "slip jig": "9/8", "slide": "12/8", "polka": "2/4",
                 "waltz": "3/4", "mazurka": "3/4", "reel": "C|", "hornpipe": "C",
                 "barndance": "C", "march": "2/4"}


def rhythm_for_meter(meter: str) -> str | None:
    """The rhythm rule 2 gives a meter alone (no title, no bars to look at): None for
    the common meters (reel or hornpipe depends on the music) and for rare meters."""
    return _METERS.get(meter.replace(" ", ""))


def meter_for_rhythm(rhythm: str) -> str | None:
    """The meter a dance is written in (None for an air, or a rhythm not known here)."""
    return _DANCE_METERS.get(rhythm.lower())
_FIELD = re.compile(r"^([A-Za-z]):(.*)$", re.MULTILINE)


def derive_rhythm(tune: str) -> str | None:
    """The rhythm of ``tune`` (its text), by the rules of the module docstring; the value
    of its own ``R:`` field when it has one."""
    fields: dict[str, str] = {}
    for m in _FIELD.finditer(tune):
        fields.setdefault(m.group(1), m.group(2).strip())
    own = fields.get("R")
    if own:
        return own.lower()
    title = fields.get("T", "").lower()
    for word, rhythm in _TITLE_WORDS:
        if re.search(rf"\b{word}\b", title):
            return rhythm
    meter = fields.get("M", "").replace(" ", "")
    if meter in _METERS:
        return _METERS[meter]
    if meter in _COMMON:
        body = tune.split("\nK:", 1)[-1].split("\n", 1)[-1]
        bars = [b for b in re.split(r"[|:]+", body) if b.strip()]
        swung = sum(1 for b in bars if ">" in b or "<" in b)
        return "hornpipe" if bars and swung * 3 >= len(bars) else "reel"
    return None


def add_rhythm(tune: str) -> str:
    """``tune`` with a derived ``R:`` line after its ``T:`` lines (where §3 orders it,
    before ``M:``), unless it has one or none can be derived."""
    if re.search(r"^R:", tune, re.MULTILINE):
        return tune
    rhythm = derive_rhythm(tune)
    if rhythm is None:
        return tune
    lines = tune.split("\n")
    at = 0
    for i, line in enumerate(lines):
        if line.startswith(("X:", "T:")):
            at = i + 1
        elif line.startswith("K:"):
            break
    lines.insert(at, f"R:{rhythm}")
    return "\n".join(lines)
