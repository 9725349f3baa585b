"""Pausing Python's cyclic garbage collector while one tune is built or read.

Parsing a tune allocates a few objects per input byte (tokens, notes, spans), none of them
in reference cycles that need the collector: reference counting frees everything that
becomes garbage. The cyclic collector nevertheless runs every few hundred allocations,
and each time the long-lived heap has grown by a quarter it walks the whole heap. On a
huge tune (one 10 MB line, a 100,000-line tune) that walking was most of the time (3.5x
the parse itself for an 800 KB tune of open quotes), and, since it starts only once the
heap outgrows what the interpreter already holds, it made time grow faster than the
input over the sizes people use.

:func:`paused_gc` turns the collector off for the duration of one tune's work, and back
on afterwards; any cyclic garbage made meanwhile is collected by the next collection,
whose first pass walks every object the tune made that is still alive (a caller who keeps
a big model pays for that pass; see docs/api.md).
It changes no result, only when the collector runs. It is safe to nest and to use from
several threads: it re-enables the collector only if it was the one that turned it off,
and never enables a collector the caller had disabled (at worst a concurrent caller's
tune is finished with the collector on, which is only slower).
"""

from __future__ import annotations

import functools
import gc
from collections.abc import Callable
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")

__all__ = ["paused_gc"]


class paused_gc:
    """The body of a ``with paused_gc():`` runs with Python's cyclic garbage collector
    paused (see the module).

    A class rather than a ``@contextmanager`` generator: it is entered once per tune and
    makes no object on the way out (the generator's exit raised a ``StopIteration`` just
    after the collector was switched back on, which ran the collector's first pass over
    everything the tune had made right there; now that pass comes at the caller's next
    allocation, the same work).

    >>> import gc
    >>> with paused_gc():
    ...     gc.isenabled()
    False
    >>> gc.isenabled()
    True
    """

    __slots__ = ("_paused",)

    def __call__(self, func: Callable[P, R]) -> Callable[P, R]:
        """As a decorator (``@paused_gc()``): each call of ``func`` runs paused, with a
        context of its own (so calls may nest or run in several threads)."""

        @functools.wraps(func)
        def paused(*args: P.args, **kwargs: P.kwargs) -> R:
            with paused_gc():
                return func(*args, **kwargs)

        return paused

    def __enter__(self) -> None:
        self._paused = gc.isenabled()
        if self._paused:
            gc.disable()

    def __exit__(self, *exc_info: object) -> None:
        if self._paused:
            gc.enable()
