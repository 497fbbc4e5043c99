#!/usr/bin/python3
"""Coding quality side by side: the auto-coding rate at a target precision and the calibration
(ECE) of statcoder against thresholding fastText's own probability, on the same test records.

statcoder's thresholds come from its training side (out-of-fold scores of every training
record: 2-fold cross-fitting, the default); the test split is never used to choose them. fastText has no such mechanism, so its
threshold is chosen ON THE TEST RECORDS THEMSELVES (the best any threshold on its probability
could do: an upper bound for fastText, favourable to it). Both use the split files, seeds and
fastText settings of bench/run_bench.py.

    /usr/bin/python3 bench/quality_bench.py --datasets naics,soc --threads 2

Writes bench/out/quality.json and a Markdown table (also printed) for docs/benchmarks.md.
"""
import argparse
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_data  # noqa: E402
import run_bench  # noqa: E402

TARGETS = ["0.90", "0.95", "0.97", "0.99"]
ECE_BINS = 15


def ece_equal_width(conf, correct, bins=ECE_BINS):
    """Expected calibration error, equal-width bins (as statcoder's report computes it)."""
    n = len(conf)
    if n == 0:
        return None
    sums = [[0, 0.0, 0.0] for _ in range(bins)]
    for c, ok in zip(conf, correct):
        b = min(bins - 1, max(0, int(c * bins)))
        sums[b][0] += 1
        sums[b][1] += c
        sums[b][2] += ok
    return sum(abs(s[2] - s[1]) for s in sums if s[0]) / n


def best_rate_at_precision(conf, correct, target):
    """Largest share of records auto-coded (confidence >= t) with precision >= target, choosing
    t on these very records (ties in confidence never split). Returns (rate, precision, t)."""
    order = sorted(range(len(conf)), key=lambda i: -conf[i])
    best = (0.0, None, None)
    hits = 0
    for k, i in enumerate(order):
        hits += correct[i]
        if k + 1 < len(order) and conf[order[k + 1]] == conf[i]:
            continue
        if hits >= target * (k + 1):
            best = ((k + 1) / len(order), hits / (k + 1), conf[i])
    return best


def fasttext_quality(args, ds, ds_dir, truth, ids):
    work = os.path.join(ds_dir, "fasttext_quality")
    os.makedirs(work, exist_ok=True)
    ft = run_bench.FastText(args, ds, work, run_bench.FASTTEXT_TUNED, "fasttext")
    out = os.path.join(work, "pred_test.out")
    if not os.path.exists(out):
        print("   fastText: training (tuned settings of run_bench.py)", flush=True)
        ft.train()
        ft.code("test", out)
    preds = ft.read(out, ids)
    conf = [preds[i][0][1] if preds[i] else 0.0 for i in ids]
    correct = [1 if preds[i] and preds[i][0][0] in truth[i] else 0 for i in ids]
    res = {"accuracy": sum(correct) / len(ids), "ece": ece_equal_width(conf, correct),
           "threshold_chosen_on": "the test records (oracle, favourable to fastText)"}
    for t in TARGETS:
        rate, prec, thr = best_rate_at_precision(conf, correct, float(t))
        res[t] = {"auto_rate": rate, "precision": prec, "threshold": thr}
    return res


