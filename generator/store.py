"""A model folder on disk: ``config.json``, ``vocab.json``, ``weights.npz``, ``manifest.json``.

Why this shape: a model is data a user may download from anywhere, so loading it must never
execute anything. The folder holds JSON and a NumPy ``.npz`` of plain float arrays, read with
``allow_pickle=False``; the network is rebuilt in code from the config. ``manifest.json``
records the sha256 of every other file (and the training metrics), and :func:`load_model_dir`
refuses a folder whose files do not match it, naming the file, so a truncated download or a
hand-edited weight file fails loudly instead of sampling garbage.

Loading checks before it spends (issue 15): every file is a regular file (no symbolic link,
FIFO or device) under a size cap, read once; JSON is refused when it nests deeper or holds
longer numbers than any real file (:mod:`generator.limits`); the config's sizes are bounded
before any shape is computed; and ``weights.npz`` is inspected before anything in it is
decompressed: its end-of-central-directory record (how many members, how big the
directory), each member's name, compression and declared size, and each ``.npy`` header
(dtype, shape) must fit the config, and only then is each array read, at most the bytes
its shape needs. A zip bomb, a million-layer config or a 5,000-digit number is refused in
milliseconds with one line. Every error message is cut to one short line.

This module imports NumPy only: the sampler loads models without TensorFlow.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
import re
import struct
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np

from . import limits
from .config import MAX_CONFIG_BYTES, ConfigError, GeneratorConfig
from .layout import expected_shapes
from .limits import clip
from .vocab import MAX_VOCAB_BYTES, Vocab, VocabError

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

#: Caps on the files of a model folder, checked before a file is read or hashed.
MAX_MANIFEST_BYTES = 1024 * 1024
MAX_EXTRA_BYTES = 256 * 1024 * 1024  # train.abc and other listed extras
MAX_MANIFEST_FILES = 16
#: Bytes of a ``.npy`` header (NumPy writes 128 for these arrays) and of the zip's central
#: directory, beyond which a weights file is not one abcparse wrote.
MAX_NPY_HEADER = 4096
MAX_ZIP_DIRECTORY = 1024 * 1024
_ZIP_SLACK = 64 * 1024  # the end record's comment, member headers
_MEMBER_OVERHEAD = 512  # a member's local header and central-directory entry, name included
_FLOAT_SIZES = (2, 4, 8)
_SHA256_RE = re.compile(r"[0-9a-f]{64}")
_EOCD = struct.Struct("<4s4H2LH")


class ModelLoadError(Exception):
    """A model folder that cannot be used; the message is one line meant for the user, at
    most :data:`~generator.limits.MAX_MESSAGE` characters whatever the folder holds."""

    def __init__(self, message: str) -> None:
        super().__init__(clip(message))


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


# ---------------------------------------------------------------------------------------
# Reading weights.npz: headers first, data last


def _weights_bound(shapes: dict[str, tuple[int, ...]]) -> int:
    """The most bytes a weights.npz holding arrays of these shapes can take: float64 data,
    a maximal ``.npy`` header and zip bookkeeping per member, and the end record."""
    per_member = MAX_NPY_HEADER + _MEMBER_OVERHEAD
    return sum(math.prod(s) * 8 + per_member for s in shapes.values()) + _ZIP_SLACK


def _check_zip_directory(f: IO[bytes], size: int, path: Path, most: int) -> None:
    """Read the zip's end-of-central-directory record and refuse, before ``zipfile``
    parses the directory, a file with more members than ``most`` or a directory bigger
    than :data:`MAX_ZIP_DIRECTORY` (a directory of millions of entries would cost
    gigabytes of ``ZipInfo`` objects). ZIP64 is refused: no weights file abcparse
    accepts needs it."""
    tail_len = min(size, _EOCD.size + 0xFFFF)
    f.seek(size - tail_len)
    tail = f.read(tail_len)
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < _EOCD.size:
        raise ModelLoadError(f"{path}: not a zip (.npz) file")
    _, disk, cd_disk, on_disk, total, cd_size, cd_offset, _ = _EOCD.unpack_from(tail, at)
    if total == 0xFFFF or cd_size == 0xFFFFFFFF or cd_offset == 0xFFFFFFFF or disk or cd_disk:
        raise ModelLoadError(f"{path}: a ZIP64 or multi-disk archive, not a weights file")
    if total != on_disk or total > most:
        raise ModelLoadError(f"{path}: {total:,} members, but the model has {most} arrays")
    if cd_size > MAX_ZIP_DIRECTORY or cd_offset + cd_size > size:
        raise ModelLoadError(f"{path}: damaged or oversized zip directory")
    f.seek(0)


def _read_header(
    member: IO[bytes], path: Path, name: str
) -> tuple[tuple[int, ...], bool, np.dtype[Any]]:
    """A member's ``.npy`` header (shape, Fortran order, dtype), read without touching
    its data. Only plain floats of 2, 4 or 8 bytes are accepted: object arrays (pickle),
    structured and other types are refused here, before any data is read."""
    from numpy.lib import format as npy

    try:
        version = npy.read_magic(member)
        if version == (1, 0):
            shape, fortran, dtype = npy.read_array_header_1_0(member, MAX_NPY_HEADER)
        elif version == (2, 0):
            shape, fortran, dtype = npy.read_array_header_2_0(member, MAX_NPY_HEADER)
        else:
            raise ValueError(f"unsupported .npy version {version}")
    except (ValueError, OSError, EOFError, SyntaxError, zipfile.BadZipFile) as exc:
        raise ModelLoadError(f"{path}: {name}: not a plain .npy array ({exc})") from None
    if dtype.hasobject or dtype.kind != "f" or dtype.itemsize not in _FLOAT_SIZES:
        raise ModelLoadError(
            f"{path}: {name} is {str(dtype)[:40]}; weights must be float16, float32 or float64"
        )
    return tuple(int(n) for n in shape), bool(fortran), dtype


def _read_data(member: IO[bytes], nbytes: int, path: Path, name: str) -> bytearray:
    """Exactly ``nbytes`` of array data into one buffer, a block at a time (no second
    copy), then the member's end (so ``zipfile`` checks its CRC)."""
    buf = bytearray(nbytes)
    view = memoryview(buf)
    pos = 0
    try:
        while pos < nbytes:
            block = member.read(min(1 << 20, nbytes - pos))
            if not block:
                break
            view[pos : pos + len(block)] = block
            pos += len(block)
        trailing = member.read(1)
    except (OSError, EOFError, zipfile.BadZipFile, ValueError) as exc:
        raise ModelLoadError(f"{path}: {name}: damaged data ({exc})") from None
    if pos < nbytes:
        raise ModelLoadError(f"{path}: {name}: truncated ({pos:,} of {nbytes:,} bytes)")
    if trailing:
        raise ModelLoadError(f"{path}: {name}: data after the array")
    return buf


