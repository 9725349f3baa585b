"""Command-line tools: ``abcparse`` (:mod:`.main`) and ``abc-lint`` (:mod:`.lint`)."""

from __future__ import annotations

import contextlib
import os
import signal
from types import FrameType


class Terminated(BaseException):
    """SIGTERM, turned into an exception in the main process: Python's default action ends
    the process at once, which would leave the temporary files of an atomic write (or a
    half-rendered WAV) behind; as an exception it unwinds through the ``finally`` blocks
    that remove them. A BaseException, so that no ``except Exception`` swallows it."""


def exit_cleanly_on_sigterm() -> None:
    """Install the SIGTERM handler. Worker processes forked later inherit it; they end at
    once, as by default (a pool stops its workers with SIGTERM)."""
    main_pid = os.getpid()

    def handler(signum: int, frame: FrameType | None) -> None:
        if os.getpid() != main_pid:
            os._exit(128 + signum)
        raise Terminated

    # Only the main thread may set a handler (an embedding program may call main() from
    # another): then SIGTERM keeps its default action.
    with contextlib.suppress(ValueError):
        signal.signal(signal.SIGTERM, handler)
