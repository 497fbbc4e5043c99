"""The Python API: training from DataFrames, coding into DataFrames, probabilities without a
copy, model files shared with the CLI, validation as the CLI validates, and the GIL released
while C++ works."""

import gc
import json
import math
import os
import pickle
import subprocess
import threading
import time

import numpy as np
import pandas as pd
import pytest

import statcoder
from statcoder import _statcoder
from conftest import CODELIST, ONET

CODED_COLUMNS = ["code", "confidence", "decision", "level", "level_name"]


def expected_columns(top_k):
    cols = list(CODED_COLUMNS)
    for k in range(1, top_k + 1):
        cols += [f"top{k}_code", f"top{k}_prob"]
    return cols + ["model_version", "reason"]


def shuffled_with_labels(df, seed=7):
    """The rows in another order, indexed by string labels: code() must keep both."""
    out = df.sample(frac=1.0, random_state=seed)
    out.index = [f"r{i}" for i in out["id"]]
    return out


# ---- coding ----


def test_code_keeps_index_and_order_with_the_cli_columns(model, onet_test):
    data = shuffled_with_labels(onet_test)
    out = model.code(data, top_k=3)
    assert list(out.columns) == expected_columns(3)
    assert out.index.equals(data.index)
    assert set(out["decision"]) <= {"auto", "review"}
    # A rolled-up confidence is a sum of float probabilities: it may pass 1 by a rounding error.
    assert out["confidence"].between(0, 1 + 1e-6).all()
    assert (out["top1_prob"] >= out["top2_prob"]).all()
    assert (out["model_version"] == model.version).all()
    assert (out["reason"] == "").equals(out["decision"] == "auto")  # referred rows say why
    assert set(out["top1_code"]) <= set(model.labels)
    assert str(out["level"].dtype) == "int32" and str(out["top1_prob"].dtype) == "float32"
    # Coding at a coarser level gives an ancestor code with its level's name.
    coarse = out[out["level"] < 4]
    assert (coarse["level_name"] != "detailed").all()
    # The bundled sample is codable: most titles get their true code first.
    assert (out["top1_code"] == data["soc2018"]).mean() > 0.6


def test_code_matches_the_cli_row_by_row(model, model_path, onet_test, cli, tmp_path):
    data_path = os.path.join(ONET, "test.tsv")
    out_path = tmp_path / "coded.tsv"
    subprocess.run([cli, "code", "--model", model_path, "--data", data_path, "--id", "id",
                    "--top-k", "5", "--quiet", "--out", str(out_path)], check=True)
    from_cli = pd.read_csv(out_path, sep="\t", dtype=str, keep_default_na=False)
    ours = model.code(onet_test.set_index("id"), top_k=5)
    assert len(from_cli) == len(ours) == len(onet_test)
    assert list(from_cli["id"]) == list(ours.index)
    # The CLI adds the decided code's title, for people reading the file.
    assert list(from_cli.columns) == ["id"] + expected_columns(5) + ["code_title"]
    for col in ["code", "decision", "level_name", "model_version", "reason"] + [
            f"top{k}_code" for k in range(1, 6)]:
        assert list(from_cli[col]) == list(ours[col]), col
    assert list(from_cli["level"].astype(int)) == list(ours["level"])
    # The CLI prints 6 decimals.
    for col in ["confidence"] + [f"top{k}_prob" for k in range(1, 6)]:
        diff = np.abs(from_cli[col].astype(float).to_numpy() - ours[col].to_numpy(np.float64))
        assert diff.max() <= 5.1e-7, col


def test_python_and_cli_train_the_same_model_from_the_same_records(model, onet_train, onet_test,
                                                                   cli, tmp_path):
    path = tmp_path / "cli.stc"
    subprocess.run([cli, "train", "--data", os.path.join(ONET, "train.tsv"), "--text", "title",
                    "--label", "soc2018", "--codelist", CODELIST, "--seed", "1",
                    "--deterministic", "--quiet", "--out", str(path)], check=True,
                   stdout=subprocess.DEVNULL)
    from_cli = statcoder.load(path)
    assert from_cli.labels == model.labels
    # Same records, options and seed: the same weights. Only the training data's name and
    # hash in the metadata differ (a file's bytes vs a DataFrame's values).
    np.testing.assert_array_equal(from_cli.probabilities(onet_test), model.probabilities(onet_test))
    ours, theirs = model.metadata, from_cli.metadata
    assert ours["training_options"] == theirs["training_options"]
    assert ours["training_data"]["records"] == theirs["training_data"]["records"]
    assert ours["training_data"]["path_name"] == "DataFrame"


