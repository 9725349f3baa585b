"""Character vocabulary with reserved ids, saved as ``vocab.json``.

Ids 0..2 are reserved:

* ``PAD`` (0) right-pads batches; it is never a training target (its loss weight is 0).
* ``UNK`` (1) stands for every character that was not in the training text, so a corpus
  with a stray ``§`` or a new accented title letter still encodes and gets a finite loss.
* ``BOS`` (2) is fed first for every tune. Training starts every tune from a zero state
  after ``BOS``, exactly as sampling does, so the model's very first prediction (``X``) is
  trained rather than assumed.

The sampler never emits a reserved id. The end of a tune is not a token but text: a blank
line, ``END_OF_TUNE`` (the tune's last line ends in ``\\n`` and the model then writes one more
``\\n``), which is also how tunes are separated in the corpus files.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from . import limits
from .limits import clip

PAD, UNK, BOS = 0, 1, 2
RESERVED = ("<pad>", "<unk>", "<bos>")
END_OF_TUNE = "\n\n"
VOCAB_VERSION = 1
#: Largest vocab.json; the shipped one has about 600 bytes.
MAX_VOCAB_BYTES = 1024 * 1024


class VocabError(ValueError):
    """A vocab.json that is malformed; the message is one short line."""

    def __init__(self, message: str) -> None:
        super().__init__(clip(message))


@dataclass(frozen=True, slots=True)
class Vocab:
    """Maps characters to ids (``len(RESERVED)`` onwards) and back."""

    chars: tuple[str, ...]

    def __post_init__(self) -> None:
        if len(self.chars) > limits.MAX_VOCAB_CHARS:
            raise VocabError(
                f"{len(self.chars):,} characters; a vocabulary holds at most"
                f" {limits.MAX_VOCAB_CHARS:,}"
            )
        if len(set(self.chars)) != len(self.chars):
            raise VocabError("vocabulary characters must be unique")
        if any(len(c) != 1 for c in self.chars):
            raise VocabError("vocabulary entries must be single characters")

    @classmethod
    def from_texts(cls, texts: Iterable[str]) -> Vocab:
        """Every character of the training texts, sorted so the ids do not depend on order."""
        seen: set[str] = set()
        for t in texts:
            seen.update(t)
        # The end-of-tune newline must be a token even for a one-line toy corpus.
        seen.add("\n")
        return cls(tuple(sorted(seen)))

    @property
    def size(self) -> int:
        return len(RESERVED) + len(self.chars)

    def __len__(self) -> int:
        return self.size

    @property
    def _index(self) -> dict[str, int]:
        # Built per call is too slow for long texts; cache on the instance via object.__setattr__
        # is impossible with slots, so keep a module-level cache keyed by the chars tuple.
        idx = _INDEX_CACHE.get(self.chars)
        if idx is None:
            idx = {c: i + len(RESERVED) for i, c in enumerate(self.chars)}
            _INDEX_CACHE[self.chars] = idx
        return idx

    def id_of(self, ch: str) -> int:
        return self._index.get(ch, UNK)

    def encode(self, text: str) -> np.ndarray:
        """Text → int32 ids; unseen characters become ``UNK``."""
        idx = self._index
        return np.fromiter((idx.get(c, UNK) for c in text), dtype=np.int32, count=len(text))

    def decode(self, ids: Sequence[int] | np.ndarray) -> str:
        """Ids → text. Reserved ids decode to nothing except UNK, which decodes to U+FFFD."""
        out = []
        n = len(RESERVED)
        for i in ids:
            i = int(i)
            if i >= n:
                out.append(self.chars[i - n])
            elif i == UNK:
                out.append("\ufffd")
        return "".join(out)

    def char_of(self, i: int) -> str:
        """The character of a non-reserved id (the sampler's fast path)."""
        return self.chars[i - len(RESERVED)]

    def to_dict(self) -> dict[str, Any]:
        return {"version": VOCAB_VERSION, "reserved": list(RESERVED), "chars": list(self.chars)}

    def to_json(self) -> str:
        # ensure_ascii keeps the file pure ASCII: control characters and non-ASCII letters are
        # escaped, so the file's bytes (and its sha256) never depend on an editor's encoding.
        return json.dumps(self.to_dict(), indent=1, ensure_ascii=True) + "\n"

    @classmethod
    def from_dict(cls, data: Any) -> Vocab:
        if not isinstance(data, dict) or data.get("version") != VOCAB_VERSION:
            raise VocabError("vocab.json: not a version-1 vocabulary object")
        if data.get("reserved") != list(RESERVED):
            raise VocabError(f"vocab.json: reserved ids must be {list(RESERVED)}")
        chars = data.get("chars")
        if isinstance(chars, list) and len(chars) > limits.MAX_VOCAB_CHARS:
            raise VocabError(
                f"vocab.json: {len(chars):,} characters; at most {limits.MAX_VOCAB_CHARS:,}"
            )
        if not isinstance(chars, list) or not all(isinstance(c, str) for c in chars):
            raise VocabError("vocab.json: 'chars' must be a list of strings")
        return cls(tuple(chars))

    @classmethod
    def from_json(cls, text: str | bytes) -> Vocab:
        try:
            data = limits.loads(text)
        except json.JSONDecodeError as exc:
            raise VocabError(f"vocab.json is not valid JSON: {exc}") from None
        except ValueError as exc:
            raise VocabError(f"vocab.json: {exc}") from None
        return cls.from_dict(data)

    @classmethod
    def from_file(cls, path: str | Path) -> Vocab:
        """Read a vocab.json (at most :data:`MAX_VOCAB_BYTES`, a regular file)."""
        try:
            data = limits.read_capped(path, MAX_VOCAB_BYTES, "vocabulary")
        except OSError as exc:
            raise VocabError(f"cannot read {path}: {exc.strerror or exc}") from None
        except limits.LimitError as exc:
            raise VocabError(str(exc)) from None
        return cls.from_json(data)


_INDEX_CACHE: dict[tuple[str, ...], dict[str, int]] = {}
