// jotd's dashboard in Debian's Chromium (headless), driven by Playwright.
//
//   JOTD_URL=http://127.0.0.1:PORT ACCESS_TTL=5 ARTIFACTS=DIR node dashboard.mjs
//
// jotd must run at JOTD_URL with access-ttl = ACCESS_TTL seconds (short, so
// that the silent refresh is seen) and an empty store; tests/server/browser.sh
// starts one. Screenshots of each page go to ARTIFACTS. Prints one line per
// check and closes with "N passed, N failed"; exits 1 on any failure.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const BASE = process.env.JOTD_URL || 'http://127.0.0.1:8080';
const TTL = Number(process.env.ACCESS_TTL || 5);
const ARTIFACTS = process.env.ARTIFACTS || new URL('./artifacts', import.meta.url).pathname;
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const STEP_MS = 60000;

mkdirSync(ARTIFACTS, { recursive: true });

let passed = 0;
let failed = 0;

function check(name, ok, detail) {
  if (ok) {
    passed++;
    console.log('ok - ' + name);
  } else {
    failed++;
    console.log('FAIL - ' + name + (detail !== undefined ? ' (' + detail + ')' : ''));
  }
  return ok;
}

// One step: its checks, bounded in time; an exception fails the step and the
// next steps still run (they start from a state of their own where they can).
async function step(name, fn) {
  let timer;
  const limit = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error('timed out after ' + STEP_MS / 1000 + ' s')), STEP_MS);
  });
  try {
    await Promise.race([fn(), limit]);
  } catch (e) {
    check(name + ': completed', false, e && e.message ? e.message.split('\n')[0] : String(e));
  } finally {
    clearTimeout(timer);
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function until(fn, ms, every = 250) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v || Date.now() > end)
      return v;
    await sleep(every);
  }
}

async function verifyStatus(token) {
  const res = await fetch(BASE + '/verify', { headers: { Authorization: 'Bearer ' + token } });
  return res.status;
}

async function shot(page, name) {
  await page.screenshot({ path: join(ARTIFACTS, name + '.png'), fullPage: true });
}

// A page that records what the test needs to see: the access tokens jotd
// hands out (from the responses, since the page keeps them to itself),
// refreshes, CSP violations and script errors.
function watch(page, label) {
  const w = { tokens: [], refreshes: 0, refreshFailures: 0, problems: [] };
  page.on('response', async (res) => {
    const url = new URL(res.url());
    if (res.request().method() !== 'POST' || (url.pathname !== '/token' && url.pathname !== '/login'))
      return;
    if (url.pathname === '/token') {
      if (res.status() === 200)
        w.refreshes++;
      else
        w.refreshFailures++;
    }
    if (res.status() === 200) {
      try {
        const body = await res.json();
        if (body.access_token)
          w.tokens.push(body.access_token);
      } catch (e) {
        // The page navigated away before the body was read.
      }
    }
  });
  page.on('console', (msg) => {
    if (/Content[- ]Security[- ]Policy/i.test(msg.text()))
      w.problems.push(label + ': ' + msg.text());
  });
  page.on('pageerror', (err) => w.problems.push(label + ': script error: ' + err.message));
  return w;
}

async function visible(page, selector, ms = 10000) {
  try {
    await page.locator(selector).waitFor({ state: 'visible', timeout: ms });
    return true;
  } catch (e) {
    return false;
  }
}

async function logInWithForm(page, user, password) {
  await page.fill('#login-username', user);
  await page.fill('#login-password', password);
  await page.click('#login-form button[type=submit]');
  return visible(page, '#signed-in');
}

const USER = 'alice-' + Date.now().toString(36);
const PASSWORD = 'correct horse battery staple';

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  // As root, without the sandbox; and none of Chromium's own network
  // traffic (the machine's network is closed).
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
});

const desk = await browser.newContext({ viewport: { width: 1200, height: 860 } });
await desk.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: BASE });
const page = await desk.newPage();
const wa = watch(page, 'desktop');

let apiToken = null;

