# The compiled loops (abcparse/_speedups.c); see abcparse.speedups.
from typing import Any

class Maker:
    def __init__(self, cls: type, slots: tuple[Any, ...], untrack: bool = False,
                 copy: int = -1) -> None: ...
    def __call__(self, *values: Any) -> Any: ...

def scan(text: str, pos: int, lim: int, pure: dict[str, Any], native: bytes,
         children: list[Any], /) -> int: ...
def take_run(children: list[Any], elements: list[Any], shapes: dict[str, Any], text: str,
             start_factor: int, end_factor: int, term: int, line_start: int,
             max_length: int, max_col: int, shape_of: Any, note_type: type,
             shape_slot: Any, span_slot: Any, quoted_memo: dict[str, Any],
             quoted_parts: Any, /) -> tuple[int, int, int]: ...
def token_end(text: str, pos: int, kind: int, /) -> int: ...

