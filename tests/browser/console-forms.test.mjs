// Scenario 7: the console's forms and buttons under impatient hands and screen readers: a second
// Enter or click while a request is on its way sends nothing, errors are summarised with links to
// their fields, messages are read out once, and date fields say which time zone they mean.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, newPage, url, tabTo, active, assertClean, checkAxe, useSession, signInApi, ok, ORGANISER } from './lib.mjs';

let browser;
let token;
before(async () => { browser = await launch(); token = await signInApi(ORGANISER); });
after(async () => { await browser?.close(); });

async function draft(label) {
  const c = await ok('POST', '/consultations', { token, body: {
    title: `${label} ${Date.now()}`, description: 'A draft for the console form tests.', currency: 'GBP',
    budget: { overall_budget: null, savings_target: 100000, development_budget: 50000 },
  } }, [201]);
  return c.id;
}

/** Hold every request that matches `pattern` and `method` until released; count them. */
async function hold(page, pattern, method = 'POST') {
  const h = { count: 0 };
  let release;
  const gate = new Promise((r) => { release = r; });
  h.release = release;
  await page.route(pattern, async (route) => {
    if (route.request().method() === method) { h.count++; await gate; }
    await route.continue();
  });
  return h;
}

test('pressing Enter twice on “Add service” / “Add proposal”, or clicking “Open voting” twice, sends one request', { timeout: 90000 }, async () => {
  const id = await draft('Double Enter');
  const page = await newPage(browser, { width: 1280, height: 900 });
  page.on('dialog', (d) => d.accept());
  await useSession(page, ORGANISER);
  await page.goto(url(`console/consultation.html?c=${id}`));
  await page.locator('#service-form').waitFor();

  // Service: Enter twice in the name field.
  const svc = await hold(page, `**/api/v1/consultations/${id}/services`);
  await page.locator('#svc-name').fill('Library');
  await page.locator('#svc-name').focus();
  await page.keyboard.press('Enter');
  await page.keyboard.press('Enter');
  await page.waitForTimeout(200);
  const busy = await page.locator('#service-submit').getAttribute('aria-disabled');
  svc.release();
  await page.locator('#services-list > li').first().waitFor();
  await page.waitForTimeout(300);
  assert.equal(svc.count, 1, 'one service request');
  assert.equal(busy, 'true', 'the button showed it was busy');

  // Proposal: Enter twice on the button itself; focus stays on it meanwhile.
  const prop = await hold(page, `**/api/v1/consultations/${id}/proposals`);
  await page.locator('#prop-title').fill('Close the library on Mondays');
  await page.locator('#prop-summary').fill('The library would be closed every Monday.');
  await page.locator('#prop-amount').fill('250');
  await tabTo(page, '#proposal-submit');
  await page.keyboard.press('Enter');
  await page.keyboard.press('Enter');
  await page.waitForTimeout(200);
  assert.equal((await active(page)).id, 'proposal-submit', 'focus stays on the button while it is busy');
  prop.release();
  await page.locator('#proposals-list > li').first().waitFor();
  await page.waitForTimeout(300);
  assert.equal(prop.count, 1, 'one proposal request');

  const c = await ok('GET', `/consultations/${id}`, { token });
  assert.equal(c.services.length, 1, 'no duplicate service');
  assert.equal(c.proposals.length, 1, 'no duplicate proposal');

  // Open voting: a double click asks once and opens once, with no error.
  const open = await hold(page, `**/api/v1/consultations/${id}/open`);
  await page.locator('#open-button').dblclick();
  await page.waitForTimeout(200);
  open.release();
  await page.locator('#phase', { hasText: 'Open for votes' }).waitFor();
  await page.waitForTimeout(300);
  assert.equal(open.count, 1, 'one request to open');
  assert.match(await page.locator('#stage-flash').textContent(), /Voting is now open/);
  assertClean(page);
  await page.context().close();
});