def read_weights(
    path: str | Path, expected: dict[str, tuple[int, ...]] | None = None
) -> dict[str, np.ndarray]:
    """The arrays of a weights.npz, checked before they are read.

    With ``expected`` (name → shape, from the config) the member names, count, declared
    sizes and ``.npy`` headers must match it before any data is decompressed; without it,
    each array may hold at most :data:`~generator.limits.MAX_PARAMETERS` values. Object
    arrays are never loaded (no pickle), and the result is plain native-endian floats.
    """
    path = Path(path)
    most = len(expected) if expected is not None else 4 * limits.MAX_LSTM_LAYERS + 4
    bound = _weights_bound(expected) if expected is not None else (
        limits.MAX_PARAMETERS * 8 + most * (MAX_NPY_HEADER + _MEMBER_OVERHEAD) + _ZIP_SLACK
    )
    try:
        f, size = limits.open_regular(path)
    except FileNotFoundError:
        raise ModelLoadError(f"{path}: missing from the model folder") from None
    except OSError as exc:
        raise ModelLoadError(f"{path}: {exc.strerror or exc}") from None
    with f:
        if size > bound:
            raise ModelLoadError(
                f"{path}: {size:,} bytes, more than arrays of the config's shapes take"
                f" ({bound:,})"
            )
        _check_zip_directory(f, size, path, most)
        try:
            archive = zipfile.ZipFile(f)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
            raise ModelLoadError(f"{path}: not a readable weights file ({exc})") from None
        with archive:
            return _read_members(archive, path, expected)


