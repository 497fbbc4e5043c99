// What the review page (app.js) and the monitoring page (monitor.js) share: the tab's token,
// calls to the JSON API and the sign-in form. Loaded by index.html and monitor.html before the
// page's own script; it defines window.statcoderPage and nothing else.
//
// Security: the token lives in sessionStorage under one key for both pages (one sign-in serves
// both in a tab) and goes out only as an Authorization header, with credentials: 'omit' (no
// cookies, so no ambient credential another site could make the browser send). Nothing here
// puts a string on the page but through textContent.
'use strict';

window.statcoderPage = (() => {
  const TOKEN_KEY = 'statcoder.token';
  const $ = (id) => document.getElementById(id);

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }

  class ApiError extends Error {
    constructor(status, code, message) {
      super(message);
      this.status = status;
      this.code = code;
    }
  }

  // `method` `path` with `token`, `body` (if not undefined) as JSON; the answer's JSON, or an
  // ApiError with the API's error code and message. A 401 first calls onUnauthorized(message).
  async function api(token, method, path, body, onUnauthorized) {
    const headers = { Authorization: 'Bearer ' + token };
    const init = { method, headers, cache: 'no-store', credentials: 'omit' };
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    const res = await fetch(path, init);
    let json = null;
    try {
      json = await res.json();
    } catch (e) {
      json = null;
    }
    if (!res.ok) {
      const err = (json && json.error) || {};
      if (res.status === 401 && onUnauthorized) {
        onUnauthorized('Your token was not accepted (or its user is disabled).');
      }
      throw new ApiError(res.status, err.code || 'http_' + res.status, err.message || 'HTTP ' + res.status);
    }
    return json;
  }

  // Wires the sign-in form and the sign-out button to the page's signIn(token) and
  // signOut(message), then signs in with the tab's token, or shows the form.
  function startSignIn(token, signIn, signOut) {
    $('sign-in-form').addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const typed = $('token').value.trim();
      if (!typed) return;
      $('sign-in-error').textContent = '';
      try {
        await signIn(typed);
      } catch (e) {
        signOut(e.status === 401 ? 'That token was not accepted.' : 'Sign-in failed: ' + e.message);
      }
    });
    $('sign-out').addEventListener('click', () => signOut('Signed out.'));
    if (token) {
      signIn(token).catch((e) => signOut(e.status === 401 ? 'Please sign in again.' : e.message));
    } else {
      signOut('');
    }
  }

  // What both pages' signOut does: forgets the tab's token, hides `ids`, shows the sign-in form
  // with `message`.
  function showSignIn(message, ids) {
    sessionStorage.removeItem(TOKEN_KEY);
    for (const id of ids) $(id).hidden = true;
    $('sign-in').hidden = false;
    $('sign-in-error').textContent = message || '';
    document.body.dataset.state = 'signed-out';
    $('token').focus();
  }

  return Object.freeze({ TOKEN_KEY, ApiError, api, clear, startSignIn, showSignIn });
})();