test('after opening voting the message gets focus and is read once (no live announcement as well)', { timeout: 60000 }, async () => {
  const id = await draft('Announce once');
  await ok('POST', `/consultations/${id}/proposals`, { token, body: { kind: 'saving', title: 'Cut grass', summary: 'Grass cut monthly.', amount: 5000 } }, [201]);
  const page = await newPage(browser, { width: 360, height: 740 });
  page.on('dialog', (d) => d.accept());
  await useSession(page, ORGANISER);
  await page.goto(url(`console/consultation.html?c=${id}`));
  await page.locator('#open-button').waitFor();
  await tabTo(page, '#open-button');
  await page.keyboard.press('Enter');
  await page.locator('#stage-flash').waitFor();
  await page.waitForTimeout(300);
  assert.equal((await active(page)).id, 'stage-flash', 'focus moves to the message');
  assert.equal(await page.locator('#stage-flash').getAttribute('role'), null, 'the focused message is not a live region too');
  assert.doesNotMatch(await page.locator('#announcer').textContent(), /Voting is now open/, 'and it is not announced a second time');
  // The status is a plain label.
  assert.match(await page.locator('.status-line').first().textContent(), /^Status: Open for votes$/);
  assertClean(page);
  await page.context().close();
});

test('the details form summarises every problem with links to the fields; creating moves focus to the message; dates say their time zone', { timeout: 90000 }, async () => {
  const page = await newPage(browser, { width: 1280, height: 900 });
  await useSession(page, ORGANISER);
  await page.goto(url('console/new.html'));
  await page.locator('#details-form').waitFor();

  // The dates are read in the computer's time zone, and the form says so (the tests run in Europe/London).
  assert.match(await page.locator('#dates-hint').textContent(), /Times are in UK time/);

  // Two problems: no title, and a counting setting out of range (inside the closed "Counting settings").
  await page.locator('#details-form details').evaluate((d) => { d.open = true; });
  await page.locator('#rank_depth').fill('99');
  await page.locator('#details-form details').evaluate((d) => { d.open = false; });
  await tabTo(page, '#details-form button[type="submit"]');
  await page.keyboard.press('Enter');
  await page.locator('#details-error').waitFor({ state: 'visible' });
  assert.equal((await active(page)).id, 'details-error', 'focus moves to the summary, not to the first field');
  const links = await page.$$eval('#details-error a', (els) => els.map((e) => [e.getAttribute('href'), e.textContent]));
  assert.deepEqual(links.map((l) => l[0]), ['#title', '#rank_depth']);
  assert.match(await page.locator('#details-error h2').textContent(), /There is a problem/);
  assert.equal(await page.locator('#title').getAttribute('aria-invalid'), 'true');
  assert.equal(await page.locator('#rank_depth').getAttribute('aria-invalid'), 'true');
  await checkAxe(page, 'details form with problems');
  // Following a link puts focus in the field, opening "Counting settings" if need be.
  await page.keyboard.press('Tab');
  await page.keyboard.press('Tab');
  assert.equal((await active(page)).text, links[1][1]);
  await page.keyboard.press('Enter');
  assert.equal((await active(page)).id, 'rank_depth');

  // Fix both, with an opening time in summer (British Summer Time, UTC+1), and create.
  await page.keyboard.press('Control+A');
  await page.keyboard.type('5');
  const title = `Dates and focus ${Date.now()}`;
  await page.locator('#title').fill(title);
  await page.locator('#opens_at').fill('2027-06-01T12:00');
  await page.locator('#title').focus();
  await page.keyboard.press('Enter');
  await page.waitForURL(/console\/consultation\.html\?c=/);
  await page.locator('#top-flash').waitFor();
  await page.waitForFunction(() => document.activeElement?.id === 'top-flash');
  const id = new URL(page.url()).searchParams.get('c');
  const c = await ok('GET', `/consultations/${id}`, { token });
  assert.equal(c.opens_at.replace(/(:00)?(\.0+)?(Z|\+00:00)$/, ''), '2027-06-01T11:00', `12:00 UK time is 11:00 UTC in June (got ${c.opens_at})`);
  assert.equal(await page.locator('#opens_at').inputValue(), '2027-06-01T12:00');

  // A proposal with three problems: one summary, three links.
  await tabTo(page, '#proposal-submit');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.activeElement?.querySelector?.('h4'));
  const plinks = await page.$$eval('#proposal-form .error-summary a', (els) => els.map((e) => e.getAttribute('href')));
  assert.deepEqual(plinks, ['#prop-title', '#prop-summary', '#prop-amount']);
  assertClean(page);
  await page.context().close();
});

