// Scenario 6: sending a ballot when things go wrong (a proxy's 502 page, no network, a server that
// does not answer), and how the ballot reads to a screen reader: list positions, labels, errors
// tied to their controls, page titles per step, focus indicators, and a voter code that is never
// kept in the draft.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, newPage, url, tabTo, active, assertClean, checkAxe, signInApi, ok, workedExample, ORGANISER } from './lib.mjs';

let browser;
let token;
before(async () => { browser = await launch(); token = await signInApi(ORGANISER); });
after(async () => { await browser?.close(); });

async function press(page, selector, key = 'Enter') {
  await tabTo(page, selector);
  await page.keyboard.press(key);
}

const announced = (page, text) => page.waitForFunction((t) => document.getElementById('announcer')?.textContent.includes(t), text);

/** An open consultation (the worked example: S1–S3, D1, the day centre) and one voter code. */
async function openBallot(label) {
  const id = await workedExample(token, { title: `${label} ${Date.now()}`, phase: 'open' });
  const { codes } = await ok('POST', `/consultations/${id}/voter-codes`, { token, body: { count: 1 } }, [201]);
  return { id, code: codes[0] };
}

/** Choose S3 (want), S1 (don't want), type the code and go to the review step, by keyboard. */
async function toReview(page, code) {
  await press(page, 'button[data-action="want"][data-id="S3"]');
  await press(page, 'button[data-action="dont"][data-id="S1"]');
  await tabTo(page, '#voter-code');
  await page.keyboard.type(code);
  await page.keyboard.press('Enter');
  await page.locator('#send-button').waitFor();
}

/** The failed requests we cause on purpose show up as console errors: drop those. */
function dropExpected(page, re) {
  page.errors = page.errors.filter((e) => !re.test(e));
}

test('a proxy’s HTML error page is never shown; the resident stays on the review step and can try again', { timeout: 90000 }, async () => {
  const { id, code } = await openBallot('Proxy error');
  const page = await newPage(browser, { width: 360, height: 740 });
  await page.goto(url(`vote.html?c=${id}`));
  await page.locator('[data-proposal]').first().waitFor();
  await toReview(page, code);

  const html = '<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx/1.25.3</center></body></html>';
  await page.route(`**/api/v1/consultations/${id}/ballots`, (route) => route.fulfill({ status: 502, contentType: 'text/html', body: html }));
  await press(page, '#send-button');
  await page.locator('#form-error').waitFor({ state: 'visible' });
  const said = await page.locator('#form-error').innerText();
  assert.match(said, /The service is busy or restarting\. Your vote has not been sent yet; please try again in a minute\./);
  assert.match(said, /Sending it again is safe/);
  assert.doesNotMatch(said, /nginx|Bad Gateway|<|>/, 'nothing of the proxy’s page is shown');
  assert.equal((await active(page)).id, 'form-error', 'focus moves to the error summary');
  assert.equal(await page.locator('#step-review').isVisible(), true, 'the review step stays');
  assert.equal(await page.locator('#step-choose').isVisible(), false);
  assert.match(await page.title(), /^Error: Check your vote – /);
  await checkAxe(page, 'ballot send error');

  // One Tab reaches "Try again"; this time the server answers.
  await page.unroute(`**/api/v1/consultations/${id}/ballots`);
  await page.keyboard.press('Tab');
  assert.equal((await active(page)).id, 'retry-button');
  await page.keyboard.press('Enter');
  await page.locator('#receipt-code').waitFor();
  assert.match(await page.title(), /^Vote received – /);
  dropExpected(page, /status of 502/);
  assertClean(page);
  await page.context().close();
});

test('while a ballot is on its way, focus stays on the button, “Sending your vote…” is announced and a second press sends nothing', { timeout: 90000 }, async () => {
  const { id, code } = await openBallot('Slow send');
  const page = await newPage(browser, { width: 1280, height: 900 });
  await page.goto(url(`vote.html?c=${id}`));
  await page.locator('[data-proposal]').first().waitFor();
  await toReview(page, code);
  assert.match(await page.title(), /^Check your vote – /, 'the review step names itself in the title');

  let posts = 0;
  let release;
  const held = new Promise((r) => { release = r; });
  await page.route(`**/api/v1/consultations/${id}/ballots`, async (route) => {
    posts++;
    await held;
    await route.continue();
  });
  await press(page, '#send-button');
  await page.waitForFunction(() => document.getElementById('send-button')?.textContent === 'Sending…');
  let f = await active(page);
  assert.equal(f.id, 'send-button', 'focus stays on the button while sending');
  assert.equal(await page.locator('#send-button').getAttribute('aria-disabled'), 'true');
  await announced(page, 'Sending your vote…');
  await page.keyboard.press('Enter');
  await page.keyboard.press(' ');
  release();
  await page.locator('#receipt-code').waitFor();
  await page.waitForTimeout(300);
  assert.equal(posts, 1, 'the second and third presses sent nothing');
  assert.match(await page.title(), /^Vote received – /);
  f = await active(page);
  assert.equal(f.tag, 'H2', 'focus moves to the receipt heading');
  assertClean(page);
  await page.context().close();
});