def test_train_through_a_crosswalk_matches_the_cli(cli, tmp_path):
    soc = os.path.join(os.path.dirname(ONET), "soc_transition")
    table = tmp_path / "soc2010_soc2020.tsv"
    structure = os.path.join(soc, "soc2020_structure.tsv")
    subprocess.run([cli, "crosswalk", "derive", "--data", os.path.join(soc, "train.tsv"),
                    "--from", "soc2010", "--to", "soc2020", "--to-codelist", structure,
                    "--out", str(table)], check=True, stdout=subprocess.DEVNULL)
    train = pd.read_csv(os.path.join(soc, "train.tsv"), sep="\t", dtype=str,
                        keep_default_na=False).drop(columns=["soc2020"])
    text = ["text", "add_qualifier", "industry_qualifier"]
    # One row of a code the table does not have: left out, listed, not an error.
    train.loc[len(train)] = ["0", "Stargazer", "", "", "9999", "1111"]
    model = statcoder.train(train, text=text, label="soc2010", codelist=structure,
                            crosswalk=table)
    assert model.metadata["crosswalk_training"]["dropped"] == 1
    assert list(model.rejections["column"]) == ["soc2010"]
    assert "has no row in the crosswalk" in model.rejections["reason"][0]
    assert set(model.labels) <= set(pd.read_csv(structure, sep="\t", dtype=str)["code"])
    path = tmp_path / "cli.stc"
    subprocess.run([cli, "train", "--data", os.path.join(soc, "train.tsv"), "--text",
                    ",".join(text), "--label", "soc2010", "--crosswalk", str(table),
                    "--codelist", structure, "--quiet", "--out", str(path)], check=True,
                   stdout=subprocess.DEVNULL)
    test = pd.read_csv(os.path.join(soc, "test.tsv"), sep="\t", dtype=str, keep_default_na=False)
    np.testing.assert_array_equal(statcoder.load(path).probabilities(test[text]),
                                  model.probabilities(test[text]))


def test_probabilities_are_a_float32_view_of_the_cores_memory(model, model_path, onet_test):
    probs = model.probabilities(onet_test)
    assert probs.shape == (len(onet_test), len(model.labels))
    assert probs.dtype == np.float32 and probs.flags.c_contiguous
    assert not probs.flags.owndata and probs.base is not None  # no copy was made
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-5)
    top1 = model.code(onet_test, top_k=1)["top1_code"]
    assert list(np.asarray(model.labels)[probs.argmax(axis=1)]) == list(top1)
    np.testing.assert_allclose(probs.max(axis=1), model.code(onet_test, top_k=1)["top1_prob"])
    # The array outlives the model and its inputs (a capsule owns the memory).
    temporary = statcoder.load(model_path)
    kept = temporary.probabilities(onet_test.head(3).copy())
    del temporary
    gc.collect()
    np.testing.assert_array_equal(kept, probs[:3])


def test_results_do_not_depend_on_the_thread_count(model, onet_test):
    one = model.code(onet_test, threads=1)
    two = model.code(onet_test, threads=2)
    pd.testing.assert_frame_equal(one, two)


def test_missing_values_are_empty_fields(model):
    data = pd.DataFrame({"title": ["Baker", None, np.nan, "", pd.NA]},
                        index=[10, 11, 12, 13, 14])
    out = model.code(data)
    empty = model.code(pd.DataFrame({"title": [""]}))
    for i in (11, 12, 13, 14):
        assert out.loc[i, "top1_code"] == empty.iloc[0]["top1_code"]
        assert out.loc[i, "top1_prob"] == empty.iloc[0]["top1_prob"]


def test_columns_can_be_named_for_the_models_fields(model, onet_test):
    renamed = onet_test.rename(columns={"title": "job_title"})
    pd.testing.assert_frame_equal(model.code(renamed, text=["job_title"]), model.code(onet_test))
    with pytest.raises(statcoder.InvalidArgumentError, match="one column per field"):
        model.code(renamed, text=["job_title", "id"])


def test_a_single_text_field_model_codes_strings(model):
    one = model.code("Dairy Department Manager", top_k=2)
    assert len(one) == 1 and list(one.columns) == expected_columns(2)
    series = pd.Series(["Dairy Department Manager", "Snuff Grinder"], index=["a", "b"])
    out = model.code(series)
    assert list(out.index) == ["a", "b"]
    assert out.loc["a", "top1_code"] == one.iloc[0]["top1_code"]