test('a wrong email or password marks both fields invalid and ties them to the message', { timeout: 60000 }, async () => {
  const page = await newPage(browser, { width: 360, height: 740 });
  await page.goto(url('console/index.html'));
  await page.getByLabel('Email address').fill(ORGANISER.email);
  await page.getByLabel('Password').fill('not the password');
  await page.getByLabel('Password').press('Enter');
  await page.locator('#sign-in-error').waitFor({ state: 'visible' });
  assert.equal((await active(page)).id, 'sign-in-error');
  for (const sel of ['#email', '#password']) {
    assert.equal(await page.locator(sel).getAttribute('aria-invalid'), 'true', `${sel} is marked invalid`);
    assert.match(await page.locator(sel).getAttribute('aria-describedby'), /sign-in-error/);
  }
  // The right password clears them.
  await page.getByLabel('Password').fill(ORGANISER.password);
  await page.getByLabel('Password').press('Enter');
  await page.locator('#sign-out').waitFor();
  assertClean(page);
  await page.context().close();
});

test('the console keeps a device token for the account and sends it with the next sign-in', { timeout: 60000 }, async () => {
  const page = await newPage(browser, { width: 360, height: 740 });
  const sent = [];
  page.on('request', (r) => { if (r.url().endsWith('/api/v1/auth/sign-in')) sent.push(r.postDataJSON()); });
  const stored = () => page.evaluate((email) => JSON.parse(localStorage.getItem('pbvote.devices') || '{}')[email] ?? null, ORGANISER.email);
  const signIn = async () => {
    await page.getByLabel('Email address').fill(ORGANISER.email);
    await page.getByLabel('Password').fill(ORGANISER.password);
    await page.getByLabel('Password').press('Enter');
    await page.locator('#sign-out').waitFor();
  };
  await page.goto(url('console/index.html'));
  // A stored token the server cannot read (changed by hand) is forgotten, and the sign-in works.
  await page.evaluate((email) => localStorage.setItem('pbvote.devices', JSON.stringify({ [email]: 'not a token' })), ORGANISER.email);
  await signIn();
  assert.deepEqual(sent.map((b) => b.device_token ?? null), ['not a token', null]);
  const first = await stored();
  assert.match(first, /^[0-9a-f]{64}$/, 'the device token is kept for this account');
  // Signing out keeps it; the next sign-in sends it and is given a new one.
  await page.locator('#sign-out').click();
  await page.getByLabel('Email address').waitFor();
  assert.equal(await stored(), first);
  await signIn();
  assert.equal(sent.at(-1).device_token, first);
  const second = await stored();
  assert.match(second, /^[0-9a-f]{64}$/);
  assert.notEqual(second, first, 'a new device token at each sign-in');
  assertClean(page);
  await page.context().close();
});

test('“Add proposal” and “Save proposal” confirm with the proposal’s title, not the consultation’s', { timeout: 90000 }, async () => {
  const id = await draft('Proposal titles');
  const page = await newPage(browser, { width: 1280, height: 900 });
  await useSession(page, ORGANISER);
  await page.goto(url(`console/consultation.html?c=${id}`));
  await page.locator('#proposal-form').waitFor();
  await page.locator('#prop-title').fill('Close the library on Mondays');
  await page.locator('#prop-summary').fill('The library would be closed every Monday.');
  await page.locator('#prop-amount').fill('250');
  await page.locator('#proposal-submit').click();
  await page.locator('#proposals-flash').waitFor();
  assert.equal((await page.locator('#proposals-flash').textContent()).trim(), 'Proposal “Close the library on Mondays” added.');
  await page.waitForFunction(() => document.getElementById('announcer')?.textContent.includes('added'));
  assert.equal(await page.locator('#announcer').textContent(), 'Proposal “Close the library on Mondays” added.');

  await page.locator('#proposals-list button', { hasText: 'Change' }).first().click();
  await page.locator('#prop-title').fill('Close the library on Mondays and Tuesdays');
  await page.locator('#proposal-submit').click();
  await page.locator('#proposals-flash').waitFor();
  assert.equal((await page.locator('#proposals-flash').textContent()).trim(), 'Proposal “Close the library on Mondays and Tuesdays” saved.');
  assertClean(page);
  await page.context().close();
});