def statcoder_quality(args, ds, ds_dir):
    work = os.path.join(ds_dir, "statcoder_quality")
    os.makedirs(work, exist_ok=True)
    model = os.path.join(work, "model.stc")
    t0 = time.perf_counter()
    subprocess.run(run_bench.statcoder_train_cmd(args.statcoder, ds, model, args.threads,
                                                 args.seed) + ["--quiet"],
                   check=True, stdout=subprocess.DEVNULL)
    train_s = time.perf_counter() - t0
    cmd = [args.statcoder, "evaluate", "--model", model, "--data", ds["paths"]["test"],
           "--label", ds["label_col"], "--threads", str(args.threads), "--quiet", "--json",
           "--report", os.path.join(work, "report"), "--bootstrap", "200"]
    p = subprocess.run(cmd, check=True, capture_output=True, text=True)
    j = json.loads(p.stdout)
    report = json.load(open(os.path.join(work, "report", "report.json")))
    res = {"accuracy": j["accuracy"], "ece": j["ece"], "train_s": train_s,
           "ece_before": report["calibration"]["ece"]["equal_width"]["before"],
           "ece_equal_mass": report["calibration"]["ece"]["equal_mass"]["after"],
           "auto_rate_model_policy": j["auto_rate"], "auto_precision_model_policy":
               j["auto_precision"],
           "threshold_chosen_on": "training side (out-of-fold scores, 2-fold cross-fitting)"}
    # Compared with fastText: records auto-coded to their full code. With partial coding (a
    # coarser level when the code is uncertain) statcoder auto-codes more; reported beside it.
    for t in TARGETS:
        v = j["auto_rate_at_precision"].get(t) or {}
        res[t] = {"auto_rate": v.get("full_code_auto_rate"),
                  "precision": v.get("full_code_precision"), "threshold": v.get("threshold"),
                  "any_level_auto_rate": v.get("auto_rate"),
                  "any_level_precision": v.get("precision")}
    return res


def fmt(v, spec=".3f"):
    return "—" if v is None else format(v, spec)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--datasets", default="naics,soc")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--statcoder", default="build/bin/statcoder")
    p.add_argument("--data-dir", default="../shared/data")
    p.add_argument("--out", default="bench/out")
    a = p.parse_args(argv)
    args = run_bench.parse_args(["--datasets", a.datasets, "--threads", str(a.threads),
                                 "--seed", str(a.seed), "--statcoder", a.statcoder,
                                 "--data-dir", a.data_dir, "--out", a.out])
    results = {}
    for name in args.datasets:
        ds_dir = os.path.join(args.out, name)
        print(f"== {name}: preparing split", flush=True)
        ds = run_bench.prepare_dataset(args, name, ds_dir)
        truth = bench_data.read_truth(ds["paths"]["test_labels"])
        ids = list(truth)
        print("   statcoder (train + evaluate --report)", flush=True)
        sc = statcoder_quality(args, ds, ds_dir)
        print("   fastText", flush=True)
        ft = fasttext_quality(args, ds, ds_dir, truth, ids)
        results[name] = {"test_records": len(ids), "statcoder": sc, "fasttext": ft}

    lines = ["| dataset | system | top-1 | ECE (15 bins) | full-code auto-rate @0.90 | "
             "@0.95 (precision reached) | @0.97 | @0.99 | any level @0.95 (precision) | "
             "thresholds chosen on |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---|"]
    for name, r in results.items():
        for sysname in ("fasttext", "statcoder"):
            s = r[sysname]
            lines.append(
                f"| {name} | {sysname} | {fmt(s['accuracy'])} | {fmt(s['ece'])} | "
                f"{fmt(s['0.90']['auto_rate'])} | {fmt(s['0.95']['auto_rate'])} "
                f"({fmt(s['0.95']['precision'])}) | {fmt(s['0.97']['auto_rate'])} | "
                f"{fmt(s['0.99']['auto_rate'])} | "
                f"{fmt(s['0.95'].get('any_level_auto_rate'))} "
                f"({fmt(s['0.95'].get('any_level_precision'))}) | {s['threshold_chosen_on']} |")
        gain = (r["statcoder"]["0.95"]["auto_rate"] or 0) - (r["fasttext"]["0.95"]["auto_rate"] or 0)
        r["gain_at_0.95_points"] = 100 * gain
        lines.append(f"| {name} | **gain @0.95** | | | | **{100 * gain:+.1f} pts** | | | | |")
    table = "\n".join(lines)
    print("\n" + table)
    with open(os.path.join(args.out, "quality.json"), "w") as f:
        json.dump(results, f, indent=2)
    with open(os.path.join(args.out, "quality.md"), "w") as f:
        f.write(table + "\n")


if __name__ == "__main__":
    main()
