#!/usr/bin/python3
"""Load test of `statcoder serve` from a second process on loopback, with wrk (Debian's `wrk`).

Sets up a workspace from the bundled O*NET sample (or --train/--test files with columns
title and soc2018), trains and promotes a model, adds a coder, starts the server on a free port
and measures with wrk:
  - single-record POST /v1/code: throughput and latency percentiles (p50, p90, p99) at several
    connection counts (closed loop: each connection sends its next request when the previous one
    is answered, so the rate is what the server sustains at that concurrency);
  - batches of --batch records per request: records per second.
Issue 5's targets: single-record p99 <= 2 ms at 2,000 requests/s; batch >= 100,000 records/s.

  /usr/bin/python3 bench/server_bench.py --statcoder build/bin/statcoder [--duration 10]

Writes bench/out/server.json and bench/out/server.md. Needs `wrk` (scripts/install-deps.sh --bench).
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ONET = os.path.join(ROOT, "examples", "onet")


def run(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        sys.exit("server_bench: %s failed (%d):\n%s%s" % (" ".join(cmd), r.returncode, r.stdout,
                                                          r.stderr))
    return r.stdout


def titles(path):
    with open(path, encoding="utf-8") as f:
        header = f.readline().rstrip("\n").split("\t")
        col = header.index("title")
        return [line.rstrip("\n").split("\t")[col] for line in f if line.strip()]


def make_workspace(sc, ws, train, env):
    """Creates workspace ws from the O*NET code list and train (columns title, soc2018), trains
    and promotes a model, adds the coder "bench"; returns its token."""
    run([sc, "init", ws, "--codelist", os.path.join(ONET, "soc2018_codelist.tsv"),
         "--schema", "text=title;label=soc2018"], env=env)
    snap = json.loads(run([sc, "ingest", ws, train, "--json"], env=env))["id"]
    run([sc, "train", ws, "--snapshot", snap, "--quiet"], env=env)
    run([sc, "models", "promote", ws, "candidate", "--force", "--reason", "benchmark"], env=env)
    return json.loads(run([sc, "users", "add", ws, "bench", "--role", "coder", "--json"],
                          env=env))["token"]


def start_server(sc, ws, env, args=(), access_log=os.devnull):
    """Starts `statcoder serve ws` on a free loopback port with args; returns (process, url)
    once /readyz answers 200."""
    server = subprocess.Popen([sc, "serve", ws, "--port", "0", "--access-log", access_log]
                              + list(args), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                              text=True, env=env)
    url = json.loads(server.stdout.readline())["listening"]
    for _ in range(100):
        try:
            if urllib.request.urlopen(url + "/readyz", timeout=1).status == 200:
                break
        except OSError:
            time.sleep(0.1)
    return server, url


LUA = r"""
local bodies = {}
local n = 0
for line in io.lines("%(bodies)s") do n = n + 1; bodies[n] = line end
local i = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer %(token)s"
%(delay)s
request = function()
  i = i %% n + 1
  return wrk.format(nil, "/v1/code", nil, bodies[i])
end
local errors = 0
response = function(status, headers, body)
  if status ~= 200 then errors = errors + 1 end
end
done = function(summary, latency, requests)
  io.write(string.format("BENCH_JSON {\"requests\": %%d, \"seconds\": %%.3f, \"p50_ms\": %%.4f, " ..
    "\"p90_ms\": %%.4f, \"p99_ms\": %%.4f, \"max_ms\": %%.4f, \"non2xx\": %%d, " ..
    "\"socket_errors\": %%d}\n",
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1e3,
    latency:percentile(90) / 1e3, latency:percentile(99) / 1e3, latency.max / 1e3,
    summary.errors.status, summary.errors.connect + summary.errors.read +
    summary.errors.write + summary.errors.timeout))
