"""``abc-lint --jobs N``: check files in worker processes, a stretch of tunes at a time.

The main process reads each file as :func:`abcparse.iter_tunes` does (decoding, cutting
into chunks, the file header) but builds no tune: it cuts the file into windows (see
:mod:`abcparse.validate.context`) and groups consecutive windows into batches of about
:data:`BATCH_TUNES` tunes. A worker gets a batch's chunks with the tune before and the
tune after it, builds the tunes and checks the batch's windows exactly as the one-process
path does (:class:`~abcparse.validate.check.WindowCheck`), and sends back the findings
before suppression, ordering and de-duplication. The main process merges them in batch
order into the file's :class:`~abcparse.validate.check.FileCheck`, which hands them out
as a one-process run would: the output of ``--jobs N`` is byte for byte that of
``--jobs 1`` (a test checks it on the corpora), and a big file keeps every worker busy.

What a batch cannot see, the main process gives it: the decoding's findings about the
whole file for the first batch, the file-level parser diagnostics that lie in the
batch, and the X: numbers earlier batches used (ABC206, the one file rule that carries
state from tune to tune), read from each tune's header without building the tune.
"""

from __future__ import annotations

import functools
import gc
import heapq
import itertools
import re
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ..api import Piece, TuneStream, _BookBuilder, iter_tunes
from ..build import TuneBuilder, build_file_header
from ..diagnostics import Diagnostic
from ..errors import AbcError
from ..gcpause import paused_gc
from ..model import FileHeader, Tune
from ..source import TextFacts
from ..split import Chunk
from ..validate.check import WindowCheck, make_window, select_rules, windows
from ..validate.structure import reference_field
from ..validate.suppress import Suppression
from .report import pack, unpack

# A first line holding only X: and a number, whose value is that number whatever the
# field grammar does with it (no comment, no escape, no continuation).
_PLAIN_X = re.compile(r"X:[ \t]*([0-9]{1,9})[ \t]*(?:\r\n|\r|\n|\Z)")
BATCH_TUNES = 48  # tunes per batch: big enough that a batch's overhead is small
IN_FLIGHT = 4  # batches waiting per worker: enough to keep each one busy

Packed = tuple[Any, ...]
Key = tuple[int, int, str, int, int]


@dataclass(frozen=True)
class Selection:
    """What to check and how (the same for every batch of a run)."""

    mode: str
    select: tuple[str, ...] | None
    ignore: tuple[str, ...]
    extend_select: tuple[str, ...]


@dataclass(frozen=True)
class Batch:
    """A stretch of a file for a worker: its chunks as (kind, text, start, line), the
    first being the tune before (``prev``) and the last the tune after (``until_after``)
    when there are such tunes."""

    selection: Selection
    first: bool  # the batch starts the file (its chunks hold the file header)
    header: tuple[str, int, int] | None  # the file header chunk (text, offset, line)
    version: str | None
    facts: TextFacts | None  # for the batch with the file's first window
    chunks: tuple[tuple[str, str, int, int], ...]
    prev: bool
    until_after: bool
    pending: tuple[Packed, ...]  # file-level parser diagnostics in the batch
    seen: dict[str, int]  # X: numbers of earlier batches that this batch's tunes use


@functools.lru_cache(maxsize=4)
def _header(text: str, start: int, line: int) -> tuple[FileHeader, Any]:
    header, ctx, _ = build_file_header(text, start, line)
    return header, ctx


def check_batch(batch: Batch) -> tuple[list[tuple[Key, Packed]], list[Suppression]]:
    """Run in a worker: build the batch's tunes and check its windows. Returns the
    findings (heap key and packed diagnostic) and the suppression comments found."""
    sel = batch.selection
    rules = select_rules(sel.select, sel.ignore, sel.extend_select)
    builder = _BookBuilder(sel.mode, batch.version)
    if not batch.first:
        if batch.header is not None:
            builder.header, builder.ctx = _header(*batch.header)
        builder.seen_tune = True

    last = len(batch.chunks) - 1

    def pieces() -> Iterator[Piece]:
        # Built as the windows reach them, so only a window's tunes are alive at a time
        # (a whole batch of built tunes made every collection of the collector slower).
        for i, (kind, text, start, line) in enumerate(batch.chunks):
            chunk = Chunk(kind, text, start, line)
            if (i == 0 and batch.prev) or (i == last and batch.until_after):
                # The tune before or after the batch is context only: the window rules
                # read its header and place (ABC209), and its own batch builds it whole.
                yield Piece(chunk, _neighbour(chunk, builder))
                continue
            tune, _ = builder.take(chunk)  # the collector paused meanwhile (see take)
            yield Piece(chunk, tune)

    built = pieces()
    prev = next(built) if batch.prev else None
    check: WindowCheck | None = None
    for p, own, gap, after in windows(built, prev, until_after=batch.until_after):
        if check is None:  # the file header (in the first batch) is built by now
            check = WindowCheck(builder.header, batch.version, batch.facts, sel.mode, rules,
                                (unpack(p) for p in batch.pending))
            check.file_check.carry["ABC206"] = dict(batch.seen)
        check.check(make_window(p, own, gap, after))
    if check is None:
        return [], []
    run = check.file_check
    return [(e[:5], pack(e[5])) for e in run.heap], run.suppressions


