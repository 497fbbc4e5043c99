"""statcoder.dask: code a Dask DataFrame on a Dask cluster, for data larger than one machine.

    import statcoder.dask, dask.dataframe as dd
    from dask.distributed import Client
    client = Client("tcp://scheduler:8786")
    coded = statcoder.dask.code(dd.read_csv("census_*.csv"), "soc.stc", text=["title"])
    coded.to_csv("coded_*.csv")

Each partition is coded by Model.code on the worker that holds it, so the result has the same
rows, in the same order and with the same index, as coding the whole DataFrame in one process.
Each worker process loads the model file once (not once per partition) and keeps it while
the file is unchanged: the path must name the same file on every worker (a shared file system,
or a copy at the same path). loaded_models() tells what a worker holds:
client.run(statcoder.dask.loaded_models).
"""

from __future__ import annotations

import os
import threading
from typing import Any, Dict, List, Optional, Tuple, Union

import statcoder

__all__ = ["code", "loaded_models"]

# Per process (so per Dask worker): the models loaded, by file identity. A model is immutable
# and thread-safe, so the worker's threads share it; the lock only keeps two threads from
# loading the same file at once.
_lock = threading.Lock()
_models: Dict[Tuple[Any, ...], "statcoder.Model"] = {}
_loads = 0


def _model(path: str) -> "statcoder.Model":
    """The model at `path`, loaded once per process while the file stays the same."""
    global _loads
    try:
        st = os.stat(path)
    except FileNotFoundError:
        # Same error (and class) as statcoder.load would give.
        return statcoder.load(path)
    key = (path, st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)
    with _lock:
        model = _models.get(key)
        if model is None:
            model = statcoder.load(path)
            # A rewritten file replaces its older version; memory holds one model per path.
            for old in [k for k in _models if k[0] == path]:
                del _models[old]
            _models[key] = model
            _loads += 1
        return model


def loaded_models() -> Dict[str, Any]:
    """What this process holds: {"loads": model files loaded so far, "models": {path:
    version}}. On a cluster: client.run(statcoder.dask.loaded_models), one entry per worker."""
    with _lock:
        return {"loads": _loads, "models": {k[0]: m.version for k, m in _models.items()}}


def _code_partition(part, path: str, top_k: int, text, categorical, numeric, threads: int,
                    max_field_bytes: int):
    return _model(path).code(part, top_k, text=text, categorical=categorical, numeric=numeric,
                             threads=threads, max_field_bytes=max_field_bytes)


def code(data, model: Union[str, os.PathLike], *, text: statcoder.Columns = None,
         categorical: statcoder.Columns = None, numeric: statcoder.Columns = None,
         top_k: int = 5, threads: int = 1,
         max_field_bytes: int = statcoder.DEFAULT_MAX_FIELD_BYTES):
    """Codes every row of a Dask DataFrame; returns a lazy Dask DataFrame with the same
    partitions, index and order, and the columns of Model.code (code, confidence, decision,
    level, level_name, top1_code, top1_prob, ..., model_version, reason).

    model: path of the model file (.stc), readable at that path by every worker; each worker
      process loads it once. A statcoder.Model object is refused: save it first.
    text, categorical, numeric: the columns standing for the model's fields, in the model's
      order (default: columns named as the model's fields).
    threads: coding threads per partition (default 1: Dask already runs one partition per
      worker thread).
    Nothing is computed until you ask (.compute(), .to_csv(), .to_parquet()...). When the file
    can be read here, the columns are checked now, so a missing one fails before the
    cluster starts work.
    """
    if isinstance(model, statcoder.Model):
        raise TypeError("statcoder.dask.code takes the model file's path, so that each worker "
                        "loads it once; save the model first: model.save('model.stc')")
    path = os.path.abspath(os.fspath(model))  # workers may run in another directory
    names = {"text": statcoder._names(text) if text is not None else None,
             "categorical": statcoder._names(categorical) if categorical is not None else None,
             "numeric": statcoder._names(numeric) if numeric is not None else None}
    if os.path.exists(path):
        _check_columns(_model(path), list(map(str, data.columns)), names)
    meta = statcoder._empty_coded(top_k, data._meta.index)
    return data.map_partitions(
        _code_partition, path, top_k, names["text"], names["categorical"], names["numeric"],
        threads, max_field_bytes, meta=meta, token="statcoder-code")


def _check_columns(model: "statcoder.Model", columns: List[str],
                   names: Dict[str, Optional[List[str]]]) -> None:
    # Coding an empty frame with these columns runs every check Model.code runs on the
    # schema (column names, number of fields), without data.
    import pandas as pd

    model.code(pd.DataFrame({c: pd.Series([], dtype=object) for c in columns}), 1,
               text=names["text"], categorical=names["categorical"], numeric=names["numeric"],
               threads=1)
