"""Training with TensorFlow: the loss falls, files are complete, resume works, and the NumPy
inference path gives the Keras model's probabilities."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("tensorflow")

from abcparse.generator.config import GeneratorConfig
from abcparse.generator.sampler import NumpyLSTM
from abcparse.generator.store import load_model_dir
from abcparse.generator.train import TrainError, TrainResult, train

TINY = GeneratorConfig(
    embedding_dim=8, lstm_units=(24, 16), dropout=0.1, batch_size=4, learning_rate=1e-2,
    epochs=4, patience=2, weights_dtype="float32", augment=False,
)


@pytest.fixture(scope="module")
def trained(
    tmp_path_factory: pytest.TempPathFactory, tiny_corpus: str
) -> tuple[TrainResult, Path, Path]:
    base = tmp_path_factory.mktemp("train")
    tr, va = base / "train.abc", base / "valid.abc"
    tr.write_text(tiny_corpus, encoding="utf-8")
    tunes = tiny_corpus.split("\n\n")
    va.write_text(tunes[0] + "\n\n" + tunes[1] + "\n", encoding="utf-8")
    result = train(tr, va, base / "model", TINY, seed=3)
    return result, tr, va


def test_loss_falls_and_folder_is_complete(trained: tuple[TrainResult, Path, Path]) -> None:
    result, _, _ = trained
    hist = result.history
    assert len(hist) >= 3
    assert hist[-1]["train_bpc"] < hist[0]["train_bpc"] - 0.5
    assert min(h["valid_bpc"] for h in hist) < hist[0]["valid_bpc"]
    manifest = json.loads((result.out_dir / "manifest.json").read_text())
    for key in ("train_bpc", "valid_bpc", "epochs", "train_seconds", "corpus_sha256"):
        assert key in manifest["metrics"]
    loaded = load_model_dir(result.out_dir)  # manifest sums check out
    # The saved config is the training config plus the cache fitted on the validation set.
    assert loaded.config.replace(cache_theta=0.0, cache_bias=0.0, cache_scale=0.0) == TINY
    assert manifest["metrics"]["valid_bpc"] <= manifest["metrics"]["valid_bpc_lstm"]
    # The reported valid bits/char is that of the saved weights.
    net = NumpyLSTM.from_loaded(loaded)
    from abcparse.generator.data import read_tunes

    valid = read_tunes(trained[2])
    assert net.bits_per_char(valid) == pytest.approx(manifest["metrics"]["valid_bpc"], abs=1e-3)


def test_numpy_path_equals_keras_probabilities(trained: tuple[TrainResult, Path, Path]) -> None:
    from abcparse.generator.model import keras_probabilities, load_keras_model

    model, loaded = load_keras_model(trained[0].out_dir)
    v = loaded.vocab
    texts = ["X:1\nT:Tune 1\nM:6/8\nK:D\n|:dAF dAF|", "X:2\nK:G\nGAB d2B|c2A B§G|zz"]
    width = max(len(t) for t in texts)
    ids = np.zeros((len(texts), width + 1), dtype=np.int32)
    for r, t in enumerate(texts):
        ids[r, 0] = 2  # BOS
        ids[r, 1 : len(t) + 1] = v.encode(t)
    want = keras_probabilities(model, ids)
    got = NumpyLSTM.from_loaded(loaded).sequence_probabilities(ids)
    np.testing.assert_allclose(got, want, atol=1e-4)


def test_resume_continues_from_checkpoint(tmp_path: Path,
                                          corpus_files: tuple[Path, Path]) -> None:
    tr, va = corpus_files
    cfg = TINY.replace(epochs=1, lstm_units=(16,))
    first = train(tr, va, tmp_path / "m", cfg, seed=1)
    assert first.metrics["epochs"] == 1
    second = train(tr, va, tmp_path / "m", None, resume=True, epochs=2)
    assert [h["epoch"] for h in second.history] == [1, 2]
    assert second.history[0] == first.history[0]
    with pytest.raises(TrainError, match="no checkpoint"):
        train(tr, va, tmp_path / "fresh", None, resume=True)


def test_max_minutes_bounds_training(tmp_path: Path, corpus_files: tuple[Path, Path]) -> None:
    tr, va = corpus_files
    res = train(tr, va, tmp_path / "m", TINY.replace(epochs=50, lstm_units=(8,)),
                max_minutes=1e-6)
    assert res.metrics["stopped"] == "time" and res.metrics["epochs"] <= 1
    load_model_dir(res.out_dir)


def test_cli_train_writes_a_loadable_model(
    tmp_path: Path, corpus_files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    from abcparse.generator import cli

    tr, va = corpus_files
    out = tmp_path / "cli_model"
    rc = cli.main(["train", "--train", str(tr), "--valid", str(va), "--out", str(out),
                   "--epochs", "1", "--seed", "4", "--augment",
                   "--config", '{"embedding_dim": 4, "lstm_units": [8], "batch_size": 4}'])
    assert rc == 0
    assert "valid" in capsys.readouterr().err  # one summary line; no progress bar off a tty
    loaded = load_model_dir(out)
    assert loaded.config.augment is True and loaded.metrics["epochs"] == 1


def test_damaged_checkpoint_is_a_train_error(tmp_path: Path,
                                             corpus_files: tuple[Path, Path]) -> None:
    tr, va = corpus_files
    train(tr, va, tmp_path / "m", TINY.replace(epochs=1, lstm_units=(8,)), seed=1)
    (tmp_path / "m" / "checkpoint" / "optimizer.npz").write_bytes(b"garbage")
    with pytest.raises(TrainError, match="damaged checkpoint"):
        train(tr, va, tmp_path / "m", None, resume=True, epochs=2)
    (tmp_path / "m" / "checkpoint" / "state.json").write_text("{")
    with pytest.raises(TrainError, match="damaged checkpoint"):
        train(tr, va, tmp_path / "m", None, resume=True, epochs=2)


def test_init_warm_starts_from_a_model_and_adds_new_characters(
    tmp_path: Path, trained: tuple[TrainResult, Path, Path]
) -> None:
    """``--init``: the first epoch starts where the start model ended (its validation
    bits/char, not a random model's), and characters the start model never saw join the
    vocabulary."""
    result, tr, va = trained
    start = load_model_dir(result.out_dir)
    extra = tmp_path / "train.abc"
    extra.write_text(tr.read_text(encoding="utf-8") + "\nX:99\nT:Qjzq\nK:C\nCDEF|]\n",
                     encoding="utf-8")
    warm = train(extra, va, tmp_path / "warm", TINY.replace(epochs=1), seed=4,
                 init=result.out_dir)
    loaded = load_model_dir(warm.out_dir)
    assert set(start.vocab.chars) < set(loaded.vocab.chars)
    assert {"j", "z", "Q"} <= set(loaded.vocab.chars)
    fresh = train(extra, va, tmp_path / "cold", TINY.replace(epochs=1), seed=4)
    assert warm.history[0]["valid_bpc"] < fresh.history[0]["valid_bpc"] - 0.5
    assert warm.metrics["init_weights_sha256"]


def test_init_with_other_layers_is_a_train_error(
    tmp_path: Path, trained: tuple[TrainResult, Path, Path]
) -> None:
    result, tr, va = trained
    with pytest.raises(TrainError, match="differ from the config"):
        train(tr, va, tmp_path / "m", TINY.replace(lstm_units=(8,)), init=result.out_dir)


def test_copy_heads_numpy_path_equals_keras_and_warm_start_keeps_predictions(
    tmp_path: Path, trained: tuple[TrainResult, Path, Path]
) -> None:
    """Copy heads (generator.model.CopyAttention): the NumPy sampler's step-by-step reading
    of the heads gives Keras's probabilities; ``--init`` from a model without heads adds
    them with their output rows at zero, so the warm model starts as the start model."""
    from abcparse.generator.model import (
        build_model,
        get_weights,
        keras_probabilities,
        load_keras_model,
    )
    from abcparse.generator.sampler import softmax
    from abcparse.generator.train import warm_weights

    result, tr, va = trained
    start = load_model_dir(result.out_dir)
    config = TINY.replace(copy_heads=2, copy_dim=6)
    fresh = get_weights(build_model(config, start.vocab.size), config)
    warm = warm_weights(start, start.vocab, fresh)
    texts = ["X:1\nT:Tune 1\nM:6/8\nK:D\n|:dAF dAF|dAF dAF|", "X:2\nK:G\nGAB d2B|GAB d2B|zz"]
    width = max(len(t) for t in texts)
    ids = np.zeros((len(texts), width + 1), dtype=np.int32)
    for r, t in enumerate(texts):
        ids[r, 0] = 2  # BOS
        ids[r, 1 : len(t) + 1] = start.vocab.encode(t)
    plain = NumpyLSTM(start.config.replace(cache_theta=0.0), start.vocab, start.weights)
    headed = NumpyLSTM(config, start.vocab, warm)
    np.testing.assert_allclose(headed.sequence_probabilities(ids),
                               plain.sequence_probabilities(ids), atol=1e-6)

    model_dir = train(tr, va, tmp_path / "copy", config.replace(epochs=2), seed=5,
                      init=result.out_dir).out_dir
    model, loaded = load_keras_model(model_dir)
    assert loaded.config.copy_heads == 2
    want = keras_probabilities(model, ids)
    got = softmax(NumpyLSTM(loaded.config.replace(cache_theta=0.0), loaded.vocab,
                            loaded.weights).sequence_logits(ids))
    np.testing.assert_allclose(got, want, atol=1e-4)
    samples = NumpyLSTM.from_loaded(loaded).sample_batch(3, seed=1, max_chars=300)
    assert len(samples) == 3 and all(s.text.startswith("X:1\n") for s in samples)
