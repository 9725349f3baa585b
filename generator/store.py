"""A model folder on disk: ``config.json``, ``vocab.json``, ``weights.npz``, ``manifest.json``.

Why this shape: a model is data a user may download from anywhere, so loading it must never
execute anything. The folder holds JSON and a NumPy ``.npz`` of plain float arrays, read with
``allow_pickle=False``; the network is rebuilt in code from the config. ``manifest.json``
records the sha256 of every other file (and the training metrics), and :func:`load_model_dir`
refuses a folder whose files do not match it, naming the file, so a truncated download or a
hand-edited weight file fails loudly instead of sampling garbage.

This module imports NumPy only: the sampler loads models without TensorFlow.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .config import ConfigError, GeneratorConfig
from .layout import expected_shapes
from .vocab import Vocab, VocabError

MANIFEST = "manifest.json"
CONFIG = "config.json"
VOCAB = "vocab.json"
WEIGHTS = "weights.npz"
FORMAT = "abcparse-generator-model"
FORMAT_VERSION = 1
REQUIRED = (CONFIG, VOCAB, WEIGHTS)
# Optional: the training corpus, so ``abcparse generate`` can reject tunes too close to a
# training tune without the user pointing at the corpus; verified like the others when the
# manifest lists it.
TRAIN_CORPUS = "train.abc"


class ModelLoadError(Exception):
    """A model folder that cannot be used; the message is one line meant for the user."""


class ModelIntegrityError(ModelLoadError):
    """A file of the model folder does not match the sha256 recorded in its manifest."""


@dataclass(frozen=True, slots=True)
class LoadedModel:
    """Everything needed to rebuild and run a model, read and checked from a folder."""

    path: Path
    config: GeneratorConfig
    vocab: Vocab
    weights: dict[str, np.ndarray]
    metrics: dict[str, Any] = field(default_factory=dict)
    files: tuple[str, ...] = REQUIRED  # every file the manifest lists (all verified)

    @property
    def train_corpus(self) -> Path | None:
        """The training corpus shipped in the folder, or None."""
        return self.path / TRAIN_CORPUS if TRAIN_CORPUS in self.files else None


def sha256_file(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Write via a temporary file in the same folder, fsync, ``os.replace``.

    Killed at any moment, the file is the old content or the new, never a mixture (the
    project's rule for every write).
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        # mkstemp creates 0600; a model folder is data to share (and to ship in a wheel), so
        # give it the permissions an ordinary file would get under the current umask.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def weights_to_bytes(weights: dict[str, np.ndarray], dtype: str = "float32") -> bytes:
    return npz_bytes({k: np.ascontiguousarray(v, dtype=dtype) for k, v in weights.items()})


def npz_bytes(arrays: dict[str, np.ndarray]) -> bytes:
    """An uncompressed ``.npz`` of plain arrays, in memory (each keeps its dtype)."""
    buf = io.BytesIO()
    savez: Any = np.savez  # NumPy's stubs mistype **kwds as the allow_pickle flag
    savez(buf, **arrays)
    return buf.getvalue()


def save_model_dir(
    out_dir: str | Path,
    config: GeneratorConfig,
    vocab: Vocab,
    weights: dict[str, np.ndarray],
    metrics: dict[str, Any] | None = None,
    extra_files: dict[str, bytes] | None = None,
) -> Path:
    """Write a complete model folder; the manifest goes last, so a folder with a valid
    manifest always has every file the manifest names. ``extra_files`` (name → bytes, e.g.
    the training corpus as ``train.abc``) are written and listed in the manifest too."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(out / CONFIG, config.to_json().encode("utf-8"))
    atomic_write_bytes(out / VOCAB, vocab.to_json().encode("utf-8"))
    atomic_write_bytes(out / WEIGHTS, weights_to_bytes(weights, config.weights_dtype))
    extras = dict(extra_files or {})
    for name, data in extras.items():
        if name in REQUIRED or name == MANIFEST or "/" in name or name.startswith("."):
            raise ValueError(f"extra file name not allowed: {name!r}")
        atomic_write_bytes(out / name, data)
    manifest = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "files": {name: sha256_file(out / name) for name in (*REQUIRED, *sorted(extras))},
        "metrics": metrics or {},
    }
    text = json.dumps(manifest, indent=2, sort_keys=True) + "\n"
    atomic_write_bytes(out / MANIFEST, text.encode("utf-8"))
    return out


