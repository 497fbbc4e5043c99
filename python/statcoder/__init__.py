"""statcoder: code free-text records to official classifications (SOC, ISCO, NAICS, NACE...).

    import statcoder
    model = statcoder.train(df, text=["title"], label="soc2018", seed=1)   # a pandas DataFrame
    coded = model.code(new_df, top_k=5)      # DataFrame: code, confidence, decision, level, top-k
    probs = model.probabilities(new_df)      # NumPy (rows, labels) float32, columns model.labels
    model.save("soc.stc")
    model = statcoder.load("soc.stc")        # the same files as the statcoder command line

This package is a thin layer over statcoder's C++ core (the extension statcoder._statcoder):
records are validated, trained on and coded exactly as `statcoder train` and `statcoder code`
validate, train on and code files, and the heavy work runs without holding the GIL.
statcoder.dask codes a Dask DataFrame on a Dask cluster. Guide: docs/python.md.

Every failure raises a subclass of statcoder.Error that is also the built-in exception a Python
user would expect (a bad value → ValueError, a missing column → KeyError, a disk error →
OSError); ERRORS maps the library's status codes to these classes.
"""

from __future__ import annotations

import json
import os
from collections import abc
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np
import pandas as pd

from . import _statcoder

__all__ = [
    "Model", "train", "load", "ERRORS", "Error", "InvalidArgumentError", "InvalidInputError",
    "NotFoundError", "AlreadyExistsError", "FailedPreconditionError", "DataLossError",
    "UnsupportedVersionError", "IoError", "LimitExceededError", "InternalError",
]

__version__: str = _statcoder.__version__
#: (major, minor) of the model file format this build reads and writes (docs/formats/).
MODEL_FORMAT: Tuple[int, int] = tuple(_statcoder.MODEL_FORMAT)

# ---------------------------------------------------------------------------------------------
# Errors: one class per status code of the C++ library (core/status.h).
# ---------------------------------------------------------------------------------------------


class Error(Exception):
    """Base class of every statcoder error.

    ``code`` is the library's stable status code name ("invalid_input"), the same that the
    command line prints with --json; the message names the object and the way out.
    """

    code: str = ""


class InvalidArgumentError(Error, ValueError):
    """An option or argument is wrong (an unknown option, top_k out of range...)."""

    code = "invalid_argument"


class InvalidInputError(Error, ValueError):
    """The data is malformed: a bad record (empty label, a label not in the code list, an
    unparsable number, a field over max_field_bytes) or a malformed code-list file."""

    code = "invalid_input"


class NotFoundError(Error, KeyError):
    """A file, column or code does not exist."""

    code = "not_found"

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class AlreadyExistsError(Error, FileExistsError):
    """Creating something that is already there."""

    code = "already_exists"


class FailedPreconditionError(Error, RuntimeError):
    """The operation does not apply in this state (e.g. explaining a one-code model)."""

    code = "failed_precondition"


class DataLossError(Error, ValueError):
    """A model file is corrupt or truncated (its checksum does not match)."""

    code = "data_loss"


class UnsupportedVersionError(Error, ValueError):
    """A model file was written by a newer, incompatible statcoder; upgrade to read it."""

    code = "unsupported_version"


class IoError(Error, OSError):
    """The operating system refused a read or a write (permissions, disk full...)."""

    code = "io_error"


class LimitExceededError(Error, ValueError):
    """An explicit size limit was crossed."""

    code = "limit_exceeded"


class InternalError(Error, RuntimeError):
    """A bug in statcoder; please report it with the message."""

    code = "internal"


#: Status code name → exception class: the one mapping from the C++ library's failures to
#: Python exceptions (tests/python/test_errors.py checks it covers every code).
ERRORS: Dict[str, type] = {
    cls.code: cls
    for cls in (InvalidArgumentError, InvalidInputError, NotFoundError, AlreadyExistsError,
                FailedPreconditionError, DataLossError, UnsupportedVersionError, IoError,
                LimitExceededError, InternalError)
}
_statcoder.register_errors(ERRORS)

# ---------------------------------------------------------------------------------------------
# DataFrames in
# ---------------------------------------------------------------------------------------------

#: Longest field accepted, in UTF-8 bytes, as the CLI's --max-field-bytes.
DEFAULT_MAX_FIELD_BYTES = 64 * 1024

Columns = Union[str, Sequence[str], None]