def _read_members(
    archive: zipfile.ZipFile, path: Path, expected: dict[str, tuple[int, ...]] | None
) -> dict[str, np.ndarray]:
    infos = archive.infolist()
    keys: list[str] = []
    for info in infos:
        filename = info.filename
        key = filename[:-4] if filename.endswith(".npy") else filename
        if not filename.endswith(".npy") or key in keys:
            raise ModelLoadError(f"{path}: unexpected member {filename!r:.80}")
        if expected is not None and key not in expected:
            raise ModelLoadError(f"{path}: array {key!r:.80} is not part of this model")
        if info.flag_bits & 0x1 or info.compress_type not in (
            zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED
        ):
            raise ModelLoadError(f"{path}: {key}: encrypted or unusual compression")
        limit = (
            math.prod(expected[key]) * 8 if expected is not None else limits.MAX_PARAMETERS * 8
        ) + MAX_NPY_HEADER
        if info.file_size > limit:
            raise ModelLoadError(
                f"{path}: {key} declares {info.file_size:,} bytes, more than its shape needs"
            )
        keys.append(key)
    if expected is not None and len(keys) != len(expected):
        missing = sorted(set(expected) - set(keys))
        raise ModelLoadError(f"{path}: arrays do not fit config.json (missing {missing})")
    weights: dict[str, np.ndarray] = {}
    for info, key in zip(infos, keys, strict=True):
        try:
            member = archive.open(info)
        except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError) as exc:
            raise ModelLoadError(f"{path}: {key}: cannot be read ({exc})") from None
        with member:
            shape, fortran, dtype = _read_header(member, path, key)
            if expected is not None and shape != expected[key]:
                raise ModelLoadError(
                    f"{path}: {key} is {dtype}{shape}, expected float{expected[key]}"
                )
            count = math.prod(shape)
            if count > limits.MAX_PARAMETERS:
                raise ModelLoadError(f"{path}: {key} holds {count:,} values, too many")
            nbytes = count * dtype.itemsize
            if info.file_size != member.tell() + nbytes:
                raise ModelLoadError(
                    f"{path}: {key}: declared size does not fit its shape (damaged file)"
                )
            raw = _read_data(member, nbytes, path, key)
        arr = np.frombuffer(raw, dtype=dtype).reshape(shape, order="F" if fortran else "C")
        if not dtype.isnative:
            arr = arr.astype(dtype.newbyteorder("="))
        weights[key] = arr
    return weights


# ---------------------------------------------------------------------------------------
# The folder


def _hash_capped(path: Path, cap: int, what: str) -> tuple[str, bytes | None]:
    """sha256 of a regular file of at most ``cap`` bytes (and its bytes when it is small
    enough to keep, so JSON is hashed and parsed from one read)."""
    try:
        f, size = limits.open_regular(path)
    except FileNotFoundError:
        raise ModelLoadError(f"{path}: missing from the model folder") from None
    except OSError as exc:
        raise ModelLoadError(f"{path}: {exc.strerror or exc}") from None
    with f:
        if size > cap:
            raise ModelLoadError(f"{path}: {size:,} bytes, more than {what} ({cap:,})")
        keep = size <= MAX_MANIFEST_BYTES
        h = hashlib.sha256()
        blocks: list[bytes] = []
        read = 0
        for block in iter(lambda: f.read(1 << 20), b""):
            read += len(block)
            if read > cap:
                raise ModelLoadError(f"{path}: more than {cap:,} bytes")
            h.update(block)
            if keep:
                blocks.append(block)
    return h.hexdigest(), b"".join(blocks) if keep else None


def _verified(
    folder: Path, files: dict[str, str], name: str, cap: int, what: str = ""
) -> bytes | None:
    """Check one listed file against its sha256; its bytes when small (see _hash_capped)."""
    fpath = folder / name
    digest, data = _hash_capped(fpath, cap, what or f"{name} may have")
    if digest != files[name]:
        raise ModelIntegrityError(
            f"{fpath}: sha256 does not match {MANIFEST}; the file was altered or is corrupt"
        )
    return data


