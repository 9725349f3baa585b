"""``abcparse evaluate``: the numbers issue 7 asks of a generator model, in one run.

* **Held-out bits/char** on a test corpus (``corpus/test.abc`` by default), with the NumPy
  network (no TensorFlow): every tune of the file from a zero state after BOS, each
  character and the end-of-tune newline predicted once, as in training. "Whole tune" counts
  every character of each tune (``X:`` line, header, body) plus its end of tune; "body"
  counts only what follows the first ``K:`` line, plus the end of tune. The ``%abc-2.1``
  line that opens the file is not a tune and is not counted.
* **Generation**: exactly ``n`` sampled tunes through the generate loop
  (:meth:`~abcparse.generator.generate.TuneGenerator.evaluate_samples`): how many were
  strictly valid as sampled, repaired, rejected (by reason); valid tunes per second of the
  whole loop (sampling, validation, repair, novelty; wall clock); novelty as the median
  nearest-neighbour edit similarity of the bodies to the training bodies and the share at
  or above the threshold (0.8), over the tunes that reached the novelty check (those
  rejected for it included: ``generate`` never emits them).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from .cache import CacheParams
from .data import body_offset, read_tunes
from .generate import REJECTED, TuneGenerator
from .music import music_report


class EmptyTestError(ValueError):
    """The test corpus holds no tune (an empty file, comments only)."""


def held_out(gen: TuneGenerator, test: str | Path) -> dict[str, Any]:
    """Bits/char of the model on ``test``: whole tunes and bodies only, as shipped (with
    its continuous cache, when it has one) and of the network alone (the ``_lstm`` keys: the
    LSTM and its copy heads, cache off)."""
    tunes = read_tunes(test)
    if not tunes:
        # Bits/char of no text would print as a perfect 0.0000 (and NaN in JSON).
        raise EmptyTestError(f"{test}: no tune in the test corpus: nothing was read")
    out: dict[str, Any] = {"test": str(test), "test_tunes": len(tunes)}
    net = gen.net
    shipped = net.cache
    for name, cache in (("", shipped), ("_lstm", CacheParams(0.0, 0.0, 0.0))):
        net.cache = cache
        try:
            bits = net.char_bits(tunes)
        finally:
            net.cache = shipped
        whole_sum = float(sum(b.sum() for b in bits))
        whole_n = sum(len(b) for b in bits)
        body = [b[body_offset(t):] for t, b in zip(tunes, bits, strict=True)]
        body_sum = float(sum(b.sum() for b in body))
        body_n = sum(len(b) for b in body)
        out["test_chars"] = whole_n
        out["test_body_chars"] = body_n
        out[f"bpc_whole{name}"] = round(whole_sum / max(1, whole_n), 4)
        out[f"bpc_body{name}"] = round(body_sum / max(1, body_n), 4)
    return out


def evaluate(gen: TuneGenerator, test: str | Path, *, n: int = 200, seed: int = 0
             ) -> dict[str, Any]:
    """Held-out bits/char and generation numbers, as one flat dictionary."""
    t0 = time.perf_counter()
    out = held_out(gen, test)
    out["bpc_seconds"] = round(time.perf_counter() - t0, 2)
    cfg = gen.net.config
    out["architecture"] = {
        "embedding_dim": cfg.embedding_dim,
        "lstm_units": list(cfg.lstm_units),
        "copy_heads": cfg.copy_heads,
        "copy_dim": cfg.copy_dim,
        "vocab": gen.net.vocab.size,
    }
    out["sampling"] = {
        "temperature": gen.temperature, "top_k": gen.top_k, "top_p": gen.top_p,
        "constrained": gen.constrained, "max_chars": gen.max_chars, "seed": seed,
        "similarity_threshold": gen.threshold,
    }
    out["novelty_checked"] = gen.novelty is not None
    if n:
        stats, verdicts = gen.evaluate_samples(n, seed=seed)
        g = stats.to_dict()
        g["valid_share"] = stats.valid / max(1, stats.sampled)
        g["clean_share"] = stats.clean / max(1, stats.sampled)
        g["repaired_share"] = stats.repaired / max(1, stats.sampled)
        g["rejected_share"] = stats.rejected_total / max(1, stats.sampled)
        g["accepted_share"] = stats.accepted / max(1, stats.sampled)
        g["valid_tunes_per_s"] = stats.accepted / stats.seconds if stats.seconds else None
        g["chars_per_s"] = stats.chars / stats.sample_seconds if stats.sample_seconds else None
        g["novelty_max"] = float(np.max(stats.similarities)) if stats.similarities else None
        out["generation"] = g
        accepted = [v.text for v in verdicts if v.status != REJECTED and v.text is not None]
        reference = gen.train_tunes or None
        out["music"] = {
            "generated": music_report(accepted, reference),
            "human_test": music_report(read_tunes(test), reference),
        }
    return out


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:5.1f}%"


def format_table(d: dict[str, Any]) -> str:
    """The numbers of :func:`evaluate` as an aligned two-column table."""
    arch = d["architecture"]
    heads = (f", {arch['copy_heads']} copy heads of {arch['copy_dim']}"
             if arch.get("copy_heads") else "")
    alone = "network alone" if heads else "LSTM alone"
    rows: list[tuple[str, str]] = [
        ("model", f"{d.get('model', '?')} (embedding {arch['embedding_dim']}, LSTM "
                  f"{'x'.join(map(str, arch['lstm_units']))}{heads}, vocab {arch['vocab']})"),
        ("test corpus", f"{d['test']}: {d['test_tunes']} tunes, {d['test_chars']} chars"),
        ("held-out bits/char, whole tune", f"{d['bpc_whole']:.4f} ({alone}"
                                           f" {d['bpc_whole_lstm']:.4f})"),
        ("held-out bits/char, body only", f"{d['bpc_body']:.4f} ({alone}"
                                          f" {d['bpc_body_lstm']:.4f};"
                                          f" {d['test_body_chars']} chars)"),
    ]
    g = d.get("generation")
    if g:
        s = d["sampling"]
        n = g["sampled"]
        rej = ", ".join(f"{k}: {v}" for k, v in g["rejected_by_reason"].items()) or "none"
        rows += [
            ("generated", f"{n} tunes, temperature {s['temperature']:g}, "
                          f"{'constrained' if s['constrained'] else 'unconstrained'}, "
                          f"seed {s['seed']}"),
            ("valid as sampled (strict)", f"{g['valid_as_sampled']:4d}  {_pct(g['valid_share'])}"
                                          f"  ({g['clean_as_sampled']} with no finding at all)"),
            ("repaired, then valid", f"{g['repaired']:4d}  {_pct(g['repaired_share'])}"),
            ("rejected", f"{g['rejected']:4d}  {_pct(g['rejected_share'])}  ({rej})"),
            ("accepted", f"{g['accepted']:4d}  {_pct(g['accepted_share'])}"),
            ("valid tunes per second", f"{g['valid_tunes_per_s']:.1f} (whole loop, "
                                       f"{g['seconds']:.1f} s wall clock)"),
            ("sampled chars per second", f"{g['chars_per_s']:.0f}"),
        ]
        if d["novelty_checked"] and g["novelty_median"] is not None:
            rows += [
                ("novelty: median NN similarity", f"{g['novelty_median']:.3f} (max "
                                                  f"{g['novelty_max']:.3f})"),
                (f"novelty: share >= {s['similarity_threshold']:g}",
                 f"{_pct(g['novelty_share_ge_0_8'])} (rejected; never emitted)"),
            ]
        else:
            rows.append(("novelty", "not checked (no training corpus)"))
        if g["codes"]:
            top = sorted(g["codes"].items(), key=lambda kv: (-kv[1], kv[0]))[:8]
            rows.append(("codes in sampled tunes", ", ".join(f"{c} {k}" for c, k in top)))
    width = max(len(k) for k, _ in rows)
    text = "\n".join(f"{k:<{width}}  {v}" for k, v in rows)
    m = d.get("music")
    if m:
        text += "\n\n" + music_table(m["generated"], m["human_test"])
    return text


def music_table(gen: dict[str, Any], human: dict[str, Any]) -> str:
    """The music of the accepted tunes beside that of the human test tunes."""
    def pct(x: float | None) -> str:
        return "not installed" if x is None else f"{100 * x:.1f}%"

    def div(m: dict[str, Any], k: str) -> str:
        v = m.get("jsd", {}).get(k)
        return "-" if v is None else f"{v:.4f}"

    rows = [
        ("", "generated", "human (test split)"),
        ("tunes", str(gen["tunes"]), str(human["tunes"])),
        ("abc2midi reads clean", pct(gen.get("abc2midi_clean")),
         pct(human.get("abc2midi_clean"))),
        ("abcjs parses with no warning", pct(gen.get("abcjs_clean")),
         pct(human.get("abcjs_clean"))),
        ("two repeated parts, 32 bars (AABB)", pct(gen["aabb"]), pct(human["aabb"])),
        ("a bar three times in a row", pct(gen["stuck"]), pct(human["stuck"])),
    ]
    for k, name in (("pitch_class", "pitch classes"), ("key", "keys"), ("meter", "meters"),
                    ("note_length", "note lengths")):
        rows.append((f"JS divergence from train, {name}", div(gen, k), div(human, k)))
    w0 = max(len(r[0]) for r in rows)
    w1 = max(len(r[1]) for r in rows)
    return "\n".join(f"{a:<{w0}}  {b:>{w1}}  {c}" for a, b, c in rows)
