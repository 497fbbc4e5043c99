#!/usr/bin/python3
"""IMF time series to SDMX keys: dimension coding against flat classifiers, on IFS indicators.

For each seed, bench/ifs_series.py builds reported series from the IFS indicator code list
(../shared/data/imf_ifs_indicators) with 20 % of the codes withheld entirely. Then, on the same
split, side by side:
  statcoder joint   train --label CONCEPT,BASIS,ADJUSTMENT,UNIT --structure structure.xml
                    (the key decided jointly among the structure's allowed keys), on the text;
  statcoder joint + values   the same with --series-values values (magnitude, sign,
                    variability, seasonality of the observations) and --plausibility
                    examples/imf_ifs/plausibility.tsv (rules on units and adjustment);
  statcoder flat    train --label indicator (one class per indicator code);
  sklearn flat      TF-IDF word 1-2 + char_wb 2-5, SGD log-loss, on the indicator code;
  sklearn per dim   the same pipeline per dimension, each deciding alone (keys may be invalid).
Reported: exact-key accuracy on records of seen and of withheld codes, per-dimension accuracy,
the share of invalid keys (not in the structure's allowed keys), and statcoder's auto-coded
share and its precision. Usage:
  bench/ifs_bench.py --statcoder build/bin/statcoder --data ../shared/data [--seeds 17,18,19]
"""
import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
DIMENSIONS = ["CONCEPT", "BASIS", "ADJUSTMENT", "UNIT"]


def read(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))


def run(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({r.returncode}): {r.stderr[-2000:]}")
    return r.stdout


def sklearn_pipeline():
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import SGDClassifier
    from sklearn.pipeline import make_pipeline, make_union
    return make_pipeline(
        make_union(TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
                   TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True)),
        SGDClassifier(loss="log_loss", alpha=1e-5, max_iter=30, tol=None, random_state=0))


def text_of(r):
    return f"{r['descriptor']} | {r['unit_text']} | {r['freq']}"


