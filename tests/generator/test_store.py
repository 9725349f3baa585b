"""Model folders: manifest checks, refusal of altered or unsafe files, clear messages."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from abcparse.generator.store import (
    ModelIntegrityError,
    ModelLoadError,
    load_model_dir,
    sha256_file,
)


def test_round_trip(random_model_dir: Path) -> None:
    loaded = load_model_dir(random_model_dir)
    manifest = json.loads((random_model_dir / "manifest.json").read_text())
    assert set(manifest["files"]) == {"config.json", "vocab.json", "weights.npz"}
    for name, digest in manifest["files"].items():
        assert sha256_file(random_model_dir / name) == digest
    assert loaded.metrics == {"valid_bpc": 9.9}
    assert loaded.config.lstm_units == (16, 12)


def test_altered_weights_are_refused_naming_the_file(random_model_dir: Path) -> None:
    wpath = random_model_dir / "weights.npz"
    data = bytearray(wpath.read_bytes())
    data[len(data) // 2] ^= 0x01  # one flipped bit inside an array
    wpath.write_bytes(bytes(data))
    with pytest.raises(ModelIntegrityError, match=r"weights\.npz.*sha256"):
        load_model_dir(random_model_dir)


def test_altered_config_is_refused(random_model_dir: Path) -> None:
    cpath = random_model_dir / "config.json"
    cpath.write_text(cpath.read_text().replace('"dropout": 0.3', '"dropout": 0.5'))
    with pytest.raises(ModelIntegrityError, match=r"config\.json"):
        load_model_dir(random_model_dir)


def test_missing_pieces(random_model_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match="not found"):
        load_model_dir(tmp_path / "nowhere")
    copy = tmp_path / "copy"
    shutil.copytree(random_model_dir, copy)
    (copy / "vocab.json").unlink()
    with pytest.raises(ModelLoadError, match=r"vocab\.json: missing"):
        load_model_dir(copy)
    (copy / "manifest.json").unlink()
    with pytest.raises(ModelLoadError, match=r"manifest\.json: missing"):
        load_model_dir(copy)


def test_pickled_arrays_are_never_loaded(random_model_dir: Path) -> None:
    """Even with a manifest that matches, an object array (pickle) is refused."""
    wpath = random_model_dir / "weights.npz"
    with np.load(wpath, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    arrays["embedding"] = np.array([{"evil": 1}], dtype=object)
    np.savez(wpath, **arrays)
    manifest_path = random_model_dir / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["files"]["weights.npz"] = sha256_file(wpath)
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(ModelLoadError, match="weights"):
        load_model_dir(random_model_dir)
