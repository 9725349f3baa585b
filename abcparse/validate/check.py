"""``abcparse.check``: every diagnostic of a text or tunebook, by the rules of its mode.

Steps: parse (unless given a :class:`~abcparse.model.Tunebook`), run the file rules once
and the tune rules on each tune, pass the parser's own diagnostics through the same
registry (so each code has one severity table and one explanation), drop what is not
selected or is silenced by a suppression comment, and keep one diagnostic per
(code, span). A rule that raises becomes ABC901 on that tune; the others still run.
"""

from __future__ import annotations

import functools
import os
import traceback
from collections.abc import Iterable
from dataclasses import replace

from ..api import MODES, parse
from ..diagnostics import Diagnostic, Severity, Span
from ..errors import AbcUsageError
from ..model import Tunebook
from ..source import decode
from .context import FileContext, TuneContext, file_strict
from .registry import Finding, Rule, registry
from .suppress import apply_suppressions, find_suppressions

Selector = str | Iterable[str] | None


def _prefixes(sel: Selector) -> tuple[str, ...] | None:
    if sel is None:
        return None
    items = [sel] if isinstance(sel, str) else list(sel)
    out: list[str] = []
    for item in items:
        out.extend(p.strip().upper() for p in item.replace(" ", ",").split(",") if p.strip())
    return tuple(out)


def _matches(code: str, prefixes: tuple[str, ...]) -> bool:
    return any(p == "ALL" or code.startswith(p) for p in prefixes)


def select_rules(
    select: Selector = None, ignore: Selector = None, extend_select: Selector = None
) -> dict[str, Rule]:
    """The rules that run: ``select`` (code prefixes) replaces the default set (every
    rule except the style rules), ``extend_select`` adds to it, ``ignore`` removes."""
    sel = _prefixes(select)
    ext = _prefixes(extend_select) or ()
    ign = _prefixes(ignore) or ()
    return dict(_select(sel, ext, ign, tuple(registry())))


@functools.lru_cache(maxsize=64)
def _select(
    sel: tuple[str, ...] | None, ext: tuple[str, ...], ign: tuple[str, ...],
    _codes: tuple[str, ...],
) -> dict[str, Rule]:
    # Cached: the generator checks thousands of single tunes with the same selection.
    # ``_codes`` (every registered code) keeps a registration from being missed.
    rules = registry()
    out = {}
    for code, r in rules.items():
        chosen = _matches(code, sel) if sel is not None else r.default
        if not chosen and ext and _matches(code, ext):
            chosen = True
        if chosen and not (ign and _matches(code, ign)):
            out[code] = r
    return out


def check(
    source: str | bytes | Tunebook,
    *,
    mode: str = "auto",
    select: Selector = None,
    ignore: Selector = None,
    extend_select: Selector = None,
    path: str | os.PathLike[str] | None = None,
) -> list[Diagnostic]:
    """Validate ABC text (or bytes, or a parsed tunebook) and return its diagnostics.

    ``mode`` is "auto" (ABC 2.1 §12: a tune is read strictly when it or its file is
    declared ``%abc-2.1`` or later, by the version line or ``I:abc-version``), "strict" or
    "loose". ``select``/``ignore`` take code prefixes ("ABC3", "ABC301") as a string
    (comma-separated) or a list; style rules (ABC4xx) run only when selected. The result
    is sorted by position and never raises for bad ABC.

    >>> import abcparse
    >>> [d.code for d in abcparse.check("X:1\\nT:t\\nM:2/4\\nL:1/8\\nK:C\\nabcd|abc|abcd|]\\n")]
    ['ABC301']
    """
    if mode not in MODES:
        raise AbcUsageError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
    book, extra = _load(source, mode, os.fspath(path) if path is not None else None)
    return check_book(book, mode=mode, rules=select_rules(select, ignore, extend_select),
                      extra=extra)


def _load(
    source: str | bytes | Tunebook, mode: str, path: str | None
) -> tuple[Tunebook, list[Diagnostic]]:
    if isinstance(source, Tunebook):
        if mode == "auto" or mode == source.mode:
            return source, []
        # Another mode than it was parsed in: read it again (strict and loose split
        # files differently, §2.2.1 / ABC209), keeping what decoding found in the bytes.
        kept = [d for d in source.diagnostics if d.code.startswith("ABC00")]
        src_path = source.source.path if source.source is not None else path
        return parse(source.to_text(), mode=mode, path=src_path), kept
    if isinstance(source, bytes):
        text_src, diags = decode(source, path)
        return parse(text_src.text, mode=mode, path=path), diags
    if isinstance(source, str):
        return parse(source, mode=mode, path=path), []
    raise AbcUsageError(f"check() takes ABC text, bytes or a Tunebook, not {type(source)!r}")


def check_book(
    book: Tunebook,
    *,
    mode: str = "auto",
    rules: dict[str, Rule] | None = None,
    extra: Iterable[Diagnostic] = (),
) -> list[Diagnostic]:
    """Run ``rules`` (default: the default selection) on a parsed tunebook."""
    if rules is None:
        rules = select_rules()
    fctx = FileContext(book, file_strict(book, mode), mode)
    out: list[Diagnostic] = []
    validators = [r for r in rules.values() if r.source == "validator"]
    file_rules = [r for r in validators if r.scope == "file"]
    tune_rules = [r for r in validators if r.scope == "tune"]
    for r in file_rules:
        _run(r, fctx, fctx.strict, out, None)
    tctxs = []
    for i, tune in enumerate(book.tunes):
        tctx = TuneContext(tune, i, fctx, tune.strict if mode == "auto" else mode == "strict")
        tctxs.append(tctx)
        for r in tune_rules:
            _run(r, tctx, tctx.strict, out, tune.span)
    # The parser's diagnostics, through the registry's severity table.
    known = registry()
    for d in (*extra, *book.diagnostics):
        pr = rules.get(d.code)
        if pr is None:
            if d.code not in known:
                out.append(d)  # unknown to the registry: keep as the parser made it
            continue
        idx = fctx.tune_at(d.span.start)
        strict = tctxs[idx].strict if idx is not None else fctx.strict
        sev = pr.severity(strict)
        if sev is None:
            continue
        out.append(replace(d, severity=sev, rule=pr.name))
    out = [d for d in out if d.code in rules or d.code not in known]
    out = apply_suppressions(out, find_suppressions(fctx.text, book))
    seen: set[tuple[str, Span]] = set()
    unique: list[Diagnostic] = []
    for d in out:
        key = (d.code, d.span)
        if key in seen:
            continue
        seen.add(key)
        unique.append(d)
    unique.sort(key=Diagnostic.sort_key)
    return unique


def _run(r: Rule, ctx: FileContext | TuneContext, strict: bool, out: list[Diagnostic],
         where: Span | None) -> None:
    sev = r.severity(strict)
    if sev is None:
        return
    try:
        findings: list[Finding] = list(r.func(ctx))
    except Exception as e:  # a bug in a rule must not stop the others (ABC901)
        tb = traceback.extract_tb(e.__traceback__)
        at = f" at {os.path.basename(tb[-1].filename)}:{tb[-1].lineno}" if tb else ""
        span = where if where is not None else Span(1, 1, 1, 1, 0, 0)
        out.append(
            Diagnostic(
                "ABC901",
                f"rule {r.code} ({r.name}) crashed: {type(e).__name__}: {e}{at};"
                " this is a bug in abcparse, please report it with this tune",
                span,
                Severity.WARNING,
                "rule-crashed",
            )
        )
        return
    for f in findings:
        out.append(Diagnostic(r.code, f.message, f.span, sev, r.name, f.fix))
