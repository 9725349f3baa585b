"""abcparse.generator.store.load_model_dir: a LoadedModel or ModelLoadError (documented:
"a model folder that cannot be used"), never anything else, for a model folder with one
file replaced by fuzz bytes, re-signed in the manifest or not (so the fuzzer gets past the
sha256 check to the parsers behind it).

Input: byte 0 picks the file (config, vocab, weights, manifest, train.abc) and whether the
manifest is re-signed; the rest is the file's new content. The seeds are the files of a
small valid folder, so mutations start from real JSON and real ``.npz`` bytes.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

import atheris

with atheris.instrument_imports(include=["abcparse"]):
    from abcparse.generator.config import GeneratorConfig
    from abcparse.generator.layout import expected_shapes
    from abcparse.generator.store import ModelLoadError, load_model_dir, save_model_dir
    from abcparse.generator.vocab import Vocab

import numpy as np
from _harness import main

EXPECTED: tuple[type[BaseException], ...] = (ModelLoadError,)
FILES = ("config.json", "vocab.json", "weights.npz", "manifest.json", "train.abc")
TUNE = b"X:1\nT:Seed\nM:6/8\nL:1/8\nK:D\n|:dAF dAF|GBd gfe:|\n"


def _base() -> dict[str, bytes]:
    """The files of a small valid model folder (fixed weights)."""
    config = GeneratorConfig(embedding_dim=4, lstm_units=(8,), weights_dtype="float32")
    vocab = Vocab.from_texts([TUNE.decode()])
    rng = np.random.default_rng(0)
    weights = {
        k: (rng.standard_normal(s) * 0.1).astype(np.float32)
        for k, s in expected_shapes(config, vocab.size).items()
    }
    with tempfile.TemporaryDirectory() as tmp:
        folder = save_model_dir(Path(tmp) / "m", config, vocab, weights, {"valid_bpc": 1.0},
                                {"train.abc": TUNE})
        return {name: (folder / name).read_bytes() for name in FILES}


BASE = _base()
_SHM = "/dev/shm" if os.path.isdir("/dev/shm") else None
WORK = Path(tempfile.mkdtemp(prefix="abcparse-fuzz-model-", dir=_SHM))
atexit.register(shutil.rmtree, WORK, ignore_errors=True)


def seeds(folder: Path) -> None:
    """Write one seed per (file, re-signed) into ``folder`` (run.py calls this)."""
    folder.mkdir(parents=True, exist_ok=True)
    for i, name in enumerate(FILES):
        for resign in (0, 8):
            (folder / f"{name}-{resign}").write_bytes(bytes((i | resign,)) + BASE[name])


def test_one_input(data: bytes) -> None:
    if not data:
        return
    which = FILES[(data[0] & 7) % len(FILES)]
    files = dict(BASE)
    files[which] = data[1:]
    if data[0] & 8 and which != "manifest.json":
        manifest = json.loads(files["manifest.json"])
        for name in manifest["files"]:
            manifest["files"][name] = hashlib.sha256(files[name]).hexdigest()
        files["manifest.json"] = json.dumps(manifest).encode()
    for name, content in files.items():
        (WORK / name).write_bytes(content)
    with contextlib.suppress(*EXPECTED):
        load_model_dir(WORK)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--write-seeds":
        seeds(Path(sys.argv[2]))
    else:
        main(test_one_input)
