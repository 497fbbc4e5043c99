#!/usr/bin/python3
"""Soak test of `statcoder serve` (issue 14): valid load, slow clients and malformed requests at once.

Sets up a workspace and starts the real server exactly as bench/server_bench.py does (its
make_workspace and start_server), then for --duration seconds (default 600) runs together:
  - an open-loop load of --rate (default 2,000) single-record POST /v1/code requests per second,
    from --clients processes (default 2), each with --connections keep-alive connections
    (pipelining off: one request in flight per connection). Request i of a process is scheduled at
    start + i / (rate / clients), whatever happened before; it is sent on the least recently used
    free connection, or waits for one. Latency is measured from the scheduled send time to the
    last byte of the answer, so a stall of the server (or of the client) counts for every request
    that should have been sent meanwhile (no coordinated omission); the latency from the actual
    send and the send lag are reported beside it. Any answer but 200 and any connection error on a
    valid request is an error. The server's own keep-alive limits (--keep-alive-requests 100 by
    default, then Connection: close) make the client reconnect; that is not an error;
  - --slow-clients (default 20) connections that each send one header line every 2 s and never
    finish their headers, reconnecting when the server closes them;
  - --malformed-rate (default 10) malformed requests per second, in turn: bad JSON, a body of the
    wrong shape, a Content-Length over the body limit, a chunked body over it, a bad chunk size, a
    bad token, no token, garbage bytes, headers over the header limit, a body cut short; each on
    its own connection; what the server answered is counted per kind.
The load, the slow clients, the malformed requests and the bad tokens come from different loopback
addresses (127.0.0.1, .4, .3, .5): the server rate-limits failed authentications per address, and
the bad tokens must not get the valid load refused with 429.
Records the server's VmRSS (/proc/PID/status) at the start, every --sample seconds and at the end.

  /usr/bin/python3 bench/soak_bench.py --statcoder build/bin/statcoder [--duration 600] [--rate 2000]

Prints a Markdown table; writes JSON to --out (default bench/out/soak.json) and the table beside it
(.md). Standard library only.
"""
import argparse
import array
import collections
import gc
import json
import multiprocessing
import os
import random
import resource
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import server_bench  # noqa: E402  (make_workspace, start_server, titles)

ROOT = server_bench.ROOT
LOAD_ADDR, MALFORMED_ADDR, SLOW_ADDR, BADTOKEN_ADDR = "127.0.0.1", "127.0.0.3", "127.0.0.4", \
    "127.0.0.5"


def connect(host, port, source, timeout=5.0):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.bind((source, 0))
    s.settimeout(timeout)
    s.connect((host, port))
    return s


def post(token, body, extra=""):
    auth = "Authorization: Bearer %s\r\n" % token if token is not None else ""
    return ("POST /v1/code HTTP/1.1\r\nHost: soak\r\nContent-Type: application/json\r\n%s"
            "Content-Length: %d\r\n%s\r\n" % (auth, len(body), extra)).encode() + body


def parse_head(buf, end):
    """(status, content_length, close) of a response head buf[:end]."""
    lines = bytes(buf[:end]).split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    length, close = 0, False
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"connection" and b"close" in value.lower():
            close = True
        elif name == b"transfer-encoding":
            raise ValueError("chunked response not supported by the soak client")
    return status, length, close


# ---------------------------------------------------------------------------------------------
# The valid load: one process per client, an event loop over its connections.

class Conn:
    __slots__ = ("sock", "buf", "sched", "sent", "busy", "last")

    def __init__(self, sock):
        self.sock, self.buf, self.sched, self.sent, self.busy, self.last = \
            sock, bytearray(), 0.0, 0.0, False, 0.0


