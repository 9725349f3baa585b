"""``--jobs N`` and ``--dask`` write exactly what a single process writes."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from abcparse.corpus import clean

from .helpers import SPLITS, small_corpus

OUTPUTS = [*(f"{s}.abc" for s in SPLITS), "manifest.json"]


def outputs(folder: Path) -> dict[str, bytes]:
    return {name: (folder / name).read_bytes() for name in OUTPUTS}


def test_jobs_2_is_byte_identical_to_jobs_1(tmp_path: Path) -> None:
    inputs = small_corpus(tmp_path, count=40)
    clean(inputs, tmp_path / "one", jobs=1)
    clean(inputs, tmp_path / "two", jobs=2)
    assert outputs(tmp_path / "one") == outputs(tmp_path / "two")


@pytest.mark.skipif(
    importlib.util.find_spec("distributed") is None,
    reason="dask.distributed is not installed (pip install 'abcparse[dask]')",
)
def test_dask_local_cluster_is_byte_identical(tmp_path: Path) -> None:
    from distributed import Client, LocalCluster

    inputs = small_corpus(tmp_path, count=40)
    clean(inputs, tmp_path / "local")
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        # By address, as `--dask tcp://...` does it.
        clean(inputs, tmp_path / "dask", dask=cluster.scheduler_address)
        with Client(cluster) as client:
            clean(inputs, tmp_path / "client", dask=client)
    assert outputs(tmp_path / "local") == outputs(tmp_path / "dask")
    assert outputs(tmp_path / "local") == outputs(tmp_path / "client")


def test_dask_missing_or_unreachable_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import abcparse
    from abcparse.corpus import dask_backend

    monkeypatch.setattr(dask_backend, "CONNECT_TIMEOUT", "2s")

    inputs = small_corpus(tmp_path, count=8)
    with pytest.raises(abcparse.AbcUsageError, match=r"[dD]ask"):
        clean(inputs, tmp_path / "out", dask="tcp://127.0.0.1:1")
    assert not (tmp_path / "out" / "train.abc").exists()
