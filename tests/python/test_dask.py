"""statcoder.dask on a real Dask cluster on loopback: a `dask scheduler` and two `dask worker`
processes (Debian's python3-distributed), coding a few thousand records; the result must equal
Model.code row by row, and each worker must load the model once."""

import glob
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest

import statcoder
import statcoder.dask

dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")

START_TIMEOUT_S = 60


def _start(args, log_path):
    log = open(log_path, "w")
    # A session of its own, so that teardown can stop the process and anything it started.
    return subprocess.Popen([sys.executable, "-m", "dask"] + args, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True), log


def _stop(proc):
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    except ProcessLookupError:
        pass


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    """A scheduler and two single-process workers on 127.0.0.1, on ports the OS picks."""
    tmp = tmp_path_factory.mktemp("dask")
    scheduler_file = str(tmp / "scheduler.json")
    procs = []
    try:
        procs.append(_start(["scheduler", "--host", "127.0.0.1", "--port", "0",
                             "--no-dashboard", "--scheduler-file", scheduler_file],
                            tmp / "scheduler.log"))
        deadline = time.monotonic() + START_TIMEOUT_S
        while not os.path.exists(scheduler_file):
            assert procs[0][0].poll() is None, open(tmp / "scheduler.log").read()
            assert time.monotonic() < deadline, "the dask scheduler did not start"
            time.sleep(0.1)
        for i in range(2):
            # Two threads per worker: both may ask for the model at once, yet it loads once.
            procs.append(_start(["worker", "--scheduler-file", scheduler_file, "--host",
                                 "127.0.0.1", "--nthreads", "2", "--no-nanny", "--no-dashboard",
                                 "--name", f"w{i}", "--local-directory", str(tmp / f"w{i}")],
                                tmp / f"worker{i}.log"))
        client = distributed.Client(scheduler_file=scheduler_file, timeout=START_TIMEOUT_S)
        client.wait_for_workers(2, timeout=START_TIMEOUT_S)
        yield client
        client.close()
    finally:
        for proc, log in reversed(procs):
            _stop(proc)
            log.close()


@pytest.fixture(scope="module")
def records(onet_train, onet_test):
    """About 5,000 records resampled from the bundled sample, under a shuffled string index."""
    pool = pd.concat([onet_train, onet_test], ignore_index=True)[["id", "title"]]
    rng = np.random.default_rng(11)
    picked = pool.iloc[rng.integers(0, len(pool), 5000)].copy()
    picked.index = [f"rec{n}" for n in rng.permutation(len(picked))]
    return picked


def test_dask_code_equals_model_code_row_by_row(client, model, model_path, records):
    ddf = dd.from_pandas(records, npartitions=16, sort=False)
    coded = statcoder.dask.code(ddf, model_path, top_k=3)
    assert list(coded.columns) == list(model.code(records.head(1), top_k=3).columns)
    result = coded.compute()
    expected = model.code(records, top_k=3)
    assert result.index.equals(records.index)  # same index, same order
    pd.testing.assert_frame_equal(result, expected)

    # Each worker process loaded the model once, however many partitions it coded.
    loaded = client.run(statcoder.dask.loaded_models)
    assert len(loaded) == 2
    loads = [info["loads"] for info in loaded.values()]
    assert all(n <= 1 for n in loads) and sum(loads) >= 1, loaded
    for info in loaded.values():
        if info["loads"]:
            assert info["models"] == {model_path: model.version}

    # A second run reuses the loaded models.
    statcoder.dask.code(ddf, model_path, top_k=1).compute()
    assert [i["loads"] for i in client.run(statcoder.dask.loaded_models).values()] == loads


def test_csv_files_in_coded_csv_files_out(client, model, model_path, records, tmp_path):
    """The issue's example: dd.read_csv → statcoder.dask.code → to_csv, with a renamed column."""
    renamed = records.rename(columns={"title": "job_title"})
    for i, part in enumerate(np.array_split(renamed, 3)):
        part.to_csv(tmp_path / f"census_{i}.csv", index=False)
    ddf = dd.read_csv(str(tmp_path / "census_*.csv"), dtype=str, keep_default_na=False,
                      blocksize=16_000)
    assert ddf.npartitions > 3
    coded = statcoder.dask.code(ddf, model_path, text=["job_title"])
    out_dir = tmp_path / "coded"
    coded.to_csv(str(out_dir / "coded_*.csv"))
    written = pd.concat([pd.read_csv(f, dtype=str, keep_default_na=False)
                         for f in sorted(glob.glob(str(out_dir / "coded_*.csv")),
                                         key=lambda f: int(f.rsplit("_", 1)[1][:-4]))],
                        ignore_index=True)
    expected = model.code(renamed, text=["job_title"])
    assert len(written) == len(records)
    assert list(written["code"]) == list(expected["code"])
    assert list(written["top5_code"]) == list(expected["top5_code"])
    assert list(written["decision"]) == list(expected["decision"])


def test_errors_surface_before_the_cluster_works(model, model_path, records):
    ddf = dd.from_pandas(records, npartitions=2, sort=False)
    with pytest.raises(statcoder.NotFoundError, match="no column 'occupation'"):
        statcoder.dask.code(ddf, model_path, text=["occupation"])
    with pytest.raises(TypeError, match="save the model first"):
        statcoder.dask.code(ddf, model)
