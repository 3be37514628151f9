// Shared helpers for the browser tests. run.sh starts the server and sets the environment:
//   PBVOTE_URL                    base address of the running server (http://127.0.0.1:PORT)
//   PBVOTE_ORGANISER_EMAIL / _PASSWORD, PBVOTE_COMMISSIONER_EMAIL / _PASSWORD
//   PBVOTE_OFFICER_EMAIL / _PASSWORD, PBVOTE_OFFICER2_EMAIL / _PASSWORD   two meeting officers
//   PBVOTE_DEMO_ID, PBVOTE_DEMO_CODES (comma separated)   from `pbvote serve --demo`
//   PBVOTE_SCREENSHOT_DIR         where screenshots go (default <repo>/target/browser-screenshots)
//   CHROMIUM                      path of the browser (default: `command -v chromium`)
//   PBVOTE_TOKEN_CACHE            a file where signInApi keeps its tokens between test files, so that the
//                                 whole run stays well inside the server's sign-in rate limit (10 per
//                                 account per 5 minutes)
import { execSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(here, '..', '..');

function need(name) {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run the tests through tests/browser/run.sh`);
  return v;
}

export const BASE = need('PBVOTE_URL').replace(/\/$/, '');
export const ORGANISER = { email: need('PBVOTE_ORGANISER_EMAIL'), password: need('PBVOTE_ORGANISER_PASSWORD') };
export const COMMISSIONER = { email: need('PBVOTE_COMMISSIONER_EMAIL'), password: need('PBVOTE_COMMISSIONER_PASSWORD') };
export const OFFICER = { email: need('PBVOTE_OFFICER_EMAIL'), password: need('PBVOTE_OFFICER_PASSWORD') };
export const OFFICER2 = { email: need('PBVOTE_OFFICER2_EMAIL'), password: need('PBVOTE_OFFICER2_PASSWORD') };
export const ADMIN = { email: need('PBVOTE_ADMIN_EMAIL'), password: need('PBVOTE_ADMIN_PASSWORD') };
export const DEMO_ID = process.env.PBVOTE_DEMO_ID || '';
const demoCodes = (process.env.PBVOTE_DEMO_CODES || '').split(',').map((s) => s.trim()).filter(Boolean);
export const SHOT_DIR = process.env.PBVOTE_SCREENSHOT_DIR || path.join(ROOT, 'target', 'browser-screenshots');
export const AXE_PATH = path.join(here, 'node_modules', 'axe-core', 'axe.min.js');

export const VIEWPORTS = [
  { name: 'mobile', width: 360, height: 740 },
  { name: 'desktop', width: 1280, height: 900 },
];

// ---------- browser ----------

function chromiumPath() {
  if (process.env.CHROMIUM) return process.env.CHROMIUM;
  return execSync('command -v chromium || command -v chromium-browser', { shell: '/bin/bash' }).toString().trim();
}

export async function launch() {
  return chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** A fresh context (own sessionStorage) and page. Fails the test on any page error or console error. */
export async function newPage(browser, { width = 1280, height = 900, reducedMotion = 'reduce' } = {}) {
  const context = await browser.newContext({ viewport: { width, height }, reducedMotion, acceptDownloads: true, locale: 'en-GB', timezoneId: 'Europe/London' });
  const page = await context.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(`page error: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error' && !/status of 4\d\d/.test(m.text())) page.errors.push(`console: ${m.text()}`); });
  // Nothing may be loaded from anywhere but our own server.
  page.requests = [];
  page.on('request', (r) => { if (!r.url().startsWith(BASE) && !r.url().startsWith('blob:') && !r.url().startsWith('data:')) page.requests.push(r.url()); });
  page.setDefaultTimeout(15000);
  return page;
}

export function assertClean(page) {
  assert.deepEqual(page.requests, [], 'the page loaded something from outside the server');
  assert.deepEqual(page.errors, [], 'the page had script errors');
}

export const url = (p) => `${BASE}/${p.replace(/^\//, '')}`;

/** Run axe-core on the page; fail on any serious or critical violation. Returns all violations. */
export async function checkAxe(page, label) {
  // Evaluated through the DevTools protocol rather than added as a <script> tag, so the
  // pages' Content-Security-Policy (no inline scripts) stays in force while axe runs.
  await page.evaluate(readFileSync(AXE_PATH, 'utf8'));
  const violations = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map((n) => `${n.target.join(' ')} – ${n.failureSummary}`) }));
  });
  const bad = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(bad, [], `${label}: axe found serious or critical problems:\n${JSON.stringify(bad, null, 2)}`);
  return violations;
}

