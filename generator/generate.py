"""Generate → validate → repair: sampled text in, tunes that pass ``abc-lint --strict`` out.

Why a loop and not just a sampler: a character LSTM writes plausible ABC, not correct ABC
(bars that do not add up, a slur never closed, a repeat with no start). A user who asks for
ten tunes must get ten tunes that every ABC tool reads, so every sampled tune goes through
the validator, and the repair engine where the validator objects:

1. **Sample** a batch (:class:`~abcparse.generator.sampler.NumpyLSTM`, NumPy only; never
   TensorFlow), optionally with constrained decoding (:mod:`abcparse.generator.constrain`).
2. **Split** the sample into tunes with :func:`abcparse.parse`; a sample must hold exactly
   one tune (the model ends a tune with a blank line, so it always does unless it hit the
   length cap).
3. **Validate** strictly (:func:`abcparse.check` with ``mode="strict"``) with the
   ``playable`` profile (:data:`PLAYABLE`: what abc2midi and abcjs warn about). *Valid as
   sampled* means no error-severity finding, the issue's definition of strictly valid.
4. **Repair** (:func:`abcparse.repair` with ``target="strict"`` and ``warnings=True``)
   whatever has a finding, errors or warnings: ``abc-lint`` exits 1 on any finding, and a
   sampled tune that is valid may still carry a warning (most often ABC305, a ``|:`` that
   no ``:|`` closes). A tune is *accepted* only when the strict check finds nothing at all
   afterwards.
5. **Layout**: repeat signs the model wrote alone on a line, and bar lines at a line's
   start after a note, move to the end of the music line before them
   (:func:`join_bar_lines`): the same music, which abcjs would otherwise play with an
   extra note or a wrong accidental.
6. **Novelty**: a tune whose body (the text after its first ``K:`` line) is as close as
   ``threshold`` (normalised Levenshtein similarity, default 0.8) to a training tune's body
   is rejected: the model must not hand back a memorised tune. So is an exact repeat of a
   tune already accepted in the same run.

Sampling goes on, batch after batch, until ``n`` tunes are accepted or ``max_attempts``
tunes have been examined (default ``max(64, 10 * n)``: with the shipped model about 9 in 10
sampled tunes are accepted, so the bound is only hit by a broken model or an extreme
temperature). Batch ``i`` draws with the seed ``SeedSequence([seed, i])``, so the output
depends only on the model, the arguments and ``seed``: byte-identical across runs.
"""

from __future__ import annotations

import dataclasses
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from abcparse.validate.registry import PROFILES

from .data import body_offset, split_tunes
from .form import FormConstraint, HeaderPlan, header_plans, writable
from .music import tune_stats
from .sampler import DEFAULT_MAX_CHARS, DEFAULT_PRIME, NumpyLSTM, Sample

DEFAULT_BATCH = 64
DEFAULT_THRESHOLD = 0.8

# Verdicts for one sampled tune.
CLEAN = "clean"  # no finding at all as sampled
VALID = "valid"  # no error as sampled; warnings repaired
REPAIRED = "repaired"  # errors as sampled, strictly clean after repair
REJECTED = "rejected"

# Reasons a sampled tune is rejected.
R_LENGTH = "hit the length cap"
R_NOT_ONE = "not exactly one tune"
R_REPAIR = "still invalid after repair"
R_SIMILAR = "too similar to a training tune"
R_DUPLICATE = "repeats an accepted tune"
R_SHORT = "too little music"
R_FORM = "not two repeated parts"
REASONS = (R_LENGTH, R_NOT_ONE, R_REPAIR, R_SHORT, R_FORM, R_SIMILAR, R_DUPLICATE)
# A tune must keep this many bars with a note in them: repairing a garbled sample can delete
# most of its body, and a header with one bar is no tune to hand a user.
MIN_BARS = 4

_X_LINE = re.compile(r"\AX:[^\n]*")
#: The check profile of the generate loop: strict ABC 2.1 plus what abc2midi and abcjs warn
#: about (abcparse.validate.registry.PROFILES["playable"]): a tune is accepted only when
#: the players read it cleanly too.
PLAYABLE = PROFILES["playable"]


