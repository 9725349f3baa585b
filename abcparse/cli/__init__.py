"""Command-line tools: ``abcparse`` (:mod:`.main`) and ``abc-lint`` (:mod:`.lint`)."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from collections.abc import Callable, Iterator
from types import FrameType

from ..errors import AbcError

#: The words that start the one line of an unexpected exception (a bug).
INTERNAL_ERROR = "internal error"


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


@contextlib.contextmanager
def sigterm_held() -> Iterator[None]:
    """SIGTERM held back while the body runs and delivered (as :class:`Terminated`) when
    it ends. For starting a child process: ``subprocess.Popen`` forks, then waits for the
    child's exec; SIGTERM raised in that wait left the child running with no
    ``Popen`` to stop it (a synthesizer went on writing the WAV the clean-up had just
    removed). Held, it lands once ``Popen`` has returned, where the caller stops the
    child. Where threads cannot mask signals (Windows), the body runs as it is."""
    mask = getattr(signal, "pthread_sigmask", None)
    if mask is None:
        yield
        return
    old = mask(signal.SIG_BLOCK, {signal.SIGTERM})
    try:
        yield
    finally:
        mask(signal.SIG_SETMASK, old)


def run_command(prog: str, command: Callable[[], int]) -> int:
    """Run a console script's command with the exit codes every one of them keeps: a usage
    or I/O error (:class:`AbcError`) is one line and exit 2, never a traceback; any other
    exception (a bug) is one line naming it, and exit 2; Ctrl-C 130;
    SIGTERM 143 (after the clean-up, see :class:`Terminated`); a reader that went away
    (``abc-lint ... | head``) 1, quietly."""
    exit_cleanly_on_sigterm()
    # Undecodable input bytes live on as lone surrogates (U+DC80-U+DCFF) in the messages
    # that quote them; a strict UTF-8 stream (PYTHONIOENCODING=utf-8, a pipe in some
    # locales) would fail on them. Written as \udcXX instead: readable, and still valid
    # inside a JSON string. (Output that must keep the bytes, such as ``format -``, is
    # written to the binary buffer and is not affected.)
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(AttributeError, ValueError):
            stream.reconfigure(errors="backslashreplace")  # type: ignore[union-attr]
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
    except Exception as e:
        # The last resort (docs/cli.md): a bug must still reach the user as one line and
        # exit 2, not a traceback; ABCPARSE_DEBUG=1 shows the traceback for the report.
        if os.environ.get("ABCPARSE_DEBUG"):
            raise
        print(f"{prog}: {INTERNAL_ERROR} ({type(e).__name__}: {str(e)[:200]}); this is a bug"
              " in abcparse: please report it with the input (ABCPARSE_DEBUG=1 shows the"
              " traceback)", file=sys.stderr)
        return 2