def _neighbour(chunk: Chunk, builder: _BookBuilder) -> Tune:
    """The tune before or after a batch, read as far as its header: what a window's
    file rules read of the tunes beside it (``ctx.before``, ``ctx.after``: header fields,
    text and place), at the cost of a header instead of a whole tune. Building both
    whole cost each batch two tunes, a twentieth of its work."""
    text = chunk.text
    with paused_gc():
        reader = TuneBuilder(text, chunk.start, chunk.line, builder.ctx, False)
        span = reader.span_multiline(0, len(text)) if text else reader.span(0, 0)
        header = reader.read_header()  # stops at K:, as a full parse's header does
    return Tune(header, (), header.fields, text=text, span=span)


# ---------------------------------------------------------------------------------------
# The main process

Window4 = tuple[Piece | None, list[Piece], list[Piece], Piece | None]
Event = tuple[str, str, Any, Any]  # ("file", name, error, None) | ("found", name, d, line)


class _File:
    """One file of a parallel run: its stream, cut into batches, and the check the
    batches' findings merge into."""

    def __init__(self, name: str, stream: TuneStream, selection: Selection,
                 lines: bool) -> None:
        self.name = name
        self.stream = stream
        self.selection = selection
        self.want_lines = lines
        self.check: WindowCheck | None = None
        self.seq = 0
        self.seen: dict[str, int] = {}  # X: numbers of the batches cut so far

    def batches(self) -> Iterator[tuple[Batch, tuple[str, int, int], int | None]]:
        """The file's batches in order, each with its region (text, offset, line) and
        the offset before which findings can be handed out once it is merged."""
        stream = self.stream
        pending: list[Diagnostic] = list(stream.diagnostics)
        header: list[tuple[str, int, int]] = []

        def pieces() -> Iterator[Piece]:
            for piece in stream.pieces(build=False):
                pending.extend(piece.diagnostics)
                c = piece.chunk
                if c.kind == "header" and not header:
                    header.append((c.text, c.start, c.line))
                yield piece

        sel = self.selection
        group: list[Window4] = []
        tunes = 0  # windows of the group whose own part ends with a tune
        first = True
        for w in itertools.chain(windows(pieces()), [None]):
            # The file's last window has no tune after it and no text after its own part.
            final = w is None or (w[3] is None and not w[2])
            if w is not None:
                group.append(w)
                if w[1] and w[1][-1].chunk.kind == "tune":
                    tunes += 1
                if not final and tunes < BATCH_TUNES:
                    continue
            if not group:
                return
            prev = group[0][0]
            last_own, last_gap, after = group[-1][1], group[-1][2], group[-1][3]
            region = [*((prev,) if prev is not None else ()),
                      *(p for g in group for p in g[1]), *last_gap,
                      *((after,) if after is not None else ())]
            if final:
                placed, pending[:] = list(pending), []
            else:
                own_end = last_own[-1].chunk.start + len(last_own[-1].chunk.text)
                placed = [d for d in pending if d.span.start < own_end]
                pending[:] = [d for d in pending if d.span.start >= own_end]
            batch = Batch(
                sel, first, header[0] if header else None, stream.version,
                stream.facts if first else None,
                tuple((p.chunk.kind, p.chunk.text, p.chunk.start, p.chunk.line)
                      for p in region),
                prev is not None, after is not None,
                tuple(pack(d) for d in placed), self._seen(group),
            )
            if self.check is None:
                rules = select_rules(sel.select, sel.ignore, sel.extend_select)
                self.check = WindowCheck(stream.header, stream.version, stream.facts,
                                         sel.mode, rules, (), self.want_lines)
            # An empty file has no chunk at all: its batch is empty text at line 1.
            start, line = (region[0].chunk.start, region[0].chunk.line) if region else (0, 1)
            tune = last_own[-1] if last_own and last_own[-1].chunk.kind == "tune" else None
            release = None if final or tune is None else tune.chunk.start
            yield batch, ("".join(p.chunk.text for p in region), start, line), release
            first = False
            group = []
            tunes = 0
            if final:
                return

    def _seen(self, group: list[Window4]) -> dict[str, int]:
        """The X: numbers of earlier batches that this batch's tunes use, with the line
        of their first use; this batch's own noted for the next batches. A tune's number
        is read from its header alone (as read_headers reads it: the same fields as a
        full parse)."""
        ctx = self.stream.context
        out: dict[str, int] = {}
        new: dict[str, int] = {}
        for _, own, _, _ in group:
            if not own or own[-1].chunk.kind != "tune":
                continue
            c = own[-1].chunk
            plain = _PLAIN_X.match(c.text)
            if plain is not None:  # "X:12": the field's value, on the tune's first line
                value, line = plain.group(1), c.line
            else:
                with paused_gc():  # the header only: read_header stops at K:
                    fields = TuneBuilder(c.text, c.start, c.line, ctx, False).read_header().fields
                ref = reference_field(fields)
                if ref is None:
                    continue
                value, line = ref.value.strip(), ref.span.line
            if value in self.seen:
                out[value] = self.seen[value]
            elif value not in new:
                new[value] = line
        for value, line in new.items():
            self.seen.setdefault(value, line)
        return out

    def merge(self, result: tuple[list[tuple[Key, Packed]], list[Suppression]],
              region: tuple[str, int, int], release: int | None
              ) -> Iterator[tuple[Diagnostic, str | None]]:
        """A batch's findings into the file's check, in batch order; what can now be
        handed out, with the text of its line (for the "full" format)."""
        assert self.check is not None
        run = self.check.file_check
        entries, sups = result
        base = self.seq
        top = 0
        for (start, end, code, cls, seq), packed in entries:
            heapq.heappush(run.heap, (start, end, code, cls, base + seq, unpack(packed)))
            top = max(top, seq)
        self.seq = base + top + 1
        run.suppressions.extend(sups)
        if self.want_lines:
            self.check.capture(*region)
        for d in self.check.release(release):
            yield d, self.check.lines.get(d.span.line)


