"""Smoothed character n-gram baseline for the generator's held-out bits/char.

Issue 7 asks the LSTM to beat "a character 5-gram baseline with smoothing" on the same
split, so this script is the yardstick: an interpolated Kneser-Ney character model (Chen &
Goodman's formulation with one absolute discount per order, estimated from count-of-counts as
D = n1 / (n1 + 2 n2)), interpolated at the bottom with a uniform distribution over the
training characters plus one unknown-character symbol. That last symbol mirrors the LSTM's
reserved unknown token, so test characters absent from training cost the same kind of
probability mass in both models instead of an infinite loss here.

The whole file is one character stream (contexts run across the blank line between tunes),
which is at worst a small advantage for the baseline.

Usage::

    python benchmarks/ngram_baseline.py --train corpus/train.abc --test corpus/test.abc [--order 5]

Prints held-out bits/char; no assertions (benchmarks never assert).
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections import defaultdict
from pathlib import Path

UNK = "\x00"  # stands for every character not seen in training


class KneserNey:
    """Interpolated Kneser-Ney character n-gram model.

    Counts are kept per order in dictionaries keyed by the context string; the highest order
    uses raw counts, lower orders use continuation counts (how many distinct characters
    precede the n-gram), which is what makes Kneser-Ney better than plain absolute
    discounting on small corpora like ours.
    """

    def __init__(self, text: str, order: int = 5) -> None:
        if order < 1:
            raise ValueError("order must be at least 1")
        self.order = order
        self.alphabet = [*sorted(set(text)), UNK]
        # counts[n][context][char] for n = len(context) in 0..order-1
        raw: list[dict[str, dict[str, int]]] = [defaultdict(dict) for _ in range(order)]
        for i, ch in enumerate(text):
            for n in range(order):
                if i - n < 0:
                    break
                ctx = text[i - n : i]
                table = raw[n][ctx]
                table[ch] = table.get(ch, 0) + 1
        # Continuation counts for lower orders: N1+(. ctx ch) = distinct left extensions.
        cont: list[dict[str, dict[str, int]]] = [defaultdict(dict) for _ in range(order)]
        for n in range(1, order):
            for ctx, table in raw[n].items():
                lower = ctx[1:]
                for ch in table:
                    t = cont[n - 1][lower]
                    t[ch] = t.get(ch, 0) + 1
        self.counts: list[dict[str, dict[str, int]]] = []
        for n in range(order):
            self.counts.append(raw[n] if n == order - 1 else cont[n])
        self.totals = [{c: sum(t.values()) for c, t in level.items()} for level in self.counts]
        self.discounts = [self._discount(level) for level in self.counts]

    @staticmethod
    def _discount(level: dict[str, dict[str, int]]) -> float:
        n1 = n2 = 0
        for table in level.values():
            for c in table.values():
                if c == 1:
                    n1 += 1
                elif c == 2:
                    n2 += 1
        if n1 == 0:
            return 0.5
        return max(0.05, min(0.95, n1 / (n1 + 2 * n2)))

    def prob(self, context: str, ch: str) -> float:
        """P(ch | context), interpolating from order 0 (uniform) up to the longest context."""
        p = 1.0 / len(self.alphabet)
        start = max(0, len(context) - (self.order - 1))
        ctx_full = context[start:]
        for n in range(len(ctx_full) + 1):
            ctx = ctx_full[len(ctx_full) - n :] if n else ""
            table = self.counts[n].get(ctx)
            if not table:
                continue  # unseen context: keep the lower-order estimate as it is
            total = self.totals[n][ctx]
            d = self.discounts[n]
            c = table.get(ch, 0)
            p = max(c - d, 0.0) / total + d * len(table) / total * p
        return p

    def bits_per_char(self, text: str) -> float:
        known = set(self.alphabet)
        mapped = "".join(c if c in known else UNK for c in text)
        total = 0.0
        for i, ch in enumerate(mapped):
            total -= math.log2(self.prob(mapped[max(0, i - self.order + 1) : i], ch))
        return total / max(1, len(mapped))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--train", required=True, type=Path)
    ap.add_argument("--test", required=True, type=Path)
    ap.add_argument("--order", type=int, default=5)
    args = ap.parse_args(argv)
    try:
        train = args.train.read_text(encoding="utf-8")
        test = args.test.read_text(encoding="utf-8")
    except OSError as exc:
        print(f"ngram_baseline: cannot read {exc.filename}: {exc.strerror}", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    model = KneserNey(train.replace(UNK, ""), args.order)
    bpc = model.bits_per_char(test)
    secs = time.perf_counter() - t0
    print(f"train {args.train} ({len(train)} chars), test {args.test} ({len(test)} chars)")
    print(f"interpolated Kneser-Ney character {args.order}-gram: discounts "
          + ", ".join(f"{d:.2f}" for d in model.discounts))
    print(f"held-out bits/char: {bpc:.4f}  ({secs:.1f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