def read_weights(path: str | Path) -> dict[str, np.ndarray]:
    """Plain arrays only: ``allow_pickle=False`` makes an object array an error, not code."""
    try:
        with np.load(path, allow_pickle=False) as z:
            return {k: np.asarray(z[k]) for k in z.files}
    except Exception as exc:  # ValueError (pickled arrays), OSError, zipfile.BadZipFile ...
        raise ModelLoadError(f"{path}: not a readable weights file ({exc})") from exc


def read_manifest(folder: Path) -> dict[str, Any]:
    mpath = folder / MANIFEST
    if not folder.is_dir():
        raise ModelLoadError(f"{folder}: model folder not found")
    if not mpath.is_file():
        raise ModelLoadError(f"{mpath}: missing; not a model folder")
    try:
        manifest = json.loads(mpath.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ModelLoadError(f"{mpath}: not valid JSON ({exc})") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ModelLoadError(f"{mpath}: not an abcparse generator manifest")
    if manifest.get("version") != FORMAT_VERSION:
        raise ModelLoadError(f"{mpath}: unsupported version {manifest.get('version')!r}")
    files = manifest.get("files")
    if not isinstance(files, dict):
        raise ModelLoadError(f"{mpath}: no 'files' table")
    return manifest


def verify_model_dir(folder: str | Path) -> dict[str, Any]:
    """Check every file the manifest lists (the required ones must be listed) against its
    sha256; return the manifest."""
    folder = Path(folder)
    manifest = read_manifest(folder)
    files: dict[str, Any] = manifest["files"]
    for name in REQUIRED:
        if name not in files:
            raise ModelIntegrityError(f"{folder / MANIFEST}: does not list {name}")
    for name in files:
        if not isinstance(name, str) or "/" in name or "\\" in name or name.startswith("."):
            raise ModelIntegrityError(f"{folder / MANIFEST}: bad file name {name!r}")
        fpath = folder / name
        if not fpath.is_file():
            raise ModelLoadError(f"{fpath}: missing from the model folder")
        if sha256_file(fpath) != files[name]:
            raise ModelIntegrityError(
                f"{fpath}: sha256 does not match {MANIFEST}; the file was altered or is corrupt"
            )
    return manifest


def load_model_dir(folder: str | Path) -> LoadedModel:
    """Verify, then read config, vocab and weights; check weight names and shapes."""
    folder = Path(folder)
    manifest = verify_model_dir(folder)
    try:
        config = GeneratorConfig.from_file(folder / CONFIG)
    except (ConfigError, UnicodeDecodeError) as exc:
        raise ModelLoadError(f"{folder / CONFIG}: {exc}") from exc
    try:
        vocab = Vocab.from_file(folder / VOCAB)
    except (VocabError, UnicodeDecodeError) as exc:
        raise ModelLoadError(f"{folder / VOCAB}: {exc}") from exc
    weights = read_weights(folder / WEIGHTS)
    want = expected_shapes(config, vocab.size)
    if set(weights) != set(want):
        missing = sorted(set(want) - set(weights))
        extra = sorted(set(weights) - set(want))
        raise ModelLoadError(
            f"{folder / WEIGHTS}: arrays do not fit config.json (missing {missing}, extra {extra})"
        )
    for name, shape in want.items():
        arr = weights[name]
        if tuple(arr.shape) != shape or arr.dtype.kind != "f":
            raise ModelLoadError(
                f"{folder / WEIGHTS}: {name} is {arr.dtype}{tuple(arr.shape)}, "
                f"expected float{shape}"
            )
        if not np.all(np.isfinite(arr)):
            raise ModelLoadError(f"{folder / WEIGHTS}: {name} holds NaN or infinite values")
    metrics = manifest.get("metrics")
    return LoadedModel(folder, config, vocab, weights,
                       metrics if isinstance(metrics, dict) else {},
                       tuple(manifest["files"]))