def _names(columns: Columns) -> List[str]:
    if columns is None:
        return []
    if isinstance(columns, str):
        return [columns]
    return [str(c) for c in columns]


def _cells(series: pd.Series) -> list:
    """A column as Python objects with every missing value (NaN, None, NA, NaT) as None: the C++
    side reads None as an empty field, as a file would have it."""
    values = series if series.dtype == object else series.astype(object)
    missing = values.isna()
    if missing.any():
        values = values.where(~missing, None)
    return values.tolist()


def _table(df: pd.DataFrame, used: Sequence[str]) -> dict:
    """The extension's view of a DataFrame: every column name, and the cells of `used`."""
    header = [str(c) for c in df.columns]
    by_name: Dict[str, Any] = {}
    for name, column in zip(header, df.columns):
        if name in by_name and name in used:
            raise InvalidArgumentError(
                f"the DataFrame has two columns named '{name}'; rename one")
        by_name.setdefault(name, column)
    index = df.index
    return {
        "name": "DataFrame",
        "header": header,
        "num_rows": len(df),
        "columns": {n: _cells(df[by_name[n]]) for n in set(used) if n in by_name},
        # Only called for rejected rows, to name them in the message.
        "row_name": lambda i: f"row {i + 1} (index {index[i]!r})",
    }


def _threads(threads: Optional[int]) -> int:
    return min(os.cpu_count() or 1, 256) if threads is None else threads


# ---------------------------------------------------------------------------------------------
# DataFrames out
# ---------------------------------------------------------------------------------------------

_DECISIONS = np.array(["review", "auto"], dtype=object)


def _with_none(values: Sequence[str]) -> np.ndarray:
    """An object array whose last element is None, so that index -1 (no value) gives None."""
    out = np.empty(len(values) + 1, dtype=object)
    out[:-1] = list(values)
    out[-1] = None
    return out


def _coded_frame(arrays: Mapping[str, np.ndarray], index: pd.Index, top_k: int,
                 vocabulary: np.ndarray, labels: np.ndarray, level_names: np.ndarray,
                 version: str) -> pd.DataFrame:
    """Builds code()'s DataFrame from the extension's arrays; the columns are those of the CLI's
    `statcoder code` output, with the DataFrame index in place of its id column."""
    n = len(index)
    level = arrays["level"]
    cols: Dict[str, Any] = {
        "code": vocabulary[arrays["code"]],
        "confidence": arrays["confidence"],
        "decision": _DECISIONS[arrays["auto"]],
        "level": level,
        "level_name": level_names[np.where((level >= 1) & (level < len(level_names)),
                                           level - 1, -1)],
    }
    top_label, top_prob = arrays["top_label"], arrays["top_prob"]
    for j in range(top_k):
        cols[f"top{j + 1}_code"] = labels[top_label[:, j]]
        cols[f"top{j + 1}_prob"] = top_prob[:, j]
    cols["model_version"] = np.full(n, version, dtype=object)
    cols["reason"] = np.asarray(arrays["reason_names"], dtype=object)[arrays["reason"]]
    return pd.DataFrame(cols, index=index)


def _empty_coded(top_k: int, index: Optional[pd.Index] = None) -> pd.DataFrame:
    """code()'s output for no rows: the columns and dtypes, e.g. as Dask's meta."""
    empty = {
        "code": np.zeros(0, np.int32), "confidence": np.zeros(0, np.float64),
        "auto": np.zeros(0, np.uint8), "level": np.zeros(0, np.int32),
        "reason": np.zeros(0, np.int32), "reason_names": [""],
        "top_label": np.zeros((0, top_k), np.int32), "top_prob": np.zeros((0, top_k), np.float32),
    }
    none = _with_none([])
    return _coded_frame(empty, index[:0] if index is not None else pd.RangeIndex(0), top_k,
                        none, none, none, "")


# ---------------------------------------------------------------------------------------------
# The model
# ---------------------------------------------------------------------------------------------

Data = Union[pd.DataFrame, pd.Series, Mapping[str, Sequence[Any]], Sequence[str], str]