# A code line of bar lines only (``:|``, ``|:``, ``:| |:``), and a start-repeat sign at
# the start of a code line.
_BARS_ONLY = re.compile(r"[ \t]*(?:[|:\[\]]+[ \t]*)+")
_LEADING_BAR = re.compile(r"[ \t]*(\|:|::|:\||\|\||\|)(?![\d\]|:])[ \t]*")
_FIELD_LINE = re.compile(r"[A-Za-z+]:")
# A music line that is one note letter alone: a repeat sign joined to it would make ``d :|``,
# which §3 and abc2midi read as perhaps a field.
_LONE_LETTER = re.compile(r"[ \t]*[A-Za-z][ \t]*")


def _music_line(line: str) -> bool:
    """A code line of music (not empty, a field, a comment or one ending in ``\\``)."""
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith("%") \
        and not _FIELD_LINE.match(stripped) and not stripped.endswith("\\")


def join_bar_lines(text: str, *, open_repeat: bool = True) -> str:
    """The tune with its repeat signs at the ends of music lines, not at their starts: a
    code line that holds only bar lines (the model writes ``:|`` and ``|:`` on lines of
    their own) joins the music line before it, and a bar line (``|``, ``||``, ``|:``,
    ``::``, ``:|``; not an ending's ``|1``) that starts a line after a line ending in a
    note moves to that line's end. A line of one note letter alone joins the line before it
    (so that no ``d :|`` opens a line, which abc2midi reads as perhaps a field), and a
    first section repeated from the tune's start opens with ``|:`` (:func:`_open_first_repeat`;
    not with ``open_repeat=False``, for a body whose opening the user wrote).

    Why: a line break means nothing to the music (§2.2, §4.8), but abcjs 6.7.2 plays the
    last note before such a line-start repeat again at the start of every pass (the kind
    ``abcjs-start-repeat-at-line-start`` in tests/fixtures/abcjs_playback_differences.json),
    keeps the bar's accidentals past a plain bar line that starts a line (``_e c`` then
    ``|Bee`` on the next line: it plays E flat; §4.2 ends an accidental at the bar line),
    and a staff line with a bar line and no notes is poor layout. A generated tune's layout
    is ours to choose, so we choose the one every player reads alike. Checked, not assumed:
    when the played notes (:func:`abcparse.events.tune_events`) differ from the tune's, or
    the strict check finds more in the result, the tune is returned as it was."""
    start = body_offset(text)
    out: list[str] = []
    for line in text[start:].split("\n"):
        prev = out[-1] if out else ""
        if _music_line(prev) and _LONE_LETTER.fullmatch(line):
            out[-1] = prev.rstrip() + " " + line.strip()  # the lone note joins the line
            continue
        if _music_line(prev):
            tail = prev.rstrip()
            if line.strip() and _BARS_ONLY.fullmatch(line):
                out[-1] = tail + (" " if tail[-1] in "|:]" else "") + line.strip()
                continue
            m = _LEADING_BAR.match(line)
            if m and tail[-1] not in "|:]" and line[m.end():].strip():
                out[-1] = tail + m.group(1)
                line = line[m.end():]
        out.append(line)
    if open_repeat:
        _open_first_repeat(out, text)
    result = text[:start] + "\n".join(out)
    if result == text or _played(result) != _played(text):
        return text
    import abcparse

    def findings(t: str) -> Counter[str]:
        return Counter(d.code for d in abcparse.check(t, mode="strict", extend_select=PLAYABLE))

    return text if findings(result) - findings(text) else result


# The first repeat sign of a body: a start (``|:``, or ``[|:``) or an end (``:|``, ``::``).
_REPEAT_SIGN = re.compile(r"\|:|:\||::")