def test_no_rows_give_no_rows_with_the_columns(model):
    out = model.code(pd.DataFrame({"title": pd.Series([], dtype=object)}), top_k=2)
    assert len(out) == 0 and list(out.columns) == expected_columns(2)
    assert model.probabilities(pd.DataFrame({"title": []})).shape == (0, len(model.labels))


def test_top_k_beyond_the_labels_is_padded_as_the_cli_pads(onet_train):
    two = onet_train[onet_train["soc2018"].isin(["17-3012", "51-9021"])]
    small = statcoder.train(two, text="title", label="soc2018", epochs=3, holdout=0.0)
    out = small.code(["grinder"], top_k=3)
    assert out.iloc[0]["top3_code"] is None and math.isnan(out.iloc[0]["top3_prob"])


def test_a_row_that_cannot_be_coded_is_named(model):
    data = pd.DataFrame({"title": ["baker", "x" * 100]}, index=["ok", "long"])
    with pytest.raises(statcoder.InvalidInputError) as info:
        model.code(data, max_field_bytes=50)
    message = str(info.value)
    assert "row 2 (index 'long')" in message and "column 'title'" in message
    assert "100 bytes" in message
    # A lone surrogate has no UTF-8 form: the row is refused, not mangled.
    with pytest.raises(statcoder.InvalidInputError, match="invalid UTF-8"):
        model.code(pd.DataFrame({"title": ["ok", "bad \ud800"]}))


# ---- training ----


def test_missing_label_is_an_error_naming_the_row_and_the_column(onet_train):
    data = onet_train.head(200).copy()
    data.index = [f"r{i}" for i in range(len(data))]
    data.loc["r7", "soc2018"] = np.nan
    with pytest.raises(statcoder.InvalidInputError) as info:
        statcoder.train(data, text="title", label="soc2018")
    message = str(info.value)
    assert isinstance(info.value, ValueError)
    assert "row 8 (index 'r7')" in message
    assert "column 'soc2018'" in message and "empty label" in message


def test_labels_are_checked_against_the_code_list(onet_train):
    data = onet_train.head(300).copy()
    data.iloc[5, data.columns.get_loc("soc2018")] = "99-9999"
    with pytest.raises(statcoder.InvalidInputError, match="label '99-9999' is not in the code list"):
        statcoder.train(data, text="title", label="soc2018", codelist=CODELIST)
    # Allowed a share of rejects, the row is left out and reported.
    model = statcoder.train(data, text="title", label="soc2018", codelist=CODELIST,
                            max_reject_share=0.01, epochs=3)
    rejected = model.rejections
    assert list(rejected["index"]) == [data.index[5]]
    assert list(rejected["column"]) == ["soc2018"]
    assert "99-9999" not in model.labels
    assert model.metadata["training_data"]["rejected"] == 1


def test_training_is_reproducible_and_options_are_recorded(onet_train):
    data = onet_train.head(800)
    a = statcoder.train(data, text="title", label="soc2018", seed=3, epochs=4,
                        deterministic=True, char_ngrams="2-3")
    b = statcoder.train(data, text="title", label="soc2018", seed=3, epochs=4,
                        deterministic=True, char_ngrams=(2, 3))
    assert a.to_bytes() == b.to_bytes() and a.version == b.version
    options = a.metadata["training_options"]
    assert options["seed"] == 3 and options["epochs"] == 4 and options["mode"] == "deterministic"
    assert a.metadata["training_data"]["records"] == 800
    c = statcoder.train(data, text="title", label="soc2018", seed=4, epochs=4, deterministic=True,
                        char_ngrams="2-3")
    assert c.version != a.version


def test_categorical_and_numeric_columns_from_numbers_or_strings(onet_train):
    data = onet_train.head(600).copy()
    rng = np.random.default_rng(0)
    data["sector"] = pd.Categorical(rng.choice(["public", "private", None], len(data)))
    size = rng.integers(1, 500, len(data)).astype(float)
    size[::7] = np.nan
    data["size"] = size
    kwargs = dict(text="title", label="soc2018", categorical="sector", numeric="size", seed=2,
                  epochs=3, deterministic=True)
    from_numbers = statcoder.train(data, **kwargs)
    as_text = data.assign(size=[("" if math.isnan(v) else repr(v)) for v in size],
                          sector=data["sector"].astype(object))
    from_text = statcoder.train(as_text, **kwargs)
    assert from_numbers.categorical_fields == ["sector"]
    assert from_numbers.numeric_fields == ["size"]
    np.testing.assert_array_equal(from_numbers.probabilities(data), from_text.probabilities(data))
    # An unparsable number is refused as the CLI refuses it, naming row and column.
    bad = as_text.copy()
    bad.iloc[3, bad.columns.get_loc("size")] = "twelve"
    with pytest.raises(statcoder.InvalidInputError, match=r"row 4 .*column 'size'.*not a number"):
        from_numbers.code(bad)
    with pytest.raises(statcoder.InvalidInputError, match="not a finite number"):
        from_numbers.code(data.assign(size=np.inf))


