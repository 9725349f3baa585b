"""``abcparse.corpus.clean``: the whole cleaning run, streaming.

Reading, the per-tune stage (:mod:`.stage`), and the in-order tail: de-duplication
(:mod:`.dedupe`), the split (:mod:`.split`), writing (:mod:`.outputs`) and the manifest.

Memory stays flat whatever the size of the collection: the reader holds one tune at a
time, at most a bounded window of chunks is in flight to the workers, de-duplication
keeps two 8-byte keys per kept tune, the split writers append to their files, and the
manifest's long lists (dropped tunes, repairs) wait in temporary files on disk.

The output does not depend on how the stage ran: chunks come back in input order
whichever process or Dask worker handled them, and everything that depends on order
(which duplicate is first, the X: numbers) happens here, in one process. So
``--jobs 4`` and a Dask cluster write the same bytes as ``--jobs 1``, and a second run
writes the same bytes as the first (nothing in the output depends on time or place).
"""

from __future__ import annotations

import dataclasses
import enum
import os
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from .. import __version__
from ..errors import AbcIOError, AbcUsageError
from ..fileio import remove_temp_files
from .dedupe import Deduper
from .options import SPLIT_NAMES, CleanOptions
from .outputs import SplitWriter, Spool, write_manifest
from .reader import RawTune, SourceFile
from .split import assign
from .stage import Outcome, process, process_chunk

CHUNK_SIZE = 16
MANIFEST_NAME = "manifest.json"


@dataclass(slots=True)
class CleanReport:
    """What a run did: counts, and where the outputs are (``manifest`` is the path of
    ``manifest.json``; ``splits`` maps "train"/"valid"/"test" to their tune counts)."""

    read: int = 0
    kept: int = 0
    dropped: int = 0
    repaired: int = 0
    warnings_repaired: int = 0
    valid_as_read: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    splits: dict[str, int] = field(default_factory=dict)
    characters: dict[str, int] = field(default_factory=dict)
    vocabulary: int = 0
    outdir: str = ""
    manifest: str = ""
    seconds: float = 0.0

    def summary(self) -> str:
        """A few lines for people."""
        lines = [
            f"read {self.read} tunes: kept {self.kept}, dropped {self.dropped}"
            f" (repaired {self.repaired}, warnings repaired {self.warnings_repaired},"
            f" valid as read {self.valid_as_read})",
            "splits: "
            + ", ".join(
                f"{name} {self.splits.get(name, 0)} tunes"
                f" ({self.characters.get(name, 0):,} characters)"
                for name in SPLIT_NAMES
            )
            + f"; vocabulary {self.vocabulary} characters",
        ]
        if self.reasons:
            lines.append(
                "dropped: "
                + ", ".join(f"{r} {n}" for r, n in sorted(self.reasons.items(), key=_by_count))
            )
        lines.append(f"wrote {os.path.join(self.outdir, '{train,valid,test}.abc')} and"
                     f" {self.manifest}")
        return "\n".join(lines)


def _by_count(item: tuple[str, int]) -> tuple[int, str]:
    return (-item[1], item[0])


# ---------------------------------------------------------------------------------------
# Running the stage: here, in processes, or on Dask


def _chunks(tunes: Iterable[RawTune], size: int) -> Iterator[list[RawTune]]:
    chunk: list[RawTune] = []
    for t in tunes:
        chunk.append(t)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _warm(options: CleanOptions) -> None:
    """Build the parsers and the rule tables once, before worker processes fork, so
    each inherits them instead of building its own."""
    process(RawTune(0, 0, 1, "X:1\nT:t\nM:2/4\nL:1/8\nK:C\nCD EF|GA Bc|]\n"), options)


def run_local(tunes: Iterable[RawTune], options: CleanOptions) -> Iterator[Outcome]:
    for raw in tunes:
        yield process(raw, options)


def run_processes(
    tunes: Iterable[RawTune], options: CleanOptions, jobs: int, chunk_size: int = CHUNK_SIZE
) -> Iterator[Outcome]:
    """The stage in ``jobs`` processes, chunk by chunk, results in input order; at most
    ``4 * jobs`` chunks in flight so memory stays bounded."""
    _warm(options)
    window = 4 * jobs
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        pending: list[Future[list[Outcome]]] = []
        for chunk in _chunks(tunes, chunk_size):
            pending.append(pool.submit(process_chunk, chunk, options))
            if len(pending) >= window:
                yield from pending.pop(0).result()
        while pending:
            yield from pending.pop(0).result()


