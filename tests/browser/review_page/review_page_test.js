// End-to-end browser test of the review page of `statcoder serve` (docs/server.md, "The review
// page"): a workspace from the bundled O*NET sample with a promoted model, a coder and a
// methodologist, the real server on a free loopback port, records sent through POST /v1/code so
// that some are referred, then Debian's Chromium driven by Playwright (playwright-core, no
// browser of its own):
//   - the page and its assets come with the strict Content-Security-Policy and friends;
//   - the coder signs in with the token and codes three records with the keys 1-5 only, writes a
//     comment and escalates a fourth with the keyboard;
//   - a record whose text is HTML (<img onerror>, <script>) shows as text: no dialog, no
//     injected element, no script run, no console error (a CSP violation logs one);
//   - the last decision is undone with the key z and the record coded anew; the page holds at
//     1024 px with full titles; the search finds an index entry ("manger dairy"); signing out
//     clears the page;
//   - the methodologist reopens a decided item by its number (a coder is not offered to);
//   - the methodologist sees the escalation with the earlier decision and adjudicates it (key 1);
//   - `statcoder review stats --json`, `review export --json` and the catalog hold the decisions
//     with the coder's name and the codes that were on screen.
//
//   node review_page_test.js STATCODER_BIN SOURCE_DIR
//   REVIEW_PAGE_SCREENSHOTS=/tmp/shots node review_page_test.js ...   # also keeps screenshots
//
// Exit 0 pass, 1 fail (reasons on stderr), 77 skipped (no Chromium, or no node_modules: run
// `npm ci` here, or scripts/install-deps.sh). run_review_page_test.sh checks for node first;
// harness.js holds what the two pages' tests share.
'use strict';

const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const path = require('node:path');
const h = require('./harness');

const { SCREENSHOTS, CSP } = h;
const XSS_TEXT = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script> sales manager';

const t = h.setUp('review_page_test');
const { ws, scJson } = t;

// The workspace (harness.js makeWorkspace) without an audit sample (every item has
// suggestions), a coder and a methodologist.
function makeWorkspace() {
  const lines = h.makeWorkspace(t, [['epochs = 20', 'epochs = 5'], ['audit_rate = 0.02', 'audit_rate = 0.0']]);
  const coder = scJson(['users', 'add', ws, 'ann', '--role', 'coder', '--json']).token;
  const supervisor = scJson(['users', 'add', ws, 'meg', '--role', 'methodologist', '--json']).token;
  // An index entry, as coders write it, for the search.
  scJson(['kb', 'add', ws, '--text', 'Dairy Department Manager', '--code', '41-1011', '--json']);
  // Unseen titles (after the training rows) are mostly referred by so small a model.
  const unseen = lines.slice(901, 913).map((l) => l.split('\t'));
  return { coder, supervisor, unseen };
}