test('no network, or a server that does not answer within 30 seconds: a plain message on the review step', { timeout: 90000 }, async () => {
  const { id, code } = await openBallot('No answer');
  const page = await newPage(browser, { width: 360, height: 740 });
  await page.clock.install();
  await page.goto(url(`vote.html?c=${id}`));
  await page.locator('[data-proposal]').first().waitFor();
  await toReview(page, code);

  // The connection drops.
  await page.route(`**/api/v1/consultations/${id}/ballots`, (route) => route.abort('internetdisconnected'));
  await press(page, '#send-button');
  await page.locator('#form-error', { hasText: 'could not reach the server' }).waitFor();
  assert.equal((await active(page)).id, 'form-error');
  assert.equal(await page.locator('#step-review').isVisible(), true);
  assert.equal(await page.locator('#send-button').textContent(), 'Send my vote', 'the button is ready again');
  assert.equal(await page.locator('#send-button').getAttribute('aria-disabled'), null);

  // The server never answers: after 30 seconds the page stops waiting.
  await page.unroute(`**/api/v1/consultations/${id}/ballots`);
  await page.route(`**/api/v1/consultations/${id}/ballots`, () => { /* never answer */ });
  await page.keyboard.press('Tab');
  assert.equal((await active(page)).id, 'retry-button');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.getElementById('retry-button')?.getAttribute('aria-disabled') === 'true');
  await page.clock.fastForward(29000);
  assert.equal(await page.locator('#form-error', { hasText: 'took too long' }).count(), 0, 'not before 30 seconds');
  await page.clock.fastForward(2000);
  await page.locator('#form-error', { hasText: 'took too long' }).waitFor();
  assert.match(await page.locator('#form-error').innerText(), /Sending it again is safe/);
  assert.equal((await active(page)).id, 'form-error');
  assert.equal(await page.locator('#step-review').isVisible(), true);
  dropExpected(page, /ERR_INTERNET_DISCONNECTED|net::ERR_FAILED/);
  assertClean(page);
  await page.context().close();
});

test('the voter code is never kept in the draft; the choices are', { timeout: 60000 }, async () => {
  const { id, code } = await openBallot('Shared computer');
  const page = await newPage(browser, { width: 360, height: 740 });
  // A draft left by an older version of the page, with a code in it.
  await page.goto(url('index.html'));
  await page.evaluate(([k, c]) => sessionStorage.setItem(k, JSON.stringify({ want: ['S2'], dont: [], uses: [], area: '', code: c })), [`pbvote.draft.${id}`, code]);
  await page.goto(url(`vote.html?c=${id}`));
  await page.locator('#want-list li[data-id="S2"]').waitFor();
  assert.equal(await page.locator('#voter-code').inputValue(), '', 'a code from an old draft is not filled in');
  assert.doesNotMatch(await page.evaluate((k) => sessionStorage.getItem(k), `pbvote.draft.${id}`), /code/, 'and it is removed from the draft');

  await press(page, 'button[data-action="want"][data-id="S3"]');
  await tabTo(page, '#voter-code');
  await page.keyboard.type(code);
  await page.keyboard.press('Tab');
  const draft = await page.evaluate((k) => sessionStorage.getItem(k), `pbvote.draft.${id}`);
  assert.ok(!draft.includes(code.replace(/-/g, '').slice(0, 4)) && !/"code"/.test(draft), `the draft holds no code: ${draft}`);
  await page.reload();
  await page.locator('#want-list li[data-id="S3"]').waitFor();
  assert.deepEqual(await page.$$eval('#want-list li[data-id]', (els) => els.map((e) => e.dataset.id)), ['S2', 'S3'], 'the choices come back');
  assert.equal(await page.locator('#voter-code').inputValue(), '', 'the code does not come back after a reload');
  assertClean(page);
  await page.context().close();
});

