"""Sizes and training settings of the character LSTM, saved as ``config.json``.

One frozen dataclass holds both the architecture (what :func:`generator.model.build_model` and
the NumPy sampler need to rebuild the network) and the training recipe (so a model folder says
how it was made and ``--resume`` continues with the same settings).

Why these defaults
------------------
Measured on a provisional split of the MIT Irish corpus (642/93/71 tunes, 143k/22k/15k
characters; fields X T M L K + body, ``!`` line breaks removed) on the project's 2-core CPU,
each run bounded by ``--max-minutes``. bits/char is on the validation file, whole tunes
including headers and the end-of-tune blank line; the 5-gram line is
``benchmarks/ngram_baseline.py`` on the same files.

MEASUREMENTS_TABLE

The chosen default is marked ``<-``; see the issue-7 report in the README for the commands.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CONFIG_VERSION = 1


class ConfigError(ValueError):
    """A config.json (or --config value) that is malformed or out of range."""


@dataclass(frozen=True, slots=True)
class GeneratorConfig:
    """Architecture and training recipe of one model.

    Architecture: ``embedding_dim`` → LSTM layers of ``lstm_units`` (dropout ``dropout``
    between layers and before the output layer) → Dense over the vocabulary.
    """

    embedding_dim: int = 64
    lstm_units: tuple[int, ...] = (512, 512)
    dropout: float = 0.3
    # Training recipe.
    batch_size: int = 32
    max_len: int = 768
    learning_rate: float = 2e-3
    clipnorm: float = 1.0
    epochs: int = 40
    patience: int = 4
    lr_decay: float = 0.5
    augment: bool = False
    augment_prob: float = 0.5
    weights_dtype: str = "float16"

    def __post_init__(self) -> None:
        # Normalise lists from JSON to tuples so configs compare and hash as values.
        object.__setattr__(self, "lstm_units", tuple(int(u) for u in self.lstm_units))
        self.validate()

    def validate(self) -> None:
        """Reject values that would build a broken or absurd model; why: fail before training."""
        if self.embedding_dim < 1:
            raise ConfigError("embedding_dim must be at least 1")
        if not self.lstm_units or any(u < 1 for u in self.lstm_units):
            raise ConfigError("lstm_units must list at least one positive layer size")
        if not 0.0 <= self.dropout < 1.0:
            raise ConfigError("dropout must be in [0, 1)")
        if self.batch_size < 1 or self.max_len < 2:
            raise ConfigError("batch_size must be >= 1 and max_len >= 2")
        if self.learning_rate <= 0 or self.clipnorm <= 0:
            raise ConfigError("learning_rate and clipnorm must be positive")
        if self.epochs < 0 or self.patience < 1:
            raise ConfigError("epochs must be >= 0 and patience >= 1")
        if not 0.0 < self.lr_decay <= 1.0:
            raise ConfigError("lr_decay must be in (0, 1]")
        if not 0.0 <= self.augment_prob <= 1.0:
            raise ConfigError("augment_prob must be in [0, 1]")
        if self.weights_dtype not in ("float16", "float32"):
            raise ConfigError("weights_dtype must be 'float16' or 'float32'")

    def replace(self, **changes: Any) -> GeneratorConfig:
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["lstm_units"] = list(self.lstm_units)
        d["version"] = CONFIG_VERSION
        return d

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GeneratorConfig:
        if not isinstance(data, dict):
            raise ConfigError("config must be a JSON object")
        data = dict(data)
        version = data.pop("version", CONFIG_VERSION)
        if version != CONFIG_VERSION:
            raise ConfigError(f"unsupported config version {version!r}")
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(f"unknown config keys: {', '.join(unknown)}")
        try:
            return cls(**data)
        except (TypeError, ValueError) as exc:
            if isinstance(exc, ConfigError):
                raise
            raise ConfigError(f"bad config value: {exc}") from exc

    @classmethod
    def from_json(cls, text: str) -> GeneratorConfig:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"config is not valid JSON: {exc}") from exc
        return cls.from_dict(data)

    @classmethod
    def from_file(cls, path: str | Path) -> GeneratorConfig:
        return cls.from_json(Path(path).read_text(encoding="utf-8"))

    @classmethod
    def from_arg(cls, value: str) -> GeneratorConfig:
        """``--config`` accepts inline JSON (``'{"lstm_units": [256]}'``) or a file path.

        Inline JSON overrides the defaults key by key, so a one-key change needs one key.
        """
        text = value.strip()
        if not text.startswith("{"):
            path = Path(value)
            if not path.is_file():
                raise ConfigError(f"config file not found: {value}")
            text = path.read_text(encoding="utf-8")
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"config is not valid JSON: {exc}") from exc
        if not isinstance(data, dict):
            raise ConfigError("config must be a JSON object")
        base = cls().to_dict()
        base.update(data)
        return cls.from_dict(base)
