"""Shared fixtures of the Python package's tests: the bundled O*NET sample (examples/onet/) and
one model trained on it, and the statcoder CLI built beside the package.

Run by ctest (tests/python/CMakeLists.txt sets PYTHONPATH to <build>/python and STATCODER_CLI);
by hand: PYTHONPATH=build/python /usr/bin/python3 -m pytest tests/python
"""

import os

import pandas as pd
import pytest

import statcoder

SOURCE_DIR = os.environ.get(
    "STATCODER_SOURCE_DIR",
    os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
ONET = os.path.join(SOURCE_DIR, "examples", "onet")
CODELIST = os.path.join(ONET, "soc2018_codelist.tsv")


def read_tsv(name):
    """A bundled file as the CLI reads it: every field a string, empty fields empty."""
    return pd.read_csv(os.path.join(ONET, name), sep="\t", dtype=str, keep_default_na=False)


@pytest.fixture(scope="session")
def onet_train():
    return read_tsv("train.tsv")


@pytest.fixture(scope="session")
def onet_test():
    return read_tsv("test.tsv")


@pytest.fixture(scope="session")
def model(onet_train):
    """Trained like scripts/demo.sh trains (code list, seed 1), deterministically."""
    return statcoder.train(onet_train, text="title", label="soc2018", codelist=CODELIST, seed=1,
                           deterministic=True)


@pytest.fixture(scope="session")
def model_path(model, tmp_path_factory):
    path = tmp_path_factory.mktemp("model") / "onet.stc"
    model.save(path)
    return str(path)


@pytest.fixture(scope="session")
def cli():
    path = os.environ.get("STATCODER_CLI")
    if path:  # set by ctest: the CLI must be there
        assert os.access(path, os.X_OK), f"STATCODER_CLI={path} is not an executable"
        return path
    path = os.path.join(SOURCE_DIR, "build", "bin", "statcoder")
    if not os.access(path, os.X_OK):
        pytest.skip(f"the statcoder CLI is not built at {path} (set STATCODER_CLI)")
    return path
