#!/usr/bin/python3
"""Checks a statcoder report.html in headless Chromium: it renders, without error, with its charts.

    check_report_page.py DIR/report.html [--min-charts N] [--expect-section ID ...]
                         [--screenshot PNG] [--chromium PATH] [--timeout SECONDS]

Static checks first (no browser): the page holds exactly one embedded report (a
<script type="application/json" id="report-data"> whose text is valid JSON), every other
<script> is inline, and nothing refers to an outside resource (src/href/srcset/action/poster
with a URL, <link>, @import, url(...) outside data:) and no element has an inline event handler.

Then Debian's chromium loads the page headless (fresh profile in a temporary folder) as
report.html#self-test and dumps the DOM once loaded. The page's own script
(src/quality/report_page/) records every error, console error or warning and blocked request in
<body data-errors>; when done it sets data-rendered="true", data-charts-expected and
data-charts-drawn (charts whose canvas has non-blank pixels), and "#self-test" makes it also use
each of its controls (sorting, filtering, "show all"), check the outcome and set
data-self-test="done". The check fails on any recorded error, on any console message Chromium
logs (the page logs nothing when all is well), when rendering or the self-test did not finish,
when a chart is blank, when fewer than --min-charts charts were drawn, or when an
--expect-section is missing.

Exit status: 0 pass, 1 fail (each reason on stderr), 2 usage error, 77 skipped because no
Chromium is installed (ctest's SKIP_RETURN_CODE). Only the Python standard library is used.
Set STATCODER_CHROMIUM (or --chromium) to use another Chromium binary.
"""

import argparse
import html.parser
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

SKIP = 77
PROG = "check_report_page"

# Attributes that make a browser fetch something.
URL_ATTRIBUTES = {"src", "href", "srcset", "action", "formaction", "poster", "data", "background",
                  "xlink:href", "ping", "manifest"}


class StaticScan(html.parser.HTMLParser):
    """Collects the page's elements of interest without running anything."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems = []
        self.report_blocks = []  # text of each <script type="application/json" id="report-data">
        self.scripts = 0
        self.sections = set()
        self.styles = []  # text of each <style>
        self._in_report = False
        self._in_style = False
        self._report_text = []

    def handle_starttag(self, tag, attrs):
        attrs = dict((k.lower(), v or "") for k, v in attrs)
        for name, value in attrs.items():
            if name.startswith("on"):
                self.problems.append(f"<{tag}> has an inline event handler '{name}'")
            target = value.strip()
            if name in URL_ATTRIBUTES and target and not target.startswith(("#", "data:")):
                self.problems.append(f"<{tag} {name}=\"{value[:80]}\"> refers to an outside "
                                     "resource")
        if tag == "link":
            self.problems.append("the page has a <link> element (outside resource)")
        if tag == "section" and attrs.get("id"):
            self.sections.add(attrs["id"])
        if tag == "style":
            self._in_style = True
            self.styles.append("")
        if tag == "script":
            self.scripts += 1
            if attrs.get("type") == "application/json" and attrs.get("id") == "report-data":
                self._in_report = True
                self._report_text = []
            elif attrs.get("type", "text/javascript") not in ("", "text/javascript", "module"):
                self.problems.append(f"<script type=\"{attrs.get('type')}\"> is unexpected")

    def handle_endtag(self, tag):
        if tag == "script" and self._in_report:
            self.report_blocks.append("".join(self._report_text))
            self._in_report = False
        if tag == "style":
            self._in_style = False

    def handle_data(self, data):
        if self._in_report:
            self._report_text.append(data)
        if self._in_style:
            self.styles[-1] += data


class BodyAttributes(html.parser.HTMLParser):
    """The attributes of <body> and the ids of <section> elements in a dumped DOM."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.body = None
        self.sections = set()

    def handle_starttag(self, tag, attrs):
        if tag == "body" and self.body is None:
            self.body = dict((k.lower(), v or "") for k, v in attrs)
        if tag == "section":
            for k, v in attrs:
                if k == "id" and v:
                    self.sections.add(v)


def static_checks(page):
    scan = StaticScan()
    scan.feed(page)
    scan.close()
    problems = list(scan.problems)
    if len(scan.report_blocks) != 1:
        problems.append(f"expected one embedded report (script#report-data), "
                        f"found {len(scan.report_blocks)}")
    else:
        try:
            json.loads(scan.report_blocks[0])
        except ValueError as e:
            problems.append(f"the embedded report is not valid JSON: {e}")
    # Style sheets can fetch too; the page's own only ever uses data: URLs, if any.
    for style in scan.styles:
        for m in re.finditer(r"@import|url\(\s*['\"]?(?!data:)", style):
            problems.append(f"<style> refers to an outside resource near: "
                            f"{style[m.start():m.start() + 60]!r}")
    return problems


def find_chromium(explicit):
    candidates = [explicit, os.environ.get("STATCODER_CHROMIUM")]
    candidates += [shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome")]
    for c in candidates:
        if c and os.path.isfile(c) and os.access(c, os.X_OK):
            return c
    return None


def run_chromium(chromium, url, profile, timeout, extra):
    # --no-sandbox: Chromium refuses to start as root with its sandbox, which is how CI runs.
    # The page is our own local file and may load nothing (its CSP says so).
    args = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--no-first-run", "--no-default-browser-check", "--disable-extensions",
            "--disable-background-networking", "--disable-component-update", "--mute-audio",
            "--hide-scrollbars", f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0",
            *extra, url]
    return subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout,
                          stdin=subprocess.DEVNULL)


