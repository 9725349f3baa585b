"""The per-tune stage on a Dask cluster (``abcparse corpus clean --dask SCHEDULER``).

For collections beyond one machine: the main process still reads the files and does
the in-order tail (de-duplication, split, writing), which is cheap; the expensive part,
parsing, validating, repairing and normalizing each tune, is sent to the cluster's
workers in chunks. Results are taken back in submission order, so the output is
byte-identical to a local run. At most a bounded window of chunks is in flight, so the
main process's memory does not grow with the collection.

The workers need abcparse installed (the same version: the stage's code runs there).
``dask.distributed`` is an optional extra: ``pip install abcparse[dask]``.
"""

from __future__ import annotations

import importlib
from collections import deque
from collections.abc import Iterable, Iterator
from typing import Any

from ..errors import AbcUsageError
from .options import CleanOptions
from .reader import RawTune
from .stage import Outcome, process_chunk

CHUNK_SIZE = 32
# How long to wait for the scheduler before saying it cannot be reached.
CONNECT_TIMEOUT = "30s"


def _client(scheduler: Any) -> tuple[Any, bool]:
    """A ``distributed.Client`` for ``scheduler`` (an address such as
    ``tcp://10.0.0.5:8786``, or a Client, or a LocalCluster); True when we opened it."""
    try:
        # Imported by name: the extra is optional, and mypy must pass without it.
        client_class: Any = importlib.import_module("distributed").Client
    except ImportError:
        raise AbcUsageError(
            "--dask needs dask.distributed: pip install 'abcparse[dask]'"
        ) from None
    if isinstance(scheduler, client_class):
        return scheduler, False
    try:
        return client_class(scheduler, timeout=CONNECT_TIMEOUT), True
    except (OSError, TimeoutError, ValueError) as e:
        raise AbcUsageError(f"cannot reach the Dask scheduler {scheduler!r}: {e}") from None


def run_dask(
    tunes: Iterable[RawTune],
    options: CleanOptions,
    scheduler: Any,
    chunk_size: int = CHUNK_SIZE,
) -> Iterator[Outcome]:
    """Run the stage on the cluster; outcomes in input order."""
    client, owned = _client(scheduler)
    try:
        workers = max(len(client.scheduler_info().get("workers", {})), 1)
        window = 4 * workers
        pending: deque[Any] = deque()
        options_future = client.scatter(options, broadcast=True)
        chunk: list[RawTune] = []
        for raw in tunes:
            chunk.append(raw)
            if len(chunk) >= chunk_size:
                pending.append(client.submit(process_chunk, chunk, options_future, pure=False))
                chunk = []
                while len(pending) >= window:
                    yield from pending.popleft().result()
        if chunk:
            pending.append(client.submit(process_chunk, chunk, options_future, pure=False))
        while pending:
            yield from pending.popleft().result()
    finally:
        if owned:
            client.close()
