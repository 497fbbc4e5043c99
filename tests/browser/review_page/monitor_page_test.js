// End-to-end browser test of the monitoring page of `statcoder serve` (docs/monitoring.md, "The
// monitoring page"): a workspace from the bundled O*NET sample with a promoted model, two batches
// coded with `statcoder code` (each is monitored), one of them from a file whose name is HTML,
// the real server on a free loopback port, then Debian's Chromium driven by Playwright:
//   - the page and its assets come with the strict Content-Security-Policy and friends;
//   - a viewer signs in and sees the status banner (ok, watch or retrain), the three charts drawn
//     with a point or bar for each batch, and the batch table with one row per batch;
//   - the batch label `<img src=x onerror=alert(1)>.tsv` shows as text: no dialog, no injected
//     element, no console error (a CSP violation logs one);
//   - the header links lead to the review page and back, the token kept for the tab;
//   - ?classification= is passed on to GET /v1/monitor.
//
//   node monitor_page_test.js STATCODER_BIN SOURCE_DIR
//   REVIEW_PAGE_SCREENSHOTS=/tmp/shots node monitor_page_test.js ...   # also keeps a screenshot
//
// Exit 0 pass, 1 fail (reasons on stderr), 77 skipped (no Chromium, or no node_modules: run
// `npm ci` here, or scripts/install-deps.sh). run_review_page_test.sh checks for node first;
// harness.js holds what the two pages' tests share.
'use strict';

const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const h = require('./harness');

const { SCREENSHOTS, CSP } = h;
const XSS_LABEL = '<img src=x onerror=alert(1)>.tsv';

const t = h.setUp('monitor_page_test');
const { work, ws, sc, scJson } = t;
// For commands that act on nothing (no --actor).
const scRead = (args) => JSON.parse(execFileSync(t.statcoder, args, { cwd: work, encoding: 'utf8',
                                                                      stdio: ['ignore', 'pipe', 'pipe'] }));

// The workspace as review_page_test.js builds it (harness.js makeWorkspace: 900 training titles,
// 5 epochs, promoted), a viewer, and two batches of later titles coded from files: the second
// file's name is HTML.
function makeWorkspace() {
  const lines = h.makeWorkspace(t, [['epochs = 20', 'epochs = 5']]);
  const header = lines[0];
  const viewer = scJson(['users', 'add', ws, 'vic', '--role', 'viewer', '--json']).token;
  const batchFiles = [path.join(work, 'batch_2025_01.tsv'), path.join(work, XSS_LABEL)];
  batchFiles.forEach((file, b) => {
    fs.writeFileSync(file, [header, ...lines.slice(901 + 300 * b, 1201 + 300 * b)].join('\n') + '\n');
    sc(['code', ws, '--data', file, '--out', path.join(work, 'coded_' + b + '.tsv'), '--quiet']);
  });
  return { viewer };
}