async function call(url, token, method, route, body) {
  const res = await fetch(url + route, {
    method,
    headers: { Authorization: 'Bearer ' + token, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json();
  assert.equal(res.status, 200, method + ' ' + route + ': ' + JSON.stringify(json));
  return json;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function signIn(page, url, token) {
  await h.submitToken(page, url + '/', token);
  await page.waitForSelector('body[data-state="ready"], body[data-state="empty"]');
}

// Presses `key` and waits for the page to show the next item (or nothing left).
async function pressAndWait(page, key) {
  const before = await page.getAttribute('#record', 'data-item-id');
  await page.keyboard.press(key);
  await page.waitForFunction(
      (id) => ['ready', 'empty'].includes(document.body.dataset.state) &&
              document.getElementById('record').dataset.itemId !== id,
      before);
}

async function main() {
  const { coder, supervisor, unseen } = makeWorkspace();
  const { child, url } = await h.startServer(t);
  let browser;
  try {
    // Records through the API: the XSS record first (the queue is oldest first), then unseen ones.
    const records = [{ id: 'x1', title: XSS_TEXT }, ...unseen.map(([id, title]) => ({ id, title }))];
    const coded = await call(url, coder, 'POST', '/v1/code', { records });
    const referred = coded.results.filter((r) => r.decision === 'review').map((r) => r.id);
    assert.ok(referred.includes('x1'), 'the HTML record was not referred: ' + JSON.stringify(coded.results[0]));
    assert.ok(referred.length >= 5, 'only ' + referred.length + ' records referred');
    // The review writer commits within ~100 ms.
    for (let i = 0; ; ++i) {
      const stats = await call(url, coder, 'GET', '/v1/review/stats');
      const open = stats.queue.filter((q) => q.status === 'open').reduce((n, q) => n + q.items, 0);
      if (open === referred.length) break;
      assert.ok(i < 100, 'review items did not reach the queue');
      await sleep(50);
    }

    // The page and its assets: no token needed, strict headers.
    const index = await fetch(url + '/');
    assert.equal(index.status, 200);
    assert.equal(index.headers.get('content-security-policy'), CSP);
    assert.equal(index.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(index.headers.get('referrer-policy'), 'no-referrer');
    assert.match(index.headers.get('content-type'), /^text\/html/);
    assert.match((await fetch(url + '/app.js')).headers.get('content-type'), /^text\/javascript/);
    assert.match((await fetch(url + '/app.css')).headers.get('content-type'), /^text\/css/);
    const me = await call(url, supervisor, 'GET', '/v1/me');
    assert.deepEqual(me, { user: 'meg', role: 'methodologist' });

    browser = await h.launchChromium(t);
    const problems = [];
    const page = await browser.newPage();
    h.watch(page, problems);
    page.setDefaultTimeout(20000);

    // A wrong token is refused on the sign-in form.
    await h.submitToken(page, url + '/', 'sc_0000000000000000_wrong');
    await page.waitForFunction(() => document.getElementById('sign-in-error').textContent !== '');
    // The refused request logs a console error (HTTP 401); only that one is expected.
    problems.length = 0;

    await signIn(page, url, coder);
    assert.equal(await page.evaluate(() => sessionStorage.getItem('statcoder.token')), coder);
    assert.equal(await page.textContent('#user-name'), 'ann');
    assert.ok(await page.isHidden('#view-supervisor'), 'a coder sees the supervisor view');
    assert.ok(await page.isHidden('#reopen'), 'a coder is offered to reopen items');
    await page.waitForFunction((n) => document.getElementById('queue-size').textContent === n,
                               String(referred.length));

    // The HTML record is shown as text, also once the explanation marks its words.
    assert.equal(await page.textContent('#record-id'), 'x1');  // the id as it is, no quotes
    // Why it was referred, in words.
    assert.match(await page.textContent('#record-kind'), /^referred · \S/);
    await page.waitForFunction(() => document.getElementById('why').textContent !== '');
    const title = page.locator('#record-fields dd[data-field="title"]');
    assert.equal(await title.textContent(), XSS_TEXT);
    assert.equal(await page.locator('#record img, #record script').count(), 0, 'HTML was injected');
    const tags = await title.evaluate((dd) => [...dd.querySelectorAll('*')].map((e) => e.tagName));
    assert.ok(tags.every((t) => t === 'MARK'), 'unexpected elements in the record: ' + tags);
    assert.equal(await page.evaluate(() => window.__xss), undefined, 'the record ran script');
    if (SCREENSHOTS) await page.screenshot({ path: path.join(SCREENSHOTS, 'coder.png'), fullPage: true });

    // Three records coded with the keys 1-5 alone; the codes on screen are remembered.
    const decided = [];
    let marked = 0;
    for (const key of ['1', '2', '1']) {
      await page.waitForFunction(() => document.getElementById('why').textContent !== '');
      marked += await page.locator('#record-fields mark').count();
      const recordId = (await page.textContent('#record-id')).replace(/[“”]/g, '');
      const code = await page.textContent(`#suggestions li:nth-child(${key}) .code`);
      await pressAndWait(page, key);
      assert.match(await page.textContent('#status'), new RegExp('Saved: code ' + code));
      decided.push({ record_id: recordId, code });
    }
    assert.ok(marked > 0, 'no word was highlighted on any of the three records');
    assert.equal(decided[0].record_id, 'x1');

    // Undo (key z, or the button) takes the last decision back: the record is open again and,
    // the oldest open one, back on screen; coded anew with key 1.
    assert.ok(await page.isVisible('#undo'), 'no undo offered after a decision');
    assert.match(await page.textContent('#undo-text'), new RegExp('Undo code ' + decided[2].code));
    await page.keyboard.press('z');
    await page.waitForFunction((id) => document.body.dataset.state === 'ready' &&
                                       document.getElementById('record-id').textContent === id &&
                                       /^Undone/.test(document.getElementById('status').textContent),
                               decided[2].record_id);
    assert.ok(await page.isHidden('#undo'), 'undo still offered after undoing');
    await page.waitForFunction(() => document.getElementById('why').textContent !== '');
    decided[2].code = await page.textContent('#suggestions li:nth-child(1) .code');
    await pressAndWait(page, '1');
    assert.match(await page.textContent('#status'), new RegExp('Saved: code ' + decided[2].code));

    // At 1024 px wide nothing needs a horizontal scroll, and titles are not cut.
    await page.setViewportSize({ width: 1024, height: 768 });
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 1024),
              'the page is wider than 1024 px');
    const cut = await page.evaluate(() => [...document.querySelectorAll('#suggestions .title')]
        .filter((e) => e.scrollWidth > e.clientWidth + 1).length);
    assert.equal(cut, 0, 'suggestion titles are cut off');
    if (SCREENSHOTS) await page.screenshot({ path: path.join(SCREENSHOTS, 'coder-1024.png'), fullPage: true });

    // A comment and an escalation, still by keyboard.
    const escalatedId = (await page.textContent('#record-id')).replace(/[“”]/g, '');
    await page.keyboard.press('c');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'comment');
    await page.keyboard.type('title too vague');
    await page.keyboard.press('Escape');
    await pressAndWait(page, 'e');
    // Today: 3 codes, the undo, the code anew and the escalation.
    await page.waitForFunction(() => document.getElementById('today').textContent === '6');
    assert.equal(await page.textContent('#queue-size'), String(referred.length - 4));

    // "/" focuses the search; the code list answers and the tree opens.
    await page.keyboard.press('/');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'search');
    await page.keyboard.type('marketing');
    await page.waitForSelector('#search-results .pick[data-code="11-2021"]');
    // The coding index: words in any order, a small typo; the entry with its code and text.
    await page.fill('#search', 'manger dairy');
    await page.waitForSelector('#search-results .pick[data-code="41-1011"][data-source="index"]');
    assert.match(await page.textContent('#search-results .pick[data-source="index"] .entry'),
                 /dairy department manager/i);
    await page.keyboard.press('Escape');
    await page.click('#tree > li:first-child > button.toggle');
    await page.waitForSelector('#tree > li:first-child > ul > li .pick');
    assert.deepEqual(problems, [], 'the coder page reported problems');

    // Signing out leaves nothing of this coder's work on the page for the next user.
    await page.click('#sign-out');
    await page.waitForSelector('#sign-in-form');
    assert.equal(await page.inputValue('#search'), '');
    assert.equal(await page.locator('#search-results li').count(), 0);
    assert.equal(await page.inputValue('#comment'), '');

    // The supervisor: a fresh tab, the escalation with the earlier decision, adjudicated by key.
    const context = await browser.newContext();
    const sup = await context.newPage();
    h.watch(sup, problems);
    sup.setDefaultTimeout(20000);
    await signIn(sup, url, supervisor);
    assert.ok(await sup.isVisible('#view-supervisor'), 'no supervisor view for a methodologist');
    await sup.click('#view-supervisor');
    await sup.waitForFunction(() => document.body.dataset.state === 'ready' &&
                                    !document.getElementById('earlier').hidden);
    assert.equal((await sup.textContent('#record-id')).replace(/[“”]/g, ''), escalatedId);
    const earlier = await sup.textContent('#decisions');
    assert.ok(earlier.includes('ann') && earlier.includes('escalate') && earlier.includes('title too vague'),
              'earlier decisions not shown: ' + earlier);
    const adjudicated = await sup.textContent('#suggestions li:nth-child(1) .code');
    if (SCREENSHOTS) await sup.screenshot({ path: path.join(SCREENSHOTS, 'supervisor.png'), fullPage: true });
    await pressAndWait(sup, '1');
    await sup.waitForSelector('body[data-state="empty"]');
    // The supervisor reopens the first record the coder decided: back in the coding queue.
    const x1Item = execFileSync('sqlite3', ['-readonly', path.join(ws, 'statcoder.db'),
        "SELECT id FROM review_items WHERE record_id = 'x1'"], { encoding: 'utf8' }).trim();
    assert.ok(await sup.isVisible('#reopen'), 'no reopen for a methodologist');
    await sup.fill('#reopen-id', x1Item);
    await sup.click('#reopen-form button[type="submit"]');
    await sup.waitForFunction(() => /^Reopened item/.test(document.getElementById('status').textContent));
    assert.match(await sup.textContent('#status'), new RegExp('Reopened item ' + x1Item + ' \\(now open\\)'));
    assert.deepEqual(problems, [], 'the supervisor page reported problems');
    await browser.close();
    browser = null;

    child.kill('SIGTERM');
    await new Promise((r) => child.on('exit', r));

    // The workspace holds the decisions with the coder's name.
    const stats = scJson(['review', 'stats', ws, '--json']);
    assert.equal(stats.decisions_by_coder.ann.code, 4, JSON.stringify(stats));
    assert.equal(stats.decisions_by_coder.ann.undo, 1, JSON.stringify(stats));
    assert.equal(stats.decisions_by_coder.ann.escalate, 1, JSON.stringify(stats));
    assert.equal(stats.decisions_by_coder.meg.adjudicate, 1, JSON.stringify(stats));
    assert.equal(stats.decisions_by_coder.meg.reopen, 1, JSON.stringify(stats));
    const rows = JSON.parse(execFileSync('sqlite3', ['-readonly', '-json', path.join(ws, 'statcoder.db'),
        "SELECT i.record_id, d.coder, d.action, d.code, d.comment FROM review_decisions d " +
        "JOIN review_items i ON i.id = d.item_id ORDER BY d.id"], { encoding: 'utf8' }));
    for (const d of decided) {
      assert.ok(rows.some((r) => r.record_id === d.record_id && r.coder === 'ann' && r.action === 'code' &&
                                 r.code === d.code), 'decision not stored: ' + JSON.stringify(d) + ' in ' +
                JSON.stringify(rows));
    }
    assert.ok(rows.some((r) => r.record_id === escalatedId && r.coder === 'meg' && r.action === 'adjudicate' &&
                               r.code === adjudicated));
    assert.ok(rows.some((r) => r.action === 'escalate' && r.comment === 'title too vague'));
    const exported = scJson(['review', 'export', ws, '--json']);
    assert.equal(exported.items, 3, JSON.stringify(exported));  // x1 was reopened
    console.log('review_page_test: ok (3 keyboard decisions, 1 undone and coded anew, 1 escalation adjudicated, 1 reopened, HTML record inert)');
  } finally {
    if (browser) await browser.close().catch(() => {});
    if (child.exitCode === null) child.kill('SIGTERM');
  }
}

h.run(t, main);
