// What the pages' browser tests (review_page_test.js, monitor_page_test.js) share: loading
// playwright-core and finding Chromium (or skipping), the arguments, a scratch folder with the
// statcoder CLI run in it, the workspace from the bundled O*NET sample with a promoted model,
// `statcoder serve` on a free loopback port, launching Chromium, watching a page for problems,
// the sign-in form, and the run with its time limit and cleanup.
//
//   const h = require('./harness');
//   const t = h.setUp('monitor_page_test');   // exits 77 (skip) or 2 (usage) itself
//   h.makeWorkspace(t, { epochs: 5 });
//   const { child, url } = await h.startServer(t);
//   const browser = await h.launchChromium(t);
//   h.run(t, main);                            // exit 0 pass, 1 fail (with serve.log's tail)
'use strict';

const assert = require('node:assert/strict');
const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const SKIP = 77;
// Set to a folder to keep screenshots of the pages (for a look).
const SCREENSHOTS = process.env.REVIEW_PAGE_SCREENSHOTS || '';
const CHROMIUM = process.env.STATCODER_CHROMIUM || '/usr/bin/chromium';
// The Content-Security-Policy the pages and their files come with (src/server/web_routes.h).
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; " +
            "img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

// The test `name` (e.g. 'review_page_test'): playwright-core and Chromium or exit 77, the
// arguments STATCODER_BIN SOURCE_DIR or exit 2, and a scratch folder. Returns the test's
// context: { name, chromium, statcoder, onet, work, ws, sc(args), scJson(args) }; sc runs the
// CLI in the scratch folder with --actor tester and returns its stdout.
function setUp(name) {
  let chromium;
  try {
    ({ chromium } = require(path.join(__dirname, 'node_modules', 'playwright-core')));
  } catch (e) {
    console.log(name + ': SKIP: playwright-core is not installed; run `npm ci` in ' + __dirname);
    process.exit(SKIP);
  }
  if (!fs.existsSync(CHROMIUM)) {
    console.log(name + ': SKIP: no Chromium at ' + CHROMIUM);
    process.exit(SKIP);
  }

  const [statcoder, sourceDir] = process.argv.slice(2);
  if (!statcoder || !sourceDir) {
    console.error('usage: node ' + name + '.js STATCODER_BIN SOURCE_DIR');
    process.exit(2);
  }
  const onet = path.join(sourceDir, 'examples', 'onet');
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'statcoder_' + name.replace(/_test$/, '') + '_'));
  const ws = path.join(work, 'ws');
  const sc = (args) => execFileSync(statcoder, [...args, '--actor', 'tester'],
                                    { cwd: work, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const scJson = (args) => JSON.parse(sc(args));
  return { name, chromium, statcoder, onet, work, ws, sc, scJson };
}

// The workspace: the first 900 training titles (as tests/cli/cli_harness.h WriteOnetSubsets),
// `edits` to statcoder.toml ([from, to] pairs, each `from` must be there: 5 epochs, as these
// tests are about the pages, not accuracy), trained and promoted. Returns train.tsv's lines
// (header first) for the records a test sends later.
function makeWorkspace(t, edits) {
  const lines = fs.readFileSync(path.join(t.onet, 'train.tsv'), 'utf8').trimEnd().split('\n');
  fs.writeFileSync(path.join(t.work, 'train_small.tsv'), lines.slice(0, 901).join('\n') + '\n');
  t.sc(['init', t.ws, '--codelist', path.join(t.onet, 'soc2018_codelist.tsv'), '--schema',
        'text=title;label=soc2018;id=id']);
  const tomlPath = path.join(t.ws, 'statcoder.toml');
  let toml = fs.readFileSync(tomlPath, 'utf8');
  assert.ok(edits.every(([from]) => toml.includes(from)), 'statcoder.toml changed');
  for (const [from, to] of edits) toml = toml.replace(from, to);
  fs.writeFileSync(tomlPath, toml);
  const snapshot = t.scJson(['ingest', t.ws, path.join(t.work, 'train_small.tsv'), '--kind', 'training',
                             '--json']).id;
  t.scJson(['train', t.ws, '--snapshot', snapshot, '--json', '--quiet']);
  t.sc(['models', 'promote', t.ws, 'candidate', '--force', '--reason', 'browser test']);
  return lines;
}

// `statcoder serve WS --port 0`; the first line of stdout is {"listening": "http://HOST:PORT"}.
function startServer(t) {
  const log = fs.openSync(path.join(t.work, 'serve.log'), 'w');
  const child = spawn(t.statcoder, ['serve', t.ws, '--port', '0', '--poll-interval-ms', '200',
                                    '--auth-failures-per-minute', '1000'],
                      { cwd: t.work, stdio: ['ignore', 'pipe', log] });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('statcoder serve did not start')), 30000);
    child.on('exit', (code) => reject(new Error('statcoder serve exited early: ' + code)));
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('\n')) {
        clearTimeout(timer);
        resolve({ child, url: JSON.parse(out.split('\n')[0]).listening });
      }
    });
  });
}

// Debian's Chromium, headless, nothing fetched from elsewhere.
function launchChromium(t) {
  return t.chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

// Fails the test on anything the page reports: script errors, console errors (a CSP violation
// is one), dialogs (an XSS payload's alert), failed requests.
function watch(page, problems) {
  page.on('pageerror', (e) => problems.push('page error: ' + e.message));
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push('console ' + m.type() + ': ' + m.text());
  });
  page.on('dialog', (d) => {
    problems.push('dialog: ' + d.message());
    d.dismiss().catch(() => {});
  });
  page.on('requestfailed', (r) => problems.push('request failed: ' + r.url()));
}

// Opens `pageUrl`, waits for the sign-in form and submits `token` on it (the caller waits for
// what follows: the page's state, or the form's error).
async function submitToken(page, pageUrl, token) {
  await page.goto(pageUrl);
  await page.waitForSelector('body[data-state="signed-out"]');
  await page.fill('#token', token);
  await page.press('#token', 'Enter');
}

// Runs `main` under a time limit: exit 0 when it resolves, 1 (reasons and the end of serve.log
// on stderr) when it throws or takes too long; the scratch folder is removed either way.
function run(t, main) {
  const guard = setTimeout(() => {
    console.error(t.name + ': FAIL: timed out');
    process.exit(1);
  }, 170000);
  main().then(() => {
    clearTimeout(guard);
    fs.rmSync(t.work, { recursive: true, force: true });
  }, (e) => {
    console.error(t.name + ': FAIL: ' + (e && e.stack ? e.stack : e));
    try {
      console.error('--- serve.log (last lines) ---\n' +
                    fs.readFileSync(path.join(t.work, 'serve.log'), 'utf8').split('\n').slice(-20).join('\n'));
    } catch (_) { /* no log */ }
    if (e && e.stderr) console.error(String(e.stderr));
    fs.rmSync(t.work, { recursive: true, force: true });
    process.exit(1);
  });
}

module.exports = { SCREENSHOTS, CSP, setUp, makeWorkspace, startServer, launchChromium, watch, submitToken,
                   run };