export async function screenshot(page, name) {
  mkdirSync(SHOT_DIR, { recursive: true });
  const vp = page.viewportSize();
  const file = path.join(SHOT_DIR, `${name}-${vp.width}x${vp.height}.png`);
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: file, fullPage: true, animations: 'disabled' });
  return file;
}

/** The active element, described for assertions. */
export async function active(page) {
  return page.evaluate(() => {
    const e = document.activeElement;
    return e ? { tag: e.tagName, id: e.id, text: e.textContent.trim(), data: { ...e.dataset }, name: e.getAttribute('name'), type: e.getAttribute('type') } : null;
  });
}

/**
 * Move focus with the keyboard only (Tab, or Shift+Tab when the target is above) until the
 * element matching `selector` has focus.
 */
export async function tabTo(page, selector, { max = 400 } = {}) {
  const where = () => page.evaluate((sel) => {
    const target = document.querySelector(sel);
    if (!target) return 'missing';
    const a = document.activeElement;
    if (a === target) return 'here';
    if (!a || a === document.body) return 'after';
    return a.compareDocumentPosition(target) & Node.DOCUMENT_POSITION_FOLLOWING ? 'after' : 'before';
  }, selector);
  for (let i = 0; i < max; i++) {
    const w = await where();
    if (w === 'here') return;
    if (w === 'missing') throw new Error(`tabTo: nothing matches ${selector}`);
    await page.keyboard.press(w === 'after' ? 'Tab' : 'Shift+Tab');
  }
  throw new Error(`tabTo: could not reach ${selector} with the keyboard in ${max} key presses`);
}

// ---------- API (for setting up data) ----------

