"""Dataset preparation for the side-by-side benchmark (bench/run_bench.py).

Every system gets the same split, written once per dataset under <out>/<dataset>/:

  train.tsv          header + rows: <id>, <text fields...>, <label>   (statcoder, scikit-learn);
                     multi-label data: one row per (text, label) pair, id "<id>.<j>"
  train_multilabel.tsv  one row per text, column "labels" = all labels separated by spaces
                     (scikit-learn on multi-label data)
  test.tsv           same columns; for multi-label data the label column holds the first label
  test_labels.tsv    id <TAB> all true labels separated by spaces (the truth used for scoring)
  test_one.tsv       header + the first test row (to measure model-load time)
  test_tput.tsv      the test rows repeated to >= --tput-records rows (throughput runs)
  ft_train.txt       fastText format: "__label__<code> ... text" (text pre-processed, see below)
  ft_test.txt        fastText input, one test text per line, same order as test.tsv
  ft_test_one.txt    first line of ft_test.txt
  ft_test_tput.txt   same repetition as test_tput.tsv
  split.json         sizes, seed, leakage check, file checksums

Splits are made with our own deterministic shuffle (random.Random(seed)), so they are
identical on every machine and Python 3 version.
"""

import collections
import hashlib
import json
import os
import random
import re

# Dataset specifications. Paths are relative to --data-dir.
#   id_col:    id column in the prepared TSVs ("row_id" where the source has one)
#   text_cols: text fields, in order (joined by " ; " for systems that take one string)
#   codelist / level_col: hierarchy file for statcoder (None where none exists)
DATASETS = {
    "naics": {
        "kind": "tsv",
        "file": "naics2022_index/naics2022_index.train.tsv",
        "id_col": "row_id",
        "text_cols": ["text"],
        "label_col": "naics2022",
        "codelist": "naics2022_index/naics2022_structure.tsv",
        "level_col": "digits",
    },
    "soc": {
        "kind": "tsv",
        "file": "ons_soc2020_index/soc2020_index.train.tsv",
        "id_col": "row_id",
        "text_cols": ["text", "add_qualifier", "industry_qualifier"],
        "label_col": "soc2020",
        "codelist": "ons_soc2020_index/soc2020_structure.tsv",
        "level_col": "level",
    },
    "onet": {
        # No id in the source: row_id = 1-based data-row number in onet27_titles.tsv.
        "kind": "tsv",
        "file": "onet27_titles/onet27_titles.tsv",
        "id_col": "row_id",
        "text_cols": ["text"],
        "label_col": "soc2018",
        "codelist": None,
        "level_col": None,
    },
    "cooking": {
        # fastText tutorial split, raw text (not pre-processed); multi-label.
        "kind": "fasttext",
        "train": "bench_cooking_fasttext/cooking.train",
        "test": "bench_cooking_fasttext/cooking.valid",
        "id_col": "id",
        "text_cols": ["text"],
        "label_col": "label",
        "codelist": None,
        "level_col": None,
    },
    "cooking-pp": {
        # Same split, the tutorial's pre-processed text (optional dataset).
        "kind": "fasttext",
        "train": "bench_cooking_fasttext/cooking.preprocessed.train",
        "test": "bench_cooking_fasttext/cooking.preprocessed.valid",
        "id_col": "id",
        "text_cols": ["text"],
        "label_col": "label",
        "codelist": None,
        "level_col": None,
    },
}

FIELD_SEP = " ; "
FT_LABEL = "__label__"
_PUNCT = re.compile(r"([.!?,'/()])")
_SPACES = re.compile(r"\s+")


def fasttext_text(fields):
    """Text as fed to fastText: fields joined by " ; ", then the fastText tutorial's
    pre-processing (sed -e "s/\\([.\\!?,'/()]\\)/ \\1 /g" | tr "[:upper:]" "[:lower:]"),
    because fastText itself only splits on whitespace."""
    s = FIELD_SEP.join(fields)
    s = _PUNCT.sub(r" \1 ", s).lower()
    return _SPACES.sub(" ", s).strip()


def joined_text(fields):
    """Text as fed to scikit-learn: raw fields joined by " ; " (its tokenizers do the rest)."""
    return FIELD_SEP.join(fields)


def _clean(s):
    # Sources never contain tabs/newlines (shared/data/README.md); keep the TSVs valid anyway.
    return s.replace("\t", " ").replace("\r", " ").replace("\n", " ")


def _read_tsv(path):
    with open(path, encoding="utf-8", newline="\n") as f:
        header = f.readline().rstrip("\n").split("\t")
        rows = []
        for lineno, line in enumerate(f, start=2):
            line = line.rstrip("\n")
            if not line:
                continue
            fields = line.split("\t")
            if len(fields) != len(header):
                raise ValueError(f"{path}:{lineno}: {len(fields)} fields, header has {len(header)}")
            rows.append(fields)
    return header, rows