end
"""


def write_script(path, bodies, token, delay_ms=0):
    # wrk's delay() pauses a connection before each request: a paced, open-ish load of about
    # connections * 1000 / (delay + latency) requests/s, instead of as fast as answers come.
    delay = "delay = function() return %d end" % delay_ms if delay_ms else ""
    with open(path, "w") as f:
        f.write(LUA % {"bodies": bodies, "token": token, "delay": delay})


def wrk(url, script, connections, duration):
    out = run(["wrk", "-t", str(min(connections, 2)), "-c", str(connections), "-d",
               "%ds" % duration, "-s", script, url])
    m = re.search(r"BENCH_JSON (\{.*\})", out)
    if not m:
        sys.exit("server_bench: no result from wrk:\n" + out)
    r = json.loads(m.group(1))
    r["requests_per_second"] = r["requests"] / r["seconds"]
    r["connections"] = connections
    return r


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--statcoder", default=os.path.join(ROOT, "build", "bin", "statcoder"))
    ap.add_argument("--train", default=os.path.join(ONET, "train.tsv"))
    ap.add_argument("--test", default=os.path.join(ONET, "test.tsv"))
    ap.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    ap.add_argument("--connections", default="1,2,4", help="wrk connections, comma-separated")
    ap.add_argument("--server-threads", type=int, default=4)
    ap.add_argument("--batch", type=int, default=1000, help="records per batch request")
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "out"))
    a = ap.parse_args()
    if not shutil.which("wrk"):
        sys.exit("server_bench: wrk not found; run scripts/install-deps.sh --bench")
    sc = os.path.abspath(a.statcoder)
    tmp = tempfile.mkdtemp(prefix="statcoder_server_bench_")
    ws = os.path.join(tmp, "ws")
    env = dict(os.environ, STATCODER_ACTOR="bench")
    server = None
    try:
        token = make_workspace(sc, ws, a.train, env)
        server, url = start_server(sc, ws, env, ["--threads", str(a.server_threads)])
        texts = titles(a.test)
        single = os.path.join(tmp, "single.jsonl")
        with open(single, "w", encoding="utf-8") as f:
            for t in texts:
                f.write(json.dumps({"record": {"title": t}}) + "\n")
        batch = os.path.join(tmp, "batch.jsonl")
        with open(batch, "w", encoding="utf-8") as f:
            for start in range(0, 4 * a.batch, a.batch):
                recs = [{"title": texts[(start + i) % len(texts)]} for i in range(a.batch)]
                f.write(json.dumps({"records": recs}) + "\n")
        results = {"machine": {"cpus": os.cpu_count(), "load_before": os.getloadavg()[0]},
                   "server_threads": a.server_threads, "duration_s": a.duration,
                   "single": [], "batch": None}
        script = os.path.join(tmp, "single.lua")
        write_script(script, single, token)
        for c in [int(x) for x in a.connections.split(",")]:
            results["single"].append(wrk(url, script, c, a.duration))
        # Paced: 3 connections, 1 ms between a response and the next request (about 2,000-3,000
        # requests/s): the latency a client sees at the target's rate, not at saturation.
        paced = os.path.join(tmp, "paced.lua")
        write_script(paced, single, token, delay_ms=1)
        r = wrk(url, paced, 3, a.duration)
        r["paced"] = True
        results["single"].append(r)
        script = os.path.join(tmp, "batch.lua")
        write_script(script, batch, token)
        r = wrk(url, script, 2, a.duration)
        r["records_per_request"] = a.batch
        r["records_per_second"] = r["requests_per_second"] * a.batch
        results["batch"] = r
    finally:
        if server:
            server.terminate()
            server.wait(timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)

    lines = ["# statcoder serve under wrk (loopback, %d CPUs, server threads %d, %d s per run)"
             % (results["machine"]["cpus"], a.server_threads, a.duration), "",
             "| load | connections | requests/s | records/s | p50 ms | p90 ms | p99 ms | errors |",
             "|---|---|---|---|---|---|---|---|"]
    for r in results["single"]:
        lines.append("| single record%s | %d | %.0f | %.0f | %.3f | %.3f | %.3f | %d |" % (
            ", paced (1 ms delay)" if r.get("paced") else "", r["connections"], r["requests_per_second"], r["requests_per_second"], r["p50_ms"],
            r["p90_ms"], r["p99_ms"], r["non2xx"] + r["socket_errors"]))
    b = results["batch"]
    lines.append("| batch of %d | %d | %.1f | %.0f | %.2f | %.2f | %.2f | %d |" % (
        b["records_per_request"], b["connections"], b["requests_per_second"],
        b["records_per_second"], b["p50_ms"], b["p90_ms"], b["p99_ms"],
        b["non2xx"] + b["socket_errors"]))
    ok_single = any(r["requests_per_second"] >= 2000 and r["p99_ms"] <= 2.0
                    for r in results["single"])
    lines += ["", "Targets: single-record p99 <= 2 ms at >= 2,000 requests/s: %s; batch >= "
              "100,000 records/s: %s" % ("met" if ok_single else "NOT met",
                                         "met" if b["records_per_second"] >= 100000 else "NOT met")]
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "server.json"), "w") as f:
        json.dump(results, f, indent=2)
    with open(os.path.join(a.out, "server.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