def test_every_training_option_is_documented_with_the_librarys_default():
    defaults = _statcoder.train_defaults()
    assert set(statcoder._OPTION_HELP) == set(defaults)
    for name, value in defaults.items():
        assert f"{name} (default {value!r})" in statcoder.train.__doc__


# ---- files ----


def test_save_load_and_pickle_keep_the_model(model, model_path, onet_test, tmp_path):
    loaded = statcoder.load(model_path)
    assert loaded.version == model.version
    assert loaded.labels == model.labels and loaded.level_names == model.level_names
    pd.testing.assert_frame_equal(loaded.code(onet_test), model.code(onet_test))
    assert model.save(tmp_path / "again.stc") == model.version
    assert open(tmp_path / "again.stc", "rb").read() == open(model_path, "rb").read()
    unpickled = pickle.loads(pickle.dumps(model))
    assert unpickled.version == model.version
    assert "74 codes" in repr(model)


# ---- the GIL ----


def max_stall_while(fn):
    """Runs fn in a thread while this thread keeps running Python; returns (call seconds,
    longest pause of this thread). Holding the GIL in C++ would pause it for the whole call."""
    worker = threading.Thread(target=fn)
    start = last = time.perf_counter()
    longest = 0.0
    worker.start()
    while worker.is_alive():
        now = time.perf_counter()
        longest = max(longest, now - last)
        last = now
    return last - start, longest


def test_the_gil_is_released_while_coding_and_training(model, onet_train, onet_test):
    big = pd.concat([onet_test] * 60, ignore_index=True)  # ~50,000 rows
    elapsed, stall = max_stall_while(lambda: model.code(big, threads=1))
    assert elapsed > 0.1
    assert stall < elapsed / 3, (elapsed, stall)
    elapsed, stall = max_stall_while(
        lambda: statcoder.train(onet_train, text="title", label="soc2018", epochs=10))
    assert elapsed > 0.1
    assert stall < elapsed / 3, (elapsed, stall)


def test_other_containers_and_duplicate_columns(model, onet_test):
    titles = list(onet_test["title"].head(5))
    from_dict = model.code({"title": titles})
    pd.testing.assert_frame_equal(from_dict, model.code(pd.DataFrame({"title": titles})))
    # A repeated column the model does not read is no problem; one it reads is ambiguous.
    extra = pd.DataFrame([[t, "a", "b"] for t in titles], columns=["title", "x", "x"])
    pd.testing.assert_frame_equal(model.code(extra), from_dict)
    twice = pd.DataFrame([[t, t] for t in titles], columns=["title", "title"])
    with pytest.raises(statcoder.InvalidArgumentError, match="two columns named 'title'"):
        model.code(twice)


def test_explain_is_exact_and_matches_the_cli(model, model_path, cli):
    e = model.explain("retail sale of bicycles")
    assert e["decision"]["code"] == model.code("retail sale of bicycles")["code"].iloc[0]
    # The contributions and the bias add up to the score difference of the two codes.
    total = sum(f["contribution"] for f in e["features"]) + e["bias"]
    assert abs(total - e["logit_difference"]) < 1e-3
    assert e["versus"]["code"] != e["code"]["code"]
    # A mapping of fields, and a named runner-up.
    versus = e["top"][2]["code"]
    e2 = model.explain({"title": "retail sale of bicycles"}, versus=versus)
    assert e2["versus"]["code"] == versus
    # The same object as `statcoder explain --json`.
    out = subprocess.run([cli, "explain", "--model", str(model_path), "--text",
                          "retail sale of bicycles", "--json"], check=True,
                         capture_output=True, text=True).stdout
    from_cli = json.loads(out)
    assert from_cli["decision"] == e["decision"]
    assert [f["text"] for f in from_cli["features"]] == [f["text"] for f in e["features"]]


def test_explain_errors_are_mapped(model):
    with pytest.raises(statcoder.NotFoundError):
        model.explain("retail sale of bicycles", versus="99-9999")
    with pytest.raises(statcoder.InvalidArgumentError):
        model.explain(["one", "two"])
