// Draws statcoder's quality report (docs/formats/report_v1.md) from the JSON embedded in the
// page, for a reader who has never seen statcoder.
//
// Security: every string in the report (codes, titles, feature names, record texts, file names)
// is untrusted data. The DOM is built with createElement and text nodes only, never innerHTML,
// and no URL or attribute name is ever taken from the data. Chart.js draws its labels and
// tooltips on a canvas, which cannot run anything either.
//
// Robustness: figures that are missing, null or of the wrong type show as "—"; keys this page
// does not know are ignored; a section without data says "not recorded", and an optional one
// (subgroups, examples) is left out. A section that fails to draw says so and the others still
// draw; the failure is recorded (template.html) so that the browser test fails.
//
// When done, <body> carries data-rendered="true", data-charts-expected (charts attempted) and
// data-charts-drawn (charts whose canvas has visible pixels): tests/browser/check_report_page.py
// reads them.
(function () {
  'use strict';

  const DASH = '\u2014';
  const EN_DASH = '\u2013';
  const recordError = window.statcoderRecordError || function (message) { console.error(message); };

  // Colours: calm, distinguishable in greyscale print and for the common colour-vision deficits.
  const COLOR = {
    main: '#2f6db5',
    mainFill: 'rgba(47, 109, 181, 0.75)',
    second: '#c46a1b',
    secondFill: 'rgba(196, 106, 27, 0.7)',
    neutral: '#8a96a3',
    neutralFill: 'rgba(91, 107, 127, 0.55)',
    mark: '#b3261e',
    target: '#2e7d4f',
    grid: '#e6e9ee',
  };

  // ---- Reading the report ------------------------------------------------------------------

  function isObject(v) {
    return v !== null && typeof v === 'object' && !Array.isArray(v);
  }
  // get(obj, 'a', 'b') is obj.a.b, or undefined when any step is missing or not an object.
  function get(obj, ...keys) {
    let v = obj;
    for (const k of keys) {
      if (!isObject(v) || !Object.prototype.hasOwnProperty.call(v, k)) return undefined;
      v = v[k];
    }
    return v;
  }
  function num(v) {
    return typeof v === 'number' && Number.isFinite(v) ? v : null;
  }
  function list(v) {
    return Array.isArray(v) ? v : [];
  }
  function str(v) {
    if (typeof v === 'string') return v;
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    return '';
  }
  function present(v) {
    return v !== undefined && v !== null;
  }

  // ---- Formatting --------------------------------------------------------------------------

  function fixed(v, digits) {
    const n = num(v);
    return n === null ? DASH : n.toFixed(digits);
  }
  function share(v) {
    return fixed(v, 3);
  }
  function count(v) {
    const n = num(v);
    return n === null ? DASH : Math.round(n).toLocaleString('en-US');
  }
  function percent(v, digits) {
    const n = num(v);
    return n === null ? DASH : (n * 100).toFixed(digits === undefined ? 1 : digits) + '%';
  }
  function number(v, digits) {
    const n = num(v);
    if (n === null) return DASH;
    return n.toLocaleString('en-US', {maximumFractionDigits: digits === undefined ? 3 : digits});
  }
  function seconds(v) {
    const s = num(v);
    if (s === null) return DASH;
    if (s < 1) return (s * 1000).toFixed(s < 0.01 ? 2 : 0) + ' ms';
    if (s < 120) return s.toFixed(s < 10 ? 2 : 1) + ' s';
    if (s < 7200) return Math.floor(s / 60) + ' min ' + Math.round(s % 60) + ' s';
    return Math.floor(s / 3600) + ' h ' + Math.round((s % 3600) / 60) + ' min';
  }
  function hours(v) {
    const n = num(v);
    return n === null ? DASH : n.toLocaleString('en-US', {minimumFractionDigits: 1,
                                                          maximumFractionDigits: 1});
  }
  function milliseconds(v) {
    const n = num(v);
    return n === null ? DASH : (n < 1 ? n.toFixed(3) : n.toFixed(1)) + ' ms';
  }
  function whenText(v) {
    const s = str(v);
    const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})(:\d{2}(\.\d+)?)?Z$/.exec(s);
    return m ? m[1] + ' ' + m[2] + ' UTC' : s;
  }
  function truncate(s, n) {
    return s.length > n ? s.slice(0, n - 1) + '\u2026' : s;
  }
  function chosenOnText(v) {
    if (v === 'training_holdout') return 'training hold-out';
    if (v === 'labelled_set') return 'labelled set';
    return str(v) || DASH;
  }

  // ---- Building the DOM (text only) ---------------------------------------------------------

  function append(parent, children) {
    if (children === undefined || children === null) return parent;
    for (const c of Array.isArray(children) ? children : [children]) {
      if (c === undefined || c === null || c === false) continue;
      parent.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return parent;
  }
  function el(tag, className, children) {
    const e = document.createElement(tag);
    if (className) e.className = className;
    return append(e, children);
  }
  function para(children, className) {
    return el('p', className, children);
  }
  function code(v) {
    const s = str(v);
    return s ? el('code', s.length > 24 ? 'long' : null, s) : DASH;
  }
  function muted(v) {
    return el('span', 'muted', v);
  }
  function notRecorded(what) {
    return para((what ? what + ': ' : '') + 'not recorded in this report.', 'not-recorded');
  }

  // "0.912 (0.905–0.919)" from an interval object {value, low, high}; a bare number is shown
  // as it is.
  function interval(iv, fmt) {
    fmt = fmt || share;
    if (!isObject(iv)) return el('span', 'figure', fmt(iv));
    const out = el('span', 'figure', fmt(iv.value));
    if (num(iv.value) !== null && num(iv.low) !== null && num(iv.high) !== null) {
      append(out, [' ', el('span', 'ci', '(' + fmt(iv.low) + EN_DASH + fmt(iv.high) + ')')]);
    }
    return out;
  }
  function intervalWords(iv) {
    if (!isObject(iv) || num(iv.low) === null || num(iv.high) === null) return '';
    return ' (95% interval ' + percent(iv.low) + EN_DASH + percent(iv.high) + ')';
  }

  // columns: [{label, num, help, cls}]; rows: arrays of cells (string, number or Node); a row
  // may instead be {cells, cls}.
  function table(columns, rows, className) {
    const t = el('table', className);
    const tr = el('tr');
    for (const c of columns) {
      const th = el('th', c.num ? 'num' : null, c.label);
      th.scope = 'col';
      if (c.help) th.title = c.help;
      tr.appendChild(th);
    }
    t.appendChild(el('thead', null, tr));
    const body = el('tbody');
    for (const row of rows) body.appendChild(tableRow(columns, row));
    t.appendChild(body);
    return el('div', 'table-wrap', t);
  }
  function tableRow(columns, row) {
    const cells = Array.isArray(row) ? row : row.cells;
    const tr = el('tr', Array.isArray(row) ? null : row.cls);
    cells.forEach(function (cell, i) {
      const c = columns[i] || {};
      tr.appendChild(el('td', [c.num ? 'num' : '', c.cls || ''].join(' ').trim() || null, cell));
    });
    return tr;
  }
  // Table of labelled values: rows are [label, value, help?]. `numeric`: the values are figures,
  // right-aligned so that their digits line up.
  function facts(rows, numeric) {
    const t = el('table', numeric ? 'facts numeric' : 'facts');
    const body = el('tbody');
    for (const [label, value, help] of rows) {
      const th = el('th', null, label);
      th.scope = 'row';
      const tr = el('tr', null, [th, el('td', numeric ? 'num value' : 'value', value)]);
      if (help) tr.appendChild(el('td', 'help', help));
      body.appendChild(tr);
    }
    t.appendChild(body);
    return el('div', 'table-wrap', t);
  }
  // Any JSON value as a readable table (options, metadata), nested to a few levels.
  function anyValue(v, depth) {
    if (v === null || v === undefined || v === '') return DASH;
    if (typeof v !== 'object') return el('span', 'value', scalarText(v));
    if (Array.isArray(v) && v.every(function (x) { return x === null || typeof x !== 'object'; })) {
      if (!v.length) return muted('none');
      const items = v.map(function (x) { return x === null ? DASH : scalarText(x); });
      return el('span', 'value', items.join(', '));
    }
    if (depth >= 3) return el('code', 'json', JSON.stringify(v));
    return keyValues(v, depth + 1);
  }
  // Stored options keep their full precision; six significant digits are enough to read.
  function scalarText(v) {
    if (typeof v === 'number' && !Number.isInteger(v)) return String(Number(v.toPrecision(6)));
    return str(v);
  }
  function keyValues(obj, depth) {
    const t = el('table', 'kv');
    const body = el('tbody');
    const keys = Array.isArray(obj) ? obj.map(function (_, i) { return i; }) : Object.keys(obj);
    for (const k of keys) {
      const th = el('th', null, el('code', null, String(k)));
      th.scope = 'row';
      body.appendChild(el('tr', null, [th, el('td', null, anyValue(obj[k], depth || 0))]));
    }
    t.appendChild(body);
    return t;
  }
  // A copy of `v` in which every threshold above 1 (the model file's 2.0: no cut reaches the
  // target) reads "never", under any key that names a threshold.
  function neverThresholds(v, key) {
    const isThreshold = /threshold/.test(str(key));
    if (Array.isArray(v)) {
      return v.map(function (x) { return neverThresholds(x, key); });
    }
    if (isObject(v)) {
      const out = {};
      for (const k of Object.keys(v)) out[k] = neverThresholds(v[k], k);
      return out;
    }
    return isThreshold && num(v) !== null && v > 1 ? 'never' : v;
  }
  function levelLabel(level) {
    const name = str(get(level, 'name'));
    const depth = num(get(level, 'depth'));
    return [name || 'level', depth === null ? null : muted(' (depth ' + depth + ')')];
  }
  function codeAndTitle(c, t) {
    return [code(c), str(t) ? ' ' : null, str(t) ? el('span', 'title', str(t)) : null];
  }

  // ---- Sections and charts ------------------------------------------------------------------

  const app = document.getElementById('app');
  const sections = [];  // {id, title} for the contents
  const pendingCharts = [];  // drawn once the whole page is in the document, so sizes are known

  function section(id, title, intro) {
    const s = el('section', 'report-section');
    s.id = id;
    s.appendChild(el('h2', null, title));
    for (const p of intro || []) s.appendChild(para(p, 'explain'));
    sections.push({id: id, title: title});
    return s;
  }
  function subsection(parent, title, intro) {
    parent.appendChild(el('h3', null, title));
    for (const p of intro || []) parent.appendChild(para(p, 'explain'));
  }

  // A chart box; `label` names it for screen readers and in error messages.
  function chart(label, config, height, className) {
    const box = el('div', 'chart' + (className ? ' ' + className : ''));
    box.style.height = (height || 320) + 'px';
    const canvas = el('canvas');
    canvas.setAttribute('role', 'img');
    canvas.setAttribute('aria-label', label);
    box.appendChild(canvas);
    pendingCharts.push({label: label, canvas: canvas, config: config});
    return box;
  }
  function axisTitle(text) {
    return {display: true, text: text};
  }
  function shareAxis(title, min, max) {
    return {
      type: 'linear', min: min === undefined ? 0 : min, max: max === undefined ? 1 : max,
      title: axisTitle(title), grid: {color: COLOR.grid},
    };
  }

  // ---- Header, warnings, summary -----------------------------------------------------------

  function renderHeader(report) {
    const header = el('header', 'report-header');
    header.appendChild(el('p', 'kicker', 'statcoder · quality report'));
    const version = str(get(report, 'model', 'version_id'));
    header.appendChild(el('h1', null, 'How well does model ' + (version || '(unnamed)') +
                                      ' code these records?'));
    const bits = [];
    const dataName = str(get(report, 'data', 'path_name'));
    if (dataName) bits.push('evaluated on ' + dataName);
    if (present(get(report, 'data', 'records'))) {
      bits.push(count(get(report, 'data', 'records')) + ' records');
    }
    if (str(report.generated_at)) bits.push('report generated ' + whenText(report.generated_at));
    const sv = str(get(report, 'model', 'statcoder_version'));
    if (sv) bits.push('statcoder ' + sv);
    header.appendChild(para(bits.join(' · '), 'subtitle'));
    document.title = 'Quality report' + (version ? ' — ' + version : '') + ' — statcoder';
    return header;
  }

  function renderWarnings(report) {
    const warnings = list(report.warnings).map(str).filter(Boolean);
    if (report.format !== 'statcoder-quality-report') {
      warnings.unshift('This file does not say it is a statcoder quality report (its "format" ' +
                       'is "' + str(report.format) + '"); figures may be missing or mislabelled.');
    } else if (num(report.format_version) !== null && report.format_version > 1) {
      warnings.unshift('This report is format version ' + report.format_version +
                       '; this page was written for version 1 and may leave out new figures.');
    }
    if (!warnings.length) return null;
    const box = el('aside', 'warnings');
    box.setAttribute('role', 'note');
    box.appendChild(el('h2', null, 'Read this first'));
    box.appendChild(el('ul', null, warnings.map(function (w) { return el('li', null, w); })));
    return box;
  }

  // The first screen: the report's own sentences (report.summary, built from the figures by
  // statcoder), how much is coded automatically, at which levels, and whether the promised
  // precision held. A sentence marked as a warning is drawn so that it cannot be missed.
  function renderHeadline(report) {
    const sentences = list(get(report, 'summary', 'sentences')).filter(function (x) {
      return isObject(x) && str(x.text);
    });
    if (!sentences.length) return null;
    const alarm = sentences.some(function (x) { return x.warning === true; });
    const box = el('div', alarm ? 'headline alarm' : 'headline');
    box.id = 'headline';
    box.setAttribute('role', 'region');
    box.setAttribute('aria-label', 'In short');
    box.appendChild(el('p', 'headline-kicker', 'In short'));
    for (const x of sentences) {
      const text = str(x.text);
      const warning = x.warning === true;
      const p = el('p', 'headline-sentence' + (warning ? ' headline-warning' : ''));
      p.dataset.sentence = str(x.id);  // our own ids ("coverage", "levels", "precision")
      const m = warning ? /^(Warning:)\s*(.*)$/.exec(text) : null;
      if (warning) p.setAttribute('role', 'alert');
      append(p, m ? [el('strong', null, m[1]), ' ', m[2]] : text);
      box.appendChild(p);
    }
    return box;
  }

  function card(label, value, caption) {
    return el('div', 'card', [el('div', 'card-label', label), el('div', 'card-value', value),
                              caption ? el('div', 'card-caption', caption) : null]);
  }

  function renderSummary(report) {
    const s = section('summary', 'Summary', [
      'The figures a reader needs first. Shares are proportions between 0 and 1 (0.950 means ' +
      '95%). The numbers in brackets are 95% intervals: the range in which the figure would ' +
      'probably fall if the evaluation were repeated on another sample of records like these. ' +
      'A dash (' + DASH + ') marks a figure that could not be computed or was not recorded.',
    ]);
    const acc = report.accuracy;
    const cod = report.coding;
    const k = num(get(acc, 'top_k'));
    const cards = el('div', 'cards');
    cards.appendChild(card('Top-1 accuracy', interval(get(acc, 'top1')),
                           'share of records whose most likely code is the right one'));
    cards.appendChild(card('Top-' + (k === null ? 'k' : k) + ' accuracy',
                           interval(get(acc, 'top_k_accuracy')),
                           'right code among the ' + (k === null ? 'k' : k) + ' codes proposed'));
    cards.appendChild(card('Macro-F1', interval(get(acc, 'macro_f1')),
                           'accuracy averaged over codes, small codes counting as much as large'));
    cards.appendChild(card('Auto-coding rate', interval(get(cod, 'auto_rate')),
                           'share of records coded without a human, at target precision ' +
                           share(get(cod, 'target_precision'))));
    cards.appendChild(card('Precision of auto-coding', interval(get(cod, 'auto_precision')),
                           'share of the automatically coded records whose code is right'));
    cards.appendChild(card('Calibration error (ECE)',
                           el('span', 'figure', fixed(get(report, 'calibration', 'ece',
                                                          'equal_width', 'after'), 3)),
                           'gap between stated confidence and achieved accuracy, after ' +
                           'calibration (equal-width bins); 0 is perfect'));
    const saved = number(get(report, 'cost', 'coder_hours_saved'), 0);
    cards.appendChild(card('Coder hours saved', el('span', 'figure', saved),
                           'per ' + count(get(report, 'cost', 'basis_records') || 100000) +
                           ' records, compared with coding them all by hand'));
    if (isObject(report.subgroups)) {
      const flagged = list(report.subgroups.flagged_groups).length;
      cards.appendChild(card('Subgroups flagged', el('span', flagged ? 'figure bad' : 'figure',
                                                     String(flagged)),
                             'groups of "' + str(report.subgroups.field) +
                             '" for which the model works measurably worse'));
    }
    s.appendChild(cards);

    // The same figures in one sentence, for those who read rather than scan.
    const words = [];
    const top1 = get(acc, 'top1');
    if (num(get(top1, 'value')) !== null) {
      words.push('On ' + count(get(acc, 'records')) + ' records with a known code, the model\'s ' +
                 'first choice was right for ' + percent(top1.value) + intervalWords(top1) + '.');
    }
    const rate = get(cod, 'auto_rate');
    const prec = get(cod, 'auto_precision');
    if (num(get(rate, 'value')) !== null) {
      words.push('Aiming at a precision of ' + percent(get(cod, 'target_precision'), 0) +
                 ', it would code ' + percent(rate.value) + ' of the records automatically' +
                 (num(get(prec, 'value')) !== null ? ', of which ' + percent(prec.value) +
                  ' would be right' : '') + '; the other ' + percent(1 - rate.value) +
                 ' would go to a human coder.');
    }
    if (isObject(report.subgroups)) {
      const flagged = list(report.subgroups.flagged_groups).map(str).filter(Boolean);
      if (flagged.length) {
        words.push('The model works measurably worse for ' + flagged.length +
                   (flagged.length === 1 ? ' group' : ' groups') + ' of "' +
                   str(report.subgroups.field) + '": ' + flagged.join(', ') +
                   ' (see Subgroups).');
      }
    }
    if (words.length) s.appendChild(para(words.join(' '), 'lead'));
    return s;
  }

  function renderData(report) {
    const s = section('data', 'What was evaluated', [
      'The records the figures come from, and the model that coded them. The records were ' +
      'coded by people beforehand and were not used to train the model.',
    ]);
    const d = isObject(report.data) ? report.data : {};
    const m = isObject(report.model) ? report.model : {};
    s.appendChild(facts([
      ['Records evaluated', count(d.records)],
      ['Records rejected', count(d.rejected), 'unreadable or invalid rows, kept aside'],
      ['Records with an unseen true code', count(d.unseen_labels),
       'true code never seen in training; always counted as wrong'],
      ['Codes the model knows', count(m.labels)],
      ['Features', count(m.features), 'size of the model\'s feature space'],
    ], true));
    s.appendChild(facts([
      ['Evaluated file', code(d.path_name)],
      ['SHA-256 of the file', code(d.sha256)],
      ['Field with the true code', code(d.label_field)],
      ['Model version', code(m.version_id)],
      ['statcoder version', code(m.statcoder_version)],
      ['Code list fingerprint', code(m.code_list_fingerprint)],
    ]));
    if (isObject(m.policy)) {
      const details = el('details', null, el('summary', null, 'Coding policy, as stored in the ' +
                                                             'model'));
      details.appendChild(para('The rules the model applies to decide between coding a record ' +
                               'automatically and referring it to a coder. A threshold that no ' +
                               'confidence can reach (stored as 2) reads "never": nothing is ' +
                               'coded automatically there.',
                               'explain'));
      details.appendChild(el('div', 'table-wrap', keyValues(neverThresholds(m.policy))));
      s.appendChild(details);
    }
    if (isObject(m.metadata) && Object.keys(m.metadata).length) {
      const details = el('details', null, el('summary', null, 'Training metadata, as stored in ' +
                                                             'the model'));
      details.appendChild(el('div', 'table-wrap', keyValues(m.metadata)));
      s.appendChild(details);
    }
    return s;
  }

  // ---- Accuracy ----------------------------------------------------------------------------

  function renderAccuracy(report) {
    const s = section('accuracy', 'Accuracy', [
      'How often the model\'s codes agree with the codes people gave. Top-1 accuracy counts the ' +
      'model\'s first choice only; top-k accuracy counts a record as right when the true code ' +
      'is among the codes the model proposes, which is what a coder choosing from a short list ' +
      'sees. Macro-F1 averages a score per code (F1, below) so that rare codes weigh as much as ' +
      'common ones: a model can have high accuracy but low macro-F1 when it neglects small codes.',
    ]);
    const acc = report.accuracy;
    if (!isObject(acc)) {
      s.appendChild(notRecorded('Accuracy'));
      return s;
    }
    const k = num(acc.top_k);
    s.appendChild(facts([
      ['Records', count(acc.records)],
      ['Top-1 accuracy', interval(acc.top1)],
      ['Top-' + (k === null ? 'k' : k) + ' accuracy', interval(acc.top_k_accuracy)],
      ['Macro-F1', interval(acc.macro_f1)],
    ], true));

    subsection(s, 'By level of the classification', [
      'A classification is a hierarchy (for example major group, minor group, detailed code). ' +
      'A record is right at a level when the predicted and the true code fall in the same ' +
      'group at that level, so accuracy is higher at the coarser levels. "Records" counts the ' +
      'records whose codes reach that level.',
    ]);
    const levels = list(acc.levels);
    if (levels.length) {
      s.appendChild(table([
        {label: 'Level'}, {label: 'Records', num: true}, {label: 'Top-1 accuracy', num: true},
        {label: 'Top-' + (k === null ? 'k' : k) + ' accuracy', num: true},
        {label: 'Macro-F1', num: true},
      ], levels.map(function (l) {
        return [levelLabel(l), count(get(l, 'records')), share(get(l, 'top1')),
                share(get(l, 'top_k_accuracy')), share(get(l, 'macro_f1'))];
      })));
    } else {
      s.appendChild(notRecorded('Accuracy by level (needs a code list)'));
    }

    subsection(s, 'By code', [
      'One row per code that is either a true or a predicted code. Support is the number of ' +
      'records whose true code it is; predicted is the number the model gave that code. ' +
      'Precision: of the records the model gave this code, the share that truly have it. ' +
      'Recall: of the records that truly have this code, the share the model found. F1 combines ' +
      'the two (their harmonic mean). A dash means the share has no records to count from. ' +
      'Click a column heading to sort.',
    ]);
    const classes = list(acc.classes).filter(isObject);
    if (classes.length) {
      s.appendChild(classTable(classes));
    } else {
      s.appendChild(notRecorded('Per-code figures'));
    }

    subsection(s, 'Most frequent confusions', [
      'The pairs of codes the model mixes up most often: records whose true code is on the ' +
      'left but which the model coded as the code on the right. Confusions between close codes ' +
      'often point to unclear boundaries in the classification or its coding instructions.',
    ]);
    const confusions = list(acc.confusions).filter(isObject);
    if (confusions.length) {
      s.appendChild(table([
        {label: 'True code'}, {label: 'Coded by the model as'}, {label: 'Records', num: true},
        {label: 'Share of the true code\'s records', num: true},
      ], confusions.map(function (c) {
        return [codeAndTitle(c.true, c.true_title), codeAndTitle(c.predicted, c.predicted_title),
                count(c.count), share(c.share_of_true)];
      }), 'confusions'));
    } else {
      s.appendChild(notRecorded('Confusions'));
    }

    renderAggregate(s, acc.aggregate);
    return s;
  }

  const CLASS_ROWS_SHOWN = 50;

  // The per-code table: sortable, filterable, first rows only until asked for all, since a
  // classification can have hundreds of codes.
  function classTable(classes) {
    const columns = [
      {key: 'code', label: 'Code', type: 'text'},
      {key: 'title', label: 'Title', type: 'text'},
      {key: 'support', label: 'Support', num: true, help: 'records whose true code it is'},
      {key: 'predicted', label: 'Predicted', num: true, help: 'records the model gave this code'},
      {key: 'precision', label: 'Precision', num: true},
      {key: 'recall', label: 'Recall', num: true},
      {key: 'f1', label: 'F1', num: true},
    ];
    const state = {key: null, descending: true, filter: '', all: false};
    const wrap = el('div', 'class-table');
    const controls = el('div', 'table-controls');
    const search = el('input');
    search.type = 'search';
    search.placeholder = 'Filter by code or title';
    search.setAttribute('aria-label', 'Filter codes by code or title');
    const toggle = el('button', 'toggle');
    toggle.type = 'button';
    const status = el('span', 'muted');
    append(controls, [search, toggle, status]);
    wrap.appendChild(controls);

    const t = el('table', 'classes');
    const headRow = el('tr');
    const headers = columns.map(function (c) {
      const th = el('th', c.num ? 'num sortable' : 'sortable', c.label);
      th.scope = 'col';
      th.tabIndex = 0;
      if (c.help) th.title = c.help;
      const sortBy = function () {
        if (state.key === c.key) {
          state.descending = !state.descending;
        } else {
          state.key = c.key;
          state.descending = !!c.num;  // numbers largest first, text A to Z
        }
        draw();
      };
      th.addEventListener('click', sortBy);
      th.addEventListener('keydown', function (e) {
        if (e.key === 'Enter' || e.key === ' ') {
          e.preventDefault();
          sortBy();
        }
      });
      headRow.appendChild(th);
      return th;
    });
    t.appendChild(el('thead', null, headRow));
    const body = el('tbody');
    t.appendChild(body);
    wrap.appendChild(el('div', 'table-wrap', t));

    function compare(a, b) {
      const c = columns.find(function (x) { return x.key === state.key; });
      const va = c.num ? num(a[c.key]) : str(a[c.key]);
      const vb = c.num ? num(b[c.key]) : str(b[c.key]);
      // Missing figures go last whichever the direction.
      if (va === null || vb === null) return (va === null) - (vb === null);
      const order = c.num ? va - vb : va.localeCompare(vb);
      return state.descending ? -order : order;
    }
    function draw() {
      const needle = state.filter.trim().toLowerCase();
      let rows = classes.filter(function (r) {
        return !needle || str(r.code).toLowerCase().includes(needle) ||
               str(r.title).toLowerCase().includes(needle);
      });
      // The report's own order (support, then code) is the default.
      if (state.key) rows = rows.slice().sort(compare);
      const shown = state.all ? rows : rows.slice(0, CLASS_ROWS_SHOWN);
      body.textContent = '';
      for (const r of shown) {
        body.appendChild(tableRow(columns, [
          code(r.code), str(r.title), count(r.support), count(r.predicted), share(r.precision),
          share(r.recall), share(r.f1),
        ]));
      }
      headers.forEach(function (th, i) {
        const sorted = columns[i].key === state.key;
        th.setAttribute('aria-sort', sorted ? (state.descending ? 'descending' : 'ascending')
                                            : 'none');
        th.dataset.sort = sorted ? (state.descending ? 'desc' : 'asc') : '';
      });
      status.textContent = 'showing ' + shown.length + ' of ' + rows.length + ' codes' +
                           (needle ? ' matching the filter' : '');
      toggle.hidden = rows.length <= CLASS_ROWS_SHOWN;
      toggle.textContent = state.all ? 'Show the first ' + CLASS_ROWS_SHOWN
                                     : 'Show all ' + rows.length + ' codes';
    }
    search.addEventListener('input', function () {
      state.filter = search.value;
      draw();
    });
    toggle.addEventListener('click', function () {
      state.all = !state.all;
      draw();
    });
    draw();
    return wrap;
  }

  const AGGREGATE_CODES_CHARTED = 15;

  function renderAggregate(s, aggregate) {
    subsection(s, 'Error in the published distribution', [
      'Statistics are usually published as tables of counts per code, and individual errors ' +
      'partly cancel out there. These figures show the table the model alone would produce if ' +
      'every record took its first-choice code, against the true one. Total variation is half ' +
      'the sum of the absolute differences in shares: the share of records that would have to ' +
      'move to another code to make the two tables equal (0 = identical tables).',
    ]);
    const levels = list(get(aggregate, 'levels')).filter(isObject);
    if (!levels.length) {
      s.appendChild(notRecorded('Distribution error'));
      return;
    }
    s.appendChild(table([{label: 'Level'}, {label: 'Total variation', num: true}],
                        levels.map(function (l) {
                          return [levelLabel(l), share(l.total_variation)];
                        })));
    for (const l of levels) {
      const codes = list(l.codes).filter(isObject).slice(0, AGGREGATE_CODES_CHARTED);
      const name = str(l.name) || 'level ' + str(l.depth);
      const box = el('div', 'figure-block');
      box.appendChild(el('h4', null, 'True and predicted shares, ' + name + ' level'));
      if (!codes.length) {
        box.appendChild(notRecorded('Shares'));
        s.appendChild(box);
        continue;
      }
      box.appendChild(para('The ' + codes.length + ' codes with the largest difference between ' +
                           'the true and the predicted share; total variation ' +
                           share(l.total_variation) + '.', 'caption'));
      const labels = codes.map(function (c) {
        const title = str(c.title);
        return str(c.code) + (title ? '  ' + truncate(title, 42) : '');
      });
      box.appendChild(chart('True and predicted share by code, ' + name + ' level', {
        type: 'bar',
        data: {
          labels: labels,
          datasets: [
            {label: 'True share', data: codes.map(function (c) { return num(c.true_share); }),
             backgroundColor: COLOR.neutralFill, borderColor: COLOR.neutral, borderWidth: 1},
            {label: 'Predicted share (model alone)',
             data: codes.map(function (c) { return num(c.predicted_share); }),
             backgroundColor: COLOR.mainFill, borderColor: COLOR.main, borderWidth: 1},
          ],
        },
        options: {
          indexAxis: 'y',
          scales: {
            x: {beginAtZero: true, grace: '4%', title: axisTitle('Share of records'),
                grid: {color: COLOR.grid}},
            y: {grid: {display: false}, ticks: {autoSkip: false}},
          },
          plugins: {tooltip: {callbacks: {label: shareTooltip}}},
        },
      }, 70 + codes.length * 34));
      s.appendChild(box);
    }
  }

  function shareTooltip(ctx) {
    const v = ctx.chart.options.indexAxis === 'y' ? ctx.parsed.x : ctx.parsed.y;
    return ctx.dataset.label + ': ' + share(v);
  }

  // ---- Coding ------------------------------------------------------------------------------

  function renderCoding(report) {
    const s = section('coding', 'Automatic coding', [
      'statcoder gives each record a confidence: the probability that its first-choice code is ' +
      'right. Records whose confidence reaches a threshold are coded automatically; the others ' +
      'are referred to a human coder. The threshold is chosen, on records other than these, so ' +
      'that the automatically coded records reach a target precision (share right). A higher ' +
      'target means fewer records coded automatically.',
    ]);
    const cod = report.coding;
    if (!isObject(cod)) {
      s.appendChild(notRecorded('Automatic coding'));
      return s;
    }
    s.appendChild(facts([
      ['Target precision', share(cod.target_precision)],
      ['Confidence threshold', threshold(cod.threshold), detailedThresholdHelp(cod)],
      ['Auto-coding rate', interval(cod.auto_rate), 'share of records coded automatically'],
      ['Precision of auto-coded records', interval(cod.auto_precision),
       'measured here, on records not used to choose the threshold'],
      ['Records coded automatically', count(cod.auto_records)],
    ], true));

    const byLevel = list(cod.auto_by_level).filter(isObject);
    if (byLevel.length) {
      subsection(s, 'Automatic coding by level', [
        'When the detailed code is uncertain, a record can still be coded automatically at a ' +
        'coarser level (for example its major group), leaving only the detail to a coder.',
      ]);
      s.appendChild(table([
        {label: 'Level decided'}, {label: 'Records coded automatically', num: true},
        {label: 'Precision', num: true},
      ], byLevel.map(function (l) {
        return [levelLabel(l), count(l.auto_records), share(l.auto_precision)];
      })));
    }

    const policyLevels = operatingPoints(report);
    subsection(s, 'Coverage and precision', [
      'Each point of the curve is one possible threshold. Coding automatically every record ' +
      'whose confidence is at least that threshold covers the share of records on the ' +
      'horizontal axis, and the records so coded have the precision on the vertical axis. ' +
      'Moving right, more records are coded automatically, at a lower precision. The curve is ' +
      'for the most detailed codes only; the dashed line is the target precision.',
      policyLevels.length
          ? 'The marks are the policy in use, level by level, in the order it tries them: the ' +
            'red diamond is the threshold for the full code (the records coded to their full ' +
            'code, and their precision); each further mark adds the records coded ' +
            'automatically at one coarser level, so it shows how many records are coded at ' +
            'that level or a finer one, and their precision together. A level whose ' +
            'threshold is "never" codes nothing.'
          : 'The red mark is the model\'s own threshold.',
    ]);
    const curve = list(cod.coverage_curve).filter(function (p) {
      return num(get(p, 'coverage')) !== null && num(get(p, 'precision')) !== null;
    });
    if (curve.length) {
      s.appendChild(coverageChart(cod, curve, policyLevels));
      const fullNever = policyLevels.length ? policyLevels[0].never === true
                                            : num(get(cod.chosen, 'coverage')) === null;
      if (fullNever) {
        s.appendChild(para('No red diamond: the threshold for the full code is never reached ' +
                           '(threshold never), so no record is coded to its full code.',
                           'caption'));
      }
    } else {
      s.appendChild(notRecorded('Coverage–precision curve'));
    }
    if (policyLevels.length) s.appendChild(policyTable(policyLevels));

    subsection(s, 'Auto-coding rate at other target precisions', [
      'How many records could be coded automatically if the office asked for a different ' +
      'precision. Each threshold was chosen on the records named in "chosen on", never on the ' +
      'records evaluated here; the precision column is what it achieved on these records. ' +
      'There is a threshold for the detailed codes and one for each level of the ' +
      'classification (top level first), since a record can be coded automatically at a ' +
      'coarser level; "never" means that no threshold reaches the target there.',
    ]);
    const atPrecision = isObject(cod.auto_rate_at_precision) ? cod.auto_rate_at_precision : {};
    const targets = Object.keys(atPrecision).filter(function (key) {
      return isObject(atPrecision[key]) && Number.isFinite(parseFloat(key));
    }).sort(function (a, b) { return parseFloat(a) - parseFloat(b); });
    if (targets.length) {
      s.appendChild(table([
        {label: 'Target precision', num: true}, {label: 'Threshold, detailed codes', num: true},
        {label: 'Thresholds by level', num: true}, {label: 'Chosen on', cls: 'nowrap'},
        {label: 'Auto-coding rate', num: true}, {label: 'Precision achieved', num: true},
        {label: 'Records coded automatically', num: true},
      ], targets.map(function (key) {
        const e = atPrecision[key];
        const byLevel = list(e.level_thresholds);
        const levels = byLevel.length ? [] : DASH;
        byLevel.forEach(function (t, i) {
          if (i) levels.push(', ');
          levels.push(threshold(t));
        });
        return [share(parseFloat(key)), threshold(e.threshold), levels, chosenOnText(e.chosen_on),
                share(e.auto_rate), share(e.precision), count(e.auto_records)];
      })));
      const anyRate = targets.some(function (key) {
        return num(atPrecision[key].auto_rate) !== null;
      });
      if (anyRate) s.appendChild(chart('Auto-coding rate by target precision', {
        type: 'bar',
        data: {
          labels: targets.map(function (key) { return 'target ' + share(parseFloat(key)); }),
          datasets: [{
            label: 'Auto-coding rate',
            data: targets.map(function (key) { return num(atPrecision[key].auto_rate); }),
            backgroundColor: COLOR.mainFill, borderColor: COLOR.main, borderWidth: 1,
            maxBarThickness: 70,
          }],
        },
        options: {
          scales: {
            y: shareAxis('Share of records coded automatically'),
            x: {title: axisTitle('Target precision'), grid: {display: false}},
          },
          plugins: {legend: {display: false}, tooltip: {callbacks: {label: shareTooltip}}},
        },
      }, 280, 'narrow'));
    } else {
      s.appendChild(notRecorded('Auto-coding rates at other targets'));
    }
    return s;
  }

  // A confidence threshold; none, or one above 1 (which no confidence reaches), means never.
  function threshold(v) {
    const t = num(v);
    return t === null || t > 1 ? muted('never') : fixed(t, 3);
  }
  function detailedThresholdHelp(cod) {
    const t = num(cod.threshold);
    if (t !== null && t <= 1) return 'for the most detailed codes';
    return num(cod.auto_records) ? 'no detailed code is coded automatically at this target; ' +
                                   'records are coded automatically at coarser levels only'
                                 : 'nothing is coded automatically at this target';
  }

  // The levels of the policy in use (report.summary.levels): the full code first, then the
  // coarser levels in the order the policy tries them.
  function operatingPoints(report) {
    const levels = list(get(report, 'summary', 'levels')).filter(isObject);
    return levels.length && levels[0].full_code === true ? levels : [];
  }
  function policyLevelName(l) {
    const name = str(l.name);
    if (l.full_code === true) return 'Full code' + (name ? ' (' + name + ')' : '');
    return /^level /.test(name) ? name : (name || 'level ' + str(l.depth)) + ' level';
  }
  // Marks of the coarser levels: shapes and colours distinct from the full code's red diamond.
  const LEVEL_MARKS = [
    {style: 'triangle', color: '#c46a1b'}, {style: 'rect', color: '#6b4fa0'},
    {style: 'circle', color: '#1b8a8a'}, {style: 'star', color: '#5b6b7f'},
  ];

  function policyTable(levels) {
    const intro = para('The policy in use at each level: the threshold the records\' confidence ' +
                       'must reach there, what it coded automatically at that level on these ' +
                       'records, and, from the full code down to that level, all it coded ' +
                       'so far.', 'caption');
    const t = table([
      {label: 'Level'}, {label: 'Threshold', num: true},
      {label: 'Coded automatically at this level', num: true}, {label: 'Precision', num: true},
      {label: 'Coded at this level or finer', num: true}, {label: 'Precision', num: true},
    ], levels.map(function (l) {
      const never = l.never === true || num(l.threshold) === null || l.threshold > 1;
      return {cells: [policyLevelName(l), threshold(never ? null : l.threshold),
                      never ? muted('nothing (threshold never)')
                            : [percent(l.auto_rate), ' ', muted('(' + count(l.auto_records) + ')')],
                      never ? DASH : percent(l.precision),
                      [percent(l.cumulative_auto_rate), ' ',
                       muted('(' + count(l.cumulative_auto_records) + ')')],
                      percent(l.cumulative_precision)],
              cls: l.held === false ? 'flagged' : null};
    }), 'policy-levels');
    return el('div', 'policy-block', [intro, t]);
  }

  function coverageChart(cod, curve, levels) {
    const points = curve.map(function (p) { return {x: p.coverage, y: p.precision}; });
    const target = num(cod.target_precision);
    const datasets = [{
      label: 'Precision at each coverage (full code)', pointStyle: 'line',
      data: points, showLine: true, borderColor: COLOR.main, backgroundColor: COLOR.main,
      pointRadius: 0, pointHitRadius: 6, borderWidth: 2, clip: 8,
    }];
    const marked = [];
    if (levels.length) {
      let coarser = 0;
      for (const l of levels) {
        const mark = l.full_code === true ? {style: 'rectRot', color: COLOR.mark}
                                          : LEVEL_MARKS[coarser++ % LEVEL_MARKS.length];
        const never = l.never === true || num(l.threshold) === null || l.threshold > 1;
        const x = num(l.cumulative_auto_rate);
        const y = num(l.cumulative_precision);
        const name = (l.full_code === true ? '' : '+ ') + policyLevelName(l);
        if (never || x === null || y === null) {
          // Still in the legend, so that every level of the policy is accounted for.
          datasets.push({label: name + ': threshold never, nothing coded there', data: [],
                         pointStyle: mark.style, borderColor: COLOR.neutral,
                         backgroundColor: 'rgba(255, 255, 255, 0)', pointRadius: 6});
          continue;
        }
        const what = l.full_code === true ? ' coded, precision ' : ' coded in all, precision ';
        datasets.push({
          label: name + ': threshold ' + fixed(l.threshold, 3) + ' \u2192 ' +
                 percent(x) + what + percent(y),
          data: [{x: x, y: y}], borderColor: mark.color, backgroundColor: mark.color,
          pointRadius: 7, pointHoverRadius: 8, pointStyle: mark.style, clip: 10,
        });
        marked.push(y);
      }
    } else {
      // A report without a summary (written before it existed): the full code's threshold only.
      const chosen = cod.chosen;
      if (num(get(chosen, 'coverage')) !== null && num(get(chosen, 'precision')) !== null) {
        datasets.push({
          label: 'Model\'s threshold ' + fixed(chosen.threshold, 3) + ': coverage ' +
                 share(chosen.coverage) + ', precision ' + share(chosen.precision),
          data: [{x: chosen.coverage, y: chosen.precision}], borderColor: COLOR.mark,
          backgroundColor: COLOR.mark, pointRadius: 7, pointHoverRadius: 8,
          pointStyle: 'rectRot', clip: 10,
        });
        marked.push(chosen.precision);
      }
    }
    if (target !== null) {
      datasets.push({
        label: 'Target precision ' + percent(target, 0),
        data: [{x: 0, y: target}, {x: 1, y: target}], showLine: true, borderColor: COLOR.target,
        borderDash: [6, 4], borderWidth: 1.5, pointRadius: 0, pointHitRadius: 0,
        pointStyle: 'line',
      });
    }
    // The vertical axis starts at the tenth below the curve, the marks and the target, so the
    // shape shows.
    const lowest = Math.min.apply(null, points.map(function (p) { return p.y; }).concat(marked));
    const bottom = Math.min(lowest, target === null ? 1 : target);
    const yMin = Math.max(0, Math.floor(bottom * 10 - 0.5) / 10);
    return chart('Coverage–precision curve with the policy in use', {
      type: 'scatter',
      data: {datasets: datasets},
      options: {
        scales: {
          x: shareAxis('Coverage: share of records coded automatically'),
          y: shareAxis('Precision of the automatically coded records', yMin, 1),
        },
        plugins: {
          legend: {position: 'bottom', align: 'start',
                   labels: {usePointStyle: true, boxWidth: 10, padding: 10}},
          tooltip: {callbacks: {label: function (ctx) {
            const what = ctx.datasetIndex === 0 ? '' : ctx.dataset.label + ' \u2014 ';
            return what + 'coverage ' + share(ctx.parsed.x) + ', precision ' + share(ctx.parsed.y);
          }}},
        },
      },
    }, 360 + 22 * Math.max(0, levels.length - 1));
  }

  // ---- Calibration -------------------------------------------------------------------------

  function renderCalibration(report) {
    const s = section('calibration', 'Calibration', [
      'A model is well calibrated when its confidence can be taken at its word: of the records ' +
      'it codes with confidence 0.8, about 80% are right. Automatic coding relies on this, since ' +
      'the threshold is a confidence. The model\'s raw scores ("before") are rescaled by a ' +
      'single number, the temperature, learned on held-out records ("after").',
    ]);
    const cal = report.calibration;
    if (!isObject(cal)) {
      s.appendChild(notRecorded('Calibration'));
      return s;
    }
    subsection(s, 'Expected calibration error (ECE)', [
      'ECE: the average gap between the confidence the model states and the accuracy it ' +
      'achieves, over records grouped by confidence; 0 is perfect, 0.05 means the stated ' +
      'confidence is off by 5 points on average. Records are grouped into 15 bins of equal ' +
      'width (0–0.067, 0.067–0.133, ...) or of equal numbers of records (equal mass); the ' +
      'second is steadier when most records have high confidence.',
    ]);
    const ece = isObject(cal.ece) ? cal.ece : {};
    s.appendChild(table([
      {label: 'Binning'}, {label: 'Before (raw scores)', num: true},
      {label: 'After (calibrated)', num: true},
    ], [
      ['Equal width', fixed(get(ece, 'equal_width', 'before'), 3),
       fixed(get(ece, 'equal_width', 'after'), 3)],
      ['Equal mass', fixed(get(ece, 'equal_mass', 'before'), 3),
       fixed(get(ece, 'equal_mass', 'after'), 3)],
    ], 'narrow-table'));
    if (typeof cal.ece_if_calibrated === 'number') {
      s.appendChild(para(['A perfectly calibrated model would still show an equal-width ECE of ' +
                          'about ', el('span', 'figure', fixed(cal.ece_if_calibrated, 3)),
                          ' on this many records (sampling noise): an ECE near that figure ' +
                          'cannot be told from perfect calibration.'], 'caption'));
    }
    const levels = Array.isArray(cal.by_level) ? cal.by_level : [];
    if (levels.length) {
      s.appendChild(para(['At every level of the code list: the best code\'s confidence at that ' +
                          'level against whether the true code lies under it.']));
      s.appendChild(table([
        {label: 'Level'}, {label: 'Records', num: true}, {label: 'Accuracy', num: true},
        {label: 'Mean confidence', num: true}, {label: 'ECE', num: true},
        {label: 'ECE if calibrated', num: true},
      ], levels.map((l) => [String(l.name), String(l.records), fixed(l.accuracy, 3),
                            fixed(l.mean_confidence, 3), fixed(l.ece, 3),
                            fixed(l.ece_if_calibrated, 3)]), 'narrow-table'));
    }
    s.appendChild(para(['Temperature: ', el('span', 'figure', fixed(cal.temperature, 3)),
                        ' (above 1: the raw scores were overconfident and are softened; below 1: ' +
                        'they were underconfident).'], 'caption'));

    subsection(s, 'Reliability diagram', [
      'Each point is one bin of records: its average stated confidence (horizontal) against the ' +
      'share of its records that are right (vertical). A perfectly calibrated model lies on the ' +
      'diagonal; points below it mean overconfidence, above it underconfidence. Bins with no ' +
      'records are left out.',
    ]);
    const before = reliabilityPoints(get(cal, 'reliability', 'before'));
    const after = reliabilityPoints(get(cal, 'reliability', 'after'));
    if (!before.length && !after.length) {
      s.appendChild(notRecorded('Reliability bins'));
      return s;
    }
    const datasets = [{
      label: 'Perfect calibration', data: [{x: 0, y: 0}, {x: 1, y: 1}], showLine: true,
      borderColor: COLOR.neutral, borderDash: [5, 5], borderWidth: 1, pointRadius: 0,
      pointHitRadius: 0,
    }];
    if (before.length) {
      datasets.push({label: 'Before calibration', data: before, showLine: true,
                     borderColor: COLOR.second, backgroundColor: COLOR.second, pointRadius: 3.5,
                     borderWidth: 2, clip: 6});
    }
    if (after.length) {
      datasets.push({label: 'After calibration', data: after, showLine: true,
                     borderColor: COLOR.main, backgroundColor: COLOR.main, pointRadius: 3.5,
                     borderWidth: 2, clip: 6});
    }
    s.appendChild(chart('Reliability diagram before and after calibration', {
      type: 'scatter',
      data: {datasets: datasets},
      options: {
        aspectRatio: 1,
        scales: {
          x: shareAxis('Stated confidence (bin average)'),
          y: shareAxis('Accuracy (share right)'),
        },
        plugins: {
          tooltip: {callbacks: {label: function (ctx) {
            const r = ctx.raw || {};
            return ctx.dataset.label + ': confidence ' + share(ctx.parsed.x) + ', accuracy ' +
                   share(ctx.parsed.y) + (r.records !== undefined ? ', ' + count(r.records) +
                   ' records' : '');
          }}},
        },
      },
    }, 440, 'square'));

    const details = el('details', null, el('summary', null, 'The bins as a table'));
    const binsBefore = list(get(cal, 'reliability', 'before'));
    const binsAfter = list(get(cal, 'reliability', 'after'));
    const n = Math.max(binsBefore.length, binsAfter.length);
    const rows = [];
    for (let i = 0; i < n; ++i) {
      const b = isObject(binsBefore[i]) ? binsBefore[i] : {};
      const a = isObject(binsAfter[i]) ? binsAfter[i] : {};
      const range = present(a.low) ? a : b;
      rows.push([fixed(range.low, 3) + EN_DASH + fixed(range.high, 3), count(b.records),
                 share(b.mean_confidence), share(b.accuracy), count(a.records),
                 share(a.mean_confidence), share(a.accuracy)]);
    }
    details.appendChild(table([
      {label: 'Confidence bin'}, {label: 'Records before', num: true},
      {label: 'Confidence before', num: true}, {label: 'Accuracy before', num: true},
      {label: 'Records after', num: true}, {label: 'Confidence after', num: true},
      {label: 'Accuracy after', num: true},
    ], rows));
    s.appendChild(details);
    return s;
  }

  function reliabilityPoints(bins) {
    return list(bins).filter(function (b) {
      return num(get(b, 'mean_confidence')) !== null && num(get(b, 'accuracy')) !== null;
    }).map(function (b) {
      return {x: b.mean_confidence, y: b.accuracy, records: b.records};
    });
  }

  // ---- Explainability ----------------------------------------------------------------------

  function renderExplainability(report) {
    const ex = report.explainability;
    const least = num(get(ex, 'min_records_per_feature'));
    const s = section('explainability', 'Explainability', [
      'What the model has learnt: for the codes with most records, the features (words, word ' +
      'pairs, character sequences, other fields) that most strongly push a record towards the ' +
      'code. Positive weights count for the code, negative ones against it; weights are on the ' +
      'model\'s own scale and compare within a code. A feature is shown only if it occurs in at ' +
      'least ' + (least === null ? 3 : least) + ' of the evaluated records, so that no single ' +
      'record can be recognised.',
    ]);
    if (!isObject(ex)) {
      s.appendChild(notRecorded('Explainability'));
      return s;
    }
    const codes = list(ex.top_features).filter(isObject);
    // statcoder names a character sequence ‹like this›, with < and > for the start and end of a
    // word; say so when the report uses that notation.
    const chars = codes.some(function (c) {
      return list(c.features).some(function (f) {
        return str(get(f, 'feature')).includes('\u2039');
      });
    });
    if (chars) {
      s.appendChild(para('Feature names read "field:feature". A feature between \u2039 and ' +
                         '\u203a is a sequence of characters, where < and > mark the start and ' +
                         'the end of a word: \u2039<nur\u203a is "nur" at the start of a word.',
                         'explain'));
    }
    if (codes.length) {
      const grid = el('div', 'features-grid');
      for (const c of codes) grid.appendChild(featureCard(c));
      s.appendChild(grid);
    } else {
      s.appendChild(notRecorded('Strongest features'));
    }
    subsection(s, 'How to explain one record', [
      'To see why the model coded a particular text as it did (every feature that contributed ' +
      'and by how much), run:',
    ]);
    s.appendChild(str(ex.how_to_explain)
                      ? el('pre', 'command', el('code', null, str(ex.how_to_explain)))
                      : notRecorded('The command'));
    return s;
  }

  function featureCard(c) {
    const box = el('div', 'feature-card');
    box.appendChild(el('h4', null, codeAndTitle(c.code, c.title)));
    const features = list(c.features).filter(function (f) {
      return num(get(f, 'weight')) !== null;
    });
    if (!features.length) {
      box.appendChild(notRecorded('Features'));
      return box;
    }
    const largest = Math.max.apply(null, features.map(function (f) { return Math.abs(f.weight); }));
    const t = el('table', 'features');
    const body = el('tbody');
    for (const f of features) {
      const bar = el('span', 'bar ' + (f.weight < 0 ? 'negative' : 'positive'));
      bar.style.width = (largest > 0 ? Math.abs(f.weight) / largest * 100 : 0).toFixed(1) + '%';
      body.appendChild(el('tr', null, [
        el('td', 'feature', str(f.feature)),
        el('td', 'bar-cell', el('span', 'bar-track', bar)),
        el('td', 'num', fixed(f.weight, 3)),
      ]));
    }
    t.appendChild(body);
    box.appendChild(t);
    return box;
  }

  // ---- Reproducibility ---------------------------------------------------------------------

  function renderReproducibility(report) {
    const s = section('reproducibility', 'Reproducibility', [
      'What is needed to build this model again and obtain the same figures: the exact data ' +
      '(identified by their SHA-256 fingerprints), every training option including the random ' +
      'seed, and the software version. In deterministic mode, the same inputs give the same ' +
      'model, byte for byte, on the same platform.',
    ]);
    const r = report.reproducibility;
    if (!isObject(r)) {
      s.appendChild(notRecorded('Reproducibility'));
      return s;
    }
    const cpus = get(r, 'platform', 'cpus');
    s.appendChild(facts([
      ['statcoder version', code(r.statcoder_version)],
      ['Build', [str(get(r, 'build', 'compiler')) || DASH, ', ',
                 str(get(r, 'build', 'build_type')) || DASH]],
      ['Platform', [str(get(r, 'platform', 'os')) || DASH, ', ',
                    str(get(r, 'platform', 'arch')) || DASH,
                    num(cpus) === null ? '' : ', ' + count(cpus) + ' CPUs']],
      ['Training data', [code(get(r, 'training_data', 'path_name')), ', ',
                         count(get(r, 'training_data', 'records')), ' records']],
      ['SHA-256 of the training data', code(get(r, 'training_data', 'sha256'))],
      ['SHA-256 of the evaluated data', code(r.evaluated_data_sha256)],
      ['Model version', code(r.model_version_id)],
    ].concat(isObject(r.crosswalk_training) ? [
      ['Labels through a crosswalk',
       [str(r.crosswalk_training.from), ' → ', str(r.crosswalk_training.to), ' (table ',
        code(r.crosswalk_training.crosswalk), '): ',
        count(r.crosswalk_training.unambiguous), ' unambiguous, ',
        count(r.crosswalk_training.resolved), ' resolved from the text, ',
        count(r.crosswalk_training.left_ambiguous), ' left ambiguous, ',
        count(r.crosswalk_training.dropped), ' dropped'],
       'Old-version records, relabelled in the new version by EM over the codes the table ' +
       'allows (docs/crosswalks.md)'],
      ['SHA-256 of the table', code(r.crosswalk_training.crosswalk_fingerprint)],
    ] : [])));
    subsection(s, 'Training options', ['Every option that affects the model, as recorded.']);
    s.appendChild(isObject(r.training_options)
                      ? el('div', 'table-wrap', keyValues(r.training_options))
                      : notRecorded('Training options'));
    subsection(s, 'Reproduce this report', ['The commands that rebuild the model and this ' +
                                            'report from the same files:']);
    s.appendChild(str(r.reproduce_command)
                      ? el('pre', 'command', el('code', null, str(r.reproduce_command)))
                      : notRecorded('The command'));
    return s;
  }

  // ---- Timeliness and cost -----------------------------------------------------------------

  function renderTimeliness(report) {
    const s = section('timeliness', 'Timeliness', [
      'How long the model takes to learn and to code. Throughput is for coding many records ' +
      'at once; latency is the time to code one record on its own (as a web service would), ' +
      'where p50 is the median and p99 the time 99 records in 100 stay under.',
    ]);
    const t = report.timeliness;
    if (!isObject(t)) {
      s.appendChild(notRecorded('Timeliness'));
      return s;
    }
    const lat = isObject(t.latency_ms) ? t.latency_ms : {};
    s.appendChild(facts([
      ['Training time', seconds(t.training_seconds),
       num(t.training_seconds) === null ? 'not recorded for this model' : null],
      ['Time to code the evaluated records', seconds(t.coding_seconds)],
      ['Throughput', num(t.records_per_second) === null ? DASH
                     : number(t.records_per_second, 0) + ' records per second'],
      ['Threads', count(t.threads)],
      ['Latency, median (p50)', milliseconds(lat.p50)],
      ['Latency, 99th percentile (p99)', milliseconds(lat.p99),
       present(lat.records) ? 'over ' + count(lat.records) + ' records, one thread' : null],
    ], true));
    return s;
  }

  function renderCost(report) {
    const s = section('cost', 'Cost-effectiveness', [
      'What the model saves. Without it, every record is coded by hand; with it, coders see only ' +
      'the records it refers to them. The figures are for a batch of the size shown, at the ' +
      'stated coder speed; computer time is what coding the same batch takes at the throughput ' +
      'measured in this evaluation.',
    ]);
    const c = report.cost;
    if (!isObject(c)) {
      s.appendChild(notRecorded('Cost'));
      return s;
    }
    const basis = count(c.basis_records);
    if (num(c.coder_hours_saved) !== null) {
      s.appendChild(para('For every ' + basis + ' records, the model saves about ' +
                         number(c.coder_hours_saved, 0) + ' hours of coding (' +
                         number(c.coder_hours_with_model, 0) + ' instead of ' +
                         number(c.coder_hours_without_model, 0) + '), for ' +
                         seconds(c.compute_seconds) + ' of computer time.', 'lead'));
    }
    s.appendChild(facts([
      ['Coder speed (records per hour)', number(c.coder_records_per_hour, 1)],
      ['Records', basis],
      ['Auto-coding rate', share(c.auto_rate)],
      ['Coder hours without the model', hours(c.coder_hours_without_model)],
      ['Coder hours with the model', hours(c.coder_hours_with_model)],
      ['Coder hours saved', hours(c.coder_hours_saved)],
      ['Computer time', seconds(c.compute_seconds)],
    ], true));
    const bars = [
      ['Coder hours without the model', num(c.coder_hours_without_model), COLOR.neutralFill],
      ['Coder hours with the model', num(c.coder_hours_with_model), COLOR.mainFill],
      ['Computer time (hours)', num(c.compute_seconds) === null ? null : c.compute_seconds / 3600,
       COLOR.secondFill],
    ].filter(function (b) { return b[1] !== null; });
    if (bars.length) {
      s.appendChild(chart('Hours per ' + basis + ' records', {
        type: 'bar',
        data: {
          labels: bars.map(function (b) { return b[0]; }),
          datasets: [{label: 'Hours per ' + basis + ' records',
                      data: bars.map(function (b) { return b[1]; }),
                      backgroundColor: bars.map(function (b) { return b[2]; }),
                      minBarLength: 2, maxBarThickness: 36}],
        },
        options: {
          indexAxis: 'y',
          scales: {x: {beginAtZero: true, title: axisTitle('Hours per ' + basis + ' records'),
                       grid: {color: COLOR.grid}},
                   y: {grid: {display: false}}},
          plugins: {legend: {display: false}, tooltip: {callbacks: {label: function (ctx) {
            return number(ctx.parsed.x, ctx.parsed.x < 1 ? 4 : 1) + ' hours';
          }}}},
        },
      }, 190, 'narrow'));
    }
    return s;
  }

  // ---- Subgroups and examples --------------------------------------------------------------

  function renderSubgroups(report) {
    const g = report.subgroups;
    const s = section('subgroups', 'Subgroups', [
      'Whether the model works as well for every group of records (for example by region, ' +
      'survey mode or language), which the ethics assessment needs. A group is flagged when its ' +
      'accuracy or the precision of its automatic coding is at least 5 points below that of ' +
      'the other groups and the difference is too large to be chance (two-proportion test, ' +
      'Holm correction for the number of groups, 5% level). Intervals are 95% Wilson intervals.',
    ]);
    const groups = list(g.groups).filter(isObject);
    s.appendChild(facts([
      ['Grouped by', code(g.field)],
      ['Smallest group shown', num(g.min_records) === null ? DASH
                               : count(g.min_records) + ' records'],
      ['Groups not shown (too small)', count(g.suppressed_groups)],
      ['Groups flagged', list(g.flagged_groups).length ? list(g.flagged_groups).map(str).join(', ')
                                                       : 'none'],
    ]));
    if (!groups.length) {
      s.appendChild(notRecorded('Groups'));
      return s;
    }
    s.appendChild(table([
      {label: 'Group', cls: 'nowrap'}, {label: 'Records', num: true},
      {label: 'Accuracy', num: true},
      {label: 'Auto-coding rate', num: true}, {label: 'Precision of auto-coding', num: true},
      {label: 'Flag'},
    ], groups.map(function (x) {
      const reasons = list(x.reasons).map(str).filter(Boolean);
      const flag = x.flagged === true
          ? el('div', 'flag', [el('strong', null, 'flagged'),
                               reasons.length ? el('ul', null, reasons.map(function (r) {
                                 return el('li', null, r);
                               })) : null])
          : muted('—');
      return {cells: [str(x.value) || muted('(empty)'), count(x.records), interval(x.accuracy),
                      interval(x.auto_rate), interval(x.auto_precision), flag],
              cls: x.flagged === true ? 'flagged' : null};
    }), 'subgroups'));

    const charted = groups.filter(function (x) {
      return num(get(x, 'accuracy', 'value')) !== null;
    });
    if (charted.length) {
      s.appendChild(el('h4', null, 'Accuracy by group, with 95% intervals'));
      s.appendChild(chart('Accuracy by group with 95% intervals', {
        type: 'bar',
        data: {
          labels: charted.map(function (x) { return truncate(str(x.value) || '(empty)', 40); }),
          datasets: [
            {type: 'line', indexAxis: 'y', label: 'Accuracy', showLine: false,
             data: charted.map(function (x) { return x.accuracy.value; }), pointRadius: 6,
             pointHoverRadius: 7, pointStyle: 'circle',
             pointBackgroundColor: charted.map(function (x) {
               return x.flagged === true ? COLOR.mark : COLOR.main;
             }),
             borderColor: COLOR.main, order: 0},
            {label: '95% interval', order: 1, maxBarThickness: 12, borderSkipped: false,
             backgroundColor: charted.map(function (x) {
               return x.flagged === true ? 'rgba(179, 38, 30, 0.25)' : 'rgba(47, 109, 181, 0.25)';
             }),
             data: charted.map(function (x) {
               const lo = num(x.accuracy.low);
               const hi = num(x.accuracy.high);
               return lo === null || hi === null ? null : [lo, hi];
             })},
          ],
        },
        options: {
          indexAxis: 'y',
          scales: {
            x: {min: 0, max: 1, title: axisTitle('Accuracy (share of records right)'),
                grid: {color: COLOR.grid}},
            y: {grid: {display: false}},
          },
          plugins: {tooltip: {callbacks: {label: function (ctx) {
            const x = charted[ctx.dataIndex];
            return str(x.value) + ': ' + share(x.accuracy.value) + ' (' + share(x.accuracy.low) +
                   EN_DASH + share(x.accuracy.high) + ')';
          }}}},
        },
      }, 80 + charted.length * 38, 'narrow'));
    }
    return s;
  }

  // Titles of codes, from wherever the report names them, for tables that give codes only.
  function codeTitles(report) {
    const titles = new Map();
    const add = function (c, t) {
      if (str(c) && str(t) && !titles.has(str(c))) titles.set(str(c), str(t));
    };
    for (const c of list(get(report, 'accuracy', 'classes'))) add(get(c, 'code'), get(c, 'title'));
    for (const c of list(get(report, 'accuracy', 'confusions'))) {
      add(get(c, 'true'), get(c, 'true_title'));
      add(get(c, 'predicted'), get(c, 'predicted_title'));
    }
    return titles;
  }

  function renderExamples(report) {
    const s = section('examples', 'Examples of errors', [
      'Some records the model coded wrongly, with their text, true code, the model\'s ' +
      'first-choice code and its confidence. Confident errors are worth a look: they often ' +
      'reveal records coded wrongly by people, or texts the classification does not cover well.',
    ]);
    s.appendChild(para('These are record texts (microdata) and may be confidential: share this ' +
                       'page only with those allowed to see the data.', 'confidential'));
    const examples = list(report.examples).filter(isObject);
    if (!examples.length) {
      s.appendChild(notRecorded('Examples'));
      return s;
    }
    const titles = codeTitles(report);
    const withTitle = function (c) {
      const title = titles.get(str(c));
      return [code(c), title ? el('div', 'small-title', title) : null];
    };
    s.appendChild(table([
      {label: 'Text'}, {label: 'True code'}, {label: 'Model\'s code'},
      {label: 'Confidence', num: true},
    ], examples.map(function (e) {
      return [el('span', 'record-text', str(e.text)), withTitle(e.true), withTitle(e.predicted),
              fixed(e.confidence, 3)];
    }), 'examples'));
    return s;
  }

  // ---- Assembly ----------------------------------------------------------------------------

  function contents() {
    const nav = el('nav', 'contents');
    nav.setAttribute('aria-label', 'Contents');
    const ol = el('ol');
    for (const x of sections) {
      const a = el('a', null, x.title);
      a.href = '#' + x.id;  // our own constant ids, never data
      ol.appendChild(el('li', null, a));
    }
    nav.appendChild(ol);
    return nav;
  }

  function drawCharts() {
    let drawn = 0;
    if (typeof Chart === 'undefined') {
      recordError('Chart.js is missing from the page; no chart can be drawn');
    } else {
      // Animation off: charts are complete as soon as they are created, for print and tests.
      Chart.defaults.animation = false;
      Chart.defaults.maintainAspectRatio = false;
      Chart.defaults.font.family = window.getComputedStyle(document.body).fontFamily;
      Chart.defaults.font.size = 12;
      Chart.defaults.color = '#3b4452';
      Chart.defaults.plugins.legend.labels.boxWidth = 14;
      for (const p of pendingCharts) {
        try {
          new Chart(p.canvas, p.config);
          if (hasInk(p.canvas)) {
            ++drawn;
          } else {
            recordError('chart "' + p.label + '" is blank');
          }
        } catch (e) {
          recordError('chart "' + p.label + '": ' + (e && e.message ? e.message : e));
        }
      }
    }
    document.body.dataset.chartsExpected = String(pendingCharts.length);
    document.body.dataset.chartsDrawn = String(drawn);
  }

  // True when any pixel of the canvas is not fully transparent.
  function hasInk(canvas) {
    if (!canvas.width || !canvas.height) return false;
    const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    for (let i = 3; i < pixels.length; i += 4) {
      if (pixels[i] !== 0) return true;
    }
    return false;
  }

  function sectionOrError(render, report, id, title) {
    const before = sections.length;
    try {
      return render(report);
    } catch (e) {
      sections.length = before;  // the failed section may have registered itself already
      recordError('section "' + title + '": ' + (e && e.message ? e.message : e));
      const s = section(id, title, []);
      s.appendChild(para('This section could not be drawn from the report\'s data.', 'problem'));
      return s;
    }
  }

  // With "#self-test" at the end of the page's address (tests/browser/check_report_page.py),
  // every control of the page is used once and the outcome checked, so that a broken event
  // handler fails the test. Failures are recorded like any other error.
  function selfTest() {
    const fail = function (what) { recordError('self-test: ' + what); };
    for (const wrap of document.querySelectorAll('.class-table')) {
      const body = wrap.querySelector('tbody');
      const toggle = wrap.querySelector('button.toggle');
      const search = wrap.querySelector('input');
      const headers = wrap.querySelectorAll('th.sortable');
      const initial = body.rows.length;
      if (!toggle.hidden) {
        toggle.click();
        if (body.rows.length <= initial) fail('"show all" showed no more codes');
        toggle.click();
        if (body.rows.length !== initial) fail('"show the first" did not go back');
      }
      for (const th of headers) {
        th.click();
        th.click();
        if (!th.dataset.sort) fail('sorting by "' + th.textContent + '" did not mark the column');
        if (body.rows.length !== initial) fail('sorting changed the number of rows shown');
      }
      headers[2].click();  // support, largest first
      const support = Array.from(body.rows, function (r) {
        return parseFloat(r.cells[2].textContent.replace(/,/g, ''));
      });
      if (support.some(function (v, i) { return i > 0 && v > support[i - 1]; })) {
        fail('sorting by support did not put the largest first');
      }
      search.value = 'no code or title has this text';
      search.dispatchEvent(new Event('input'));
      if (body.rows.length !== 0) fail('the filter did not hide non-matching codes');
      search.value = '';
      search.dispatchEvent(new Event('input'));
      if (body.rows.length !== initial) fail('clearing the filter did not bring the codes back');
    }
    for (const details of document.querySelectorAll('details')) details.open = true;
    document.body.dataset.selfTest = 'done';
  }

  function main() {
    let report;
    try {
      report = JSON.parse(document.getElementById('report-data').textContent);
    } catch (e) {
      recordError('the embedded report is not valid JSON: ' + e.message);
      report = null;
    }
    if (!isObject(report)) {
      app.appendChild(para('This page holds no readable quality report.', 'problem'));
      document.body.dataset.rendered = 'true';
      drawCharts();
      return;
    }
    const content = el('main');
    const parts = [
      [renderSummary, 'summary', 'Summary'],
      [renderData, 'data', 'What was evaluated'],
      [renderAccuracy, 'accuracy', 'Accuracy'],
      [renderCoding, 'coding', 'Automatic coding'],
      [renderCalibration, 'calibration', 'Calibration'],
      [renderExplainability, 'explainability', 'Explainability'],
      [renderReproducibility, 'reproducibility', 'Reproducibility'],
      [renderTimeliness, 'timeliness', 'Timeliness'],
      [renderCost, 'cost', 'Cost-effectiveness'],
    ];
    // Optional sections exist only when the evaluation was asked for them.
    if (isObject(report.subgroups)) parts.push([renderSubgroups, 'subgroups', 'Subgroups']);
    if (Array.isArray(report.examples)) {
      parts.push([renderExamples, 'examples', 'Examples of errors']);
    }
    for (const [render, id, title] of parts) {
      content.appendChild(sectionOrError(render, report, id, title));
    }

    app.appendChild(renderHeader(report));
    const warnings = renderWarnings(report);
    if (warnings) app.appendChild(warnings);
    let headline = null;
    try {
      headline = renderHeadline(report);
    } catch (e) {
      recordError('the summary sentences: ' + (e && e.message ? e.message : e));
    }
    if (headline) app.appendChild(headline);
    app.appendChild(contents());
    app.appendChild(content);
    app.appendChild(el('footer', null, [
      para('Drawn from the quality report (format "statcoder-quality-report", version ' +
           (str(report.format_version) || DASH) + ') embedded in this file, following the UNECE ' +
           'Quality Framework for Statistical Algorithms (QF4SA). The page needs no network ' +
           'access: its data, script and charts (Chart.js) are all inside it.'),
    ]));
    drawCharts();
    if (window.location.hash === '#self-test') selfTest();
    const errors = window.statcoderErrors || [];
    if (errors.length) {
      const box = el('aside', 'problems', [
        el('strong', null, 'This page met ' + errors.length + ' problem(s) while drawing; some ' +
                           'figures may be missing.'),
        el('ul', null, errors.map(function (e) { return el('li', null, e); })),
      ]);
      app.insertBefore(box, app.firstChild);
    }
    // Where the summary sentences end on the page, for the browser test's first-screen check.
    if (headline) {
      const r = headline.getBoundingClientRect();
      document.body.dataset.headlineBottom = String(Math.ceil(r.bottom + window.scrollY));
      document.body.dataset.viewportHeight = String(window.innerHeight);
    }
    document.body.dataset.rendered = 'true';
  }

  main();
})();