def one_seed(args, seed, work):
    d = os.path.join(work, f"seed{seed}")
    run([sys.executable, os.path.join(HERE, "ifs_series.py"), "--data",
         os.path.join(args.data, "imf_ifs_indicators", "ifs_indicators.tsv"), "--out", d,
         "--seed", str(seed)])
    train = read(os.path.join(d, "train.tsv"))
    tests = {name: read(os.path.join(d, f"test_{name}.tsv")) for name in ("seen", "withheld")}
    valid = {tuple(r[k] for k in DIMENSIONS) for r in read(os.path.join(d, "valid_keys.tsv"))}
    out = {"seed": seed, "train_records": len(train),
           "test_records": {k: len(v) for k, v in tests.items()}}
    seen_values = {k: {r[k] for r in train} for k in DIMENSIONS}
    out["withheld_composable"] = sum(all(r[k] in seen_values[k] for k in DIMENSIONS)
                                     for r in tests["withheld"]) / len(tests["withheld"])
    S = args.statcoder
    common = ["--data", os.path.join(d, "train.tsv"), "--text", "descriptor,unit_text",
              "--categorical", "freq", "--id", "series_id", "--quiet"]
    t = time.time()
    run([S, "train", *common, "--label", ",".join(DIMENSIONS), "--structure",
         os.path.join(d, "structure.xml"), "--out", os.path.join(d, "joint.stcj")])
    joint_seconds = time.time() - t
    t = time.time()
    run([S, "train", *common, "--label", ",".join(DIMENSIONS), "--structure",
         os.path.join(d, "structure.xml"), "--series-values", "values", "--plausibility",
         os.path.join(HERE, "..", "examples", "imf_ifs", "plausibility.tsv"), "--out",
         os.path.join(d, "joint_values.stcj")])
    values_seconds = time.time() - t
    t = time.time()
    run([S, "train", *common, "--label", "indicator", "--out", os.path.join(d, "flat.stc")])
    flat_seconds = time.time() - t
    res = {"statcoder_joint": {"train_seconds": joint_seconds},
           "statcoder_joint_values": {"train_seconds": values_seconds},
           "statcoder_flat": {"train_seconds": flat_seconds},
           "sklearn_flat": {}, "sklearn_per_dimension": {}}
    for name in tests:
        path = os.path.join(d, f"test_{name}.tsv")
        for system, model in (("statcoder_joint", "joint.stcj"),
                              ("statcoder_joint_values", "joint_values.stcj")):
            j = json.loads(run([S, "evaluate", "--model", os.path.join(d, model), "--data", path,
                                "--id", "series_id", "--json"]))
            res[system][name] = {
                "key_accuracy": j["joint_accuracy"], "invalid_key_rate": j["invalid_key_rate"],
                "per_dimension": {k: j["per_label"][k]["accuracy"] for k in DIMENSIONS},
                "auto_rate": j["auto_rate"], "auto_precision": j["auto_precision"],
                "partial_rate": j["partial_rate"], "new_key_rate": j["new_key_rate"],
                "new_key_accuracy": j["new_key_accuracy"],
                "implausible_decided": j.get("implausible_decided")}
        f = json.loads(run([S, "evaluate", "--model", os.path.join(d, "flat.stc"), "--data", path,
                            "--label", "indicator", "--id", "series_id", "--json"]))
        res["statcoder_flat"][name] = {"key_accuracy": f["accuracy"], "invalid_key_rate": 0.0}
    if not args.no_sklearn:
        t = time.time()
        flat = sklearn_pipeline().fit([text_of(r) for r in train], [r["indicator"] for r in train])
        res["sklearn_flat"]["train_seconds"] = time.time() - t
        per_dim = {}
        t = time.time()
        for k in DIMENSIONS:
            per_dim[k] = sklearn_pipeline().fit([text_of(r) for r in train], [r[k] for r in train])
        res["sklearn_per_dimension"]["train_seconds"] = time.time() - t
        for name, rows in tests.items():
            x = [text_of(r) for r in rows]
            p = flat.predict(x)
            res["sklearn_flat"][name] = {
                "key_accuracy": sum(a == r["indicator"] for a, r in zip(p, rows)) / len(rows),
                "invalid_key_rate": 0.0}
            preds = {k: per_dim[k].predict(x) for k in DIMENSIONS}
            keys = [tuple(preds[k][i] for k in DIMENSIONS) for i in range(len(rows))]
            res["sklearn_per_dimension"][name] = {
                "key_accuracy": sum(key == tuple(r[k] for k in DIMENSIONS)
                                    for key, r in zip(keys, rows)) / len(rows),
                "invalid_key_rate": sum(key not in valid for key in keys) / len(rows),
                "per_dimension": {k: sum(a == r[k] for a, r in zip(preds[k], rows)) / len(rows)
                                  for k in DIMENSIONS}}
    out["results"] = res
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--statcoder", required=True)
    ap.add_argument("--data", required=True, help="../shared/data")
    ap.add_argument("--seeds", default="17,18,19")
    ap.add_argument("--no-sklearn", action="store_true")
    ap.add_argument("--json", help="write the figures here")
    args = ap.parse_args()
    runs = []
    with tempfile.TemporaryDirectory() as work:
        for seed in [int(s) for s in args.seeds.split(",")]:
            runs.append(one_seed(args, seed, work))
            r = runs[-1]
            print(f"seed {seed}: {r['train_records']} train records; withheld records whose "
                  f"every dimension value was seen: {r['withheld_composable']:.3f}")
            print(f"  {'system':<24} {'seen key acc':>12} {'withheld key acc':>16} "
                  f"{'invalid keys':>12} {'auto (seen)':>11} {'its precision':>13} "
                  f"{'UNIT seen/withheld':>18}")
            for system, res in r["results"].items():
                if "seen" not in res:
                    continue
                auto = res["seen"].get("auto_rate")
                prec = res["seen"].get("auto_precision")
                inval = max(res["seen"]["invalid_key_rate"], res["withheld"]["invalid_key_rate"])
                unit = ""
                if "per_dimension" in res["seen"]:
                    unit = (f"{res['seen']['per_dimension']['UNIT']:.3f}/"
                            f"{res['withheld']['per_dimension']['UNIT']:.3f}")
                print(f"  {system:<24} {res['seen']['key_accuracy']:>12.3f} "
                      f"{res['withheld']['key_accuracy']:>16.3f} {inval:>12.4f} "
                      f"{'' if auto is None else f'{auto:.3f}':>11} "
                      f"{'' if prec is None else f'{prec:.3f}':>13} {unit:>18}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(runs, f, indent=2)


if __name__ == "__main__":
    main()