def load_worker(idx, a, port, t0, requests, pipe):
    gc.disable()
    per_worker = a.rate / a.clients
    interval = 1.0 / per_worker
    first = t0 + idx / a.rate  # the processes' schedules interleave
    total = int(a.duration * per_worker)
    sched_off = array.array("d")   # scheduled time - t0
    lat_sched = array.array("d")   # answer - scheduled time
    lat_sent = array.array("d")    # answer - actual send
    errors = collections.Counter()
    stats = collections.Counter()
    conns, free = {}, collections.deque()

    def open_conn():
        while True:
            try:
                s = connect("127.0.0.1", port, LOAD_ADDR)
                s.setblocking(False)
                c = Conn(s)
                conns[s.fileno()] = c
                free.append(c)
                stats["connects"] += 1
                return
            except OSError as e:
                errors["connect: %s" % type(e).__name__] += 1
                time.sleep(0.01)

    def drop(c):
        del conns[c.sock.fileno()]
        try:
            free.remove(c)
        except ValueError:
            pass
        c.sock.close()

    for _ in range(a.connections):
        open_conn()
    pending = collections.deque()
    nxt = 0
    nreq = len(requests)
    answered = sent = 0
    deadline_end = t0 + a.duration + a.request_timeout
    while True:
        now = time.monotonic()
        while nxt < total and first + nxt * interval <= now:
            pending.append(first + nxt * interval)
            nxt += 1
        while pending and free:
            c = free.popleft()
            c.sched = pending.popleft()
            c.sent = time.monotonic()
            c.busy = True
            sent += 1
            try:
                c.sock.send(requests[(idx + sent) % nreq])
            except OSError as e:
                errors["send: %s" % type(e).__name__] += 1
                drop(c)
                open_conn()
        busy = [c for c in conns.values() if c.busy]
        if nxt >= total and not pending and not busy:
            break
        if now > deadline_end:
            errors["unanswered within --request-timeout"] += len(pending) + len(busy)
            break
        # Requests in flight too long.
        for c in busy:
            if now - c.sched > a.request_timeout:
                errors["timeout"] += 1
                drop(c)
                open_conn()
        timeout = None
        if nxt < total and not (pending and not free):
            timeout = max(0.0, first + nxt * interval - time.monotonic())
        elif nxt >= total:
            timeout = 0.5
        ready, _, _ = select.select(list(conns), [], [], timeout)
        for fd in ready:
            c = conns.get(fd)
            if c is None:
                continue
            try:
                data = c.sock.recv(65536)
            except BlockingIOError:
                continue
            except OSError as e:
                data = None
                err = "recv: %s" % type(e).__name__
            else:
                err = "connection closed by server"
            if not data:
                if c.busy:
                    errors[err] += 1
                else:
                    stats["idle connection closed by server"] += 1
                drop(c)
                open_conn()
                continue
            if not c.busy:
                stats["unexpected bytes on an idle connection"] += 1
                drop(c)
                open_conn()
                continue
            c.buf += data
            end = c.buf.find(b"\r\n\r\n")
            if end < 0:
                continue
            status, length, close = parse_head(c.buf, end)
            if len(c.buf) < end + 4 + length:
                continue
            done = time.monotonic()
            body = bytes(c.buf[end + 4:end + 4 + length])
            del c.buf[:end + 4 + length]
            c.busy = False
            answered += 1
            sched_off.append(c.sched - t0)
            lat_sched.append(done - c.sched)
            lat_sent.append(done - c.sent)
            if status != 200:
                errors["status %d" % status] += 1
            elif not body.startswith(b'{"model_version"') and b'"results"' not in body:
                errors["200 without results"] += 1
            if close or c.buf:
                if close:
                    stats["reconnects after Connection: close"] += 1
                drop(c)
                open_conn()
            else:
                free.append(c)
    ru = resource.getrusage(resource.RUSAGE_SELF)
    for c in list(conns.values()):
        c.sock.close()
    pipe.send({"scheduled": total, "sent": sent, "answered": answered, "errors": dict(errors), "stats": dict(stats),
        "cpu_s": ru.ru_utime + ru.ru_stime})
    pipe.send_bytes(sched_off.tobytes())
    pipe.send_bytes(lat_sched.tobytes())
    pipe.send_bytes(lat_sent.tobytes())
    pipe.close()


# ---------------------------------------------------------------------------------------------
# Slow clients: one header line every --slow-interval seconds, never the end of the headers.