await step('served page', async () => {
  const res = await fetch(BASE + '/');
  const csp = res.headers.get('content-security-policy') || '';
  check('GET / is 200 text/html', res.status === 200 && /^text\/html/.test(res.headers.get('content-type') || ''));
  check('CSP allows scripts from jotd only', /script-src 'self'/.test(csp) && !/unsafe-inline|unsafe-eval/.test(csp), csp);
  check('CSP forbids framing, plugins and <base>', /frame-ancestors 'none'/.test(csp) &&
    /object-src 'none'/.test(csp) && /base-uri 'none'/.test(csp), csp);
  check('X-Content-Type-Options: nosniff', res.headers.get('x-content-type-options') === 'nosniff');
  check('Referrer-Policy: no-referrer', res.headers.get('referrer-policy') === 'no-referrer');
  const html = await res.text();
  const scripts = html.match(/<script\b[^>]*>/gi) || [];
  check('every <script> has a src (no inline script)', scripts.length > 0 && scripts.every((s) => /\ssrc=/.test(s)),
    scripts.join(' '));
  check('no inline event handlers or style attributes', !/\son[a-z]+\s*=/i.test(html) && !/\sstyle\s*=/i.test(html));
  check('viewport meta for phones', /<meta name="viewport" content="width=device-width/.test(html));
  const js = await fetch(BASE + '/app.js');
  check('app.js is JavaScript', js.status === 200 && /javascript/.test(js.headers.get('content-type') || ''));
  const etag = js.headers.get('etag');
  const again = await fetch(BASE + '/app.js', { headers: { 'If-None-Match': etag || '"none"' } });
  check('app.js revalidates with its ETag (304)', etag && again.status === 304, again.status);
});

await step('sign up', async () => {
  await page.goto(BASE + '/');
  check('logged out at first: the forms show', await visible(page, '#signed-out'));
  await shot(page, '01-login');
  await page.fill('#signup-username', USER);
  await page.fill('#signup-password', 'short');
  await page.click('#signup-form button[type=submit]');
  check('a short password is refused on the page', await visible(page, '#signup-form .form-error'));
  await page.fill('#signup-password', PASSWORD);
  await page.click('#signup-form button[type=submit]');
  check('signup logs the new user in', await visible(page, '#signed-in'));
  check('the header names the user', (await page.textContent('#who-name')) === USER);
  await shot(page, '02-signed-up');
  // The same name again is refused with the contract's error.
  const ctx = await browser.newContext();
  const p2 = await ctx.newPage();
  await p2.goto(BASE + '/');
  await visible(p2, '#signed-out');
  await p2.fill('#signup-username', USER.toUpperCase());
  await p2.fill('#signup-password', PASSWORD);
  await p2.click('#signup-form button[type=submit]');
  check('a taken name is shown as an error', await visible(p2, '#signup-form .form-error') &&
    /taken/i.test(await p2.textContent('#signup-form .form-error')));
  await ctx.close();
});

await step('log out and log in with the keyboard only', async () => {
  await page.click('#logout');
  check('log out shows the forms again', await visible(page, '#signed-out'));
  await page.goto(BASE + '/');
  check('after a reload, still logged out', await visible(page, '#signed-out'));
  // Wrong password first: the error is shown, the user stays on the form.
  await page.fill('#login-username', USER);
  await page.fill('#login-password', 'not the password');
  await page.keyboard.press('Enter');
  check('a wrong password is shown as an error', await visible(page, '#login-form .form-error') &&
    /wrong username or password/i.test(await page.textContent('#login-form .form-error')));
  await shot(page, '03-login-error');
  await page.goto(BASE + '/');
  await visible(page, '#signed-out');
  const focused = () => page.evaluate(() => document.activeElement && document.activeElement.id);
  check('the login form has the focus on load', await focused() === 'login-username', await focused());
  await page.keyboard.type(USER);
  await page.keyboard.press('Tab');
  check('Tab goes on to the password', await focused() === 'login-password');
  const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  check('keyboard focus is visible', outline && outline !== 'none', outline);
  await page.keyboard.type(PASSWORD);
  await page.keyboard.press('Tab');
  check('then to the Log in button', await page.evaluate(() =>
    document.activeElement.matches('#login-form button[type=submit]')));
  await page.keyboard.press('Enter');
  check('Enter logs in', await visible(page, '#signed-in'));
  check('focus moves to the page heading', await page.evaluate(() => document.activeElement.id) === 'signed-in-h');
});

await step('the refresh token stays out of reach of scripts', async () => {
  const docCookie = await page.evaluate(() => document.cookie);
  check('document.cookie does not show the refresh token', !/jot_refresh/.test(docCookie), docCookie);
  const cookies = await desk.cookies(BASE);
  const all = await desk.cookies();
  const c = all.find((x) => x.name === 'jot_refresh');
  check('Chromium kept the Secure refresh cookie over http://127.0.0.1', !!c, JSON.stringify(all.map((x) => x.name)));
  if (c) {
    check('the cookie is HttpOnly, Secure, SameSite=Strict, Path=/token',
      c.httpOnly && c.secure && c.sameSite === 'Strict' && c.path === '/token', JSON.stringify(c));
  }
  check('the cookie is not sent to the page itself', !cookies.some((x) => x.name === 'jot_refresh'));
  const stored = await page.evaluate(() => {
    const out = [];
    for (const s of [localStorage, sessionStorage])
      for (let i = 0; i < s.length; i++)
        out.push(s.key(i) + '=' + s.getItem(s.key(i)));
    return out;
  });
  check('nothing in localStorage or sessionStorage', stored.length === 0, stored.join(','));
  const last = wa.tokens[wa.tokens.length - 1] || '';
  const html = await page.content();
  check('the access token is not in the DOM', last.length > 0 && !html.includes(last));
});

await step('silent refresh keeps the user in', async () => {
  const first = wa.tokens[wa.tokens.length - 1];
  const before = wa.refreshes;
  const failuresBefore = wa.refreshFailures;
  await sleep((2 * TTL + 1) * 1000);
  check('the page refreshed its access token before expiry, twice', wa.refreshes - before >= 2,
    wa.refreshes - before + ' refreshes in ' + (2 * TTL + 1) + ' s');
  check('no refresh failed', wa.refreshFailures === failuresBefore, wa.refreshFailures - failuresBefore);
  check('still logged in after twice the access TTL', await page.isVisible('#signed-in'));
  check('the first access token has expired', first && (await verifyStatus(first)) === 401);
  const current = wa.tokens[wa.tokens.length - 1];
  check('the refreshed access token is accepted by /verify', current !== first && (await verifyStatus(current)) === 200);
  // A reload forgets the token in memory; the cookie brings the login back.
  await page.reload();
  check('a reload restores the login through the cookie', await visible(page, '#signed-in'));
});

await step('API token: create, copy, use, revoke', async () => {
  await page.fill('#token-name', 'ci-script');
  await page.fill('#token-scopes', 'read write');
  await page.click('#token-form button[type=submit]');
  check('the new token is shown', await visible(page, '#new-token'));
  apiToken = await page.inputValue('#new-token-value');
  check('it is a JWT', /^[\w-]+\.[\w-]+\.[\w-]+$/.test(apiToken), apiToken.slice(0, 20));
  await shot(page, '04-api-token');
  await page.click('#copy-token');
  const copied = await page.evaluate(() => navigator.clipboard.readText());
  check('Copy puts the token on the clipboard', copied === apiToken);
  const row = page.locator('#token-table tbody tr', { hasText: 'ci-script' });
  check('the token is listed', (await row.count()) === 1);
  check('with its scopes', /read write/.test((await row.first().textContent()) || ''));
  check('/verify accepts the API token', (await verifyStatus(apiToken)) === 200);
  await page.click('#dismiss-token');
  check('Done hides the token', !(await page.content()).includes(apiToken));
  await page.reload();
  await visible(page, '#signed-in');
  await visible(page, '#token-table tbody tr');
  check('the token is never shown again', !(await page.content()).includes(apiToken));
  // With the keyboard: the button has a name that says which token it ends.
  await page.getByRole('button', { name: 'Revoke API token ci-script' }).focus();
  await page.keyboard.press('Enter');
  check('the revoked token leaves the list', await until(async () =>
    (await page.locator('#token-table tbody tr', { hasText: 'ci-script' }).count()) === 0, 5000));
  check('focus returns to the API tokens heading', await page.evaluate(() => document.activeElement.id) === 'tokens-h');
  const t0 = Date.now();
  const refused = await until(async () => (await verifyStatus(apiToken)) === 401, 5000);
  check('/verify refuses the revoked API token within 5 s', refused, (Date.now() - t0) + ' ms');
});

await step('sessions: see them, revoke another', async () => {
  const phone = await browser.newContext({
    viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true,
    userAgent: 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Mobile Safari/537.36',
  });
  const p2 = await phone.newPage();
  const wb = watch(p2, 'phone');
  await p2.goto(BASE + '/');
  await visible(p2, '#signed-out');
  await shot(p2, '05-phone-login');
  check('the phone logs in', await logInWithForm(p2, USER, PASSWORD));
  await visible(p2, '#session-table tbody tr');
  const overflow = await p2.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  check('no sideways scrolling on a phone', overflow <= 0, overflow + ' px');
  await shot(p2, '06-phone-dashboard');

  await page.reload();
  await visible(page, '#signed-in');
  await until(async () => (await page.locator('#session-table tbody tr').count()) >= 2, 5000);
  const rows = page.locator('#session-table tbody tr');
  check('both sessions are listed', (await rows.count()) === 2, await rows.count());
  check('this one is marked as current', (await page.locator('#session-table tbody tr.current').count()) === 1);
  const other = page.locator('#session-table tbody tr:not(.current)');
  check('the other shows its device', /Android/.test(await other.first().textContent()));
  // A second token, for the picture of the dashboard in the README.
  await page.fill('#token-name', 'deploy');
  await page.fill('#token-scopes', 'deploy:write');
  await page.selectOption('#token-expiry', '2592000');
  await page.click('#token-form button[type=submit]');
  await visible(page, '#new-token');
  await shot(page, '07-dashboard');

  await other.first().getByRole('button', { name: /revoke/i }).click();
  check('the revoked session leaves the list', await until(async () =>
    (await page.locator('#session-table tbody tr').count()) === 1, 5000));
  check('the phone is logged out at its next refresh', await visible(p2, '#signed-out', (TTL + 5) * 1000));
  check('and is told why', /session has ended/i.test((await p2.textContent('#page-error')) || ''));
  const phoneToken = wb.tokens[wb.tokens.length - 1];
  check("/verify refuses the phone's last access token", phoneToken && (await verifyStatus(phoneToken)) === 401);
  await shot(p2, '08-phone-revoked');
  await phone.close();
  wa.problems.push(...wb.problems);
});

await step('sessions: log out all the others', async () => {
  const ctxs = [await browser.newContext(), await browser.newContext()];
  const pages = [];
  for (const c of ctxs) {
    const p = await c.newPage();
    await p.goto(BASE + '/');
    await visible(p, '#signed-out');
    check('another browser logs in', await logInWithForm(p, USER, PASSWORD));
    pages.push(p);
  }
  await page.reload();
  await visible(page, '#signed-in');
  await until(async () => (await page.locator('#session-table tbody tr').count()) >= 3, 5000);
  check('three sessions are listed', (await page.locator('#session-table tbody tr').count()) === 3);
  await page.click('#revoke-others');
  check('only this session is left', await until(async () =>
    (await page.locator('#session-table tbody tr').count()) === 1, 5000));
  for (const p of pages)
    check('the other browser is logged out', await visible(p, '#signed-out', (TTL + 5) * 1000));
  check('this browser is still logged in', await page.isVisible('#signed-in'));
  for (const c of ctxs)
    await c.close();
});

await step('log out', async () => {
  const last = wa.tokens[wa.tokens.length - 1];
  await page.click('#logout');
  check('log out shows the forms', await visible(page, '#signed-out'));
  await shot(page, '09-logged-out');
  const all = await desk.cookies();
  check('the refresh cookie is gone', !all.some((x) => x.name === 'jot_refresh'));
  check('/verify refuses the last access token', last && (await verifyStatus(last)) === 401);
  await page.reload();
  check('a reload stays logged out', await visible(page, '#signed-out'));
});

check('no CSP violation and no script error in any page', wa.problems.length === 0, wa.problems.join(' | '));

await browser.close();
console.log(passed + ' passed, ' + failed + ' failed');
process.exit(failed ? 1 : 0);