async function main() {
  const { viewer } = makeWorkspace();
  // The CLI's view of the same data: two monitored batches, newest last.
  const cli = scRead(['monitor', ws, '--json']);
  assert.equal(cli.batches.length, 2, 'statcoder monitor --json: ' + JSON.stringify(cli).slice(0, 400));
  assert.equal(cli.batches[1].label, XSS_LABEL, 'the batch label is not the file name');

  const { child, url } = await h.startServer(t);
  let browser;
  try {
    // The page and its assets: no token needed, strict headers.
    for (const [route, type] of [['/monitor', 'text/html'], ['/monitor.js', 'text/javascript'],
                                 ['/monitor.css', 'text/css']]) {
      const r = await fetch(url + route);
      assert.equal(r.status, 200, route);
      assert.match(r.headers.get('content-type'), new RegExp('^' + type), route);
      assert.equal(r.headers.get('content-security-policy'), CSP, route);
      assert.equal(r.headers.get('x-content-type-options'), 'nosniff', route);
    }
    const api = await fetch(url + '/v1/monitor', { headers: { Authorization: 'Bearer ' + viewer } });
    const apiJson = await api.json();
    assert.equal(api.status, 200, JSON.stringify(apiJson));
    assert.equal(apiJson.batches.length, 2, JSON.stringify(apiJson).slice(0, 400));
    const status = apiJson.status;
    assert.ok(['ok', 'watch', 'retrain'].includes(status), 'status ' + status);

    browser = await h.launchChromium(t);
    const problems = [];
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    h.watch(page, problems);
    page.setDefaultTimeout(20000);

    // Sign in as the viewer.
    await h.submitToken(page, url + '/monitor', viewer);
    await page.waitForSelector('body[data-state="ready"]');
    assert.equal(await page.textContent('#user-name'), 'vic');

    // The banner says the API's status, with the model and its reference.
    assert.equal(await page.getAttribute('#banner', 'data-status'), status);
    assert.equal(await page.textContent('#status-word'), { ok: 'OK', watch: 'Watch', retrain: 'Retrain' }[status]);
    assert.ok((await page.textContent('#model-line')).includes(apiJson.model_version), 'no model version');
    assert.equal(await page.locator('#evidence li').count(), (apiJson.recommendation.evidence || []).length);
    assert.equal(await page.inputValue('#classification'), apiJson.classification);

    // The charts: a point (or bar) per batch, the reference line, nothing blank.
    const estimated = apiJson.batches.filter((b) => b.estimated_accuracy && b.estimated_accuracy.value !== null).length;
    assert.equal(estimated, 2, 'the API has no accuracy estimate for a batch');
    assert.equal(await page.locator('#chart-accuracy circle.est-point').count(), 2);
    assert.equal(await page.locator('#chart-accuracy path.est-line').count(), 1);
    assert.ok(await page.locator('#chart-accuracy .band path').count() === 1, 'no interval band');
    assert.equal(await page.locator('#chart-accuracy line.reference').count(), 1);
    assert.equal(await page.locator('#chart-shares g.bar').count(), 2);
    assert.ok(await page.locator('#chart-shares g.bar rect').count() >= 2, 'empty share bars');
    assert.equal(await page.locator('#chart-unseen circle.unseen-point').count(), 2);
    const box = await page.locator('#chart-accuracy svg').boundingBox();
    assert.ok(box && box.width > 300 && box.height > 150, 'accuracy chart size ' + JSON.stringify(box));

    // The table: one row per batch, newest first, the HTML label as text.
    assert.equal(await page.locator('#batches tbody tr').count(), 2);
    assert.equal(await page.textContent('#batch-count'), '2');
    const newest = page.locator('#batches tbody tr').first();
    assert.equal(await newest.locator('td.label span').first().textContent(), XSS_LABEL);
    assert.equal(await page.locator('#monitor img, #monitor script').count(), 0, 'HTML was injected');
    assert.equal(await page.locator('#batches tbody tr .alarms li').count() >= 2, true);
    if (SCREENSHOTS) await page.screenshot({ path: path.join(SCREENSHOTS, 'monitor.png'), fullPage: true });
    assert.deepEqual(problems, [], 'the monitoring page reported problems');

    // The header links: to the review page (signed in by the same token) and back.
    await page.click('nav.pages a[href="/"]');
    await page.waitForSelector('body[data-state="empty"]');  // a viewer takes no records
    await page.click('nav.pages a[href="/monitor"]');
    await page.waitForSelector('body[data-state="ready"]');
    assert.equal(await page.locator('#batches tbody tr').count(), 2);

    // ?classification= goes to the API: the workspace's own loads, another one does not.
    await page.fill('#classification', apiJson.classification);
    await page.press('#classification', 'Enter');
    await page.waitForFunction(() => location.search.startsWith('?classification='));
    await page.waitForSelector('body[data-state="ready"]');
    const seen = [];
    page.on('request', (r) => seen.push(r.url()));
    await page.fill('#classification', 'no_such_list');
    await page.press('#classification', 'Enter');
    await page.waitForFunction(() => location.search === '?classification=no_such_list');
    await page.waitForFunction(() => document.body.dataset.state !== 'loading');
    assert.ok(seen.some((u) => u.endsWith('/v1/monitor?classification=no_such_list')), seen.join(' '));
    // An unknown classification is refused by the API (a console error for the failed request
    // is expected): the page says so and shows no stale batches of the other one.
    assert.equal(await page.getAttribute('body', 'data-state'), 'error');
    assert.ok((await page.textContent('#load-error')).includes('no_such_list'),
              'error not shown: ' + (await page.textContent('#load-error')));
    assert.equal(await page.locator('#batches tbody tr').count(), 0);
    assert.equal(await page.locator('#chart-accuracy circle.est-point').count(), 0);
    await browser.close();
    browser = null;
    console.log('monitor_page_test: ok (status ' + status + ', 2 batches charted and listed, HTML label inert)');
  } finally {
    if (browser) await browser.close().catch(() => {});
    if (child.exitCode === null) child.kill('SIGTERM');
  }
}

h.run(t, main);