class Model:
    """A trained model: immutable, and safe to share between threads (each call codes with its
    own scratch space). Get one from statcoder.train() or statcoder.load().

    The records to code must have the columns the model was trained on (text_fields,
    categorical_fields, numeric_fields), or you name the columns that stand for them with
    text=, categorical=, numeric= (one per field, in the model's order).
    """

    def __init__(self, impl: "_statcoder.Model", rejections: Optional[pd.DataFrame] = None):
        self._impl = impl
        self._rejections = rejections
        self._vocabulary = _with_none(impl.vocabulary)
        self._labels = _with_none(impl.labels)
        self._level_names = _with_none(impl.level_names)

    # -- what the model is --

    @property
    def version(self) -> str:
        """Short id of this exact model: the first 16 hex digits of its file's checksum; every
        coded row carries it (model_version)."""
        return self._impl.version

    @property
    def labels(self) -> List[str]:
        """The codes the model can propose, in the order of probabilities()'s columns."""
        return self._impl.labels

    @property
    def text_fields(self) -> List[str]:
        return self._impl.text_fields

    @property
    def categorical_fields(self) -> List[str]:
        return self._impl.categorical_fields

    @property
    def numeric_fields(self) -> List[str]:
        return self._impl.numeric_fields

    @property
    def level_names(self) -> List[str]:
        """Name of each level of the code list, top level first (["code"] without one)."""
        return self._impl.level_names

    @property
    def has_code_list(self) -> bool:
        return self._impl.has_code_list

    @property
    def metadata(self) -> Dict[str, Any]:
        """Everything recorded at training: options, training data hash and counts,
        calibration (held-out accuracy, temperature, thresholds), statcoder version."""
        return json.loads(self._impl.metadata_json)

    @property
    def rejections(self) -> pd.DataFrame:
        """Rows train() left out (only with max_reject_share > 0): the row's index, the column
        and the reason. Empty for a loaded model."""
        if self._rejections is None:
            return pd.DataFrame({"index": [], "column": [], "reason": []})
        return self._rejections

    def __repr__(self) -> str:
        fields = ", ".join(self.text_fields + self.categorical_fields + self.numeric_fields)
        return (f"<statcoder.Model {self.version}: {len(self.labels)} codes, fields {fields}"
                f"{', with code list' if self.has_code_list else ''}>")

    # -- coding --

    def code(self, data: Data, top_k: int = 5, *, text: Columns = None,
             categorical: Columns = None, numeric: Columns = None,
             threads: Optional[int] = None,
             max_field_bytes: int = DEFAULT_MAX_FIELD_BYTES) -> pd.DataFrame:
        """Codes every row of `data`; returns a DataFrame with the same index, in the same
        order, with the columns of `statcoder code`:

        code         the decided code: a label, or its ancestor when the model is only sure
                     at a coarser level
        confidence   calibrated probability of `code`
        decision     "auto" (sure enough for the target precision chosen at training) or
                     "review" (refer to a clerical coder)
        level        depth of `code` in the code list (1 = top; 1 without a code list)
        level_name   that level's name ("detailed", "unit"...; "code" without a code list)
        topN_code    the N-th most likely label (N = 1..top_k; None past the last label)
        topN_prob    its calibrated probability (float32)
        model_version
        reason       why a record is referred ("below_threshold", "margin", "refer_code",
                     "no_auto_code"); "" when auto-coded

        `data` is a DataFrame, a mapping of column name to values, or (for a model with a single
        text field and nothing else) a string or a list/Series of strings. Missing values (None,
        NaN) are empty fields. threads: coding threads, default all cores (results do not
        depend on it). A row that cannot be coded (a field over max_field_bytes, a lone
        surrogate, an unparsable number) raises InvalidInputError naming it.
        """
        df = self._frame(data)
        arrays = self._impl.code(self._table(df, text, categorical, numeric),
                                 _fields(text, categorical, numeric), top_k, _threads(threads),
                                 max_field_bytes)
        return _coded_frame(arrays, df.index, top_k, self._vocabulary, self._labels,
                            self._level_names, self.version)

    def probabilities(self, data: Data, *, text: Columns = None, categorical: Columns = None,
                      numeric: Columns = None, threads: Optional[int] = None,
                      max_field_bytes: int = DEFAULT_MAX_FIELD_BYTES) -> np.ndarray:
        """Calibrated probability of every label for every row: a float32 array of shape
        (rows, len(labels)), row i for the i-th row of `data`, column j for labels[j]. The
        array is a view of the memory the C++ core filled (no copy); it takes
        rows × labels × 4 bytes, so code large data in chunks. Arguments as for code()."""
        df = self._frame(data)
        return self._impl.probabilities(self._table(df, text, categorical, numeric),
                                        _fields(text, categorical, numeric), _threads(threads),
                                        max_field_bytes)

    def explain(self, data: Data, *, versus: Optional[str] = None, top_k: int = 5,
                text: Columns = None, categorical: Columns = None, numeric: Columns = None,
                max_field_bytes: int = DEFAULT_MAX_FIELD_BYTES) -> dict:
        """Why the model codes one record as it does, exactly: each feature's, field's and
        word's contribution to the chosen code's score against the runner-up (or `versus`),
        such that the contributions plus the bias add up to the score difference. `data` is a
        string (a model with one text field), a mapping of field name to value, or a one-row
        DataFrame. Returns the object `statcoder explain --json` prints (docs/cli.md): keys
        `decision`, `top`, `code`, `versus`, `features`, `field_totals`, `tokens`,
        `title_matches`, `logit_difference`, `bias`, ..."""
        if isinstance(data, abc.Mapping):
            data = {k: v if isinstance(v, (list, tuple, pd.Series, np.ndarray)) else [v]
                    for k, v in data.items()}
        df = self._frame(data)
        if len(df) != 1:
            raise InvalidArgumentError(f"explain takes one record, got {len(df)} rows")
        return json.loads(self._impl.explain(self._table(df, text, categorical, numeric),
                                             _fields(text, categorical, numeric), top_k,
                                             versus or "", max_field_bytes))

    # -- files --

    def save(self, path: Union[str, os.PathLike]) -> str:
        """Writes the model file (atomically: temporary file, fsync, rename), readable by
        statcoder.load() and by the command line; returns the model's version id."""
        return self._impl.save(os.fspath(path))

    def to_bytes(self) -> bytes:
        """The model file's bytes."""
        return self._impl.to_bytes()

    def __reduce__(self):
        # Pickled as the model file's bytes, e.g. to send it to processes.
        return (_from_bytes, (self.to_bytes(),))

    # -- helpers --

    def _frame(self, data: Data) -> pd.DataFrame:
        if isinstance(data, pd.DataFrame):
            return data
        if hasattr(data, "map_partitions"):
            raise TypeError("this is a Dask collection: code it with statcoder.dask.code(data, "
                            "model_path)")
        if isinstance(data, Mapping):
            return pd.DataFrame(data)
        fields = self.text_fields
        if len(fields) != 1 or self.categorical_fields or self.numeric_fields:
            raise InvalidArgumentError(
                f"this model reads the fields {self.text_fields + self.categorical_fields + self.numeric_fields}; "
                "pass a DataFrame (or a dict of columns) with them")
        if isinstance(data, str):
            data = [data]
        if isinstance(data, pd.Series):
            return pd.DataFrame({fields[0]: data}, index=data.index)
        return pd.DataFrame({fields[0]: list(data)})

    def _table(self, df: pd.DataFrame, text: Columns, categorical: Columns,
               numeric: Columns) -> dict:
        used = ((_names(text) or self.text_fields) + (_names(categorical) or self.categorical_fields)
                + (_names(numeric) or self.numeric_fields))
        return _table(df, used)