def _open_first_repeat(lines: list[str], text: str) -> None:
    """Write ``|:`` at the start of a body whose first section is repeated without one
    (``B|eaa ... ::``): §4.8 lets the sign go when the repeat starts at the tune's start, and
    both players go back there, but abc2abc warns "Missing repeat at start" on every such
    tune. Only for a tune with no pickup: abc2abc counts ``|:B|`` as a short first bar (an
    error, where the missing sign was a warning), and ``B|:`` would not repeat the pickup.
    The tune plays as before (the caller checks it)."""
    first = next((i for i, line in enumerate(lines) if _music_line(line)), None)
    if first is None:
        return
    m = _REPEAT_SIGN.search("\n".join(lines[first:]))
    if m is None or m.group() == "|:" or _has_pickup(text):
        return
    line = lines[first]
    indent = len(line) - len(line.lstrip())
    lines[first] = line[:indent] + "|:" + line[indent:]


def _has_pickup(text: str) -> bool:
    """Whether the tune's first bar of music is shorter than its meter (an anacrusis)."""
    import abcparse
    from abcparse.music import timeline

    tunes = abcparse.parse(text, mode="strict").tunes
    voices = timeline(tunes[0]).voices if len(tunes) == 1 else []
    first = next((b for b in voices[0].bars if b.content), None) if voices else None
    return first is None or first.nominal is None or first.ticks != first.nominal


def _played(text: str) -> list[tuple[Any, ...]]:
    """The notes a tune plays (onset, pitch, duration, voice), for :func:`join_bar_lines`."""
    import abcparse
    from abcparse.events import tune_events

    tunes = abcparse.parse(text, mode="strict").tunes
    if len(tunes) != 1:
        return []
    return [(e.onset, e.pitch, e.duration, e.voice) for e in tune_events(tunes[0])]


def tune_body(text: str) -> str:
    """The music of a tune: everything after its first ``K:`` line, without trailing space.

    Novelty compares bodies, not headers: a new title on an old tune is no new tune."""
    return text[body_offset(text) :].strip()


def music_bars(text: str) -> int:
    """How many bars of the tune hold at least one note."""
    import abcparse
    from abcparse.model import Chord, Note

    tunes = abcparse.parse(text, mode="strict").tunes
    if not tunes:
        return 0
    return sum(1 for bar in tunes[0].bars
               if any(isinstance(e, (Note, Chord)) for e in bar.elements))


def renumber(text: str, number: int) -> str:
    """The tune with its first line (the ``X:`` field, §3.1.1) set to ``X:number``."""
    return _X_LINE.sub(f"X:{number}", text, count=1)


def batch_seed(seed: int, index: int) -> int:
    """The seed of batch ``index`` of a run seeded ``seed``: independent streams per batch
    (a SeedSequence mixes both numbers), the same for the same pair on every machine."""
    return int(np.random.SeedSequence([seed, index]).generate_state(1)[0])


class Novelty:
    """Nearest-neighbour edit similarity of a tune body to the training bodies.

    Similarity is rapidfuzz's normalised Levenshtein similarity, ``1 - distance / max(len)``,
    in [0, 1]: 1 for the same text, 0.8 when a fifth of the longer body would have to be
    edited. rapidfuzz runs the comparisons in C++ (about a millisecond for 640 bodies).
    """

    def __init__(self, bodies: Sequence[str]) -> None:
        self.bodies = [b for b in bodies if b]

    @classmethod
    def from_tunes(cls, tunes: Iterable[str]) -> Novelty:
        return cls([tune_body(t) for t in tunes])

    @classmethod
    def from_file(cls, path: str | Path) -> Novelty:
        return cls.from_tunes(split_tunes(Path(path).read_text(encoding="utf-8")))

    def nearest(self, body: str) -> float:
        """The highest similarity of ``body`` to any training body (0.0 with none)."""
        if not self.bodies:
            return 0.0
        from rapidfuzz import process
        from rapidfuzz.distance import Levenshtein

        best = process.extractOne(body, self.bodies, scorer=Levenshtein.normalized_similarity)
        return float(best[1]) if best is not None else 0.0


