#!/usr/bin/python3
"""Training a new classification version from old-version labels, side by side (issue 17).

On the ONS SOC 2020 coding index (../shared/data/ons_soc2020_index: every entry carries its
SOC 2020 and SOC 2010 codes), for each seeded split of the entries into train and test parts:

  true      statcoder train --label soc2020                    (the ceiling: true new labels)
  crosswalk statcoder train --label soc2010 --crosswalk X      (old labels + the table)
  majority  statcoder train on soc2010 relabelled by each code's most frequent SOC 2020 code

With --joint, also a joint model of SOC 2020 and ISCO-08 (`--label soc2020,isco08`) on the same
split, against each member deciding alone (`statcoder evaluate` gives both).

X is derived from the train part with `statcoder crosswalk derive` (pairs weighted by their
record counts), as an office with a dual-coded sample would; the majority relabelling uses the
same counts. Every model is evaluated on the test part's true SOC 2020 codes with
`statcoder evaluate --json`. Same options (the defaults), same records, same threads.

  /usr/bin/python3 bench/crosswalk_bench.py --statcoder build/bin/statcoder \
      --data ../shared/data --splits 2 [--json out.json]
"""
import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time

TEXT = "text,add_qualifier,industry_qualifier"


def run(cmd, env=None):
    started = time.time()
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env)
    return out.stdout, time.time() - started


def split(index_path, seed, folder):
    with open(index_path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    header, rows = lines[0], [l for l in lines[1:] if l]
    cols = header.split("\t")
    new, old = cols.index("soc2020"), cols.index("soc2010")
    # Entries coded in both versions (a few cross-references carry '}}}}' placeholders).
    rows = [r for r in rows if r.split("\t")[new].isdigit() and r.split("\t")[old].isdigit()]
    random.Random(seed).shuffle(rows)
    cut = int(len(rows) * 0.8)
    paths = {}
    for name, part in (("train", rows[:cut]), ("test", rows[cut:])):
        paths[name] = os.path.join(folder, name + ".tsv")
        with open(paths[name], "w", encoding="utf-8") as f:
            f.write(header + "\n" + "\n".join(part) + "\n")
    return paths, cols


def majority_file(train, crosswalk, cols, out):
    best = {}
    with open(crosswalk, encoding="utf-8") as f:
        next(f)
        for line in f:
            a, b, w = line.rstrip("\n").split("\t")
            if a not in best or float(w) > best[a][1]:
                best[a] = (b, float(w))
    old = cols.index("soc2010")
    with open(train, encoding="utf-8") as f, open(out, "w", encoding="utf-8") as o:
        o.write(f.readline().rstrip("\n") + "\tsoc2020_majority\n")
        for line in f:
            line = line.rstrip("\n")
            if line:
                o.write(line + "\t" + best[line.split("\t")[old]][0] + "\n")


def evaluate(statcoder, model, test):
    out, _ = run([statcoder, "evaluate", "--model", model, "--data", test, "--label", "soc2020",
                  "--json", "--quiet"])
    d = json.loads(out)
    return {"accuracy": d["accuracy"], "auto_rate": d["auto_rate"],
            "auto_precision": d["auto_precision"], "ece": d["ece"]}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--statcoder", default="build/bin/statcoder")
    ap.add_argument("--data", default="../shared/data")
    ap.add_argument("--splits", type=int, default=2)
    ap.add_argument("--threads", default="2")
    ap.add_argument("--joint", action="store_true",
                    help="also train and evaluate a joint SOC 2020 + ISCO-08 model")
    ap.add_argument("--json")
    args = ap.parse_args()
    folder_data = os.path.join(args.data, "ons_soc2020_index")
    index = os.path.join(folder_data, "soc2020_index.train.tsv")
    codelist = os.path.join(folder_data, "soc2020_structure.tsv")
    results = []
    for s in range(args.splits):
        seed = 17 + s
        with tempfile.TemporaryDirectory() as tmp:
            paths, cols = split(index, seed, tmp)
            xw = os.path.join(tmp, "soc2010_soc2020.tsv")
            run([args.statcoder, "crosswalk", "derive", "--data", paths["train"], "--from",
                 "soc2010", "--to", "soc2020", "--to-codelist", codelist, "--out", xw])
            major = os.path.join(tmp, "train_majority.tsv")
            majority_file(paths["train"], xw, cols, major)
            common = ["--text", TEXT, "--codelist", codelist, "--threads", args.threads,
                      "--quiet", "--json"]
            row = {"split_seed": seed}
            for name, data, label, extra in (
                    ("true", paths["train"], "soc2020", []),
                    ("crosswalk", paths["train"], "soc2010", ["--crosswalk", xw]),
                    ("majority", major, "soc2020_majority", [])):
                model = os.path.join(tmp, name + ".stc")
                out, seconds = run([args.statcoder, "train", "--data", data, "--label", label,
                                    "--out", model] + common + extra)
                row[name] = evaluate(args.statcoder, model, paths["test"])
                row[name]["training_seconds"] = round(seconds, 1)
                if name == "crosswalk":
                    row[name]["labels"] = json.loads(out).get("crosswalk")
            if args.joint:
                model = os.path.join(tmp, "joint.stcj")
                _, seconds = run([args.statcoder, "train", "--data", paths["train"], "--label",
                                  "soc2020,isco08", "--out", model] + common)
                out, _ = run([args.statcoder, "evaluate", "--model", model, "--data",
                              paths["test"], "--label", "soc2020,isco08", "--json", "--quiet"])
                j = json.loads(out)
                row["joint"] = {k: j[k] for k in ("joint_accuracy", "independent_joint_accuracy",
                                                  "independent_consistency_rate", "auto_rate",
                                                  "per_label")}
                row["joint"]["training_seconds"] = round(seconds, 1)
                print(f"split {seed}: joint SOC 2020 + ISCO-08 accuracy {j['joint_accuracy']:.4f} "
                      f"(members alone {j['independent_joint_accuracy']:.4f}; alone the pair is "
                      f"allowed for {100 * j['independent_consistency_rate']:.1f} %)", flush=True)
            row["crosswalk_share_of_true"] = row["crosswalk"]["accuracy"] / row["true"]["accuracy"]
            row["majority_share_of_true"] = row["majority"]["accuracy"] / row["true"]["accuracy"]
            results.append(row)
            print(f"split {seed}: top-1 true {row['true']['accuracy']:.4f}, crosswalk "
                  f"{row['crosswalk']['accuracy']:.4f} ({100 * row['crosswalk_share_of_true']:.1f} %"
                  f" of true), majority {row['majority']['accuracy']:.4f} "
                  f"({100 * row['majority_share_of_true']:.1f} %); auto-coded at target 0.95: "
                  f"true {row['true']['auto_rate']:.3f} (precision "
                  f"{row['true']['auto_precision']:.3f}), crosswalk "
                  f"{row['crosswalk']['auto_rate']:.3f} ({row['crosswalk']['auto_precision']:.3f}),"
                  f" majority {row['majority']['auto_rate']:.3f} "
                  f"({row['majority']['auto_precision']:.3f})", flush=True)
    mean = lambda key: sum(r[key] for r in results) / len(results)
    summary = {"splits": results,
               "mean_crosswalk_share_of_true": mean("crosswalk_share_of_true"),
               "mean_majority_share_of_true": mean("majority_share_of_true")}
    print(f"mean: crosswalk {100 * summary['mean_crosswalk_share_of_true']:.1f} % of true, "
          f"majority {100 * summary['mean_majority_share_of_true']:.1f} %")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(summary, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