def executor_for(
    jobs: int, dask: Any = None
) -> Callable[[Iterable[RawTune], CleanOptions], Iterator[Outcome]]:
    """The function that runs the stage: Dask when ``dask`` (a scheduler address or a
    ``distributed.Client``) is given, processes when ``jobs`` > 1, else this process."""
    if dask is not None:
        from .dask_backend import run_dask

        return lambda tunes, options: run_dask(tunes, options, dask)
    if jobs > 1:
        return lambda tunes, options: run_processes(tunes, options, jobs)
    return run_local


# ---------------------------------------------------------------------------------------
# Progress on a terminal


class Progress:
    """One status line on standard error, rewritten at most four times a second; only
    when standard error is a terminal (a log file gets nothing)."""

    def __init__(self, total_bytes: int, enabled: bool | None = None) -> None:
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self.total = max(total_bytes, 1)  # compared with characters read: an estimate
        self.start = time.monotonic()
        self._last = 0.0

    def update(self, report: CleanReport, bytes_read: int, force: bool = False) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if not force and now - self._last < 0.25:
            return
        self._last = now
        rate = report.read / max(now - self.start, 1e-9)
        share = min(bytes_read / self.total, 1.0)
        width = 24
        filled = int(share * width)
        bar = "#" * filled + "." * (width - filled)
        sys.stderr.write(
            f"\rcorpus clean [{bar}] {share:4.0%}  {report.read:,} read, {report.kept:,} kept,"
            f" {report.dropped:,} dropped, {rate:,.0f} tunes/s "
        )
        sys.stderr.flush()

    def close(self, report: CleanReport, bytes_read: int) -> None:
        if self.enabled:
            self.update(report, bytes_read, force=True)
            sys.stderr.write("\n")
            sys.stderr.flush()


# ---------------------------------------------------------------------------------------
# The manifest's records


