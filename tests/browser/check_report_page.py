#!/usr/bin/python3
"""Checks a statcoder report.html in headless Chromium: it renders, without error, with its charts.

    check_report_page.py DIR/report.html [--min-charts N] [--expect-section ID ...]
                         [--expect-summary] [--first-screen WIDTHxHEIGHT]
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
--expect-section is missing. With --expect-summary, the page is loaded in a window of
--first-screen size (default 1280x900) and each sentence of the report's "summary" must be in the
page's "In short" block (#headline), that block must end within the first screen (the page sets
<body data-headline-bottom> and data-viewport-height), and a sentence the report marks as a
warning must be drawn in the warning style (.headline-warning).

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


# Elements that have no end tag, so that nesting can be followed without one.
VOID_ELEMENTS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
                 "source", "track", "wbr"}


class HeadlineText(html.parser.HTMLParser):
    """The text of the element with id="headline" in a dumped DOM, and the text of each
    .headline-warning element inside it."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found = False
        self.text = []
        self.warnings = []
        self._depth = 0  # open elements inside #headline (0: outside)
        self._warning_depth = None

    def handle_starttag(self, tag, attrs):
        attrs = dict((k.lower(), v or "") for k, v in attrs)
        if self._depth == 0:
            if attrs.get("id") == "headline":
                self.found = True
                self._depth = 1
            return
        if tag in VOID_ELEMENTS:
            return
        self._depth += 1
        if self._warning_depth is None and "headline-warning" in attrs.get("class", "").split():
            self._warning_depth = self._depth
            self.warnings.append("")

    def handle_endtag(self, tag):
        if self._depth == 0 or tag in VOID_ELEMENTS:
            return
        if self._warning_depth == self._depth:
            self._warning_depth = None
        self._depth -= 1

    def handle_data(self, data):
        if self._depth:
            self.text.append(data)
            if self._warning_depth is not None:
                self.warnings[-1] += data


def normalized(text):
    return " ".join(text.split())


def summary_checks(report, dom, body):
    """Failures of the first-screen summary: the report's sentences, as drawn in #headline."""
    summary = report.get("summary") if isinstance(report, dict) else None
    sentences = summary.get("sentences") if isinstance(summary, dict) else None
    if not isinstance(sentences, list) or not sentences:
        return ["--expect-summary: the embedded report has no summary sentences"]
    headline = HeadlineText()
    headline.feed(dom)
    headline.close()
    if not headline.found:
        return ["the summary sentences are not drawn (no #headline element)"]
    failures = []
    text = normalized("".join(headline.text))
    warnings = [normalized(w) for w in headline.warnings]
    for s in sentences:
        wanted = normalized(str(s.get("text", ""))) if isinstance(s, dict) else ""
        if not wanted:
            continue
        if wanted not in text:
            failures.append(f"summary sentence missing from the first screen: {wanted[:100]!r}")
        elif s.get("warning") is True and not any(wanted in w for w in warnings):
            failures.append(f"warning sentence not drawn as a warning: {wanted[:100]!r}")
    try:
        bottom, height = int(body.get("data-headline-bottom", "")), int(
            body.get("data-viewport-height", ""))
    except ValueError:
        failures.append("the page did not say where the summary ends (data-headline-bottom)")
    else:
        if bottom > height:
            failures.append(f"the summary ends {bottom} px down, below the first screen "
                            f"({height} px)")
    return failures


def static_checks(page):
    """Problems of the page's markup, and the embedded report (None when unreadable)."""
    scan = StaticScan()
    scan.feed(page)
    scan.close()
    problems = list(scan.problems)
    report = None
    if len(scan.report_blocks) != 1:
        problems.append(f"expected one embedded report (script#report-data), "
                        f"found {len(scan.report_blocks)}")
    else:
        try:
            report = json.loads(scan.report_blocks[0])
        except ValueError as e:
            problems.append(f"the embedded report is not valid JSON: {e}")
    # Style sheets can fetch too; the page's own only ever uses data: URLs, if any.
    for style in scan.styles:
        for m in re.finditer(r"@import|url\(\s*['\"]?(?!data:)", style):
            problems.append(f"<style> refers to an outside resource near: "
                            f"{style[m.start():m.start() + 60]!r}")
    return problems, report


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
    parser.add_argument("--expect-summary", action="store_true",
                        help="the report's summary sentences must be drawn on the first screen "
                             "(warnings in the warning style)")
    parser.add_argument("--first-screen", default="1280x900", metavar="WIDTHxHEIGHT",
                        help="window size for --expect-summary (default 1280x900)")
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
    problems, embedded = static_checks(page)
    failures = [f"static: {p}" for p in problems]
    window = []
    if opts.expect_summary:
        m = re.fullmatch(r"(\d+)x(\d+)", opts.first_screen)
        if not m:
            print(f"{PROG}: --first-screen must be WIDTHxHEIGHT, e.g. 1280x900", file=sys.stderr)
            return 2
        window = [f"--window-size={m.group(1)},{m.group(2)}"]

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
                               ["--dump-dom", *window])
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

    if opts.expect_summary:
        failures += summary_checks(embedded, dom, body)

    if failures:
        return report(path, failures)
    print(f"{PROG}: OK: {path}: {drawn} chart(s) drawn, {len(found.sections)} sections, "
          f"no errors{', summary on the first screen' if opts.expect_summary else ''} "
          f"({elapsed:.1f} s in Chromium)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