test('list positions are in the text, lists are lists, toggle buttons have no aria-pressed, kind tags are neutral', { timeout: 60000 }, async () => {
  const { id } = await openBallot('Reading order');
  const page = await newPage(browser, { width: 1280, height: 900 });
  await page.goto(url(`vote.html?c=${id}`));
  await page.locator('[data-proposal]').first().waitFor();
  await press(page, 'button[data-action="want"][data-id="S3"]');
  await press(page, 'button[data-action="want"][data-id="D1"]');
  await press(page, 'button[data-action="dont"][data-id="S1"]');

  for (const sel of ['#want-list', '#dont-list']) assert.equal(await page.locator(sel).getAttribute('role'), 'list', `${sel} keeps list semantics`);
  assert.ok(await page.$$eval('.card-list', (els) => els.length > 0 && els.every((e) => e.getAttribute('role') === 'list')), 'every card list has role="list"');
  const rows = await page.$$eval('#want-list li[data-id] .choice-title', (els) => els.map((e) => e.textContent.replace(/\s+/g, ' ').trim()));
  assert.match(rows[0], /^1\. Dim street lights/);
  assert.match(rows[1], /^2\. /);
  assert.match(await page.locator('#dont-list li[data-id] .choice-title').first().textContent(), /^1\./);

  assert.equal(await page.locator('[aria-pressed]').count(), 0, 'no aria-pressed on the ballot');
  assert.match(await page.locator('button[data-action="want"][data-id="S3"]').textContent(), /^Remove from want: /);
  assert.match(await page.locator('button[data-action="dont"][data-id="S1"]').textContent(), /^Remove from don’t want: /);
  assert.match(await page.locator('button[data-action="want"][data-id="S2"]').textContent(), /^Add to want: /);

  // Saving and New spending look alike: the kind is a fact, not advice.
  const look = (sel) => page.locator(sel).first().evaluate((e) => { const s = getComputedStyle(e); return [s.color, s.borderTopColor, s.backgroundColor]; });
  assert.deepEqual(await look('.tag--saving'), await look('.tag--development'));
  // The chosen state is shown in words, not by colour alone.
  assert.match(await page.locator('[data-proposal="S3"] .card__status').textContent(), /In your want list: number 1 of 2/);
  assertClean(page);
  await page.context().close();
});

test('a list or services error is tied to its controls with aria-describedby', { timeout: 60000 }, async () => {
  const { id, code } = await openBallot('Field errors');
  const page = await newPage(browser, { width: 1280, height: 900 });
  await page.goto(url(`vote.html?c=${id}`));
  await page.locator('[data-proposal]').first().waitFor();
  await toReview(page, code);
  const problem = (field, detail) => (route) => route.fulfill({ status: 422, contentType: 'application/problem+json',
    body: JSON.stringify({ type: 'urn:pbvote:problem:invalid-field', title: 'A field is not valid', status: 422, detail, field }) });

  await page.route(`**/api/v1/consultations/${id}/ballots`, problem('want[0]', 'S3 is not on this ballot'));
  await press(page, '#send-button');
  await page.locator('#want-error').waitFor({ state: 'visible' });
  assert.equal((await active(page)).id, 'want-error');
  const describedBy = (sel) => page.locator(sel).evaluate((e) => (e.getAttribute('aria-describedby') || '').split(' '));
  assert.ok((await describedBy('#want-list')).includes('want-error'), 'the want list is described by its error');
  assert.ok((await describedBy('button[data-action="want"][data-id="S2"]')).includes('want-error'), 'so are the “Add to want” buttons');
  assert.ok((await describedBy('#want-list button[data-action="remove"][data-id="S3"]')).includes('want-error'), 'and the buttons in the list');
  assert.ok(!(await describedBy('#dont-list')).includes('want-error'));
  // Changing the list clears the error and the references to it.
  await press(page, 'button[data-action="want"][data-id="S2"]');
  assert.equal(await page.locator('#want-error').isVisible(), false);
  assert.ok(!(await describedBy('button[data-action="want"][data-id="S2"]')).includes('want-error'));

  await tabTo(page, '#review-button');
  await page.keyboard.press('Enter');
  await page.locator('#send-button').waitFor();
  await page.unroute(`**/api/v1/consultations/${id}/ballots`);
  await page.route(`**/api/v1/consultations/${id}/ballots`, problem('uses[0]', 'no such service'));
  await press(page, '#send-button');
  await page.locator('#uses-error').waitFor({ state: 'visible' });
  assert.ok((await describedBy('#uses-fieldset')).includes('uses-error'), 'the services fieldset is described by its error');
  assert.ok((await describedBy('#uses-fieldset')).includes('uses-hint'), 'and still by its hint');
  assert.match(await page.title(), /^Error: /);
  assertClean(page);
  await page.context().close();
});

