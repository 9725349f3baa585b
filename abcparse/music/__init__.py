"""The music engine: what a tune's notation means in time, pitch and form, computed once.

Every part of abcparse that needs the meaning of the music reads it here and nowhere
else: the validator's bar-length, repeat and tie rules, playback (:mod:`abcparse.events`
and MIDI), the repair fixers, the transposer, the generator's constrained decoder and the
corpus statistics.

- :mod:`.clock`: how long a written note lasts (lengths, unit, tuplets, broken rhythm):
  one bar clock.
- :mod:`.pitch`: key signatures, accidentals (§4.2, §11.3) and ties (§4.11): one rule.
- :mod:`.timeline`: one walk over each voice giving every note, rest and chord its bar,
  onset, duration and sounding pitch, and every bar its nominal and actual length.
- :mod:`.form`: repeats, variant endings and parts (§3.1.9, §4.8-§4.10): the played order
  and what is wrong with the written form.
- :mod:`.bars`: which short bars are pickups and which bars complete them.

Model → engine → consumers::

    Tune ─timeline()─► TuneTimeline ─┬─ judge_bars / form_findings ─► ABC3xx rules
                                     ├─ played_order ─► events ─► MIDI
                                     ├─ repair fixers, transposer
                                     └─ generator (constrained decoding), corpus stats
"""

from __future__ import annotations

from .bars import BarVerdict, judge_bars
from .clock import RESOLUTION, broken_factors, length_ticks, note_time, tuplet_factor
from .form import EndingGroup, FormFinding, ending_groups, form_findings, played_order
from .pitch import PitchState, playing_signature, propagation
from .timeline import (
    BarInfo,
    Item,
    OpenTuplet,
    Segment,
    TieLink,
    TuneTimeline,
    VoiceTimeline,
    timeline,
)

__all__ = [
    "RESOLUTION",
    "BarInfo",
    "BarVerdict",
    "EndingGroup",
    "FormFinding",
    "Item",
    "OpenTuplet",
    "PitchState",
    "Segment",
    "TieLink",
    "TuneTimeline",
    "VoiceTimeline",
    "broken_factors",
    "ending_groups",
    "form_findings",
    "judge_bars",
    "length_ticks",
    "note_time",
    "played_order",
    "playing_signature",
    "propagation",
    "timeline",
    "tuplet_factor",
]