@dataclass(frozen=True, slots=True)
class Verdict:
    """What happened to one sampled tune.

    ``text`` is the tune as it would be emitted (repaired, not yet renumbered), None when
    rejected for length or shape; ``codes`` are the codes the strict check found in the
    sampled text (each once); ``similarity`` is the nearest-neighbour body similarity of the
    final text (None when not computed)."""

    status: str
    text: str | None
    reason: str | None = None
    codes: tuple[str, ...] = ()
    finding_counts: tuple[tuple[str, int], ...] = ()
    similarity: float | None = None
    repaired_codes: tuple[str, ...] = ()
    checked: bool = False  # the strict check ran on the sampled text
    had_error: bool = False  # ... and found an error-severity finding

    def rejected_as(self, reason: str) -> Verdict:
        return dataclasses.replace(self, status=REJECTED, reason=reason)


def examine(
    sample: Sample,
    novelty: Novelty | None,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    prime: str = "",
) -> Verdict:
    """Validate one sampled tune, repair it if need be, check its novelty. ``prime`` is the
    text every sample was begun with: music in it is the user's opening, which the layout
    step does not put a ``|:`` before."""
    import abcparse
    from abcparse.diagnostics import Severity

    if not sample.finished:
        return Verdict(REJECTED, None, R_LENGTH)
    book = abcparse.parse(sample.text, mode="strict")
    if len(book.tunes) != 1:
        return Verdict(REJECTED, None, R_NOT_ONE)
    text = book.tunes[0].text
    if not text.endswith("\n"):
        text += "\n"
    found = abcparse.check(text, mode="strict", extend_select=PLAYABLE)
    counts = Counter(d.code for d in found)
    errors = any(d.severity is Severity.ERROR for d in found)
    checked = Verdict(REPAIRED if errors else (VALID if found else CLEAN), text,
                      codes=tuple(sorted(counts)), finding_counts=tuple(sorted(counts.items())),
                      checked=True, had_error=errors)
    if found:
        # Sampled text is the generator's own: unsafe fixes are fine (they are counted).
        result = abcparse.repair(text, target="strict", warnings=True, unsafe=True,
                                 extend_select=PLAYABLE)
        final = result.text if result.text.endswith("\n") else result.text + "\n"
        checked = dataclasses.replace(
            checked, text=final, repaired_codes=tuple(sorted({e.code for e in result.edits})))
        if not result.valid or abcparse.check(final, mode="strict", extend_select=PLAYABLE):
            return checked.rejected_as(R_REPAIR)
    assert checked.text is not None
    laid_out = join_bar_lines(checked.text, open_repeat=body_offset(prime) >= len(prime))
    if laid_out != checked.text:
        checked = dataclasses.replace(checked, text=laid_out)
    if music_bars(laid_out) < MIN_BARS:
        return checked.rejected_as(R_SHORT)
    if novelty is not None:
        checked = dataclasses.replace(checked, similarity=novelty.nearest(tune_body(laid_out)))
        if checked.similarity is not None and checked.similarity >= threshold:
            return checked.rejected_as(R_SIMILAR)
    return checked


@dataclass
class Stats:
    """The counts of one run, for standard error, ``--report`` and ``abcparse evaluate``."""

    sampled: int = 0
    clean: int = 0  # no finding as sampled
    valid: int = 0  # no error as sampled (includes clean)
    repaired: int = 0  # had errors, accepted after repair
    touched: int = 0  # had warnings only, accepted after repair
    accepted: int = 0  # = accepted clean + touched + repaired
    rejected: Counter[str] = field(default_factory=Counter)
    codes: Counter[str] = field(default_factory=Counter)  # sampled tunes with each code
    findings: Counter[str] = field(default_factory=Counter)  # findings of each code
    similarities: list[float] = field(default_factory=list)  # of every checked tune
    seconds: float = 0.0
    sample_seconds: float = 0.0
    chars: int = 0

    @property
    def rejected_total(self) -> int:
        return sum(self.rejected.values())

    def summary(self) -> str:
        """One line for standard error."""
        rej = ", ".join(f"{k} {v}" for k, v in sorted(self.rejected.items()) if v) or "none"
        clean = self.accepted - self.touched - self.repaired
        return (f"{self.accepted} accepted of {self.sampled} sampled ({clean} as sampled,"
                f" {self.touched} with warnings repaired, {self.repaired} with errors"
                f" repaired), {self.rejected_total} rejected ({rej}); {self.valid} valid as"
                f" sampled ({self.clean} with no finding at all)")

    def report(self) -> str:
        """``--report``: the codes the strict check found in the sampled tunes."""
        if not self.codes:
            return "codes found in sampled tunes: none"
        lines = ["codes found in sampled tunes (tunes with it, findings):"]
        for code, tunes in sorted(self.codes.items(), key=lambda kv: (-kv[1], kv[0])):
            lines.append(f"  {code}  {tunes:5d} tunes  {self.findings[code]:5d} findings")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        sims = self.similarities
        return {
            "sampled": self.sampled,
            "valid_as_sampled": self.valid,
            "clean_as_sampled": self.clean,
            "repaired": self.repaired,
            "warnings_repaired": self.touched,
            "accepted": self.accepted,
            "rejected": self.rejected_total,
            "rejected_by_reason": dict(sorted(self.rejected.items())),
            "codes": dict(sorted(self.codes.items())),
            "findings": dict(sorted(self.findings.items())),
            "novelty_median": float(np.median(sims)) if sims else None,
            "novelty_share_ge_0_8": (sum(s >= DEFAULT_THRESHOLD for s in sims) / len(sims)
                                     if sims else None),
            "seconds": round(self.seconds, 3),
            "sample_seconds": round(self.sample_seconds, 3),
            "chars": self.chars,
        }


