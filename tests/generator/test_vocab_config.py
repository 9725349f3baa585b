"""Vocabulary and config: reserved ids, the unknown token, JSON round trips, bad input."""

from __future__ import annotations

import json

import numpy as np
import pytest
from abcparse.generator.config import ConfigError, GeneratorConfig
from abcparse.generator.data import pad_batch, split_tunes, tune_sequences
from abcparse.generator.vocab import BOS, PAD, UNK, Vocab, VocabError


def test_unseen_characters_map_to_unknown_token() -> None:
    v = Vocab.from_texts(["X:1\nK:D\nABc|\n"])
    ids = v.encode("AB§c€")
    assert ids[2] == UNK and ids[4] == UNK
    assert ids[0] == v.id_of("A") and ids[3] == v.id_of("c")
    assert v.decode(ids) == "AB\ufffdc\ufffd"


def test_reserved_ids_and_json_round_trip() -> None:
    v = Vocab.from_texts(["K:G\nGAB é\n"])
    assert (PAD, UNK, BOS) == (0, 1, 2)
    assert min(v.id_of(c) for c in v.chars) == 3
    again = Vocab.from_json(v.to_json())
    assert again == v
    assert v.to_json().isascii()  # non-ASCII letters are escaped: stable bytes, stable sha256
    with pytest.raises(VocabError):
        Vocab.from_json(json.dumps({"version": 1, "reserved": ["<unk>"], "chars": ["a"]}))


def test_config_round_trip_and_inline_override() -> None:
    c = GeneratorConfig.from_arg('{"lstm_units": [64, 32], "dropout": 0.1}')
    assert c.lstm_units == (64, 32) and c.dropout == 0.1
    assert c.embedding_dim == GeneratorConfig().embedding_dim
    assert GeneratorConfig.from_json(c.to_json()) == c


@pytest.mark.parametrize(
    "bad",
    ['{"lstm_unitz": [8]}', '{"lstm_units": []}', '{"dropout": 1.5}', "[1, 2]", "{not json",
     '{"copy_heads": -1}', '{"copy_heads": 17}', '{"copy_dim": 0}', '{"copy_heads": true}',
     '{"lstm_units": [8192], "copy_heads": 16, "copy_dim": 8192}'],
)
def test_bad_config_is_refused(bad: str) -> None:
    with pytest.raises(ConfigError):
        GeneratorConfig.from_arg(bad)


def test_tunes_become_bos_prefixed_sequences_ending_with_blank_line() -> None:
    tunes = split_tunes("X:1\nK:D\nAB|\n\n\nX:2\r\nK:G\r\nG|\r\n")
    assert tunes == ["X:1\nK:D\nAB|\n", "X:2\nK:G\nG|\n"]
    v = Vocab.from_texts(tunes)
    (seq,) = tune_sequences(tunes[0], v, max_len=100)
    assert seq[0] == BOS
    assert v.decode(seq[1:]) == tunes[0] + "\n"  # every character plus the end-of-tune newline
    pieces = tune_sequences(tunes[0], v, max_len=4)
    # Every character is a target exactly once across the pieces.
    assert sum(len(p) - 1 for p in pieces) == len(seq) - 1
    x, y = pad_batch([seq, pieces[-1]])
    assert x.shape == y.shape == (2, len(seq) - 1)
    assert np.all(y[1, len(pieces[-1]) - 1 :] == PAD)


@pytest.mark.parametrize("config", [
    GeneratorConfig(), GeneratorConfig(lstm_units=(64, 32), copy_heads=3, copy_dim=5),
])
def test_the_weight_count_is_that_of_the_arrays(config: GeneratorConfig) -> None:
    """One count of a model's weights, used to refuse a config before training or loading
    (config.network_parameters), agrees with the arrays a model folder holds (layout)."""
    from abcparse.generator.config import network_parameters
    from abcparse.generator.layout import expected_shapes

    arrays = sum(int(np.prod(s)) for s in expected_shapes(config, 90).values())
    assert network_parameters(config.embedding_dim, config.lstm_units, 90, config.copy_heads,
                           config.copy_dim) == arrays
