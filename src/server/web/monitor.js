// The monitoring page (docs/monitoring.md, "The monitoring page"): the production model's coded
// batches over time from GET /v1/monitor — the recommendation with its evidence, accuracy
// (label-free estimate, measured, held-out reference), decision shares, unseen features, drift
// alarms and shadow agreement. Plain JavaScript, no framework; the charts are SVG drawn here.
//
// Security: batch labels, statistic names and messages are untrusted. Everything from the API
// goes on the page with textContent, or as attributes of elements made by createElement /
// createElementNS that are numbers this script computed; nothing here hands a string to the
// HTML parser. The token is the review page's (same sessionStorage key, so one sign-in serves
// both pages in a tab) and goes out only as an Authorization header; common.js (loaded first)
// holds the token, API calls and sign-in form both pages share.
'use strict';

(() => {
  const page = window.statcoderPage;  // common.js
  const { TOKEN_KEY, clear } = page;
  const REFRESH_MS = 60000;
  const SVG_NS = 'http://www.w3.org/2000/svg';

  const $ = (id) => document.getElementById(id);
  const state = {
    token: sessionStorage.getItem(TOKEN_KEY) || '',
    classification: new URLSearchParams(location.search).get('classification') || '',
    seq: 0,          // bumps with every load, so a late answer for an older one is dropped
    timer: 0,
    shown: null,     // the last /v1/monitor answer drawn, redrawn on resize
  };

  // ---- Small DOM helpers: text only, never HTML ----
  function el(tag, props, ...children) {
    const e = document.createElement(tag);
    setProps(e, props);
    for (const c of children) e.append(c);
    return e;
  }
  function svg(tag, props, ...children) {
    const e = document.createElementNS(SVG_NS, tag);
    setProps(e, props);
    for (const c of children) e.append(c);
    return e;
  }
  function setProps(e, props) {
    if (!props) return;
    for (const [k, v] of Object.entries(props)) {
      if (k === 'text') e.textContent = v;
      else if (k === 'className') e.setAttribute('class', v);
      else e.setAttribute(k, String(v));
    }
  }

  // ---- Values: the JSON may hold null (or anything) where a number is expected ----
  const num = (v) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
  const str = (v) => (v === null || v === undefined ? '' : typeof v === 'string' ? v : String(v));
  const obj = (v) => (v !== null && typeof v === 'object' && !Array.isArray(v) ? v : null);
  const arr = (v) => (Array.isArray(v) ? v : []);
  function pct(v, digits = 1) {
    const x = num(v);
    return x === null ? '–' : (x * 100).toFixed(digits) + '%';
  }
  function interval(e) {
    const o = obj(e);
    if (!o || num(o.value) === null) return '–';
    const lo = num(o.low);
    const hi = num(o.high);
    return pct(o.value) + (lo !== null && hi !== null ? ' (' + pct(lo) + '–' + pct(hi) + ')' : '');
  }
  function count(v) {
    const x = num(v);
    return x === null ? '–' : x.toLocaleString('en');
  }
  function fixed(v, digits) {
    const x = num(v);
    return x === null ? '–' : x.toFixed(digits);
  }
  // "2026-11-29T10:00:00Z" → "2026-11-29 10:00 UTC"; anything else as it is.
  function when(t) {
    const s = str(t);
    const m = /^(\d{4}-\d\d-\d\d)T(\d\d:\d\d)(:\d\d(\.\d+)?)?Z$/.exec(s);
    return m ? m[1] + ' ' + m[2] + ' UTC' : s;
  }
  // An adjusted p-value: two significant digits, tiny ones as a bound.
  function pValue(v) {
    const x = num(v);
    return x === null ? '' : x < 0.001 ? 'p < 0.001' : 'p ' + x.toPrecision(2);
  }
  // A cell with a main line and a smaller second line (omitted when empty).
  function twoLineCell(className, main, below) {
    const td = el('td', { className }, el('span', { text: main }));
    if (below) td.append(el('span', { className: 'ci', text: below }));
    return td;
  }
  const batchName = (b, i) => (str(b.id) ? '#' + str(b.id) : 'batch ' + (i + 1));

  // ---- The API (GET only; a 401 signs out) ----
  const api = (path) => page.api(state.token, 'GET', path, undefined, signOut);

  // ---- Signing in and out ----
  async function signIn(token) {
    state.token = token;
    const me = await api('/v1/me');
    sessionStorage.setItem(TOKEN_KEY, token);
    $('user-name').textContent = str(me.user);
    $('user-role').textContent = str(me.role);
    $('who').hidden = false;
    $('classification-form').hidden = false;
    $('sign-in').hidden = true;
    $('monitor').hidden = false;
    $('token').value = '';
    $('classification').value = state.classification;
    await load();
  }

  function signOut(message) {
    state.token = '';
    ++state.seq;
    clearTimeout(state.timer);
    page.showSignIn(message, ['monitor', 'who', 'classification-form']);
  }

  // ---- Loading ----
  async function load() {
    clearTimeout(state.timer);
    const seq = ++state.seq;
    if (document.body.dataset.state !== 'ready') document.body.dataset.state = 'loading';
    const query = state.classification ? '?classification=' + encodeURIComponent(state.classification) : '';
    let m;
    try {
      m = await api('/v1/monitor' + query);
    } catch (e) {
      if (seq !== state.seq || !state.token) return;
      // Refused (an unknown classification, no production model): not a passing failure.
      const refused = e.status >= 400 && e.status < 500;
      if (refused) {
        // Nothing to show for this classification: no stale charts of another one.
        render({ batches: [] });
        $('banner').dataset.status = 'unknown';
        $('status-word').textContent = 'Not available';
        $('status-text').textContent = '';
      } else {
        state.timer = setTimeout(load, REFRESH_MS);  // a passing failure: the last data stays
      }
      $('load-error').textContent = 'Could not load the monitoring data: ' + e.message;
      document.body.dataset.state = 'error';
      return;
    }
    if (seq !== state.seq) return;
    $('load-error').textContent = '';
    render(obj(m) || {});
    document.body.dataset.state = 'ready';
    state.timer = setTimeout(load, REFRESH_MS);
  }

  function render(m) {
    state.shown = m;
    const batches = arr(m.batches).map((b) => obj(b) || {});
    const reference = obj(m.reference) || {};
    const rec = obj(m.recommendation) || {};
    const status = str(m.status) || str(rec.status) || 'no_data';
    let since = num(rec.since_batch_index);
    if (since === null || since < 0 || since >= batches.length || status === 'ok') since = null;
    if (!$('classification').value && str(m.classification)) $('classification').value = str(m.classification);
    renderBanner(m, status, rec, reference);
    drawAccuracy($('chart-accuracy'), batches, reference, since);
    drawShares($('chart-shares'), batches, reference, since);
    drawUnseen($('chart-unseen'), batches, since);
    renderTable(batches, since);
  }

  // ---- The status banner ----
  const STATUS_TEXT = {
    ok: ['OK', 'No drift alarm and no drop in accuracy: the production model fits the recent batches.'],
    watch: ['Watch', 'Something in the recent batches differs from the model’s reference. No retraining is needed yet; keep an eye on it.'],
    retrain: ['Retrain', 'The evidence says the model no longer fits the incoming data: retrain it.'],
    no_data: ['No data', 'No batch has been coded with the production model yet, so there is nothing to judge.'],
  };

  function renderBanner(m, status, rec, reference) {
    const known = Object.hasOwn(STATUS_TEXT, status) ? STATUS_TEXT[status] : null;
    $('banner').dataset.status = known ? status : 'unknown';
    $('status-word').textContent = known ? known[0] : status;
    const model = str(m.model_version);
    const parts = [];
    if (str(m.classification)) parts.push(str(m.classification));
    if (model) parts.push('model ' + model);
    $('model-line').textContent = parts.join(' · ');
    let text = known ? known[1] : 'Status “' + status + '”.';
    if (status === 'retrain' && obj(m.training_window)) text += ' The proposed training window is below.';
    if (num(reference.heldout_accuracy) !== null) {
      text += ' Reference: held-out accuracy ' + pct(reference.heldout_accuracy) + ' on ' +
              count(reference.heldout_n) + ' records, auto precision ' + pct(reference.auto_precision) +
              ', auto share ' + pct(reference.auto_share) + '.';
    }
    $('status-text').textContent = text;

    const ul = $('evidence');
    clear(ul);
    for (const raw of arr(rec.evidence)) {
      const e = obj(raw) || {};
      const li = el('li', { className: 'severity-' + (str(e.severity) === 'retrain' ? 'retrain' : 'watch') },
                    el('span', { className: 'tag', text: str(e.severity) || 'evidence' }), ' ',
                    el('span', { className: 'rule', text: str(e.rule) }), ' ',
                    el('span', { text: str(e.message) }));
      const details = [];
      if (str(e.statistic)) details.push(str(e.statistic));
      if (str(e.effect_name) && num(e.effect) !== null) details.push(str(e.effect_name) + ' ' + fixed(e.effect, 3));
      if (num(e.adjusted_p) !== null) details.push('adjusted ' + pValue(e.adjusted_p));
      if (num(e.change_magnitude) !== null) details.push('change ' + fixed(e.change_magnitude, 3));
      if (str(e.since_batch_id)) details.push('since batch #' + str(e.since_batch_id));
      if (details.length) li.append(el('span', { className: 'details', text: ' (' + details.join(', ') + ')' }));
      ul.append(li);
    }

    const w = obj(m.training_window);
    $('window').hidden = !w || status === 'ok';
    const dl = $('window-fields');
    clear(dl);
    if (w) {
      const list = (v) => arr(v).map(str).join(', ') || 'none';
      dl.append(el('dt', { text: 'Snapshots' }), el('dd', { className: 'code', text: list(w.snapshots) }),
                el('dt', { text: 'Review feedback' }), el('dd', { className: 'code', text: list(w.feedback) }),
                el('dt', { text: 'Since' }), el('dd', { text: when(w.since) || '–' }));
      if (str(w.note)) dl.append(el('dt', { text: 'Note' }), el('dd', { text: str(w.note) }));
    }
  }

  // ---- Charts (SVG) ----
  // All three share the x axis: one slot per batch, oldest on the left. The CSS gives each chart
  // box a fixed height; the SVG's viewBox is the box's size in CSS pixels, so text keeps its size
  // at any width (a resize redraws). W and H are set by newChart for the chart being drawn.
  let W = 640, H = 240;
  const M = { left: 46, right: 12, top: 12, bottom: 30 };

  function frame(n, y0, y1) {
    const pw = W - M.left - M.right, ph = H - M.top - M.bottom;
    const slot = pw / Math.max(n, 1);
    return {
      n, slot, y0, y1,
      x: (i) => M.left + (i + 0.5) * slot,
      y: (v) => M.top + ph * (1 - (Math.min(Math.max(v, y0), y1) - y0) / (y1 - y0)),
    };
  }

  // Grid, y labels (percent), x labels (batch ids, at most 8) and the shaded changed regime.
  function axes(root, f, batches, step, since) {
    const g = svg('g', { className: 'axes' });
    if (since !== null) {
      const x0 = M.left + since * f.slot;
      g.append(svg('rect', { className: 'regime', x: x0.toFixed(1), y: M.top,
                             width: (W - M.right - x0).toFixed(1), height: H - M.top - M.bottom },
                   svg('title', { text: 'Changed regime: from batch ' + batchName(batches[since], since) })));
    }
    const digits = step < 0.01 ? 1 : 0;
    for (let v = f.y0; v <= f.y1 + 1e-9; v += step) {
      const y = f.y(v).toFixed(1);
      g.append(svg('line', { className: 'grid', x1: M.left, x2: W - M.right, y1: y, y2: y }),
               svg('text', { className: 'ylabel', x: M.left - 6, y, dy: '0.32em', 'text-anchor': 'end',
                             text: (v * 100).toFixed(digits) + '%' }));
    }
    // Every `every`-th batch and the latest, dropping the one before the latest if too close.
    const every = Math.max(1, Math.ceil(f.n / 8));
    const labelled = new Set();
    for (let i = 0; i < f.n; i += every) labelled.add(i);
    const last = f.n - 1;
    if (last > 0 && !labelled.has(last)) {
      const before = last - (last % every);
      if (before > 0 && last - before < every / 2) labelled.delete(before);
      labelled.add(last);
    }
    for (const i of labelled) {
      g.append(svg('text', { className: 'xlabel', x: f.x(i).toFixed(1), y: H - M.bottom + 18,
                             'text-anchor': 'middle', text: batchName(batches[i], i) }));
    }
    g.append(svg('line', { className: 'baseline', x1: M.left, x2: W - M.right,
                           y1: H - M.bottom, y2: H - M.bottom }));
    root.append(g);
  }

  function newChart(box) {
    clear(box);
    W = Math.max(280, Math.round(box.clientWidth) || 640);
    H = Math.max(120, Math.round(box.clientHeight) || 240);
    const root = svg('svg', { viewBox: '0 0 ' + W + ' ' + H, preserveAspectRatio: 'none',
                              focusable: 'false' });
    box.append(root);
    return root;
  }

  function emptyNote(root, text) {
    root.append(svg('text', { className: 'nodata', x: W / 2, y: H / 2, 'text-anchor': 'middle', text }));
  }

  // Splits indices 0..n-1 into runs where have(i) holds, for lines broken at missing values.
  function runs(n, have) {
    const out = [];
    let cur = [];
    for (let i = 0; i < n; ++i) {
      if (have(i)) cur.push(i);
      else if (cur.length) out.push(cur), (cur = []);
    }
    if (cur.length) out.push(cur);
    return out;
  }
  const pathOf = (pts) => pts.map(([x, y], k) => (k ? 'L' : 'M') + x.toFixed(1) + ' ' + y.toFixed(1)).join(' ');

  // A domain [lo, hi] ⊂ [0, 1] covering the values, on a round step.
  function domain(values, minSpan) {
    const v = values.filter((x) => x !== null);
    if (!v.length) return [0, 1, 0.2];
    let lo = Math.min(...v), hi = Math.max(...v);
    const span = Math.max(hi - lo, minSpan);
    const step = span > 0.5 ? 0.2 : span > 0.2 ? 0.1 : span > 0.08 ? 0.05 : span > 0.03 ? 0.02 : 0.01;
    lo = Math.max(0, Math.floor((lo - step / 2) / step) * step);
    hi = Math.min(1, Math.ceil((hi + step / 2) / step) * step);
    if (hi - lo < step) hi = Math.min(1, lo + step), lo = Math.max(0, hi - step);
    return [lo, hi, step];
  }

  function drawAccuracy(box, batches, reference, since) {
    const root = newChart(box);
    const n = batches.length;
    const est = batches.map((b) => obj(b.estimated_accuracy) || {});
    const meas = batches.map((b) => obj(b.measured_accuracy));
    const shadow = batches.map((b) => obj(b.shadow));
    const refAcc = num(reference.heldout_accuracy);
    const values = [refAcc];
    for (let i = 0; i < n; ++i) {
      values.push(num(est[i].value), num(est[i].low), num(est[i].high));
      if (meas[i]) values.push(num(meas[i].value), num(meas[i].low), num(meas[i].high));
      if (shadow[i]) values.push(num(shadow[i].agreement));
    }
    const [lo, hi, step] = domain(values, 0.1);
    const f = frame(n, lo, hi);
    axes(root, f, batches, step, since);
    const referenceLine = () => {
      if (refAcc === null) return;
      const y = f.y(refAcc).toFixed(1);
      root.append(svg('line', { className: 'reference', x1: M.left, x2: W - M.right, y1: y, y2: y },
                      svg('title', { text: 'Held-out accuracy ' + pct(refAcc) + ' (' + count(reference.heldout_n) + ' records)' })));
    };
    if (!n) {
      referenceLine();
      return emptyNote(root, 'No batches yet');
    }

    // The estimate's interval as a band (a short bar where a batch stands alone).
    const band = svg('g', { className: 'band' });
    const haveBand = (i) => num(est[i].low) !== null && num(est[i].high) !== null;
    for (const r of runs(n, haveBand)) {
      if (r.length === 1) {
        const i = r[0];
        band.append(svg('rect', { x: (f.x(i) - Math.min(8, f.slot / 4)).toFixed(1), y: f.y(est[i].high).toFixed(1),
                                  width: Math.min(16, f.slot / 2).toFixed(1),
                                  height: Math.max(1, f.y(est[i].low) - f.y(est[i].high)).toFixed(1) }));
        continue;
      }
      const top = r.map((i) => [f.x(i), f.y(est[i].high)]);
      const bottom = r.map((i) => [f.x(i), f.y(est[i].low)]).reverse();
      band.append(svg('path', { d: pathOf([...top, ...bottom]) + ' Z' }));
    }
    root.append(band);
    referenceLine();

    const haveEst = (i) => num(est[i].value) !== null;
    for (const r of runs(n, haveEst)) {
      if (r.length > 1) root.append(svg('path', { className: 'est-line', d: pathOf(r.map((i) => [f.x(i), f.y(est[i].value)])) }));
    }
    for (let i = 0; i < n; ++i) {
      if (!haveEst(i)) continue;
      root.append(svg('circle', { className: 'est-point', cx: f.x(i).toFixed(1), cy: f.y(est[i].value).toFixed(1), r: 3.5 },
                      svg('title', { text: batchName(batches[i], i) + ': estimated accuracy ' + interval(est[i]) })));
    }

    // Measured accuracy: a square with its Wilson interval as an error bar.
    for (let i = 0; i < n; ++i) {
      const mi = meas[i];
      if (!mi || num(mi.value) === null) continue;
      const g = svg('g', { className: 'measured-point' },
                    svg('title', { text: batchName(batches[i], i) + ': measured accuracy ' + interval(mi) +
                                         ' on ' + count(mi.n) + ' reviewed records' }));
      const x = f.x(i) + Math.min(6, f.slot / 6);
      if (num(mi.low) !== null && num(mi.high) !== null) {
        g.append(svg('line', { x1: x.toFixed(1), x2: x.toFixed(1), y1: f.y(mi.low).toFixed(1), y2: f.y(mi.high).toFixed(1) }));
      }
      g.append(svg('rect', { x: (x - 3.5).toFixed(1), y: (f.y(mi.value) - 3.5).toFixed(1), width: 7, height: 7 }));
      root.append(g);
    }

    // Shadow model agreement: hollow triangles.
    for (let i = 0; i < n; ++i) {
      const s = shadow[i];
      if (!s || num(s.agreement) === null) continue;
      const x = f.x(i) - Math.min(6, f.slot / 6), y = f.y(s.agreement);
      root.append(svg('path', { className: 'shadow-point',
                                d: 'M' + x.toFixed(1) + ' ' + (y - 4.5).toFixed(1) + ' L' + (x + 4.5).toFixed(1) + ' ' +
                                   (y + 3.5).toFixed(1) + ' L' + (x - 4.5).toFixed(1) + ' ' + (y + 3.5).toFixed(1) + ' Z' },
                      svg('title', { text: batchName(batches[i], i) + ': shadow model ' + str(s.version) + ' agrees on ' +
                                           pct(s.agreement) + ' of ' + count(s.records) + ' records' })));
    }
  }

  function drawShares(box, batches, reference, since) {
    const root = newChart(box);
    const n = batches.length;
    const f = frame(n, 0, 1);
    axes(root, f, batches, 0.2, since);
    if (!n) return emptyNote(root, 'No batches yet');
    const width = Math.max(1, Math.min(36, f.slot * 0.7));
    for (let i = 0; i < n; ++i) {
      const s = obj(batches[i].shares) || {};
      const g = svg('g', { className: 'bar' },
                    svg('title', { text: batchName(batches[i], i) + ': auto ' + pct(s.auto) + ', knowledge base ' +
                                         pct(s.kb) + ', review ' + pct(s.review) }));
      let at = 0;
      for (const part of ['auto', 'kb', 'review']) {
        const v = num(s[part]);
        if (v === null || v <= 0) continue;
        const top = Math.min(1, at + v);
        g.append(svg('rect', { className: 'bar-' + part, x: (f.x(i) - width / 2).toFixed(1), y: f.y(top).toFixed(1),
                               width: width.toFixed(1), height: Math.max(0, f.y(at) - f.y(top)).toFixed(1) }));
        at = top;
      }
      root.append(g);
    }
    const refAuto = num(reference.auto_share);
    if (refAuto !== null) {
      const y = f.y(refAuto).toFixed(1);
      root.append(svg('line', { className: 'reference ref-auto', x1: M.left, x2: W - M.right, y1: y, y2: y },
                      svg('title', { text: 'Held-out auto share ' + pct(refAuto) })));
    }
  }

  function drawUnseen(box, batches, since) {
    const root = newChart(box);
    const n = batches.length;
    const v = batches.map((b) => num(b.unseen_feature_share));
    const top = Math.max(0.05, ...v.filter((x) => x !== null));
    const [, hi, step] = domain([0, top], 0.05);
    const f = frame(n, 0, hi);
    axes(root, f, batches, step, since);
    if (!n) return emptyNote(root, 'No batches yet');
    for (const r of runs(n, (i) => v[i] !== null)) {
      if (r.length > 1) root.append(svg('path', { className: 'unseen-line', d: pathOf(r.map((i) => [f.x(i), f.y(v[i])])) }));
    }
    for (let i = 0; i < n; ++i) {
      if (v[i] === null) continue;
      root.append(svg('circle', { className: 'unseen-point', cx: f.x(i).toFixed(1), cy: f.y(v[i]).toFixed(1), r: 3.5 },
                      svg('title', { text: batchName(batches[i], i) + ': ' + pct(v[i]) + ' of features unseen in training' })));
    }
  }

  // ---- The batch table (newest first) ----
  // A value over its interval (and sample size), in one table cell.
  function intervalCell(e, n) {
    const o = obj(e);
    const td = el('td', { className: 'num' });
    if (!o || num(o.value) === null) {
      td.textContent = '–';
      return td;
    }
    td.append(el('span', { text: pct(o.value) }));
    const lo = num(o.low), hi = num(o.high);
    const below = [];
    if (lo !== null && hi !== null) below.push(pct(lo) + '–' + pct(hi));
    if (n !== undefined) below.push('n=' + count(n));
    if (below.length) td.append(el('span', { className: 'ci', text: below.join(' · ') }));
    return td;
  }

  function renderTable(batches, since) {
    const tbody = $('batches').tBodies[0];
    clear(tbody);
    $('batch-count').textContent = String(batches.length);
    $('batches-empty').hidden = batches.length > 0;
    for (let i = batches.length - 1; i >= 0; --i) {
      const b = batches[i];
      const s = obj(b.shares) || {};
      const alarms = el('ul', { className: 'alarms' });
      for (const raw of arr(b.alarms)) {
        const a = obj(raw) || {};
        const effect = str(a.effect_name) && num(a.effect) !== null ? str(a.effect_name) + ' ' + fixed(a.effect, 3) : '';
        const p = pValue(a.adjusted_p);
        alarms.append(el('li', null, el('span', { className: 'code stat', text: str(a.statistic) }),
                         el('span', { className: 'effect', text: [effect, p].filter(Boolean).join(', ') })));
      }
      if (!alarms.firstChild) alarms.append(el('li', { className: 'none', text: 'none' }));
      const sh = obj(b.shadow);
      const time = when(b.time);
      const cut = time.indexOf(' ');
      const meas = obj(b.measured_accuracy);
      const tr = el('tr', null,
                    el('td', { className: 'code', text: str(b.id) }),
                    twoLineCell('time', cut > 0 ? time.slice(0, cut) : time, cut > 0 ? time.slice(cut + 1) : ''),
                    twoLineCell('label', str(b.label), str(b.source)),
                    el('td', { className: 'num', text: count(b.records) }),
                    intervalCell(b.estimated_accuracy),
                    intervalCell(meas, meas ? meas.n : undefined),
                    el('td', { className: 'num', text: pct(s.auto, 0) + ' / ' + pct(s.kb, 0) + ' / ' + pct(s.review, 0) }),
                    el('td', { className: 'num', text: pct(b.unseen_feature_share) }),
                    el('td', null, alarms),
                    sh ? twoLineCell('shadow num', pct(sh.agreement), str(sh.version))
                       : el('td', { className: 'shadow num', text: '–' }));
      if (str(b.model_version)) tr.title = 'model ' + str(b.model_version);
      if (since !== null && i >= since) tr.className = 'in-regime';
      tbody.append(tr);
    }
  }

  // ---- Start ----
  function start() {
    $('classification-form').addEventListener('submit', (ev) => {
      ev.preventDefault();
      state.classification = $('classification').value.trim();
      const url = new URL(location.href);
      if (state.classification) url.searchParams.set('classification', state.classification);
      else url.searchParams.delete('classification');
      history.replaceState(null, '', url.pathname + url.search);
      load();
    });
    let resizeTimer = 0;
    window.addEventListener('resize', () => {
      clearTimeout(resizeTimer);
      resizeTimer = setTimeout(() => {
        if (state.shown && !$('monitor').hidden) render(state.shown);
      }, 150);
    });
    document.addEventListener('visibilitychange', () => {
      if (!document.hidden && state.token && !$('monitor').hidden) load();
    });
    page.startSignIn(state.token, signIn, signOut);
  }

  start();
})();