def _read_fasttext(path, prefix):
    """Returns [(id, [text], [labels])]; labels lose their __label__ prefix."""
    out = []
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, start=1):
            toks = line.split()
            labels = []
            i = 0
            while i < len(toks) and toks[i].startswith(FT_LABEL):
                labels.append(toks[i][len(FT_LABEL):])
                i += 1
            if not labels:
                raise ValueError(f"{path}:{lineno}: no __label__ prefix")
            out.append((f"{prefix}{lineno}", [" ".join(toks[i:])], labels))
    return out


def load_split(spec, data_dir, seed, limit):
    """Returns (train, test, info); train/test are lists of (id, [fields], [labels])."""
    if spec["kind"] == "tsv":
        path = os.path.join(data_dir, spec["file"])
        header, rows = _read_tsv(path)
        col = {name: i for i, name in enumerate(header)}
        for name in spec["text_cols"] + [spec["label_col"]]:
            if name not in col:
                raise ValueError(f"{path}: column '{name}' missing (have {header})")
        records = []
        for n, r in enumerate(rows, start=1):
            rid = r[col["row_id"]] if "row_id" in col else str(n)
            records.append((rid, [r[col[c]] for c in spec["text_cols"]],
                            [r[col[spec["label_col"]]]]))
        order = list(range(len(records)))
        random.Random(seed).shuffle(order)
        if limit:
            order = order[:limit]
        n_test = round(0.2 * len(order))
        test = [records[i] for i in order[:n_test]]
        train = [records[i] for i in order[n_test:]]
        info = {"source": [spec["file"]], "split": f"80/20 random, random.Random({seed}).shuffle",
                "all_records": records}
    else:
        train = _read_fasttext(os.path.join(data_dir, spec["train"]), "t")
        test = _read_fasttext(os.path.join(data_dir, spec["test"]), "v")
        if limit:
            n_train = round(0.8 * limit)
            train = train[:n_train]
            test = test[:limit - n_train]
        info = {"source": [spec["train"], spec["test"]],
                "split": "fixed fastText tutorial split (head -n 12404 / tail -n 3000)",
                "all_records": train + test}
    ids = [r[0] for r in train + test]
    if len(set(ids)) != len(ids):
        raise ValueError("duplicate record ids in the split")
    return train, test, info


def _key(fields):
    return _SPACES.sub(" ", FIELD_SEP.join(fields).lower()).strip()


def leakage_report(train, test, all_records):
    """Exact-text overlap between test and train, next to what the data itself contains.

    A random split of data with duplicate texts necessarily puts some duplicates on both
    sides; the check is that the overlap never exceeds the test rows whose text occurs more
    than once in the (limited) source, i.e. the split adds no leakage of its own."""
    used = {r[0] for r in train} | {r[0] for r in test}
    counts = collections.Counter(_key(r[1]) for r in all_records if r[0] in used)
    train_labels = collections.defaultdict(set)
    for rid, fields, labels in train:
        train_labels[_key(fields)].update(labels)
    overlap = agree = dup_in_source = 0
    for rid, fields, labels in test:
        k = _key(fields)
        if counts[k] > 1:
            dup_in_source += 1
        if k in train_labels:
            overlap += 1
            if set(labels) & train_labels[k]:
                agree += 1
    if overlap > dup_in_source:
        raise AssertionError(f"split leaks: {overlap} test texts in train, only {dup_in_source} "
                             "test rows have a duplicated text in the source")
    ids_overlap = len({r[0] for r in train} & {r[0] for r in test})
    if ids_overlap:
        raise AssertionError(f"{ids_overlap} record ids are in both train and test")
    return {
        "test_texts_in_train": overlap,
        "test_texts_in_train_same_label": agree,
        "test_rows_with_duplicated_text_in_source": dup_in_source,
        "test_rows": len(test),
        "ok": True,
    }


def _sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _write_tsv(path, header, rows):
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write("\t".join(header) + "\n")
        for r in rows:
            f.write("\t".join(_clean(x) for x in r) + "\n")


def _write_lines(path, lines):
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for line in lines:
            f.write(line + "\n")