def _fields(text: Columns, categorical: Columns, numeric: Columns) -> dict:
    return {"text": _names(text) if text is not None else None,
            "categorical": _names(categorical) if categorical is not None else None,
            "numeric": _names(numeric) if numeric is not None else None}


def _from_bytes(data: bytes) -> Model:
    return Model(_statcoder.from_bytes(data))


def load(path: Union[str, os.PathLike]) -> Model:
    """Reads a model file (.stc) written by statcoder.train(...).save() or `statcoder train`.
    A missing file raises NotFoundError; a corrupt one DataLossError; one from a newer
    statcoder UnsupportedVersionError."""
    return Model(_statcoder.load(os.fspath(path)))


# ---------------------------------------------------------------------------------------------
# Training
# ---------------------------------------------------------------------------------------------

# Every training option with its default and meaning, from the C++ library's option table
# (src/model/train_options.h), so they cannot drift from the CLI's flags and statcoder.toml.
_OPTION_HELP: Dict[str, str] = _statcoder.train_option_docs()
_DEFAULTS: Dict[str, Any] = _statcoder.train_defaults()


def _char_ngrams(spec: Union[str, int, Tuple[int, int]]) -> Tuple[int, int]:
    """"3-5", (3, 5), "off" or 0 → (min, max), as the CLI's --char-ngrams."""
    if spec in ("off", "0", 0):
        return (0, 0)
    if isinstance(spec, str):
        lo, sep, hi = spec.partition("-")
        if sep and lo.strip().isdigit() and hi.strip().isdigit():
            return (int(lo), int(hi))
    elif isinstance(spec, (tuple, list)) and len(spec) == 2:
        return (int(spec[0]), int(spec[1]))
    raise InvalidArgumentError(
        f"char_ngrams must look like '3-5', (3, 5) or 'off', got {spec!r}")