/** Contrast ratio of two CSS colours (rgb()/rgba()), WCAG formula. */
const CONTRAST = `
  const rgb = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; }; return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b); };
  const contrast = (a, b) => { const [x, y] = [lum(rgb(a)), lum(rgb(b))].sort((m, n) => n - m); return (x + 0.05) / (y + 0.05); };
  const behind = (el) => { for (let e = el.parentElement; e; e = e.parentElement) { const c = getComputedStyle(e).backgroundColor; const v = rgb(c); if (v.length === 3 || v[3] > 0) return c; } return 'rgb(255, 255, 255)'; };
`;

/** Tab through the whole page; every stop must show a focus indicator of at least 3:1 against what is behind it. */
async function sweepFocus(page, label) {
  await page.evaluate(() => { document.activeElement?.blur(); window.scrollTo(0, 0); });
  await page.locator('body').focus();
  const seen = new Set();
  const bad = [];
  for (let i = 0; i < 300; i++) {
    await page.keyboard.press('Tab');
    const r = await page.evaluate(`(() => { ${CONTRAST}
      const e = document.activeElement;
      if (!e || e === document.body) return null;
      const key = [...document.querySelectorAll('*')].indexOf(e);
      const s = getComputedStyle(e);
      const back = behind(e);
      const outline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2 && contrast(s.outlineColor, back) >= 3;
      const filled = s.backgroundColor !== 'rgba(0, 0, 0, 0)' && contrast(s.backgroundColor, back) >= 3 && e.tagName === 'A';
      const inset = /inset/.test(s.boxShadow) && /^(INPUT|SELECT|TEXTAREA)$/.test(e.tagName) && !/checkbox|radio/.test(e.type);
      return { key, tag: e.tagName, cls: e.className, ok: outline || filled || inset || e.classList.contains('skip-link'), outline: s.outlineStyle + ' ' + s.outlineWidth + ' ' + s.outlineColor, back };
    })()`);
    if (!r) continue;
    const k = `${r.tag}:${r.key}:${r.cls}`;
    if (seen.has(k)) break; // back at the start
    seen.add(k);
    if (!r.ok) bad.push(r);
  }
  assert.ok(seen.size > 10, `${label}: the sweep reached only ${seen.size} stops`);
  assert.deepEqual(bad, [], `${label}: focus indicators that are missing or too faint`);
}

test('every focus stop on the ballot shows a focus indicator of at least 3:1, headings focused by script too', { timeout: 120000 }, async () => {
  const { id } = await openBallot('Focus rings');
  const page = await newPage(browser, { width: 1280, height: 900 });
  await page.goto(url(`vote.html?c=${id}`));
  await page.locator('[data-proposal]').first().waitFor();
  await press(page, 'button[data-action="want"][data-id="S3"]');
  await sweepFocus(page, 'ballot');

  // Removing the only choice moves focus to the list heading (an h3 with tabindex): it must show.
  await press(page, '#want-list button[data-action="remove"][data-id="S3"]');
  const f = await active(page);
  assert.equal(f.id, 'want-list-heading');
  const ring = await page.locator('#want-list-heading').evaluate((e) => { const s = getComputedStyle(e); return { style: s.outlineStyle, width: parseFloat(s.outlineWidth) }; });
  assert.equal(ring.style, 'solid', 'the focused heading has an outline');
  assert.ok(ring.width >= 3);
  // A tick box gets a dark ring, not a faint yellow one.
  await tabTo(page, 'input[name="uses"]');
  const box = await page.evaluate(`(() => { ${CONTRAST} const e = document.activeElement; const s = getComputedStyle(e); return contrast(s.outlineColor, behind(e)); })()`);
  assert.ok(box >= 3, `the tick box focus ring has contrast ${box.toFixed(2)}:1`);
  assertClean(page);
  await page.context().close();
});

test('after a refused code the screen-reader status no longer says “Sending your vote…”', { timeout: 60000 }, async () => {
  const { id } = await openBallot('Refused code');
  const page = await newPage(browser, { width: 360, height: 740 });
  await page.goto(url(`vote.html?c=${id}`));
  await page.locator('[data-proposal]').first().waitFor();
  // A well-formed code that was never issued: the server refuses it quickly.
  await toReview(page, 'AAAA-BBBB-CCCC');
  await press(page, '#send-button');
  await page.locator('#voter-code-error').waitFor({ state: 'visible' });
  assert.equal((await active(page)).id, 'voter-code', 'focus moves to the code field');
  // Long enough for an announcement that was still on its way to arrive.
  await page.waitForTimeout(400);
  const status = await page.locator('#announcer').textContent();
  assert.doesNotMatch(status, /Sending/, `the status region says: ${status}`);
  assertClean(page);
  await page.context().close();
});