def prepare(name, data_dir, out_dir, seed, limit, tput_records):
    """Writes the split files for one dataset; returns a dict describing them."""
    spec = DATASETS[name]
    train, test, info = load_split(spec, data_dir, seed, limit)
    os.makedirs(out_dir, exist_ok=True)
    id_col, text_cols, label_col = spec["id_col"], spec["text_cols"], spec["label_col"]
    header = [id_col] + text_cols + [label_col]
    multi_label = spec["kind"] == "fasttext"
    files = {k: os.path.join(out_dir, v) for k, v in {
        "train": "train.tsv", "test": "test.tsv", "test_labels": "test_labels.tsv",
        "train_multilabel": "train_multilabel.tsv",
        "test_one": "test_one.tsv", "test_tput": "test_tput.tsv",
        "ft_train": "ft_train.txt", "ft_test": "ft_test.txt",
        "ft_test_one": "ft_test_one.txt", "ft_test_tput": "ft_test_tput.txt"}.items()}

    # One row per (text, label) pair for single-label learners.
    train_rows = []
    for rid, fields, labels in train:
        if len(labels) == 1:
            train_rows.append([rid] + fields + [labels[0]])
        else:
            for j, lab in enumerate(labels, start=1):
                train_rows.append([f"{rid}.{j}"] + fields + [lab])
    _write_tsv(files["train"], header, train_rows)
    # Multi-label learners (scikit-learn one-vs-rest) take one row per text with all labels.
    _write_tsv(files["train_multilabel"], [id_col] + text_cols + ["labels"],
               [[rid] + fields + [" ".join(labels)] for rid, fields, labels in train])
    test_rows = [[rid] + fields + [labels[0]] for rid, fields, labels in test]
    _write_tsv(files["test"], header, test_rows)
    _write_tsv(files["test_labels"], [id_col, "labels"],
               [[rid, " ".join(labels)] for rid, _, labels in test])
    _write_tsv(files["test_one"], header, test_rows[:1])

    repeats = max(1, -(-tput_records // max(1, len(test)))) if tput_records else 1
    tput_rows = []
    for k in range(repeats):
        for r in test_rows:
            tput_rows.append(r if k == 0 else [f"{r[0]}~{k}"] + r[1:])
    _write_tsv(files["test_tput"], header, tput_rows)

    _write_lines(files["ft_train"],
                 (" ".join(FT_LABEL + lab for lab in labels) + " " + fasttext_text(fields)
                  for _, fields, labels in train))
    ft_test = [fasttext_text(fields) for _, fields, _ in test]
    _write_lines(files["ft_test"], ft_test)
    _write_lines(files["ft_test_one"], ft_test[:1])
    _write_lines(files["ft_test_tput"], ft_test * repeats)

    leak = leakage_report(train, test, info["all_records"])
    verify_written(files, len(train_rows), len(test), len(train), repeats, id_col)

    train_classes = {lab for _, _, labels in train for lab in labels}
    test_classes = {lab for _, _, labels in test for lab in labels}
    desc = {
        "dataset": name,
        "source": info["source"],
        "split": info["split"],
        "seed": seed,
        "limit": limit,
        "multi_label": multi_label,
        "id_col": id_col,
        "text_cols": text_cols,
        "label_col": label_col,
        "codelist": spec["codelist"],
        "level_col": spec["level_col"],
        "n_train_records": len(train),
        "n_train_rows": len(train_rows),
        "n_test": len(test),
        "n_tput": len(tput_rows),
        "train_classes": len(train_classes),
        "test_classes": len(test_classes),
        "test_classes_unseen_in_train": len(test_classes - train_classes),
        "test_rows_with_unseen_label": sum(1 for _, _, labels in test
                                           if not set(labels) & train_classes),
        "leakage": leak,
        "files": {k: os.path.basename(v) for k, v in files.items()},
        "sha256": {k: _sha256(files[k]) for k in ("train", "test", "ft_train", "ft_test")},
    }
    with open(os.path.join(out_dir, "split.json"), "w", encoding="utf-8") as f:
        json.dump(desc, f, indent=2, sort_keys=True)
    desc["paths"] = files
    return desc


def verify_written(files, n_train_rows, n_test, n_train_records, repeats, id_col):
    """Reads the written files back: counts line up and no test id is in train.tsv."""
    h, train = _read_tsv(files["train"])
    h2, test = _read_tsv(files["test"])
    if h != h2 or h[0] != id_col:
        raise AssertionError("train.tsv and test.tsv headers differ")
    if len(train) != n_train_rows or len(test) != n_test:
        raise AssertionError("row counts of written TSVs do not match the split")
    train_base_ids = {r[0].split(".")[0] if "." in r[0] and r[0].startswith("t") else r[0]
                      for r in train}
    if train_base_ids & {r[0] for r in test}:
        raise AssertionError("a test id appears in train.tsv")
    with open(files["ft_train"], encoding="utf-8") as f:
        if sum(1 for _ in f) != n_train_records:
            raise AssertionError("ft_train.txt line count differs from the split")
    with open(files["ft_test"], encoding="utf-8") as f:
        ft = f.read().split("\n")[:-1]
    if len(ft) != n_test or any(not line.strip() for line in ft):
        raise AssertionError("ft_test.txt must have one non-empty line per test record")
    with open(files["ft_test_tput"], encoding="utf-8") as f:
        if sum(1 for _ in f) != n_test * repeats:
            raise AssertionError("ft_test_tput.txt line count is wrong")


def read_truth(path):
    """test_labels.tsv → {id: [labels]} (order preserved)."""
    _, rows = _read_tsv(path)
    return {r[0]: r[1].split(" ") for r in rows}