def lint_parallel(targets: Iterator[tuple[str, str | None, Any]], selection: Selection,
                  jobs: int, lines: bool) -> Iterator[Event]:
    """The events of a run, in order: ("file", name, error, None) for each target,
    then ("found", name, diagnostic, line text) for each of its findings; the same
    as the one-process run. ``targets`` gives (name, error, source) in order."""
    # Imported here: a one-process run (the default) does not pay for multiprocessing.
    from concurrent.futures import ProcessPoolExecutor

    # Build the grammar tables and load the rules once, before the workers start: where
    # processes fork, each inherits them instead of building its own.
    from ..parser import line_parser
    from ..validate import registry

    line_parser()
    registry()
    # What exists now lives as long as the run: the collector need not walk it again,
    # in the main process or in the forked workers (where walking it would also copy
    # every page it touches).
    gc.freeze()
    try:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            queue: deque[Any] = deque()  # file announcements and batches, in order
            in_flight = 0
            work = _work(targets, selection, lines)
            exhausted = False
            while True:
                while not exhausted and in_flight < IN_FLIGHT * jobs:
                    item = next(work, None)
                    if item is None:
                        exhausted = True
                    elif item[0] == "file":
                        queue.append(item)
                    else:
                        _, f, batch, region, release = item
                        queue.append(("batch", f, pool.submit(check_batch, batch), region,
                                      release))
                        in_flight += 1
                if not queue:
                    return
                item = queue.popleft()
                if item[0] == "file":
                    yield "file", item[1], item[2], None
                    continue
                _, f, future, region, release = item
                in_flight -= 1
                for d, line in f.merge(future.result(), region, release):
                    yield "found", f.name, d, line
    finally:
        gc.unfreeze()


def _work(targets: Iterator[tuple[str, str | None, Any]], selection: Selection,
          lines: bool) -> Iterator[tuple[Any, ...]]:
    """("file", name, error) for each target, then ("batch", file, batch, region,
    release) for each of its batches."""
    for name, error, source in targets:
        if error is not None:
            yield "file", name, error
            continue
        try:
            stream = iter_tunes(source, mode=selection.mode, path=name)
        except AbcError as e:
            yield "file", name, str(e)
            continue
        yield "file", name, None
        f = _File(name, stream, selection, lines)
        try:
            for batch, region, release in f.batches():
                yield "batch", f, batch, region, release
        except AbcError as e:  # the file failed to read half-way
            yield "file", name, str(e)
