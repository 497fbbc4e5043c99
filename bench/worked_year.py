#!/usr/bin/python3
"""A worked production year with `statcoder cycle` (docs/worked_year.md, issue 15).

Twelve monthly batches of 1,000 records from the ONS SOC 2020 coding index
(../shared/data/ons_soc2020_index): a workspace whose production model learned part of the index
without sub-major group 24 (business and public service professionals), then one `statcoder
cycle` a month. From month 7 a tenth of each batch comes from group 24: codes the model never
saw. Clerical coders are simulated through the real HTTP API of `statcoder serve` (lease with
GET /v1/review/next, decide with POST /v1/review/{id}/decision) with the index's own codes as
their answers; when a challenger waits for its ethics approval (exit 10), a methodologist
approves it through the CLI and the cycle is run again, as a person would.

Per month it records what an office would watch: the production model, records auto-coded,
coder workload, the monitor's estimated and measured accuracy and alarms, the retrain and the
promotion, and the true accuracy of the month's output against the index codes. It writes a
Markdown table and an SVG chart.

  /usr/bin/python3 bench/worked_year.py --statcoder build/bin/statcoder \\
      --data ../shared/data --out docs/worked_year   [--months 12 --batch 1000 --seed 1]

Only the standard library; nothing is downloaded.
"""
import argparse
import csv
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

TEXT_COLS = ["text", "add_qualifier", "industry_qualifier"]
WITHHELD = "24"          # sub-major group entering from NEW_FROM
NEW_FROM = 7             # first month with withheld-group records
NEW_SHARE = 0.10         # their share of a batch from then on
ETHICS_ITEMS = None      # read from `ethics show`


def read_index(path):
    csv.field_size_limit(1 << 30)
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    out = []
    for r in rows:
        if not r["soc2020"] or not r["text"]:
            continue
        out.append({"row_id": r["row_id"], "text": r["text"],
                    "add_qualifier": r["add_qualifier"],
                    "industry_qualifier": r["industry_qualifier"], "soc2020": r["soc2020"]})
    return out


def write_tsv(path, rows, cols):
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write("\t".join(cols) + "\n")
        for r in rows:
            f.write("\t".join(r[c].replace("\t", " ").replace("\n", " ") for c in cols) + "\n")


class Statcoder:
    def __init__(self, binary, actor="methodologist"):
        self.binary, self.actor = binary, actor

    def run(self, args, actor=None, ok=(0,)):
        p = subprocess.run([self.binary] + args + ["--actor", actor or self.actor],
                           capture_output=True, text=True)
        if p.returncode not in ok:
            sys.exit("statcoder %s: exit %d\n%s%s" % (" ".join(args), p.returncode, p.stdout,
                                                      p.stderr))
        return p

    def json(self, args, actor=None, ok=(0,)):
        p = self.run(args, actor, ok)
        return json.loads(p.stdout), p.returncode


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(url, token, method, route, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url + route, data=data, method=method, headers={
        "Authorization": "Bearer " + token, "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.loads(r.read())


def approve_ethics(sc, ws, version):
    shown, _ = sc.json(["ethics", "start", ws, "--model", version, "--json"], ok=(0, 5))
    items, _ = sc.json(["ethics", "show", ws, "--model", version, "--json"])
    for item in items["items"]:
        sc.run(["ethics", "answer", ws, "--model", version, "--item", item["id"], "--rating",
                "met", "--justification", "worked year: public index titles, no personal data"])
    sc.run(["ethics", "submit", ws, "--model", version, "--json"])
    sc.run(["ethics", "approve", ws, "--model", version, "--json"], actor="ethics-lead")


def code_queue(url, token, truth):
    """Decides every open item as a coder would, with the index's code; returns how many."""
    n = 0
    while True:
        item = call(url, token, "GET", "/v1/review/next").get("item")
        if not item:
            return n
        code = truth.get(item["record_id"], "")
        body = {"action": "code", "code": code} if code else {"action": "uncodable"}
        call(url, token, "POST", "/v1/review/%d/decision" % item["id"], body)
        n += 1


def queued_records(ws, model_version, ids):
    """Record ids of this batch that wait in the review queue (read-only look at the catalog)."""
    import sqlite3
    db = sqlite3.connect("file:%s?mode=ro" % os.path.join(ws, "statcoder.db"), uri=True)
    try:
        rows = db.execute("SELECT record_id FROM review_items WHERE status = 'open' AND "
                          "model_version = ?", (model_version,)).fetchall()
    finally:
        db.close()
    return [r[0] for r in rows if r[0] in ids]


def svg_chart(months, path):
    w, h, left, top, right, bottom = 760, 320, 50, 20, 150, 40
    pw, ph = w - left - right, h - top - bottom
    def x(m):
        return left + (m - 1) * pw / max(1, len(months) - 1)
    def y(v):
        return top + (1 - v) * ph
    series = [("true accuracy", "true_accuracy", "#1b4f8a", ""),
              ("estimated (monitor)", "estimated_accuracy", "#c0392b", "6 4"),
              ("measured (reviews)", "measured_accuracy", "#27ae60", "2 3"),
              ("share auto-coded", "auto_share", "#7f8c8d", "")]
    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" '
           'font-size="11">' % (w, h)]
    for v in (0, 0.25, 0.5, 0.75, 1.0):
        out.append('<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#ddd"/>' % (left, left + pw, y(v), y(v)))
        out.append('<text x="%d" y="%.1f" text-anchor="end">%d%%</text>' % (left - 6, y(v) + 4, v * 100))
    for m in months:
        out.append('<text x="%.1f" y="%d" text-anchor="middle">%d</text>' % (x(m["month"]), h - bottom + 16, m["month"]))
        if m["promoted"]:
            out.append('<line x1="%.1f" x2="%.1f" y1="%d" y2="%d" stroke="#8e44ad" stroke-dasharray="3 3"/>'
                       % (x(m["month"]), x(m["month"]), top, top + ph))
    out.append('<text x="%d" y="%d" text-anchor="middle">month (dashed violet: a new model promoted; '
               'group %s enters in month %d)</text>' % (left + pw / 2, h - 6, WITHHELD, NEW_FROM))
    for i, (name, key, color, dash) in enumerate(series):
        pts = [(x(m["month"]), y(m[key])) for m in months if isinstance(m.get(key), (int, float))]
        if pts:
            out.append('<polyline fill="none" stroke="%s" stroke-width="2" stroke-dasharray="%s" points="%s"/>'
                       % (color, dash, " ".join("%.1f,%.1f" % p for p in pts)))
        ly = top + 14 + i * 18
        out.append('<line x1="%d" x2="%d" y1="%d" y2="%d" stroke="%s" stroke-width="2" stroke-dasharray="%s"/>'
                   % (left + pw + 10, left + pw + 34, ly, ly, color, dash))
        out.append('<text x="%d" y="%d">%s</text>' % (left + pw + 38, ly + 4, name))
    out.append("</svg>")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(out) + "\n")