export async function call(method, p, { body, token, raw = false } = {}) {
  for (let attempt = 0; ; attempt++) {
    const res = await fetch(`${BASE}/api/v1${p}`, {
      method,
      headers: { ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}), ...(token ? { Authorization: `Bearer ${token}` } : {}), Accept: 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (res.status === 429 && attempt < 5) {
      const wait = Math.min(30, Number(res.headers.get('Retry-After')) || 2);
      await new Promise((r) => setTimeout(r, wait * 1000));
      continue;
    }
    const text = await res.text();
    let json = null;
    if (!raw) { try { json = text ? JSON.parse(text) : null; } catch { json = null; } }
    return { status: res.status, json, text, headers: res.headers };
  }
}

export async function ok(method, p, opts = {}, expected = [200, 201, 204]) {
  const r = await call(method, p, opts);
  assert.ok(expected.includes(r.status), `${method} ${p} answered ${r.status}: ${r.text.slice(0, 500)}`);
  return r.json;
}

/** A token for the account, signed in once per run (see PBVOTE_TOKEN_CACHE). */
export async function signInApi(who) {
  const file = process.env.PBVOTE_TOKEN_CACHE;
  let cache = {};
  if (file) { try { cache = JSON.parse(readFileSync(file, 'utf8')); } catch { cache = {}; } }
  if (cache[who.email]) return cache[who.email].token;
  const r = await ok('POST', '/auth/sign-in', { body: who });
  assert.ok(r.token, 'sign-in gave no token');
  cache[who.email] = { token: r.token, user: r.user };
  if (file) writeFileSync(file, JSON.stringify(cache));
  return r.token;
}

/**
 * Start the page signed in, with the cached token, without going through the sign-in form (for
 * tests about something else; the form itself is tested with signInPage).
 */
export async function useSession(page, who) {
  const token = await signInApi(who);
  const me = await ok('GET', '/auth/me', { token });
  await page.goto(url('index.html'));
  await page.evaluate(([t, u]) => { sessionStorage.setItem('pbvote.token', t); sessionStorage.setItem('pbvote.user', JSON.stringify(u)); }, [token, me]);
}

/** Voter codes for the demo consultation: the ones the server printed first, then fresh ones. */
export async function demoCode(token) {
  if (demoCodes.length) return demoCodes.shift();
  const r = await ok('POST', `/consultations/${DEMO_ID}/voter-codes`, { body: { count: 1 }, token });
  return r.codes[0];
}

export async function demoId() {
  if (DEMO_ID) return DEMO_ID;
  const list = await ok('GET', '/consultations');
  const items = Array.isArray(list) ? list : list.consultations || list.items || [];
  const open = items.find((c) => c.phase === 'open');
  assert.ok(open, 'no open (demo) consultation');
  return open.id;
}

/**
 * The worked example of docs/tally.md, built through the API: R=3, day-centre users protected.
 * Returns the consultation id. `phase` is 'open' (no votes yet), 'closed' or 'published'.
 */
export async function workedExample(token, { title = 'Worked example', phase = 'closed' } = {}) {
  const services = [{ id: 'day-centre', name: 'Day centre', description: 'Daytime care and company for older and disabled residents.' }];
  const proposals = [
    { id: 'S1', kind: 'saving', title: 'Close the day centre', summary: 'The day centre would close for good.', amount: 80000, service: 'day-centre' },
    { id: 'S2', kind: 'saving', title: 'Cut park grass monthly', summary: 'Grass in parks would be cut once a month instead of every two weeks.', amount: 50000 },
    { id: 'S3', kind: 'saving', title: 'Dim street lights 1am–5am', summary: 'Street lights would be dimmed in the middle of the night.', amount: 40000 },
    { id: 'D1', kind: 'development', title: 'New youth club', summary: 'A youth club open three evenings a week.', amount: 30000 },
  ];
  const c = await ok('POST', '/consultations', { token, body: {
    title, description: 'The council must save £800 and can spend £300 on new things.', currency: 'GBP',
    budget: { overall_budget: null, savings_target: 80000, development_budget: 30000 },
    settings: { rank_depth: 3, minority_share_percent: 50, max_weight: 10, min_group: 5, protect_threshold_percent: 50 },
    areas: [], services, proposals,
  } }, [201]);
  const id = c.id;
  if (!(c.services || []).length) for (const s of services) await ok('POST', `/consultations/${id}/services`, { token, body: s }, [201]);
  if (!(c.proposals || []).length) for (const p of proposals) await ok('POST', `/consultations/${id}/proposals`, { token, body: p }, [201]);
  await ok('POST', `/consultations/${id}/open`, { token });
  if (phase === 'open') return id;
  const { codes } = await ok('POST', `/consultations/${id}/voter-codes`, { token, body: { count: 100 } }, [201]);
  assert.equal(codes.length, 100);
  const ballots = [
    ...Array(60).fill({ want: ['S1', 'S3', 'S2'], dont_want: [], uses: [] }),
    ...Array(30).fill({ want: ['S3', 'D1', 'S2'], dont_want: [], uses: [] }),
    ...Array(10).fill({ want: ['S2', 'D1'], dont_want: ['S1', 'S3'], uses: ['day-centre'] }),
  ];
  for (let i = 0; i < ballots.length; i += 10) {
    await Promise.all(ballots.slice(i, i + 10).map((b, j) =>
      ok('POST', `/consultations/${id}/ballots`, { body: { voter_code: codes[i + j], ...b } }, [201])));
  }
  await ok('POST', `/consultations/${id}/close`, { token });
  if (phase === 'published') await ok('POST', `/consultations/${id}/publish`, { token });
  return id;
}

/** Sign in through the console page (mouse and typing are fine here). */
export async function signInPage(page, who) {
  await page.goto(url('console/index.html'));
  await page.getByLabel('Email address').fill(who.email);
  await page.getByLabel('Password').fill(who.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('#sign-out').waitFor();
}
