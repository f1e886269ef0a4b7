// jotd's dashboard: log in, sessions, API tokens, log out.
//
// Where the tokens live:
// - the access token only in the variable `session.access` below: never in
//   localStorage, sessionStorage or a cookie, so a reload forgets it;
// - the refresh token only in the HttpOnly cookie jot_refresh (Path=/token),
//   which this script cannot read. A reload, and the timer set from
//   expires_in, get a new access token with POST /token through that cookie
//   (and the X-Requested-With header jotd asks of a cookie refresh).
//
// The page is served with a Content-Security-Policy that allows no inline
// script: every handler is attached here, none in the HTML.
'use strict';

(function () {
  // ---- State ---------------------------------------------------------------

  const session = {
    access: null,      // the access token (a JWT), in memory only
    claims: null,      // its payload, for the user's name and the sid
    timer: 0,          // the silent refresh's timeout
    refreshing: null,  // the refresh in flight, shared by its callers
  };

  // How long before the access token expires the refresh starts: a quarter
  // of its lifetime, at most a minute (10 min tokens: 1 min before).
  function refreshLead(ttlMs) {
    return Math.min(60000, ttlMs / 4);
  }

  const $ = (id) => document.getElementById(id);

  // ---- Errors ----------------------------------------------------------------

  // An error answer of jotd: {"error":"CODE","error_description":"..."}.
  class ApiError extends Error {
    constructor(status, code, description, retryAfter) {
      super(description);
      this.status = status;
      this.code = code;
      this.retryAfter = retryAfter;
    }
  }

  // The sentence to show for an error: ours for the codes a user meets
  // often, else jotd's own description.
  function describe(err) {
    if (!(err instanceof ApiError))
      return 'Something went wrong: ' + (err && err.message ? err.message : String(err));
    const wait = err.retryAfter ? ' Try again in ' + err.retryAfter + ' s.' : ' Try again later.';
    switch (err.code) {
      case 'invalid_credentials': return 'Wrong username or password.';
      case 'username_taken': return 'That username is taken: choose another one.';
      case 'too_many_requests': return 'Too many failed attempts.' + wait;
      case 'temporarily_unavailable': return 'jotd is busy.' + wait;
      case 'access_denied': return err.message || 'This is not allowed.';
      case 'network_error': return 'jotd cannot be reached: check the connection and try again.';
      default: return err.message || ('jotd answered ' + err.status + '.');
    }
  }

  function showFormError(form, err) {
    const p = form.querySelector('.form-error');
    p.textContent = typeof err === 'string' ? err : describe(err);
    p.hidden = false;
  }

  function clearFormError(form) {
    const p = form.querySelector('.form-error');
    p.textContent = '';
    p.hidden = true;
  }

  let noticeTimer = 0;
  function notice(text) {
    const n = $('notice');
    n.textContent = text;
    n.hidden = false;
    clearTimeout(noticeTimer);
    noticeTimer = setTimeout(() => { n.hidden = true; }, 8000);
  }

  function pageError(err) {
    const p = $('page-error');
    if (!err) {
      p.hidden = true;
      p.textContent = '';
      return;
    }
    p.textContent = typeof err === 'string' ? err : describe(err);
    p.hidden = false;
  }

  // ---- HTTP ------------------------------------------------------------------

  async function readJson(res) {
    const text = await res.text();
    if (!text)
      return null;
    try {
      return JSON.parse(text);
    } catch (e) {
      return null;
    }
  }

  async function send(method, path, body, headers) {
    const h = Object.assign({ Accept: 'application/json' }, headers || {});
    const init = { method, headers: h, credentials: 'same-origin', cache: 'no-store' };
    if (body !== undefined) {
      h['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    try {
      return await fetch(path, init);
    } catch (e) {
      throw new ApiError(0, 'network_error', 'network error');
    }
  }

  async function failure(res) {
    const data = await readJson(res);
    return new ApiError(res.status, (data && data.error) || 'http_' + res.status,
      (data && data.error_description) || '', res.headers.get('Retry-After'));
  }

  // A call with the access token. A 401 means the token expired or was
  // revoked: one refresh, one retry; if the refresh fails, the login is over.
  async function api(method, path, body) {
    for (let attempt = 0; ; attempt++) {
      if (!session.access)
        throw new ApiError(401, 'not_logged_in', 'You are not logged in.');
      const res = await send(method, path, body, { Authorization: 'Bearer ' + session.access });
      if (res.status === 401 && attempt === 0) {
        const r = await refresh();
        if (r === 'ok')
          continue;
        if (r === 'ended')
          endSession('Your session has ended. Please log in again.');
        throw await failure(res);
      }
      if (!res.ok)
        throw await failure(res);
      return res.status === 204 ? null : readJson(res);
    }
  }

  // ---- Tokens in memory --------------------------------------------------------

  function decodePayload(jwt) {
    try {
      const part = jwt.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
      const bin = atob(part + '='.repeat((4 - part.length % 4) % 4));
      const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0));
      return JSON.parse(new TextDecoder().decode(bytes));
    } catch (e) {
      return {};
    }
  }

  function setAccess(data) {
    session.access = data.access_token;
    session.claims = decodePayload(data.access_token);
    const ttlMs = Math.max(1, Number(data.expires_in) || 60) * 1000;
    scheduleRefresh(ttlMs - refreshLead(ttlMs));
  }

  function scheduleRefresh(delayMs) {
    clearTimeout(session.timer);
    session.timer = setTimeout(silentRefresh, Math.max(500, delayMs));
  }

  async function silentRefresh() {
    const r = await refresh();
    if (r === 'ended')
      endSession('Your session has ended (it was logged out or revoked). Please log in again.');
    else if (r === 'unavailable')
      scheduleRefresh(5000); // jotd unreachable or busy: try again soon, stay in.
  }

  // POST /token through the cookie: 'ok', 'ended' (no valid refresh token:
  // logged out, revoked, expired) or 'unavailable' (network, 5xx). Callers
  // at the same time share one request: a second refresh with the token the
  // first one just spent would count as reuse past the grace window.
  function refresh() {
    if (!session.refreshing) {
      session.refreshing = doRefresh().finally(() => { session.refreshing = null; });
    }
    return session.refreshing;
  }

  async function doRefresh() {
    let res;
    try {
      res = await send('POST', '/token', undefined, { 'X-Requested-With': 'jotd-dashboard' });
    } catch (e) {
      return 'unavailable';
    }
    if (res.status >= 500 || res.status === 429)
      return 'unavailable';
    if (!res.ok)
      return 'ended';
    const data = await readJson(res);
    if (!data || !data.access_token)
      return 'unavailable';
    setAccess(data);
    return 'ok';
  }

  // Forget the tokens in memory and show the login form.
  function endSession(message) {
    const was = session.access !== null;
    clearTimeout(session.timer);
    session.access = null;
    session.claims = null;
    showSignedOut();
    if (message && was)
      pageError(message);
  }

  // ---- Views -------------------------------------------------------------------

  function show(which) {
    $('loading').hidden = which !== 'loading';
    $('signed-out').hidden = which !== 'signed-out';
    $('signed-in').hidden = which !== 'signed-in';
    $('who').hidden = which !== 'signed-in';
    $('logout').hidden = which !== 'signed-in';
    document.body.dataset.view = which;
  }

  function showSignedOut() {
    show('signed-out');
    $('token-table').tBodies[0].replaceChildren();
    $('session-table').tBodies[0].replaceChildren();
    $('new-token-value').value = '';
    $('new-token').hidden = true;
    $('login-username').focus();
  }

  async function showSignedIn(focus) {
    pageError(null);
    $('who-name').textContent = (session.claims && (session.claims.name || session.claims.sub)) || '';
    show('signed-in');
    if (focus)
      $('signed-in-h').focus();
    await Promise.all([loadTokens(), loadSessions()]);
  }

  // ---- Formatting ----------------------------------------------------------------

  // Seconds since the epoch (number or digits) or an RFC 3339 string.
  function toDate(v) {
    if (v === null || v === undefined || v === '')
      return null;
    if (typeof v === 'number' || /^\d+$/.test(String(v))) {
      const n = Number(v);
      return new Date(n > 1e12 ? n : n * 1000);
    }
    const d = new Date(v);
    return isNaN(d.getTime()) ? null : d;
  }

  const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

  function timeCell(v) {
    const td = document.createElement('td');
    const d = toDate(v);
    if (!d) {
      td.textContent = '—';
      return td;
    }
    const t = document.createElement('time');
    t.dateTime = d.toISOString();
    t.textContent = dateFormat.format(d);
    td.append(t);
    return td;
  }

  function textCell(text, label) {
    const td = document.createElement('td');
    td.textContent = text === undefined || text === null || text === '' ? '—' : String(text);
    if (label)
      td.dataset.label = label;
    return td;
  }

  function labelled(td, label) {
    td.dataset.label = label;
    return td;
  }

  // "Chrome 126 on Linux" from a User-Agent header; the whole header is in
  // the cell's title.
  function shortAgent(ua) {
    if (!ua)
      return 'Unknown device';
    const browser = ua.match(/(HeadlessChrome|Firefox|Edg|OPR|Chromium|Chrome|curl|Safari)\/(\d+)/);
    // The most specific first: an Android agent names Linux too.
    const os = ['Android', 'iPhone', 'iPad', 'CrOS', 'Windows', 'Mac OS X', 'Linux'].find((o) => ua.includes(o));
    if (!browser)
      return ua.length > 40 ? ua.slice(0, 40) + '…' : ua;
    const names = { Edg: 'Edge', OPR: 'Opera', HeadlessChrome: 'Headless Chrome', 'Mac OS X': 'macOS',
      CrOS: 'ChromeOS' };
    const b = (names[browser[1]] || browser[1]) + ' ' + browser[2];
    return os ? b + ' on ' + (names[os] || os) : b;
  }

  // The list in a response: an array, or the first array inside an object
  // ({"api_tokens":[...]}, {"sessions":[...]}).
  function listOf(data) {
    if (Array.isArray(data))
      return data;
    if (data && typeof data === 'object') {
      for (const k of Object.keys(data))
        if (Array.isArray(data[k]))
          return data[k];
    }
    return [];
  }

  function pick(o, names) {
    for (const n of names)
      if (o[n] !== undefined && o[n] !== null)
        return o[n];
    return undefined;
  }

  function button(text, className, label, onClick) {
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = text;
    if (className)
      b.className = className;
    if (label)
      b.setAttribute('aria-label', label);
    b.addEventListener('click', onClick);
    return b;
  }

  // ---- API tokens ---------------------------------------------------------------------

  async function loadTokens() {
    let data;
    try {
      data = await api('GET', '/api-tokens');
    } catch (e) {
      if (session.access)
        pageError('Your API tokens could not be loaded. ' + describe(e));
      return;
    }
    const body = $('token-table').tBodies[0];
    const rows = listOf(data).filter((t) => !t.revoked && !t.revoked_at);
    body.replaceChildren(...rows.map(tokenRow));
    $('token-table').hidden = rows.length === 0;
    $('tokens-empty').hidden = rows.length !== 0;
  }

  function tokenRow(t) {
    const tr = document.createElement('tr');
    tr.dataset.id = t.id;
    const scopes = Array.isArray(t.scopes) ? t.scopes.join(' ') : (t.scopes || t.scope || '');
    const name = t.name || t.id;
    tr.append(
      textCell(name, 'Name'),
      textCell(scopes, 'Scopes'),
      labelled(timeCell(pick(t, ['created_at', 'created', 'iat'])), 'Created'),
      labelled(timeCell(pick(t, ['expires_at', 'expires', 'exp'])), 'Expires'));
    const td = document.createElement('td');
    td.className = 'row-actions';
    td.append(button('Revoke', 'danger', 'Revoke API token ' + name, () => revokeToken(t.id, name)));
    tr.append(td);
    return tr;
  }

  async function createToken(ev) {
    ev.preventDefault();
    const form = ev.currentTarget;
    clearFormError(form);
    const name = $('token-name').value.trim();
    if (!name) {
      showFormError(form, 'Give the token a name, to recognise it later.');
      $('token-name').focus();
      return;
    }
    const req = { name, expires_in: Number($('token-expiry').value) };
    // jotd takes the scopes as one space-separated string (RFC 6749 3.3)
    // and lists them back as an array.
    const scopes = $('token-scopes').value.split(/[\s,]+/).filter(Boolean);
    if (scopes.length)
      req.scopes = scopes.join(' ');
    const submit = form.querySelector('button[type=submit]');
    submit.disabled = true;
    try {
      const t = await api('POST', '/api-tokens', req);
      $('new-token-name').textContent = t.name || name;
      $('new-token-value').value = t.token;
      $('new-token').hidden = false;
      $('copy-token').textContent = 'Copy';
      $('new-token-value').focus();
      $('new-token-value').select();
      form.reset();
      notice('API token “' + (t.name || name) + '” created.');
      await loadTokens();
    } catch (e) {
      showFormError(form, e);
    } finally {
      submit.disabled = false;
    }
  }

  async function copyToken() {
    const area = $('new-token-value');
    let ok = false;
    try {
      await navigator.clipboard.writeText(area.value);
      ok = true;
    } catch (e) {
      // No clipboard API (or no permission): copy the selection instead.
      area.focus();
      area.select();
      try {
        ok = document.execCommand('copy');
      } catch (e2) {
        ok = false;
      }
    }
    $('copy-token').textContent = ok ? 'Copied' : 'Copy';
    notice(ok ? 'Token copied to the clipboard.' : 'Select the token and copy it with Ctrl+C.');
  }

  function dismissToken() {
    $('new-token-value').value = '';
    $('new-token').hidden = true;
    $('token-name').focus();
  }

  async function revokeToken(id, name) {
    try {
      await api('DELETE', '/api-tokens/' + encodeURIComponent(id));
      notice('API token “' + name + '” revoked.');
    } catch (e) {
      pageError('The token could not be revoked. ' + describe(e));
    }
    await loadTokens();
    $('tokens-h').focus();
  }

  // ---- Sessions --------------------------------------------------------------------

  let sessionRows = [];

  function isCurrent(s) {
    if (s.current !== undefined)
      return !!s.current;
    return !!(session.claims && session.claims.sid && s.id === session.claims.sid);
  }

  async function loadSessions() {
    let data;
    try {
      data = await api('GET', '/sessions');
    } catch (e) {
      if (session.access)
        pageError('Your sessions could not be loaded. ' + describe(e));
      return;
    }
    sessionRows = listOf(data).filter((s) => !s.revoked && !s.revoked_at);
    $('session-table').tBodies[0].replaceChildren(...sessionRows.map(sessionRow));
    $('session-table').hidden = sessionRows.length === 0;
    $('sessions-empty').hidden = sessionRows.length !== 0;
    $('revoke-others').hidden = !sessionRows.some((s) => !isCurrent(s));
  }

  function sessionRow(s) {
    const tr = document.createElement('tr');
    tr.dataset.id = s.id;
    const ua = pick(s, ['user_agent', 'agent']);
    const device = textCell(shortAgent(ua), 'Device');
    if (ua)
      device.title = ua;
    if (isCurrent(s)) {
      tr.className = 'current';
      const badge = document.createElement('span');
      badge.className = 'badge';
      badge.textContent = 'this device';
      device.append(' ', badge);
    }
    tr.append(
      device,
      textCell(pick(s, ['client_addr', 'client', 'client_address', 'address', 'ip']), 'Address'),
      labelled(timeCell(pick(s, ['created_at', 'created', 'login_at'])), 'Logged in'),
      labelled(timeCell(pick(s, ['last_used_at', 'last_used', 'used_at'])), 'Last active'));
    const td = document.createElement('td');
    td.className = 'row-actions';
    if (!isCurrent(s))
      td.append(button('Revoke', 'danger', 'Revoke the session of ' + shortAgent(ua), () => revokeSession(s.id)));
    tr.append(td);
    return tr;
  }

  async function revokeSession(id) {
    try {
      await api('DELETE', '/sessions/' + encodeURIComponent(id));
      notice('Session revoked: that device is logged out at its next refresh.');
    } catch (e) {
      pageError('The session could not be revoked. ' + describe(e));
    }
    await loadSessions();
    $('sessions-h').focus();
  }

  // POST /sessions/revoke-others ends every login of the user but this one
  // in one request; a jotd without it gets one DELETE per session.
  async function revokeOthers() {
    const others = sessionRows.filter((s) => !isCurrent(s));
    let failed = 0;
    try {
      await api('POST', '/sessions/revoke-others');
    } catch (e) {
      if (e.status !== 404 && e.status !== 405) {
        failed = others.length;
      } else {
        for (const s of others) {
          try {
            await api('DELETE', '/sessions/' + encodeURIComponent(s.id));
          } catch (e2) {
            failed++;
          }
        }
      }
    }
    if (failed)
      pageError('Not every other session could be revoked; reload the page to see which remain.');
    else
      notice('Every other session was revoked: those devices are logged out at their next refresh.');
    await loadSessions();
    $('sessions-h').focus();
  }

  // ---- Log in, sign up, log out ------------------------------------------------------

  function readCredentials(form, prefix) {
    const username = $(prefix + '-username').value.trim();
    const password = $(prefix + '-password').value;
    if (!username) {
      showFormError(form, 'Enter a username.');
      $(prefix + '-username').focus();
      return null;
    }
    if (!password) {
      showFormError(form, 'Enter a password.');
      $(prefix + '-password').focus();
      return null;
    }
    return { username, password };
  }

  async function logIn(creds) {
    const res = await send('POST', '/login', creds);
    if (!res.ok)
      throw await failure(res);
    setAccess(await readJson(res));
  }

  async function onLogin(ev) {
    ev.preventDefault();
    const form = ev.currentTarget;
    clearFormError(form);
    pageError(null);
    const creds = readCredentials(form, 'login');
    if (!creds)
      return;
    const submit = form.querySelector('button[type=submit]');
    submit.disabled = true;
    try {
      await logIn(creds);
      form.reset();
      await showSignedIn(true);
    } catch (e) {
      showFormError(form, e);
      $('login-password').select();
      $('login-password').focus();
    } finally {
      submit.disabled = false;
    }
  }

  async function onSignup(ev) {
    ev.preventDefault();
    const form = ev.currentTarget;
    clearFormError(form);
    pageError(null);
    const creds = readCredentials(form, 'signup');
    if (!creds)
      return;
    if (creds.password.length < 8) {
      showFormError(form, 'The password needs at least 8 characters.');
      $('signup-password').focus();
      return;
    }
    const submit = form.querySelector('button[type=submit]');
    submit.disabled = true;
    try {
      const res = await send('POST', '/signup', creds);
      if (!res.ok)
        throw await failure(res);
      await logIn(creds);
      form.reset();
      notice('Welcome, ' + creds.username + ': your account is ready.');
      await showSignedIn(true);
    } catch (e) {
      showFormError(form, e);
    } finally {
      submit.disabled = false;
    }
  }

  // /token/logout gets the cookie (Path=/token) and ends this login (with
  // the header jotd asks of anything done through the cookie); the Bearer
  // token covers the case of a cookie already gone.
  async function onLogout() {
    const headers = { 'X-Requested-With': 'jotd-dashboard' };
    if (session.access)
      headers.Authorization = 'Bearer ' + session.access;
    try {
      const res = await send('POST', '/token/logout', undefined, headers);
      if (!res.ok && res.status !== 400)
        throw await failure(res);
    } catch (e) {
      pageError('Logging out failed: ' + describe(e));
      return;
    }
    clearTimeout(session.timer);
    session.access = null;
    session.claims = null;
    showSignedOut();
    notice('You are logged out.');
  }

  // ---- Start -----------------------------------------------------------------------

  // A tab in the background may have its timers slowed down past the token's
  // expiry: refresh as soon as it is shown again, if the token is near its end.
  function onVisible() {
    if (document.visibilityState !== 'visible' || !session.access || !session.claims)
      return;
    const exp = Number(session.claims.exp) * 1000;
    if (exp && exp - Date.now() < 5000)
      silentRefresh();
  }

  async function start() {
    $('login-form').addEventListener('submit', onLogin);
    $('signup-form').addEventListener('submit', onSignup);
    $('token-form').addEventListener('submit', createToken);
    $('copy-token').addEventListener('click', copyToken);
    $('dismiss-token').addEventListener('click', dismissToken);
    $('revoke-others').addEventListener('click', revokeOthers);
    $('logout').addEventListener('click', onLogout);
    document.addEventListener('visibilitychange', onVisible);
    show('loading');
    // A login from before the reload, if its cookie is still good.
    const r = await refresh();
    if (r === 'ok') {
      await showSignedIn(false);
    } else {
      showSignedOut();
      if (r === 'unavailable')
        pageError('jotd cannot be reached right now. Reload the page to try again.');
    }
  }

  start();
})();