# Chromium logs the page's console messages on stderr as
#   [pid:tid:time:INFO:CONSOLE:12] "message", source: file:///.../report.html (12)
# (older versions: "INFO:CONSOLE(12)"), at INFO whatever the console level.
CONSOLE_LINE = re.compile(r":CONSOLE[:(]\d*\)?\]\s*(.*)$")


def console_messages(stderr):
    out = []
    for line in stderr.splitlines():
        m = CONSOLE_LINE.search(line)
        if m:
            out.append(m.group(1))
    return out


def report(path, failures):
    print(f"{PROG}: FAIL: {path}", file=sys.stderr)
    for msg in failures:
        print(f"  - {msg}", file=sys.stderr)
    return 1


def main():
    parser = argparse.ArgumentParser(
        prog=PROG, description="Check a statcoder report.html in headless Chromium.")
    parser.add_argument("page", help="path of the report.html to check")
    parser.add_argument("--min-charts", type=int, default=1,
                        help="fewest charts that must be drawn (default 1; 0 for a report "
                             "without data)")
    parser.add_argument("--expect-section", action="append", default=[], metavar="ID",
                        help="id of a <section> that must be drawn (repeatable): summary, data, "
                             "accuracy, coding, calibration, explainability, reproducibility, "
                             "timeliness, cost, subgroups, examples")
    parser.add_argument("--screenshot", metavar="PNG",
                        help="also save a screenshot of the page (1280 px wide) for a person "
                             "to look at")
    parser.add_argument("--chromium",
                        help="Chromium binary (default: $STATCODER_CHROMIUM, then PATH)")
    parser.add_argument("--timeout", type=float, default=90,
                        help="seconds per Chromium run (default 90)")
    opts = parser.parse_args()

    path = os.path.abspath(opts.page)
    if not os.path.isfile(path):
        print(f"{PROG}: FAIL: {path} does not exist", file=sys.stderr)
        return 1
    with open(path, encoding="utf-8", errors="replace") as f:
        page = f.read()
    failures = [f"static: {p}" for p in static_checks(page)]

    chromium = find_chromium(opts.chromium)
    if chromium is None:
        for msg in failures:
            print(f"{PROG}: FAIL: {msg}", file=sys.stderr)
        print(f"{PROG}: SKIP: no Chromium found (install Debian's package chromium, or set "
              f"STATCODER_CHROMIUM)", file=sys.stderr)
        return 1 if failures else SKIP

    url = "file://" + path
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="statcoder-chromium-") as profile:
        try:
            # "#self-test": the page also uses each of its controls and checks the outcome.
            run = run_chromium(chromium, url + "#self-test", profile, opts.timeout,
                               ["--dump-dom"])
        except subprocess.TimeoutExpired:
            # A page that opens a dialog (alert) waits for ever in headless Chromium.
            failures.append(f"Chromium did not finish within {opts.timeout:g} s")
            return report(path, failures)
        if opts.screenshot:
            shot = os.path.abspath(opts.screenshot)
            try:
                run_chromium(chromium, url, profile, opts.timeout,
                             [f"--screenshot={shot}", "--window-size=1280,4000"])
            except subprocess.TimeoutExpired:
                failures.append(f"the screenshot did not finish within {opts.timeout:g} s")
    elapsed = time.monotonic() - started
    stderr = run.stderr.decode("utf-8", errors="replace")
    dom = run.stdout.decode("utf-8", errors="replace")

    if run.returncode != 0:
        tail = "\n    ".join(stderr.strip().splitlines()[-8:])
        failures.append(f"Chromium exited with status {run.returncode}:\n    {tail}")
    for msg in console_messages(stderr):
        failures.append(f"console: {msg}")

    found = BodyAttributes()
    found.feed(dom)
    body = found.body
    if body is None:
        failures.append("Chromium returned no <body> (the page did not load)")
        body = {}
    try:
        errors = json.loads(body.get("data-errors", "null"))
    except ValueError:
        errors = None
    if not isinstance(errors, list):
        failures.append("the page's error recorder did not run (no data-errors list on <body>)")
        errors = []
    for e in errors:
        failures.append(f"page: {e}")
    if body.get("data-rendered") != "true":
        failures.append("the page's script did not finish drawing (no data-rendered=\"true\")")
    elif body.get("data-self-test") != "done":
        failures.append("the page's self-test of its controls did not run (no data-self-test)")

    def as_int(name):
        try:
            return int(body.get(name, ""))
        except ValueError:
            return None

    expected, drawn = as_int("data-charts-expected"), as_int("data-charts-drawn")
    if expected is None or drawn is None:
        failures.append("the page did not report its charts "
                        "(data-charts-expected, data-charts-drawn)")
    else:
        if drawn < expected:
            failures.append(f"only {drawn} of {expected} charts have visible pixels")
        if drawn < opts.min_charts:
            failures.append(f"{drawn} charts drawn, expected at least {opts.min_charts}")
    for sid in opts.expect_section:
        if sid not in found.sections:
            present = ", ".join(sorted(found.sections)) or "none"
            failures.append(f"section '{sid}' is missing (found: {present})")

    if failures:
        return report(path, failures)
    print(f"{PROG}: OK: {path}: {drawn} chart(s) drawn, {len(found.sections)} sections, "
          f"no errors ({elapsed:.1f} s in Chromium)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
