"""The mapping of the C++ library's status codes to Python exception classes (statcoder.ERRORS),
and real failures raising the class their code maps to."""

import struct

import pandas as pd
import pytest

import statcoder
from statcoder import _statcoder

# What each status code must also be, for users who catch built-in exceptions.
EXPECTED_BUILTIN = {
    "invalid_argument": ValueError,
    "invalid_input": ValueError,
    "not_found": KeyError,
    "already_exists": FileExistsError,
    "failed_precondition": RuntimeError,
    "data_loss": ValueError,
    "unsupported_version": ValueError,
    "io_error": OSError,
    "limit_exceeded": ValueError,
    "internal": RuntimeError,
}


def test_every_status_code_of_the_library_has_exactly_one_class():
    assert sorted(statcoder.ERRORS) == sorted(_statcoder.status_codes())
    assert sorted(EXPECTED_BUILTIN) == sorted(_statcoder.status_codes())
    assert len(set(statcoder.ERRORS.values())) == len(statcoder.ERRORS)


@pytest.mark.parametrize("code", sorted(EXPECTED_BUILTIN))
def test_status_code_raises_its_class_with_the_message(code):
    cls = statcoder.ERRORS[code]
    assert issubclass(cls, statcoder.Error)
    assert issubclass(cls, EXPECTED_BUILTIN[code])
    assert cls.code == code
    with pytest.raises(cls) as info:
        _statcoder.raise_status(code, "model 'x' v7 is not there; run 'statcoder models list'")
    assert type(info.value) is cls
    # The message as the library wrote it, not repr()'d (KeyError would quote it).
    assert str(info.value) == "model 'x' v7 is not there; run 'statcoder models list'"


def test_missing_model_file_is_not_found(tmp_path):
    with pytest.raises(statcoder.NotFoundError) as info:
        statcoder.load(tmp_path / "absent.stc")
    assert isinstance(info.value, KeyError)
    assert "absent.stc" in str(info.value)


def test_corrupt_model_file_is_data_loss_a_value_error(model_path, tmp_path):
    data = bytearray(open(model_path, "rb").read())
    data[len(data) // 2] ^= 0x40
    bad = tmp_path / "corrupt.stc"
    bad.write_bytes(bytes(data))
    with pytest.raises(statcoder.DataLossError) as info:
        statcoder.load(bad)
    assert isinstance(info.value, ValueError)
    assert "checksum" in str(info.value)


def test_truncated_model_file_is_data_loss(model_path, tmp_path):
    bad = tmp_path / "truncated.stc"
    bad.write_bytes(open(model_path, "rb").read()[:100])
    with pytest.raises(statcoder.DataLossError):
        statcoder.load(bad)


def test_model_file_from_a_newer_major_version_is_unsupported(model_path, tmp_path):
    data = bytearray(open(model_path, "rb").read())
    data[8:12] = struct.pack("<I", 99)  # format major, right after the 8-byte magic
    newer = tmp_path / "newer.stc"
    newer.write_bytes(bytes(data))
    with pytest.raises(statcoder.UnsupportedVersionError) as info:
        statcoder.load(newer)
    assert isinstance(info.value, ValueError)
    assert "99" in str(info.value)


def test_saving_where_the_os_refuses_is_an_io_error(model, tmp_path):
    with pytest.raises(statcoder.IoError) as info:
        model.save(tmp_path / "no" / "such" / "dir" / "m.stc")
    assert isinstance(info.value, OSError)


def test_missing_column_is_not_found_listing_the_columns(model):
    with pytest.raises(statcoder.NotFoundError) as info:
        model.code(pd.DataFrame({"job": ["baker"]}))
    assert isinstance(info.value, KeyError)
    message = str(info.value)
    assert "no column 'title'" in message and "'job'" in message


def test_bad_option_values_are_invalid_arguments(onet_train, model):
    with pytest.raises(statcoder.InvalidArgumentError):
        statcoder.train(onet_train, text="title", label="soc2018", epochs=0)
    with pytest.raises(statcoder.InvalidArgumentError, match="unknown training option"):
        statcoder.train(onet_train, text="title", label="soc2018", epoch=3)
    with pytest.raises(statcoder.InvalidArgumentError, match="'seed'"):
        statcoder.train(onet_train, text="title", label="soc2018", seed="one")
    with pytest.raises(statcoder.InvalidArgumentError, match="char_ngrams"):
        statcoder.train(onet_train, text="title", label="soc2018", char_ngrams="3..5")
    with pytest.raises(statcoder.InvalidArgumentError, match="top_k"):
        model.code(["baker"], top_k=0)
    with pytest.raises(statcoder.InvalidArgumentError, match="threads"):
        model.code(["baker"], threads=0)
    with pytest.raises(ValueError):  # a column given two roles
        statcoder.train(onet_train, text="title", label="title")


def test_missing_code_list_file_is_not_found(onet_train, tmp_path):
    with pytest.raises(statcoder.NotFoundError):
        statcoder.train(onet_train, text="title", label="soc2018",
                        codelist=tmp_path / "absent.tsv")