def slow_clients(a, port, stop, out):
    res = {"connections": 0, "lines_sent": 0, "closed_by_server": 0, "answers": collections.Counter(),
           "lifetimes_s": [], "connect_errors": 0}
    socks = {}  # fd -> [sock, opened, next_line_time, n, received]

    def open_one(now, delay):
        try:
            s = connect("127.0.0.1", port, SLOW_ADDR)
        except OSError:
            res["connect_errors"] += 1
            return
        s.setblocking(False)
        res["connections"] += 1
        try:
            s.send(b"POST /v1/code HTTP/1.1\r\n")
            res["lines_sent"] += 1
        except OSError:
            pass
        socks[s.fileno()] = [s, now, now + delay, 0, bytearray()]

    now = time.monotonic()
    for i in range(a.slow_clients):
        open_one(now, a.slow_interval * (i + 1) / a.slow_clients)
    while not stop.is_set():
        now = time.monotonic()
        for fd, st in list(socks.items()):
            if now >= st[2]:
                st[3] += 1
                try:
                    st[0].send(b"X-Slow-%d: %s\r\n" % (st[3], b"z" * 20))
                    res["lines_sent"] += 1
                except OSError:
                    pass
                st[2] += a.slow_interval
        wake = min((st[2] for st in socks.values()), default=now + 0.5)
        ready, _, _ = select.select(list(socks), [], [], max(0.0, min(wake - now, 0.5)))
        for fd in ready:
            st = socks[fd]
            try:
                data = st[0].recv(65536)
            except BlockingIOError:
                continue
            except OSError:
                data = b""
            if data:
                st[4] += data
                continue
            # Closed by the server: what did it answer?
            head = bytes(st[4]).split(b"\r\n", 1)[0]
            key = head.split(b" ", 2)[1].decode() if head.startswith(b"HTTP/") else "no answer"
            res["answers"][key] += 1
            res["closed_by_server"] += 1
            res["lifetimes_s"].append(time.monotonic() - st[1])
            st[0].close()
            del socks[fd]
            open_one(time.monotonic(), a.slow_interval)
    for st in socks.values():
        st[0].close()
    life = sorted(res["lifetimes_s"])
    res["lifetime_min_s"] = life[0] if life else None
    res["lifetime_max_s"] = life[-1] if life else None
    res["lifetime_median_s"] = life[len(life) // 2] if life else None
    del res["lifetimes_s"]
    res["answers"] = dict(res["answers"])
    out.update(res)


# ---------------------------------------------------------------------------------------------
# Malformed requests: each kind on its own connection; the answer's status, or how it closed.

def malformed_kinds(token, max_body):
    big = max_body + (1 << 20)

    def chunked_over(s):
        s.sendall(b"POST /v1/code HTTP/1.1\r\nHost: soak\r\nAuthorization: Bearer %s\r\n"
                  b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                  % token.encode())
        chunk = b"%x\r\n%s\r\n" % (65536, b"[" * 65536)
        for _ in range(big // 65536):
            s.sendall(chunk)
        s.sendall(b"0\r\n\r\n")

    def cut_short(s):
        s.sendall(post(token, b'{"record": {"title": "cut"}}')[:-10].replace(
            b"Content-Length: 28", b"Content-Length: 1000"))
        s.shutdown(socket.SHUT_WR)

    hdrs = "".join("X-Filler-%d: %s\r\n" % (i, "h" * 90) for i in range(100))
    bad = "sc_0123456789abcdef_" + "A" * 43
    return [
        ("bad JSON", MALFORMED_ADDR, post(token, b'{"record": {"title": "x"')),
        ("wrong shape", MALFORMED_ADDR, post(token, b'{"records": "not a list"}')),
        ("Content-Length over the body limit", MALFORMED_ADDR,
         ("POST /v1/code HTTP/1.1\r\nHost: soak\r\nAuthorization: Bearer %s\r\n"
          "Content-Length: %d\r\n\r\n" % (token, big)).encode()),
        ("chunked body over the body limit", MALFORMED_ADDR, chunked_over),
        ("bad chunk size", MALFORMED_ADDR,
         ("POST /v1/code HTTP/1.1\r\nHost: soak\r\nAuthorization: Bearer %s\r\n"
          "Transfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n" % token).encode()),
        ("bad token", BADTOKEN_ADDR, post(bad, b'{"record": {"title": "x"}}')),
        ("no token", BADTOKEN_ADDR, post(None, b'{"record": {"title": "x"}}')),
        ("garbage bytes", MALFORMED_ADDR, None),  # fresh random bytes each time
        ("headers over the header limit", MALFORMED_ADDR,
         post(token, b'{"record": {"title": "x"}}', hdrs)),
        ("body cut short (client closes)", MALFORMED_ADDR, cut_short),
    ]


def malformed_stream(a, port, token, stop, out):
    kinds = malformed_kinds(token, a.max_body_bytes)
    res = {k: {"sent": 0, "answers": collections.Counter(), "max_answer_ms": 0.0}
           for k, _, _ in kinds}
    rng = random.Random(14)
    i = 0
    t_start = time.monotonic()
    while not stop.is_set():
        due = t_start + i / a.malformed_rate
        now = time.monotonic()
        if due > now:
            stop.wait(due - now)
            continue
        name, addr, what = kinds[i % len(kinds)]
        i += 1
        r = res[name]
        r["sent"] += 1
        t = time.monotonic()
        try:
            s = connect("127.0.0.1", port, addr, timeout=10)
        except OSError as e:
            r["answers"]["connect failed: %s" % type(e).__name__] += 1
            continue
        got = bytearray()
        try:
            try:
                if what is None:
                    s.sendall(bytes(rng.getrandbits(8) for _ in range(300)) + b"\r\n\r\n")
                elif callable(what):
                    what(s)
                else:
                    s.sendall(what)
            except OSError as e:
                r["answers"]["send: %s" % type(e).__name__] += 1
            while True:
                data = s.recv(65536)
                if not data:
                    break
                got += data
                if b"\r\n\r\n" in got:
                    end = got.find(b"\r\n\r\n")
                    try:
                        _, length, _ = parse_head(got, end)
                    except (ValueError, IndexError):
                        break
                    if len(got) >= end + 4 + length:
                        break
        except socket.timeout:
            r["answers"]["no answer within 10 s"] += 1
            got = None
        except OSError as e:
            if not got:
                r["answers"]["reset: %s" % type(e).__name__] += 1
                got = None
        finally:
            s.close()
        if got is not None:
            head = bytes(got).split(b"\r\n", 1)[0]
            key = head.split(b" ", 2)[1].decode() if head.startswith(b"HTTP/") else \
                "closed without an answer"
            r["answers"][key] += 1
        r["max_answer_ms"] = max(r["max_answer_ms"], (time.monotonic() - t) * 1e3)
    for r in res.values():
        r["answers"] = dict(r["answers"])
    out.update(res)


# ---------------------------------------------------------------------------------------------

def proc_status(pid):
    d = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "VmHWM", "Threads"):
                d[k] = int(v.split()[0])
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    d["cpu_s"] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    d["fds"] = len(os.listdir("/proc/%d/fd" % pid))
    return d


def pct(sorted_vals, p):
    if not sorted_vals:
        return float("nan")
    k = min(len(sorted_vals) - 1, max(0, int(round(p / 100.0 * len(sorted_vals) + 0.5)) - 1))
    return sorted_vals[k]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--statcoder", default=os.path.join(ROOT, "build", "bin", "statcoder"))
    ap.add_argument("--train", default=os.path.join(server_bench.ONET, "train.tsv"))
    ap.add_argument("--test", default=os.path.join(server_bench.ONET, "test.tsv"))
    ap.add_argument("--duration", type=int, default=600, help="seconds of load")
    ap.add_argument("--rate", type=float, default=2000, help="valid requests per second, in all")
    ap.add_argument("--clients", type=int, default=2, help="client processes for the valid load")
    ap.add_argument("--connections", type=int, default=4,
                    help="keep-alive connections per client process")
    ap.add_argument("--request-timeout", type=float, default=10.0)
    ap.add_argument("--slow-clients", type=int, default=20)
    ap.add_argument("--slow-interval", type=float, default=2.0,
                    help="seconds between a slow client's header lines")
    ap.add_argument("--malformed-rate", type=float, default=10.0,
                    help="malformed requests per second (0: none)")
    ap.add_argument("--max-body-bytes", type=int, default=8 << 20,
                    help="the server's body limit (its default); the oversized bodies exceed it")
    ap.add_argument("--sample", type=float, default=30.0, help="seconds between RSS samples")
    ap.add_argument("--server-threads", type=int, default=4)
    ap.add_argument("--server-arg", action="append", default=[],
                    help="another argument for statcoder serve (repeatable)")
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "out", "soak.json"))
    a = ap.parse_args()
    sc = os.path.abspath(a.statcoder)
    tmp = tempfile.mkdtemp(prefix="statcoder_soak_bench_")
    ws = os.path.join(tmp, "ws")
    env = dict(os.environ, STATCODER_ACTOR="bench")
    server = None
    results = {"started_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
               "command": " ".join([os.path.basename(sys.executable)] + sys.argv),
               "machine": {"cpus": os.cpu_count(), "load_before": os.getloadavg()},
               "options": {k: v for k, v in vars(a).items() if k not in ("statcoder", "out")}}
    try:
        print("soak: setting up the workspace (train, promote) ...", flush=True)
        token = server_bench.make_workspace(sc, ws, a.train, env)
        server, url = server_bench.start_server(
            sc, ws, env, ["--threads", str(a.server_threads)] + a.server_arg)
        port = int(url.rsplit(":", 1)[1])
        texts = server_bench.titles(a.test)
        requests = [post(token, json.dumps({"record": {"title": t}}).encode()) for t in texts]
        # One request before the clock starts, so that the model is loaded and answering.
        urllib.request.urlopen(urllib.request.Request(
            url + "/v1/code", data=json.dumps({"record": {"title": "clerk"}}).encode(),
            headers={"Authorization": "Bearer " + token}), timeout=10).read()

        samples = []
        t0 = time.monotonic() + 1.0
        ctx = multiprocessing.get_context("fork")
        pipes, procs = [], []
        for i in range(a.clients):
            parent, child = ctx.Pipe(duplex=False)
            p = ctx.Process(target=load_worker, args=(i, a, port, t0, requests, child))
            p.start()
            child.close()
            pipes.append(parent)
            procs.append(p)
        stop = threading.Event()
        slow_out, mal_out = {}, {}
        threads = [threading.Thread(target=slow_clients, args=(a, port, stop, slow_out))]
        if a.malformed_rate > 0:
            threads.append(threading.Thread(target=malformed_stream,
                                            args=(a, port, token, stop, mal_out)))
        time.sleep(max(0.0, t0 - time.monotonic()))
        st = proc_status(server.pid)
        st["t_s"] = 0.0
        st["load"] = os.getloadavg()[0]
        samples.append(st)
        print("soak: %d s at %g requests/s; server VmRSS at start %.1f MiB" %
              (a.duration, a.rate, st["VmRSS"] / 1024), flush=True)
        for t in threads:
            t.start()
        k = 1
        while True:
            due = t0 + k * a.sample
            if due >= t0 + a.duration:
                break
            time.sleep(max(0.0, due - time.monotonic()))
            st = proc_status(server.pid)
            st["t_s"] = round(time.monotonic() - t0, 1)
            st["load"] = os.getloadavg()[0]
            samples.append(st)
            print("soak: t=%5.0f s  VmRSS %.1f MiB  fds %d  threads %d  server CPU %.0f s  load %.2f"
                  % (st["t_s"], st["VmRSS"] / 1024, st["fds"], st["Threads"], st["cpu_s"],
                     os.getloadavg()[0]), flush=True)
            k += 1
        time.sleep(max(0.0, t0 + a.duration - time.monotonic()))
        stop.set()
        for t in threads:
            t.join()
        workers = []
        offs, lats, sents = array.array("d"), array.array("d"), array.array("d")
        for p, pipe in zip(procs, pipes):
            workers.append(pipe.recv())
            for arr in (offs, lats, sents):
                arr.frombytes(pipe.recv_bytes())
            p.join()
        st = proc_status(server.pid)
        st["t_s"] = round(time.monotonic() - t0, 1)
        st["load"] = os.getloadavg()[0]
        samples.append(st)
        results["load_after"] = os.getloadavg()
        # Server-side view: /metrics, request counts by status.
        try:
            m = urllib.request.urlopen(urllib.request.Request(
                url + "/metrics", headers={"Authorization": "Bearer " + token}), timeout=10)
            results["server_metrics"] = [line for line in m.read().decode().splitlines()
                                         if line.startswith("statcoder_http_requests_total")]
        except OSError as e:
            results["server_metrics"] = ["unavailable: %s" % e]
    finally:
        if server:
            server.terminate()
            try:
                results["server_exit"] = server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
                results["server_exit"] = "killed"
        shutil.rmtree(tmp, ignore_errors=True)

    errors = collections.Counter()
    stats = collections.Counter()
    for w in workers:
        errors.update(w["errors"])
        stats.update(w["stats"])
    scheduled = sum(w["scheduled"] for w in workers)
    answered = sum(w["answered"] for w in workers)
    sent_total = sum(w["sent"] for w in workers)
    ok = answered - sum(v for k, v in errors.items() if k.startswith(("status", "200 without")))
    lat_sorted = sorted(lats)
    sent_sorted = sorted(sents)
    lag = sorted(l - s for l, s in zip(lats, sents))
    ms = lambda v: v * 1e3  # noqa: E731
    valid = {
        "scheduled": scheduled, "sent": sent_total, "answered": answered, "answered_200": ok,
        "errors": sum(errors.values()), "errors_by_kind": dict(errors),
        "client_stats": dict(stats),
        "achieved_rate": ok / a.duration,
        "latency_ms": {p: ms(pct(lat_sorted, v)) for p, v in
                       (("p50", 50), ("p90", 90), ("p99", 99), ("p99.9", 99.9), ("max", 100))},
        "latency_from_send_ms": {p: ms(pct(sent_sorted, v)) for p, v in
                                 (("p50", 50), ("p99", 99), ("p99.9", 99.9), ("max", 100))},
        "send_lag_ms": {p: ms(pct(lag, v)) for p, v in (("p50", 50), ("p99", 99), ("max", 100))},
        "client_cpu_s": [w["cpu_s"] for w in workers],
    }
    # Per sample window: answered and p99 of the requests scheduled in it.
    windows = collections.defaultdict(list)
    for o, l, s in zip(offs, lats, sents):
        windows[int(o // a.sample)].append((l, l - s))
    per_window = []
    for w in sorted(windows):
        v = sorted(x[0] for x in windows[w])
        g = sorted(x[1] for x in windows[w])
        per_window.append({"from_s": w * a.sample, "answered": len(v), "p99_ms": ms(pct(v, 99)),
                           "max_ms": ms(v[-1]), "send_lag_p99_ms": ms(pct(g, 99))})
    results.update({"valid": valid, "windows": per_window, "rss_samples": samples,
                    "slow_clients": slow_out, "malformed": mal_out})
    rss0, rss1 = samples[0]["VmRSS"] / 1024, samples[-1]["VmRSS"] / 1024
    rss_warm = samples[1]["VmRSS"] / 1024 if len(samples) > 2 else rss0
    flat = rss1 - rss_warm <= max(16.0, 0.1 * rss_warm)
    results["targets"] = {"zero_errors": valid["errors"] == 0,
                          "p99_le_2ms": valid["latency_ms"]["p99"] <= 2.0,
                          "rate_reached": valid["achieved_rate"] >= 0.99 * a.rate,
                          "rss_flat": flat}

    L = valid["latency_ms"]
    lines = [
        "# statcoder serve soak: %d s, %g valid requests/s scheduled (open loop), %d slow clients, "
        "%g malformed requests/s" % (a.duration, a.rate, a.slow_clients, a.malformed_rate), "",
        "Started %s; %d CPUs; load average before %.2f, after %.2f; server threads %d; "
        "client: %d processes x %d keep-alive connections."
        % (results["started_utc"], os.cpu_count(), results["machine"]["load_before"][0],
           results["load_after"][0], a.server_threads, a.clients, a.connections), "",
        "| measure | value |", "|---|---|",
        "| valid requests scheduled / sent / answered 200 | %d / %d / %d |"
        % (scheduled, sent_total, ok),
        "| errors on valid requests | %d%s |" % (valid["errors"], (" (" + ", ".join(
            "%s: %d" % kv for kv in sorted(errors.items())) + ")") if errors else ""),
        "| achieved rate | %.1f requests/s |" % valid["achieved_rate"],
        "| latency from scheduled send: p50 / p90 / p99 / p99.9 / max | %.3f / %.3f / %.3f / "
        "%.3f / %.1f ms |" % (L["p50"], L["p90"], L["p99"], L["p99.9"], L["max"]),
        "| latency from actual send: p50 / p99 / p99.9 / max | %.3f / %.3f / %.3f / %.1f ms |"
        % tuple(valid["latency_from_send_ms"][k] for k in ("p50", "p99", "p99.9", "max")),
        "| client send lag: p50 / p99 / max | %.3f / %.3f / %.1f ms |"
        % tuple(valid["send_lag_ms"][k] for k in ("p50", "p99", "max")),
        "| reconnects (server's Connection: close / idle close) | %d / %d |"
        % (stats["reconnects after Connection: close"],
           stats["idle connection closed by server"]),
        "| server VmRSS start / after %g s / end (max of samples) | %.1f / %.1f / %.1f (%.1f) MiB |"
        % (a.sample, rss0, rss_warm, rss1, max(s["VmRSS"] for s in samples) / 1024),
        "| server fds start / end, threads | %d / %d, %d |"
        % (samples[0]["fds"], samples[-1]["fds"], samples[-1]["Threads"]),
        "| CPU seconds: server / client processes | %.0f / %s |"
        % (samples[-1]["cpu_s"] - samples[0]["cpu_s"],
           " + ".join("%.0f" % c for c in valid["client_cpu_s"])),
        "| slow clients: connections, closed by the server, answers, lifetime | %d, %d, %s, "
        "%.1f-%.1f s |" % (slow_out.get("connections", 0), slow_out.get("closed_by_server", 0),
                           ", ".join("%s: %d" % kv for kv in sorted(slow_out.get(
                               "answers", {}).items())) or "-",
                           slow_out.get("lifetime_min_s") or 0, slow_out.get("lifetime_max_s")
                           or 0),
        "", "| malformed request | sent | answers | slowest answer ms |", "|---|---|---|---|"]
    for name, r in mal_out.items():
        lines.append("| %s | %d | %s | %.1f |" % (name, r["sent"], ", ".join(
            "%s: %d" % kv for kv in sorted(r["answers"].items())), r["max_answer_ms"]))
    lines += ["", "Each sample of the server, and the valid requests scheduled in the window that "
              "starts there: answered, latency p99 and max from the scheduled time, and the "
              "client's send lag p99 (how late the client itself sent).", "",
              "| t s | VmRSS MiB | fds | threads | load avg | answered | p99 ms | max ms | "
              "send lag p99 ms |", "|---|---|---|---|---|---|---|---|---|"]
    for i, s in enumerate(samples):
        w = per_window[i] if i < len(per_window) and i < len(samples) - 1 else None
        lines.append("| %.0f | %.1f | %d | %d | %.2f | %s | %s | %s | %s |" % (
            s["t_s"], s["VmRSS"] / 1024, s["fds"], s["Threads"], s["load"],
            w["answered"] if w else "-", "%.3f" % w["p99_ms"] if w else "-",
            "%.1f" % w["max_ms"] if w else "-", "%.3f" % w["send_lag_p99_ms"] if w else "-"))
    lines += ["", "The server's own count (`statcoder_http_requests_total` at the end; one warm-up "
              "request and the 408s of slow clients included):", ""]
    lines += ["    " + m.replace("statcoder_http_requests_total", "")
              for m in results.get("server_metrics", [])]
    T = results["targets"]
    lines += ["", "Targets: 0 errors on valid requests: %s; p99 <= 2 ms: %s; rate %g reached: %s; "
              "RSS flat (end within max(16 MiB, 10%%) of the %g s sample): %s" % (
                  "met" if T["zero_errors"] else "NOT met", "met" if T["p99_le_2ms"] else "NOT met",
                  a.rate, "yes" if T["rate_reached"] else "NO (client or server could not)",
                  a.sample, "yes" if T["rss_flat"] else "NO")]
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    with open(a.out, "w") as f:
        json.dump(results, f, indent=2)
    with open(os.path.splitext(a.out)[0] + ".md", "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
