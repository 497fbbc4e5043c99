// The clerical coders' review page (docs/server.md, "The review page"). Plain JavaScript, no
// framework, nothing from outside this server; common.js (loaded first) holds what it shares with
// the monitoring page: the token, API calls, the sign-in form.
//
// Security: record texts are untrusted survey answers. Everything that comes from the API is
// put on the page with textContent or as text nodes of elements made by createElement; nothing
// here ever hands a string to the HTML parser or builds markup. The token lives in
// sessionStorage and goes out only as an Authorization header (no cookies, so no ambient
// credential another site could make the browser send).
'use strict';

(() => {
  const page = window.statcoderPage;  // common.js
  const { TOKEN_KEY, clear } = page;
  const POLL_EMPTY_MS = 15000;

  const $ = (id) => document.getElementById(id);
  const state = {
    token: sessionStorage.getItem(TOKEN_KEY) || '',
    user: '',
    role: '',
    view: 'coder',    // or 'supervisor'
    item: null,       // the leased item, or null
    choices: [],      // codes keys 1-5 take: [{code, probability}]
    chosen: '',       // code picked from the search or the tree
    busy: false,      // a decision is being sent: keys are ignored meanwhile
    seq: 0,           // bumps with every item, so late answers for an old one are dropped
    titles: new Map(),
    emptyTimer: 0,
    last: null,       // the coder's last decision, which Undo (key z) takes back
  };

  // Why the model referred a record, in words (review_queue.h's reasons).
  const REASONS = {
    below_threshold: 'below the confidence threshold',
    margin: 'too close to the runner-up',
    refer_code: 'a code always reviewed',
    no_auto_code: 'no code may be auto-coded',
    kb_conflict: 'knowledge base and model disagree',
  };

  // ---- Small DOM helpers: text only, never HTML ----
  function el(tag, props, ...children) {
    const e = document.createElement(tag);
    if (props) {
      for (const [k, v] of Object.entries(props)) {
        if (k === 'text') e.textContent = v;
        else if (k === 'className') e.className = v;
        else if (k === 'dataset') Object.assign(e.dataset, v);
        else e.setAttribute(k, v);
      }
    }
    for (const c of children) e.append(c);
    return e;
  }
  function setStatus(text, isError) {
    const s = $('status');
    s.textContent = text;
    s.classList.toggle('error', Boolean(isError));
  }

  // ---- The API (a 401 signs out) ----
  const api = (method, path, body) => page.api(state.token, method, path, body, signOut);

  // ---- Signing in and out ----
  async function signIn(token) {
    state.token = token;
    const me = await api('GET', '/v1/me');
    sessionStorage.setItem(TOKEN_KEY, token);
    state.user = me.user;
    state.role = me.role;
    $('user-name').textContent = me.user;
    $('user-role').textContent = me.role;
    const supervisor = me.role === 'methodologist' || me.role === 'admin';
    $('view-supervisor').hidden = !supervisor;
    $('reopen').hidden = !supervisor;
    // Supervisors start in their own queue: opening the coding queue leases a record (for
    // --review-lease-minutes) that other coders then cannot take.
    state.view = supervisor ? 'supervisor' : 'coder';
    $('view-coder').setAttribute('aria-pressed', String(!supervisor));
    $('view-supervisor').setAttribute('aria-pressed', String(supervisor));
    $('views').hidden = false;
    $('who').hidden = false;
    $('progress').hidden = false;
    $('keys').hidden = false;
    $('sign-in').hidden = true;
    $('work').hidden = false;
    $('token').value = '';
    loadTree(null, $('tree'));
    if (me.role === 'viewer') {
      showEmpty('Role viewer may browse the code list but not take records.');
      refreshStats();
      return;
    }
    await nextItem();
  }

  function signOut(message) {
    state.token = '';
    state.item = null;
    state.chosen = '';
    state.last = null;
    state.titles = new Map();
    clearTimeout(state.emptyTimer);
    // Nothing of the previous user's work stays on the page for the next one.
    $('search').value = '';
    $('reopen-id').value = '';
    $('reopen').hidden = true;
    clear($('search-results'));
    $('search-note').textContent = '';
    $('comment').value = '';
    $('chosen-text').textContent = 'No code chosen. Pick one from the search or the tree.';
    showUndo();
    setStatus('');
    page.showSignIn(message, ['work', 'views', 'who', 'progress', 'keys']);
  }

  // ---- The item ----
  function setView(view) {
    state.view = view;
    $('view-coder').setAttribute('aria-pressed', String(view === 'coder'));
    $('view-supervisor').setAttribute('aria-pressed', String(view === 'supervisor'));
    nextItem();
  }

  async function nextItem() {
    clearTimeout(state.emptyTimer);
    const seq = ++state.seq;
    state.item = null;
    state.choices = [];
    document.body.dataset.state = 'loading';
    let reply;
    try {
      reply = await api('GET', '/v1/review/next' + (state.view === 'supervisor' ? '?queue=supervisor' : ''));
    } catch (e) {
      if (seq === state.seq && state.token) {
        setStatus('Could not fetch the next record: ' + e.message, true);
        document.body.dataset.state = 'error';
      }
      return;
    }
    if (seq !== state.seq) return;
    refreshStats();
    if (!reply.item) {
      showEmpty();
      state.emptyTimer = setTimeout(nextItem, POLL_EMPTY_MS);
      return;
    }
    showItem(reply.item, seq);
  }

  function showEmpty(message) {
    state.item = null;
    state.choices = [];
    $('record').dataset.itemId = '';
    $('record-id').textContent = '';
    $('record-kind').textContent = '';
    clear($('record-fields'));
    $('record-empty').hidden = false;
    if (message) $('record-empty').textContent = message;
    clear($('suggestions'));
    $('why').textContent = '';
    $('earlier').hidden = true;
    setActionsEnabled(false);
    document.body.dataset.state = 'empty';
  }

  function showItem(item, seq) {
    state.item = item;
    const supervisor = state.view === 'supervisor';
    $('record-empty').hidden = true;
    $('record').dataset.itemId = String(item.id);
    $('record-id').textContent = item.record_id ? item.record_id : '#' + item.id;
    const reason = item.reason ? ' · ' + (REASONS[item.reason] || item.reason.replace(/_/g, ' ')) : '';
    $('record-kind').textContent =
        (item.kind === 'audit_sample' ? (item.blind ? 'audit sample · blind' : 'audit sample')
                                      : item.kind) + reason + (supervisor ? ' · ' + item.status : '') +
        ' · item ' + item.id;
    $('suggestions-heading').textContent = supervisor ? 'The model’s codes' : 'Suggestions';
    renderFields(item.record, null);
    $('comment').value = '';
    setStatus('');
    // Supervisors take the model's codes; coders the suggestions, none when blind.
    const top = supervisor ? ((item.model && item.model.top) || []) : (item.suggestions || []);
    state.choices = top.slice(0, 5);
    renderSuggestions(seq);
    renderDecisions(supervisor ? item.decisions || [] : null);
    setActionsEnabled(true);
    document.body.dataset.state = 'ready';
    // A blind audit sample must not show what the model thinks, not even which words it liked.
    if (!item.blind && state.choices.length > 0) explain(item, seq);
    else $('why').textContent = item.blind ? 'Blind audit sample: code it without the model’s suggestions.' : '';
  }

  // The record's fields as a definition list. `tokens` (from /v1/explain) marks the words that
  // weighed for the top suggestion: the field's text is cut at the tokens' byte offsets into
  // text nodes and <mark> elements.
  function renderFields(record, tokens) {
    const dl = $('record-fields');
    clear(dl);
    for (const [name, value] of Object.entries(record || {})) {
      const text = value === null ? '' : typeof value === 'string' ? value : String(value);
      const dd = el('dd', { dataset: { field: name } });
      if (value === null) {
        dd.append(el('span', { className: 'missing', text: 'missing' }));
      } else {
        appendHighlighted(dd, text, (tokens || []).filter((t) => t.field === name));
      }
      dl.append(el('dt', { text: name }), dd);
    }
  }

  function appendHighlighted(parent, text, tokens) {
    const spans = tokens.filter((t) => Number.isInteger(t.begin) && Number.isInteger(t.end) &&
                                       t.contribution > 0)
                        .sort((a, b) => a.begin - b.begin);
    if (spans.length === 0) {
      parent.append(document.createTextNode(text));
      return;
    }
    // Offsets are UTF-8 bytes of the original text; cut the bytes, decode each piece.
    const bytes = new TextEncoder().encode(text);
    const decode = (a, b) => new TextDecoder().decode(bytes.subarray(a, b));
    const strongest = Math.max(...spans.map((t) => t.contribution));
    let at = 0;
    for (const t of spans) {
      if (t.begin < at || t.end > bytes.length) continue;
      if (t.begin > at) parent.append(document.createTextNode(decode(at, t.begin)));
      const level = t.contribution >= 0.66 * strongest ? 3 : t.contribution >= 0.33 * strongest ? 2 : 1;
      const odds = typeof t.log_odds === 'number' ? t.log_odds : t.contribution;
      parent.append(el('mark', { className: 'w' + level, title: '+' + odds.toFixed(2) + ' log-odds' },
                       document.createTextNode(decode(t.begin, t.end))));
      at = t.end;
    }
    if (at < bytes.length) parent.append(document.createTextNode(decode(at, bytes.length)));
  }

  function renderSuggestions(seq) {
    const ol = $('suggestions');
    clear(ol);
    // Always five rows, so the page does not move when an item has fewer suggestions.
    for (let i = 0; i < 5; ++i) {
      const s = state.choices[i];
      if (!s) {
        ol.append(el('li', { className: 'none', 'aria-hidden': 'true' }));
        continue;
      }
      const pct = Math.round(s.probability * 1000) / 10;
      const title = el('span', { className: 'title', text: state.titles.get(s.code) || '' });
      const button = el('button', { type: 'button', className: 'take', dataset: { index: String(i) } },
                        el('kbd', { text: String(i + 1) }),
                        el('span', { className: 'code', text: s.code }), title,
                        el('span', { className: 'prob', text: pct.toFixed(1) + '%' }),
                        el('span', { className: 'pbar', 'aria-hidden': 'true' },
                           el('span', { className: 'fill' })));
      button.querySelector('.fill').style.width = Math.max(0, Math.min(100, pct)) + '%';
      button.addEventListener('click', () => take(i));
      ol.append(el('li', null, button));
      if (!state.titles.has(s.code)) {
        codeTitle(s.code).then((t) => {
          if (seq === state.seq) title.textContent = t;
        });
      }
    }
  }

  async function codeTitle(code) {
    if (state.titles.has(code)) return state.titles.get(code);
    try {
      const node = await api('GET', '/v1/codelist/' + encodeURIComponent(code));
      state.titles.set(code, node.title || '');
    } catch (e) {
      state.titles.set(code, '');
    }
    return state.titles.get(code);
  }

  function renderDecisions(decisions) {
    const box = $('earlier');
    const ol = $('decisions');
    clear(ol);
    box.hidden = decisions === null;
    if (decisions === null) return;
    if (decisions.length === 0) ol.append(el('li', { className: 'none', text: 'None.' }));
    for (const d of decisions) {
      const li = el('li', null,
                    el('span', { className: 'who', text: d.coder }),
                    el('span', { className: 'action', text: d.action }),
                    el('span', { className: 'code', text: d.code || '' }),
                    el('time', { text: d.time }));
      if (d.comment) li.append(el('q', { text: d.comment }));
      ol.append(li);
    }
  }

  async function explain(item, seq) {
    $('why').textContent = '';
    let e;
    try {
      e = await api('POST', '/v1/explain', { record: item.record });
    } catch (err) {
      if (seq === state.seq) $('why').textContent = 'No explanation: ' + err.message;
      return;
    }
    if (seq !== state.seq) return;
    renderFields(item.record, e.tokens || []);
    const words = (e.tokens || []).filter((t) => t.contribution > 0)
                                  .sort((a, b) => b.contribution - a.contribution).slice(0, 5);
    const code = e.code ? e.code.code : '';
    const versus = e.versus ? e.versus.code : '';
    let text = words.length
        ? 'Marked words weigh for ' + code + (versus ? ' over ' + versus : '') + ': ' +
              words.map((t) => t.token + ' +' + (t.log_odds ?? t.contribution).toFixed(2)).join(', ')
        : 'No single word weighs much for ' + code + '.';
    if (e.model_version && item.model_version && e.model_version !== item.model_version) {
      text += ' (explained by the model now in service, ' + e.model_version +
              ', not the one that referred the record.)';
    }
    $('why').textContent = text;
  }

  // ---- Decisions ----
  function setActionsEnabled(on) {
    const supervisor = state.view === 'supervisor';
    for (const id of ['act-skip', 'act-escalate', 'act-uncodable']) $(id).disabled = !on || supervisor;
    $('use-chosen').disabled = !on || !state.chosen;
  }

  function take(index) {
    const s = state.choices[index];
    if (s) decide(state.view === 'supervisor' ? 'adjudicate' : 'code', s.code);
  }

  async function decide(action, code) {
    const item = state.item;
    if (!item || state.busy) return;
    state.busy = true;
    document.body.dataset.state = 'busy';
    setActionsEnabled(false);
    const body = { action };
    if (code) body.code = code;
    const comment = $('comment').value.trim();
    if (comment) body.comment = comment;
    setStatus('Saving…');
    try {
      const r = await api('POST', '/v1/review/' + item.id + '/decision', body);
      const saved = 'Saved: ' + action + (code ? ' ' + code : '') + ' (record ' +
                    (item.record_id || item.id) + ', now ' + r.status + ').';
      // A skip leaves the item open: nothing to undo. Supervisors reopen instead.
      state.last = action === 'skip' || state.view === 'supervisor' ? null
          : { id: item.id, label: item.record_id || '#' + item.id, action, code };
      showUndo();
      state.chosen = '';
      $('chosen-text').textContent = 'No code chosen. Pick one from the search or the tree.';
      // Still busy until the next record shows: a key pressed meanwhile must not hit the old one.
      await nextItem();
      state.busy = false;
      setStatus(saved);
    } catch (e) {
      state.busy = false;
      if (!state.token) return;
      setActionsEnabled(true);
      document.body.dataset.state = 'ready';
      setStatus('Not saved: ' + e.message, true);
      // The lease was lost (expired and taken, or decided elsewhere): move on.
      if (e.status === 409 || e.status === 404) await nextItem();
    }
  }

  function showUndo() {
    const last = state.last;
    $('undo').hidden = !last;
    $('undo-text').textContent = last ? 'Undo ' + last.action + (last.code ? ' ' + last.code : '') +
                                        ' of ' + last.label : '';
  }

  // Takes the coder's last decision back (POST /v1/review/{id}/undo): the record is open again
  // and, the oldest open one being leased first, it comes back on screen to be coded anew.
  async function undo() {
    const last = state.last;
    if (!last || state.busy) return;
    state.busy = true;
    setStatus('Undoing…');
    try {
      await api('POST', '/v1/review/' + last.id + '/undo', {});
    } catch (e) {
      state.busy = false;
      if (!state.token) return;
      setStatus('Not undone: ' + e.message, true);
      return;
    }
    state.last = null;
    showUndo();
    await nextItem();
    state.busy = false;
    setStatus('Undone: ' + last.action + (last.code ? ' ' + last.code : '') + ' of record ' +
              last.label + '; it is open again.');
  }

  // A supervisor sends a decided (or closed) item back to the coding queue
  // (POST /v1/review/{id}/reopen); the decisions stay, the reopening is one more.
  async function reopen() {
    const id = $('reopen-id').value.trim();
    if (!/^[0-9]+$/.test(id)) {
      setStatus('Give the item number to reopen (shown on the record line).', true);
      return;
    }
    try {
      const r = await api('POST', '/v1/review/' + id + '/reopen', {});
      $('reopen-id').value = '';
      setStatus('Reopened item ' + r.id + ' (now ' + r.status + ').');
      refreshStats();
    } catch (e) {
      if (state.token) setStatus('Not reopened: ' + e.message, true);
    }
  }

  function choose(code, title) {
    state.chosen = code;
    $('chosen-text').textContent = 'Chosen: ' + code + (title ? ' — ' + title : '');
    $('use-chosen').disabled = !state.item;
    $('use-chosen').focus();
  }

  // ---- Code list: search and tree ----
  function codeRow(node) {
    // An index entry (the knowledge base: how people actually write it) shows its text under
    // the code's title.
    const title = el('span', { className: 'title', text: node.title || '' });
    if (node.source === 'index' && node.text) {
      title.append(el('span', { className: 'entry', text: 'index: ' + node.text }));
    }
    const b = el('button', { type: 'button', className: 'pick',
                             dataset: { code: node.code, source: node.source || 'title' } },
                 el('span', { className: 'code', text: node.code }), title);
    b.addEventListener('click', () => choose(node.code, node.title));
    return b;
  }

  let searchTimer = 0;
  async function search() {
    const q = $('search').value.trim();
    const ol = $('search-results');
    if (!q) {
      clear(ol);
      $('search-note').textContent = '';
      return;
    }
    let r;
    try {
      r = await api('GET', '/v1/codelist/search?q=' + encodeURIComponent(q));
    } catch (e) {
      $('search-note').textContent = e.message;
      return;
    }
    if ($('search').value.trim() !== q) return;  // a later search is on its way
    clear(ol);
    for (const n of r.results) ol.append(el('li', null, codeRow(n)));
    $('search-note').textContent = r.results.length === 0 ? 'No code, title or index entry matches “' + q + '”.'
        : r.truncated ? 'First ' + r.results.length + ' matches; type more to narrow.' : '';
  }

  async function loadTree(parentCode, ul) {
    let r;
    try {
      r = await api('GET', parentCode === null ? '/v1/codelist'
                                               : '/v1/codelist/' + encodeURIComponent(parentCode) + '/children');
    } catch (e) {
      clear(ul);
      ul.append(el('li', { className: 'none', text: e.message }));
      return;
    }
    clear(ul);
    for (const n of r.children) {
      const li = el('li', { role: 'treeitem' });
      if (n.has_children) {
        const toggle = el('button', { type: 'button', className: 'toggle', 'aria-expanded': 'false',
                                      'aria-label': 'Open ' + n.code, text: '▸' });
        const sub = el('ul', { role: 'group' });
        sub.hidden = true;
        toggle.addEventListener('click', () => {
          const open = toggle.getAttribute('aria-expanded') !== 'true';
          toggle.setAttribute('aria-expanded', String(open));
          toggle.textContent = open ? '▾' : '▸';
          sub.hidden = !open;
          if (open && !sub.firstChild) loadTree(n.code, sub);
        });
        li.append(toggle, codeRow(n), sub);
      } else {
        li.append(el('span', { className: 'toggle-space' }), codeRow(n));
      }
      ul.append(li);
    }
  }

  // Keyboard: arrows move through search results and tree rows.
  function moveFocus(delta) {
    const rows = [...document.querySelectorAll('#search-results .pick, #tree .pick')]
        .filter((b) => b.offsetParent !== null);
    const at = rows.indexOf(document.activeElement);
    const next = rows[at < 0 ? 0 : Math.max(0, Math.min(rows.length - 1, at + delta))];
    if (next) next.focus();
  }

  // ---- Keys ----
  function isTyping(target) {
    return target instanceof HTMLElement &&
           (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName));
  }

  function onKey(ev) {
    if (ev.ctrlKey || ev.metaKey || ev.altKey || $('work').hidden) return;
    if (isTyping(ev.target)) {
      if (ev.key === 'Escape') ev.target.blur();
      else if (ev.key === 'ArrowDown' && ev.target.id === 'search') {
        ev.preventDefault();
        moveFocus(0);
      }
      return;
    }
    if (ev.key === 'ArrowDown' || ev.key === 'ArrowUp') {
      if (document.activeElement && document.activeElement.classList.contains('pick')) {
        ev.preventDefault();
        moveFocus(ev.key === 'ArrowDown' ? 1 : -1);
      }
      return;
    }
    if (state.busy) return;
    const supervisor = state.view === 'supervisor';
    switch (ev.key) {
      case '1': case '2': case '3': case '4': case '5':
        take(Number(ev.key) - 1);
        break;
      case '/':
        $('search').focus();
        $('search').select();
        break;
      case 'c':
        $('comment').focus();
        break;
      case 's':
        if (!supervisor) decide('skip');
        break;
      case 'e':
        if (!supervisor) decide('escalate');
        break;
      case 'u':
        if (!supervisor) decide('uncodable');
        break;
      case 'z':
        if (!supervisor) undo();
        break;
      default:
        return;
    }
    ev.preventDefault();
  }

  // ---- Statistics ----
  async function refreshStats() {
    let s;
    try {
      s = await api('GET', '/v1/review/stats');
    } catch (e) {
      return;
    }
    const waiting = state.view === 'supervisor' ? ['escalated', 'adjudication'] : ['open'];
    let n = 0;
    for (const q of s.queue || []) if (waiting.includes(q.status)) n += q.items;
    $('today').textContent = String(s.user_today ?? 0);
    $('queue-size').textContent = String(n);
  }

  // ---- Start ----
  function start() {
    $('view-coder').addEventListener('click', () => setView('coder'));
    $('view-supervisor').addEventListener('click', () => setView('supervisor'));
    for (const id of ['act-skip', 'act-escalate', 'act-uncodable']) {
      $(id).addEventListener('click', () => decide($(id).dataset.action));
    }
    $('undo-button').addEventListener('click', () => undo());
    $('reopen-form').addEventListener('submit', (ev) => {
      ev.preventDefault();
      reopen();
    });
    $('use-chosen').addEventListener('click', () => {
      if (state.chosen) decide(state.view === 'supervisor' ? 'adjudicate' : 'code', state.chosen);
    });
    $('search-form').addEventListener('submit', (ev) => {
      ev.preventDefault();
      search();
    });
    $('search').addEventListener('input', () => {
      clearTimeout(searchTimer);
      searchTimer = setTimeout(search, 150);
    });
    document.addEventListener('keydown', onKey);
    page.startSignIn(state.token, signIn, signOut);
  }

  start();
})();