def _plain(value: Any) -> Any:
    """JSON-ready copy of a repair edit (dataclasses, enums, fractions, tuples)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        if hasattr(value, "_asdict"):  # NamedTuple (Span)
            return {k: _plain(v) for k, v in value._asdict().items()}
        return [_plain(v) for v in value]
    if isinstance(value, enum.Enum):
        return _plain(value.value)
    if isinstance(value, Fraction):
        return str(value)
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def _where(o: Outcome, sources: Sequence[SourceFile]) -> dict[str, Any]:
    return {
        "source": sources[o.source].path,
        "tune": o.ordinal,
        "line": o.line,
        "x": o.reference,
        "title": o.title,
    }


# ---------------------------------------------------------------------------------------
# clean()


def _source_paths(inputs: Sequence[str | os.PathLike[str]]) -> list[str]:
    """Input files in the order given; a folder gives its ``*.abc`` files, sorted."""
    out: list[str] = []
    for item in inputs:
        path = os.fspath(item)
        if os.path.isdir(path):
            found: list[str] = []
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                found.extend(os.path.join(root, f) for f in files if f.endswith(".abc"))
            out.extend(sorted(found))
        elif os.path.exists(path):
            out.append(path)
        else:
            raise AbcIOError(f"{path}: no such file")
    if not out:
        raise AbcUsageError("no ABC files to clean")
    return [os.path.normpath(p) for p in out]


def clean(
    inputs: Sequence[str | os.PathLike[str]] | str | os.PathLike[str],
    outdir: str | os.PathLike[str],
    options: CleanOptions | None = None,
    *,
    jobs: int = 1,
    dask: Any = None,
    progress: bool | None = False,
    callback: Callable[[CleanReport], None] | None = None,
    **overrides: Any,
) -> CleanReport:
    """Clean ABC files into ``outdir/{train,valid,test}.abc`` and ``manifest.json``.

    ``inputs``: files or folders (every ``*.abc`` below, sorted). ``options``: a
    :class:`CleanOptions` (keyword ``overrides`` change single options, e.g.
    ``repair=False``). ``jobs``: worker processes for the per-tune stage; ``dask``: a
    Dask scheduler address or ``distributed.Client`` to run it on instead. Output is
    byte-identical whichever is used. ``progress``: a status line on standard error
    (None: only when it is a terminal). ``callback`` is called with the running report
    after every tune (the benchmark samples memory with it).

    Raises :class:`~abcparse.errors.AbcIOError` when an input cannot be read or the
    output cannot be written; the output files are then left as they were.
    """
    started = time.monotonic()
    opts = (options or CleanOptions()).replace(**overrides) if overrides else (
        options or CleanOptions()
    )
    if jobs < 1:
        raise AbcUsageError(f"jobs must be at least 1, not {jobs}")
    if isinstance(inputs, (str, os.PathLike)):
        inputs = [inputs]
    paths = _source_paths(inputs)
    out = os.fspath(outdir)
    try:
        os.makedirs(out, exist_ok=True)
    except OSError as e:
        raise AbcIOError(f"{out}: cannot create the folder: {e.strerror or e}") from None
    sources = [SourceFile(p, i) for i, p in enumerate(paths)]
    total_bytes = 0
    for s in sources:
        try:
            total_bytes += os.path.getsize(s.path)
        except OSError as e:
            raise AbcIOError(f"{s.path}: cannot read: {e.strerror or e}") from None

    def all_tunes() -> Iterator[RawTune]:
        for s in sources:
            yield from s.tunes_iter()

    report = CleanReport(outdir=out, manifest=os.path.join(out, MANIFEST_NAME))
    vocabulary: Counter[str] = Counter()
    writers: dict[str, SplitWriter] = {}
    made: list[str] = []  # the splits' temporary files, removed if the run fails
    kept = Spool()
    dropped = Spool()
    repairs = Spool()
    bar = Progress(total_bytes, progress)
    try:
        for name in SPLIT_NAMES:
            writers[name] = SplitWriter(os.path.join(out, f"{name}.abc"), vocabulary, made)
        dedupe = Deduper(opts.dedupe)
        run = executor_for(jobs, dask)
        for o in run(all_tunes(), opts):
            report.read += 1
            where = _where(o, sources)
            if o.valid_as_read:
                report.valid_as_read += 1
            if o.kept:
                dup = dedupe.seen(o.body, o.melody)
                if dup is not None:
                    reason, (src, ordinal) = dup
                    kind = "the same melody in another key" if reason.endswith("transposed") \
                        else "the same normalized body"
                    o = dataclasses.replace(
                        o,
                        text=None,
                        reason=reason,
                        message=f"{kind} as tune {ordinal} of {sources[src].path}",
                    )
            if o.edits is not None or o.warning_edits is not None:
                entry: dict[str, Any] = {**where, "kept": o.kept}
                if o.edits is not None:
                    report.repaired += 1
                    entry.update(edits=_plain(o.edits), text=o.repaired)
                if o.warning_edits is not None:
                    report.warnings_repaired += 1
                    entry["warning_edits"] = _plain(o.warning_edits)
                repairs.add(entry)
            if o.text is not None:
                dedupe.add(o.body, o.melody, o.source, o.ordinal)
                name = assign(o.melody, opts.split, opts.split_seed)
                number = writers[name].add(o.text)
                kept.add({
                    "source": where["source"], "tune": o.ordinal, "line": o.line,
                    "split": name, "x": number,
                })
                report.kept += 1
            else:
                report.dropped += 1
                reason = o.reason or "unknown"
                report.reasons[reason] += 1
                dropped.add({**where, "reason": reason, "code": o.code, "message": o.message})
            bar.update(report, sum(s.position for s in sources))
            if callback is not None:
                callback(report)
        bar.close(report, total_bytes)
        for name, w in writers.items():
            report.splits[name] = w.tunes
            report.characters[name] = w.characters
        report.vocabulary = len(vocabulary)
        top: dict[str, Any] = {
            "abcparse_version": __version__,
            "counts": {
                "read": report.read,
                "kept": report.kept,
                "dropped": report.dropped,
                "dropped_by_reason": dict(sorted(report.reasons.items())),
                "repaired": report.repaired,
                "warnings_repaired": report.warnings_repaired,
                "valid_as_read": report.valid_as_read,
            },
            "options": opts.to_json(),
            "outputs": {f"{name}.abc": w.summary() for name, w in writers.items()},
            "sources": [
                {"path": s.path, "sha256": s.sha256, "tunes": s.tunes, "encoding": s.encoding}
                for s in sources
            ],
            "vocabulary": dict(sorted(vocabulary.items())),
        }
        for w in writers.values():
            w.out.commit()
        write_manifest(
            report.manifest, top, {"kept": kept, "dropped": dropped, "repairs": repairs}
        )
    except BaseException:
        for w in writers.values():
            w.out.abort()
        remove_temp_files(made)  # also one made before its writer was in ``writers``
        raise
    finally:
        for spool in (kept, dropped, repairs):
            spool.close()
    report.seconds = time.monotonic() - started
    return report