def fmt(v, pct=True):
    if v is None:
        return "–"
    return "%.1f" % (100 * v) if pct else str(v)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--statcoder", default="build/bin/statcoder")
    ap.add_argument("--data", default="../shared/data")
    ap.add_argument("--out", default="docs/worked_year")
    ap.add_argument("--months", type=int, default=12)
    ap.add_argument("--batch", type=int, default=1000)
    ap.add_argument("--train", type=int, default=10000, help="records the first model learns")
    ap.add_argument("--frozen", type=int, default=2000,
                    help="labelled records kept aside to compare champion and challenger")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--keep", help="keep the workspace in this folder")
    a = ap.parse_args()
    sc = Statcoder(os.path.abspath(a.statcoder))
    soc = os.path.join(a.data, "ons_soc2020_index")
    rows = read_index(os.path.join(soc, "soc2020_index.train.tsv"))
    rng = random.Random(a.seed)
    rng.shuffle(rows)
    known = [r for r in rows if not r["soc2020"].startswith(WITHHELD)]
    new = [r for r in rows if r["soc2020"].startswith(WITHHELD)]
    train = known[:a.train]
    frozen = known[a.train:a.train + a.frozen]
    pool = known[a.train + a.frozen:]
    truth = {r["row_id"]: r["soc2020"] for r in rows}

    work = a.keep or tempfile.mkdtemp(prefix="worked_year_")
    os.makedirs(work, exist_ok=True)
    ws = os.path.join(work, "ws")
    if os.path.exists(ws):
        shutil.rmtree(ws)
    cols = ["row_id"] + TEXT_COLS + ["soc2020"]
    write_tsv(os.path.join(work, "train.tsv"), train, cols)
    write_tsv(os.path.join(work, "frozen.tsv"), frozen, cols)
    sc.run(["init", ws, "--codelist", os.path.join(soc, "soc2020_structure.tsv"),
            "--codelist-level-column", "level",
            "--schema", "text=%s;label=soc2020;id=row_id" % ",".join(TEXT_COLS)])
    snap, _ = sc.json(["ingest", ws, os.path.join(work, "train.tsv"), "--kind", "training",
                       "--source", "ONS SOC 2020 index", "--json"])
    held, _ = sc.json(["ingest", ws, os.path.join(work, "frozen.tsv"), "--kind", "training",
                       "--source", "ONS SOC 2020 index", "--json"])
    # Champion and challenger are compared on the same frozen records every month.
    toml_path = os.path.join(ws, "statcoder.toml")
    with open(toml_path, encoding="utf-8") as f:
        toml = f.read()
    toml = toml.replace('evaluation_snapshot = ""', 'evaluation_snapshot = "%s"' % held["id"], 1)
    with open(toml_path, "w", encoding="utf-8") as f:
        f.write(toml)
    first, _ = sc.json(["train", ws, "--snapshot", snap["id"], "--json", "--quiet"])
    approve_ethics(sc, ws, first["model_version"])
    sc.run(["models", "promote", ws, first["model_version"]])
    token = sc.json(["users", "add", ws, "coder1", "--role", "coder", "--json"])[0]["token"]

    port = free_port()
    url = "http://127.0.0.1:%d" % port
    log = open(os.path.join(work, "serve.log"), "w")
    server = subprocess.Popen([sc.binary, "serve", ws, "--port", str(port), "--actor", "server"],
                              stdout=log, stderr=log)
    months = []
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(url + "/healthz", timeout=2)
                break
            except OSError:
                time.sleep(0.1)
        at = 0
        for month in range(1, a.months + 1):
            n_new = int(a.batch * NEW_SHARE) if month >= NEW_FROM else 0
            batch = pool[at:at + a.batch - n_new] + new[(month - NEW_FROM) * n_new:
                                                         (month - NEW_FROM + 1) * n_new]
            at += a.batch - n_new
            if len(batch) < a.batch:
                sys.exit("month %d: only %d records left for a batch of %d; use a smaller --train "
                         "or --batch" % (month, len(batch), a.batch))
            rng.shuffle(batch)
            path = os.path.join(work, "2025-%02d.tsv" % month)
            write_tsv(path, batch, ["row_id"] + TEXT_COLS)  # no codes: records to code
            period = "2025-%02d" % month
            started = time.time()
            c, rc = sc.json(["cycle", ws, "--batch", path, "--period", period, "--json", "--quiet"],
                            ok=(0, 10))
            waited = rc == 10
            if waited:  # a person approves the challenger's ethics assessment, then reruns
                approve_ethics(sc, ws, c["challenger"])
                c, rc = sc.json(["cycle", ws, "--batch", path, "--period", period, "--json",
                                 "--quiet"])
            seconds = time.time() - started
            steps = {s["step"]: s for s in c["steps"]}
            coded = list(csv.DictReader(open(os.path.join(ws, c["output"]), encoding="utf-8"),
                                        delimiter="\t", quoting=csv.QUOTE_NONE))
            right = sum(truth[r["id"]] == r["top1_code"] for r in coded)
            auto = [r for r in coded if r["decision"] == "auto"]
            # An auto-coded parent code is right when the true code lies below it.
            auto_right = sum(truth[r["id"]].startswith(r["code"]) for r in auto)
            queued = queued_records(ws, c["model_version"], {r["id"] for r in coded})
            reviewed = code_queue(url, token, truth)
            # The monitor's label-free estimate of this batch, as the cycle journaled it.
            seen = steps["monitor"]["outputs"].get("batch") or {}
            est = (seen.get("estimated_accuracy") or {}).get("value")
            # Measured: the model's top code against the coders' decisions on the records they
            # reviewed (referred ones and the audit sample), as `statcoder monitor` measures it.
            top1 = {r["id"]: r["top1_code"] for r in coded}
            meas = (sum(top1[i] == truth[i] for i in queued) / len(queued)) if queued else None
            code_out = steps["code"]["outputs"]
            months.append({
                "month": month, "period": period, "model": c["model_version"],
                "new_share": n_new / a.batch, "records": c["coded_records"],
                "auto_share": code_out["auto"] / max(1, c["coded_records"]),
                "auto_precision": auto_right / max(1, len(auto)) if auto else None,
                "queued": c["queued_items"], "reviewed": reviewed,
                "true_accuracy": right / max(1, len(coded)),
                "estimated_accuracy": est, "measured_accuracy": meas,
                "monitor": steps["monitor"]["outputs"]["status"],
                "alarms": [e["rule"] for e in steps["monitor"]["outputs"]["evidence"]],
                "train": steps["train"]["state"],
                "train_reason": "; ".join(steps["train"]["inputs"].get("reasons", [])),
                "verdict": steps["compare"]["outputs"].get("verdict"),
                "challenger": c["challenger"], "promoted": c["promoted"],
                "waited_for_ethics": waited, "seconds": round(seconds, 1)})
            print(json.dumps(months[-1]), flush=True)
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()

    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "months.json"), "w", encoding="utf-8") as f:
        json.dump(months, f, indent=1)
    svg_chart(months, os.path.join(a.out, "worked_year.svg"))
    lines = ["| month | group %s share %% | model | auto-coded %% | auto precision %% | queued | "
             "true top-1 %% | estimated %% | measured on reviewed %% | monitor | retrain | promoted |" % WITHHELD,
             "| ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- | --- |"]
    for m in months:
        lines.append("| %d | %s | %s | %s | %s | %d | %s | %s | %s | %s%s | %s | %s |" % (
            m["month"], fmt(m["new_share"]), m["model"][:8], fmt(m["auto_share"]),
            fmt(m["auto_precision"]), m["queued"], fmt(m["true_accuracy"]),
            fmt(m["estimated_accuracy"]), fmt(m["measured_accuracy"]), m["monitor"],
            (" (" + ", ".join(m["alarms"]) + ")") if m["alarms"] else "",
            m["train"] + ((": " + (m["verdict"] or "")) if m["train"] == "done" else ""),
            ("yes" + (" (after ethics approval)" if m["waited_for_ethics"] else ""))
            if m["promoted"] else "no"))
    with open(os.path.join(a.out, "table.md"), "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))
    if not a.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