def _count(stats: Stats, v: Verdict) -> None:
    stats.sampled += 1
    stats.codes.update(v.codes)
    stats.findings.update(dict(v.finding_counts))
    if v.similarity is not None:
        stats.similarities.append(v.similarity)


@dataclass
class GenerateResult:
    """Accepted tunes (renumbered ``X:1..``), the counts, and whether ``n`` was reached."""

    tunes: list[str]
    stats: Stats
    complete: bool
    verdicts: list[Verdict] = field(default_factory=list)

    def text(self) -> str:
        """The tunebook: ``%abc-2.1`` (so any reader treats it strictly, §2.2) and the tunes
        one empty line apart, as ``abc-lint --strict -`` expects."""
        return "%abc-2.1\n\n" + "\n".join(self.tunes)


SampleFn = Callable[[int, int], list[Sample]]


class TuneGenerator:
    """A loaded model, its sampling settings and its training bodies: generates tunes."""

    def __init__(
        self,
        net: NumpyLSTM,
        novelty: Novelty | None,
        *,
        temperature: float = 1.0,
        top_k: int = 0,
        top_p: float = 1.0,
        max_chars: int = DEFAULT_MAX_CHARS,
        prime: str = DEFAULT_PRIME,
        constrained: bool = False,
        batch_size: int = DEFAULT_BATCH,
        threshold: float = DEFAULT_THRESHOLD,
        form: bool = True,
        wanted: HeaderPlan | None = None,
        train_tunes: Sequence[str] = (),
    ) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be >= 1")
        self.net = net
        self.form = form
        self.wanted = wanted or HeaderPlan()
        self.train_tunes = list(train_tunes)
        self.novelty = novelty
        self.temperature = temperature
        self.top_k = top_k
        self.top_p = top_p
        self.max_chars = max_chars
        self.prime = prime
        self.constrained = constrained
        self.batch_size = batch_size
        self.threshold = threshold

    def sample(self, n: int, seed: int) -> list[Sample]:
        constraint = None
        if self.constrained and self.form:
            # Form-aware decoding (generator/form.py): each row writes the header fields
            # asked for, the others drawn from the training tunes, then an AABB tune.
            plans = header_plans(self.train_tunes, self.wanted,
                                 np.random.default_rng([seed, 1]), n)
            plans = [writable(p, self.net.vocab) for p in plans]
            constraint = FormConstraint.factory_for(self.prime, plans)
        elif self.constrained:
            from .constrain import TuneConstraint

            constraint = TuneConstraint.factory(self.net.vocab, self.prime)
        return self.net.sample_batch(n, seed=seed, temperature=self.temperature,
                                     top_k=self.top_k, top_p=self.top_p, prime=self.prime,
                                     max_chars=self.max_chars, constraint=constraint)

    def samples(self, seed: int) -> Iterator[Sample]:
        """Sampled tunes, batch after batch, forever (the caller stops)."""
        index = 0
        while True:
            yield from self.sample(self.batch_size, batch_seed(seed, index))
            index += 1

    def run(self, n: int, *, seed: int, max_attempts: int | None = None,
            keep_verdicts: bool = False) -> GenerateResult:
        """Sample until ``n`` tunes are accepted or ``max_attempts`` tunes were examined."""
        if n < 0:
            raise ValueError("n must be >= 0")
        bound = max_attempts if max_attempts is not None else default_max_attempts(n)
        if bound < 1:
            raise ValueError("max_attempts must be >= 1")
        stats = Stats()
        accepted: list[str] = []
        seen: set[str] = set()
        verdicts: list[Verdict] = []
        started = time.perf_counter()
        index = 0
        while len(accepted) < n and stats.sampled < bound:
            batch = self._timed_sample(self.batch_size, batch_seed(seed, index), stats)
            index += 1
            for sample in batch:
                if len(accepted) >= n or stats.sampled >= bound:
                    break
                v = self._judge(sample, seen, stats)
                if keep_verdicts:
                    verdicts.append(v)
                if v.status != REJECTED and v.text is not None:
                    accepted.append(renumber(v.text, len(accepted) + 1))
        stats.seconds = time.perf_counter() - started
        return GenerateResult(accepted, stats, len(accepted) >= n, verdicts)

    def evaluate_samples(self, n: int, *, seed: int) -> tuple[Stats, list[Verdict]]:
        """Examine exactly ``n`` sampled tunes (no early stop): the shares ``evaluate``
        reports are over a fixed number of samples, not over however many were needed."""
        stats = Stats()
        verdicts: list[Verdict] = []
        seen: set[str] = set()
        started = time.perf_counter()
        index = 0
        while stats.sampled < n:
            size = min(self.batch_size, n - stats.sampled)
            batch = self._timed_sample(size, batch_seed(seed, index), stats)
            index += 1
            verdicts.extend(self._judge(sample, seen, stats) for sample in batch)
        stats.seconds = time.perf_counter() - started
        return stats, verdicts

    def _timed_sample(self, size: int, seed: int, stats: Stats
                      ) -> list[Sample]:
        t0 = time.perf_counter()
        batch = self.sample(size, seed)
        stats.sample_seconds += time.perf_counter() - t0
        return batch

    def _judge(self, sample: Sample, seen: set[str], stats: Stats) -> Verdict:
        """Examine one sample (validate, repair, novelty), reject a repeat of a body seen
        earlier in the run, and count the verdict."""
        stats.chars += len(sample.text)
        v = examine(sample, self.novelty, threshold=self.threshold, prime=self.prime)
        if (self.constrained and self.form and v.status == REPAIRED and v.text is not None
                and not tune_stats(v.text)["aabb"]):
            # The form-aware decoder writes two repeated parts of eight bars (AABB); a
            # sample it could not finish and the repair then mended may have lost that
            # form (a part without its repeat, a coda, rests padding a bar): the promise
            # is the form, so another tune is drawn instead.
            v = v.rejected_as(R_FORM)
        if v.status != REJECTED and v.text is not None:
            body = tune_body(v.text)
            if body in seen:
                v = v.rejected_as(R_DUPLICATE)
            seen.add(body)
        self._tally(stats, v)
        return v

    @staticmethod
    def _tally(stats: Stats, v: Verdict) -> None:
        _count(stats, v)
        if v.status == REJECTED:
            assert v.reason is not None
            stats.rejected[v.reason] += 1
        else:
            stats.accepted += 1
            if v.status == REPAIRED:
                stats.repaired += 1
            elif v.status == VALID:
                stats.touched += 1
        # Valid as sampled: strictly valid before any repair, whatever happened next.
        if v.checked and not v.had_error:
            stats.valid += 1
            if not v.codes:
                stats.clean += 1


def default_max_attempts(n: int) -> int:
    """How many sampled tunes one run may examine before giving up: ``max(64, 10 * n)``."""
    return max(DEFAULT_BATCH, 10 * n)
