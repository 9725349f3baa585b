"""Random tunes for differential tests against the two outside players.

    python -m tests.playback.random_tunes --seed 1 -n 1500 -o /tmp/r1.abc
    python -m tests.playback.players --files /tmp/r1.abc

Each tune has a plain header (a random meter and key, ``L:1/8``) and a body of 10 to 70
tokens drawn with weights: notes with accidentals, octave marks and lengths, chords,
rests, every kind of bar line, repeat sign and variant ending, broken rhythm, ties,
tuplets, grace groups, decorations, slurs, inline fields, chord symbols, spaces and line
breaks. Most tunes are not music anyone would write; that is the point: the players and
abcparse meet text the corpora never show them. A tune that abcparse plays differently
from abc2midi *and* from abcjs, while those two agree with each other, is listed at the
end of the players' report; it found the empty decoration ``!!`` and the broken rhythm
with no note before it (``docs/playback.md``).
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

Weighted = Sequence[tuple[str, float]]

LENGTHS: Weighted = (("", 10), ("2", 4), ("3", 2), ("4", 1), ("/", 2), ("/2", 1), ("3/2", 1),
                     ("6", 0.5), ("//", 0.3), ("3/4", 0.3))
ACCIDENTALS: Weighted = (("", 12), ("^", 2), ("_", 2), ("=", 1.5), ("^^", 0.3), ("__", 0.3))
OCTAVES: Weighted = (("", 12), (",", 1), ("'", 1))
BARS: Weighted = (("|", 20), ("||", 1.5), ("|]", 1), ("[|", 0.5), ("|:", 3), (":|", 3),
                  ("::", 1), (":|:", 0.5), ("|1", 1.5), ("|2", 1.2), (":|2", 1), ("[1", 1),
                  ("[2", 1), (":|]", 0.3), ("|[1", 0.5), ("|1,2", 0.3), (":||", 0.3),
                  ("[|:", 0.3), ("|3", 0.3), (".|", 0.2))
TUPLETS: Weighted = (("(3", 3), ("(2", 0.5), ("(4", 0.5), ("(3:2:2", 0.3), ("(5", 0.2))
DECORATIONS: Weighted = (("~", 1), (".", 1), ("T", 0.7), ("H", 0.5), ("!trill!", 0.5),
                         ("!fermata!", 0.5), ("u", 0.3), ("v", 0.3), ("!p!", 0.3))
INLINE: Weighted = (("[K:G]", 1), ("[K:F]", 1), ("[L:1/16]", 0.5), ("[L:1/8]", 0.5),
                    ("[M:3/4]", 0.7), ("[M:6/8]", 0.5), ("[K:Dmix]", 0.4))
SYMBOLS: Weighted = (("Am", 1), ("G", 1), ("D7", 1), ("^hi", 0.3))
METERS: Weighted = (("4/4", 4), ("3/4", 2), ("6/8", 3), ("2/4", 1), ("C|", 1), ("9/8", 0.5))
KEYS: Weighted = (("C", 2), ("G", 3), ("D", 3), ("F", 1), ("Bb", 0.7), ("Am", 1), ("Em", 1),
                  ("Dmix", 1), ("Ador", 1), ("Eb", 0.5), ("A", 1))


class TuneMaker:
    """Draws tunes from one seeded random generator (the same seed, the same tunes)."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.tokens: list[tuple[Callable[[], str], float]] = [
            (self.note, 50), (self.chord, 3), (lambda: "z" + self.pick(LENGTHS), 4),
            (lambda: self.pick(BARS), 14), (lambda: ">", 2), (lambda: "<", 1),
            (lambda: ">>", 0.3), (lambda: "-", 2.5), (lambda: self.pick(TUPLETS), 2.5),
            (self.grace, 1.5), (lambda: self.pick(DECORATIONS), 2), (lambda: "(", 1),
            (lambda: ")", 1), (lambda: " ", 10), (lambda: self.pick(INLINE), 0.8),
            (lambda: '"' + self.pick(SYMBOLS) + '"', 1.5), (lambda: "\n", 2.5),
            (lambda: "y", 0.2),
        ]

    def pick(self, choices: Weighted) -> str:
        return self.rng.choices([c for c, _ in choices], [w for _, w in choices])[0]

    def note(self) -> str:
        return (self.pick(ACCIDENTALS) + self.rng.choice("CDEFGABcdefgab")
                + self.pick(OCTAVES) + self.pick(LENGTHS))

    def chord(self) -> str:
        notes = "".join(self.pick(ACCIDENTALS[:3]) + self.rng.choice("CDEFGABcdefg")
                        for _ in range(self.rng.randint(2, 3)))
        return f"[{notes}]{self.pick(LENGTHS)}"

    def grace(self) -> str:
        return "{" + "".join(self.rng.choice("gafedc")
                             for _ in range(self.rng.randint(1, 3))) + "}"

    def body(self) -> str:
        makers = [m for m, _ in self.tokens]
        weights = [w for _, w in self.tokens]
        text = "".join(self.rng.choices(makers, weights)[0]()
                       for _ in range(self.rng.randint(10, 70)))
        lines = []
        for line in text.split("\n"):
            if not line.strip():
                continue
            if len(line) > 1 and line[1] == ":" and line[0].isalpha():
                line = " " + line  # `A:|` at a line start would be a field (§3)
            lines.append(line)
        return "\n".join(lines)

    def tune(self, number: int) -> str:
        return (f"X:{number}\nT:random {number}\nM:{self.pick(METERS)}\nL:1/8\n"
                f"K:{self.pick(KEYS)}\n{self.body()}\n")


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("-n", type=int, default=1000, help="how many tunes (default 1000)")
    ap.add_argument("-o", "--output", type=Path, required=True)
    args = ap.parse_args(argv)
    maker = TuneMaker(args.seed)
    args.output.write_text("\n".join(maker.tune(i) for i in range(1, args.n + 1)),
                           encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
