"""Command-line tools: ``abcparse`` (:mod:`.main`) and ``abc-lint`` (:mod:`.lint`)."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from collections.abc import Callable
from types import FrameType

from ..errors import AbcError


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


def run_command(prog: str, command: Callable[[], int]) -> int:
    """Run a console script's command with the exit codes every one of them keeps: a usage
    or I/O error (:class:`AbcError`) is one line and exit 2, never a traceback; Ctrl-C 130;
    SIGTERM 143 (after the clean-up, see :class:`Terminated`); a reader that went away
    (``abc-lint ... | head``) 1, quietly."""
    exit_cleanly_on_sigterm()
    try:
        return int(command())
    except AbcError as e:
        print(f"{prog}: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return 130
    except Terminated:
        print(f"{prog}: terminated", file=sys.stderr)
        return 143
    except BrokenPipeError:
        # Point stdout at /dev/null so the interpreter's final flush does not complain.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