def train(data: Union[pd.DataFrame, Mapping[str, Sequence[Any]]], *, text: Columns,
          label: str, categorical: Columns = None, numeric: Columns = None,
          codelist: Union[str, os.PathLike, None] = None,
          codelist_code_column: Optional[str] = None,
          codelist_parent_column: Optional[str] = None,
          codelist_level_column: Optional[str] = None,
          codelist_title_column: Optional[str] = None,
          char_ngrams: Union[str, Tuple[int, int], None] = None,
          max_reject_share: float = 0.0,
          max_field_bytes: int = DEFAULT_MAX_FIELD_BYTES,
          crosswalk: Union[str, os.PathLike, None] = None,
          **options: Any) -> Model:
    """Learns a model from coded records, as `statcoder train` does from a file.

    data: a pandas DataFrame (or a dict of columns), one row per coded record.
    text: the free-text column(s), in order. label: the column holding the code.
    categorical, numeric: optional columns beside the text (numbers are binned).
    Missing values (None, NaN) are empty fields; an empty label is an error naming its row.
    codelist: the classification's structure file (TSV/CSV/JSONL: code, parent or level,
      title), to check labels against it and roll probabilities up its hierarchy; the
      codelist_*_column arguments name its columns (default: "code", a "parent" column or code
      prefixes, a detected level column, "title").
    char_ngrams: character n-gram lengths, "3-5", (3, 5) or "off".
    max_reject_share: largest share of rows that may be left out for bad values (default 0:
      any bad row raises InvalidInputError naming it); the rows left out are in
      model.rejections.
    max_field_bytes: longest field accepted, in UTF-8 bytes.
    crosswalk: a correspondence table (from code, to code, optional weight) from the label
      column's classification to codelist's: the model codes in the new version, learnt from
      old-version labels (docs/crosswalks.md); rows whose code the table does not map are left
      out and listed in model.rejections.

    Options (keyword arguments; the default is the library's):
{options}
    Returns a Model (not yet saved: call .save(path)). The GIL is released while training.
    """
    if not isinstance(data, pd.DataFrame):
        data = pd.DataFrame(data)
    unknown = sorted(set(options) - set(_DEFAULTS))
    if unknown:
        raise InvalidArgumentError(
            f"unknown training option(s) {unknown}; known: {sorted(_DEFAULTS)}")
    if char_ngrams is not None:
        options["char_ngram_min"], options["char_ngram_max"] = _char_ngrams(char_ngrams)
    schema = {"text": _names(text), "label": str(label), "categorical": _names(categorical),
              "numeric": _names(numeric)}
    code_list = None
    if codelist is not None:
        code_list = {"path": os.fspath(codelist)}
        for key, value in (("code_column", codelist_code_column),
                           ("parent_column", codelist_parent_column),
                           ("level_column", codelist_level_column),
                           ("title_column", codelist_title_column)):
            if value is not None:
                code_list[key] = value
    used = schema["text"] + schema["categorical"] + schema["numeric"] + [schema["label"]]
    impl, rejected = _statcoder.train(_table(data, used), schema, options, code_list,
                                      float(max_reject_share), max_field_bytes,
                                      os.fspath(crosswalk) if crosswalk is not None else "")
    rejections = pd.DataFrame({
        "index": [data.index[row - 1] for row, _, _ in rejected],
        "column": [column for _, column, _ in rejected],
        "reason": [reason for _, _, reason in rejected],
    })
    return Model(impl, rejections)


train.__doc__ = train.__doc__.replace("{options}", "\n".join(
    f"      {name} (default {_DEFAULTS[name]!r}): {_OPTION_HELP.get(name, '')}"
    for name in _DEFAULTS))