def read_manifest(folder: Path) -> dict[str, Any]:
    """The manifest, checked: format and version, and a ``files`` table of at most
    :data:`MAX_MANIFEST_FILES` plain names (no path, no hidden file) with sha256 sums."""
    mpath = folder / MANIFEST
    if not folder.is_dir():
        raise ModelLoadError(f"{folder}: model folder not found")
    try:
        data = limits.read_capped(mpath, MAX_MANIFEST_BYTES, "manifest")
    except FileNotFoundError:
        raise ModelLoadError(f"{mpath}: missing; not a model folder") from None
    except OSError as exc:
        raise ModelLoadError(f"{mpath}: {exc.strerror or exc}") from None
    except limits.LimitError as exc:
        raise ModelLoadError(str(exc)) from None
    try:
        manifest = limits.loads(data)
    except ValueError as exc:
        raise ModelLoadError(f"{mpath}: not valid JSON ({exc})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ModelLoadError(f"{mpath}: not an abcparse generator manifest")
    if manifest.get("version") != FORMAT_VERSION:
        raise ModelLoadError(f"{mpath}: unsupported version {manifest.get('version')!r:.40}")
    files = manifest.get("files")
    if not isinstance(files, dict):
        raise ModelLoadError(f"{mpath}: no 'files' table")
    if len(files) > MAX_MANIFEST_FILES:
        raise ModelIntegrityError(f"{mpath}: lists {len(files):,} files, at most "
                                  f"{MAX_MANIFEST_FILES}")
    for name in REQUIRED:
        if name not in files:
            raise ModelIntegrityError(f"{mpath}: does not list {name}")
    for name, digest in files.items():
        if (
            not name or len(name) > 255 or "/" in name or "\\" in name or "\0" in name
            or name.startswith(".") or name == MANIFEST
        ):
            raise ModelIntegrityError(f"{mpath}: bad file name {name!r:.80}")
        if not isinstance(digest, str) or not _SHA256_RE.fullmatch(digest):
            raise ModelIntegrityError(f"{mpath}: {name!r:.80} has no sha256 sum")
    return manifest


def _cap_for(name: str) -> int:
    return {
        CONFIG: MAX_CONFIG_BYTES,
        VOCAB: MAX_VOCAB_BYTES,
        WEIGHTS: limits.MAX_PARAMETERS * 8 + _ZIP_SLACK * 4,
    }.get(name, MAX_EXTRA_BYTES)


def verify_model_dir(folder: str | Path) -> dict[str, Any]:
    """Check every file the manifest lists (the required ones must be listed) against its
    sha256, each under its size cap; return the manifest."""
    folder = Path(folder)
    manifest = read_manifest(folder)
    files: dict[str, str] = manifest["files"]
    for name in files:
        _verified(folder, files, name, _cap_for(name))
    return manifest


def load_model_dir(folder: str | Path) -> LoadedModel:
    """Verify, then read config, vocab and weights; check weight names and shapes.

    In this order, so that nothing big is read before what bounds it is known: the
    manifest (capped), config.json and vocab.json (capped, hashed and parsed from one
    read; the config's sizes bounded), the parameter count they imply, then weights.npz
    (hashed under the size its shapes allow, its members and headers checked before any
    data is read), then the other listed files (train.abc), each under its cap."""
    folder = Path(folder)
    manifest = read_manifest(folder)
    files: dict[str, str] = manifest["files"]
    config_bytes = _verified(folder, files, CONFIG, MAX_CONFIG_BYTES)
    try:
        config = GeneratorConfig.from_json(config_bytes or b"")
    except ConfigError as exc:
        raise ModelLoadError(f"{folder / CONFIG}: {exc}") from None
    vocab_bytes = _verified(folder, files, VOCAB, MAX_VOCAB_BYTES)
    try:
        vocab = Vocab.from_json(vocab_bytes or b"")
    except VocabError as exc:
        reason = str(exc).removeprefix(f"{VOCAB}: ")
        raise ModelLoadError(f"{folder / VOCAB}: {reason}") from None
    want = expected_shapes(config, vocab.size)
    params = sum(math.prod(s) for s in want.values())
    if params > limits.MAX_PARAMETERS:
        raise ModelLoadError(
            f"{folder / CONFIG}: a model of {params:,} weights with this vocabulary; at most"
            f" {limits.MAX_PARAMETERS:,}"
        )
    _verified(folder, files, WEIGHTS, _weights_bound(want),
              "the arrays of config.json's shapes take")
    weights = read_weights(folder / WEIGHTS, want)
    for name, arr in weights.items():
        if not np.all(np.isfinite(arr)):
            raise ModelLoadError(f"{folder / WEIGHTS}: {name} holds NaN or infinite values")
    for name in files:
        if name not in REQUIRED:
            _verified(folder, files, name, MAX_EXTRA_BYTES)
    metrics = manifest.get("metrics")
    return LoadedModel(folder, config, vocab, weights,
                       metrics if isinstance(metrics, dict) else {},
                       tuple(files))
