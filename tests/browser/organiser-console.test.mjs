// Scenario 2: an organiser builds a consultation in the console, opens it and makes voter codes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { launch, newPage, url, assertClean, signInPage, call, ok, BASE, ORGANISER } from './lib.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test('an organiser creates a consultation, opens it and makes voter codes, CSV and letters', { timeout: 180000 }, async () => {
  const page = await newPage(browser, { width: 1280, height: 900 });
  page.on('dialog', (d) => d.accept()); // the confirmations

  // Wrong password first: a clear message, no token.
  await page.goto(url('console/index.html'));
  await page.getByLabel('Email address').fill(ORGANISER.email);
  await page.getByLabel('Password').fill('not the password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('#sign-in-error').waitFor({ state: 'visible' });
  assert.match(await page.locator('#sign-in-error').textContent(), /email address or password is not right/);

  await signInPage(page, ORGANISER);
  assert.ok(await page.evaluate(() => sessionStorage.getItem('pbvote.token')), 'the token is kept in sessionStorage');
  assert.match(await page.locator('.console-bar').textContent(), new RegExp(`${ORGANISER.email.replace('.', '\\.')} \\(organiser\\)`));

  // Create a consultation: money typed in pounds.
  await page.locator('#create-link').click();
  const title = `Hillside budget ${Date.now()}`;
  await page.getByLabel('Title').fill(title);
  await page.getByLabel('Description').fill('The council must save money and can pay for a few new things.');
  await page.getByLabel('Savings target: how much must be saved').fill('800');
  await page.getByLabel('Budget for new spending').fill('300.50');
  await page.getByLabel('Overall budget (optional)').fill('2,100,000');
  await page.getByLabel('Areas residents can choose from (optional)').fill('North\nSouth\n');
  await page.getByRole('button', { name: 'Create consultation' }).click();
  await page.waitForURL(/console\/consultation\.html\?c=/);
  await page.locator('#top-flash').waitFor();
  const id = new URL(page.url()).searchParams.get('c');
  assert.equal(await page.locator('#phase').textContent(), 'Draft');

  // Services.
  await page.getByLabel('Short name for the service (optional)').fill('library');
  await page.getByLabel('Name of the service').fill('Library');
  await page.getByLabel('Description (optional)').first().fill('The town library on the high street.');
  await page.locator('#service-submit').click();
  await page.locator('#services-list > li[data-id="library"]').waitFor();
  await page.getByLabel('Name of the service').fill('Swimming pool');
  await page.locator('#service-submit').click();
  await page.locator('#services-list > li', { hasText: 'Swimming pool' }).waitFor();
  // Delete the pool again.
  await page.locator('#services-list > li', { hasText: 'Swimming pool' }).getByRole('button', { name: /Delete/ }).click();
  await page.locator('#services-flash', { hasText: 'deleted' }).waitFor();
  assert.equal(await page.locator('#services-list > li').count(), 1);

  // Proposals.
  async function addProposal({ kind, title: t, summary, amount, service }) {
    await page.locator(`#prop-kind-${kind}`).check();
    await page.locator('#prop-title').fill(t);
    await page.locator('#prop-summary').fill(summary);
    await page.locator('#prop-amount').fill(amount);
    await page.locator('#prop-service').selectOption(service || '');
    await page.locator('#proposal-submit').click();
    await page.locator('#proposals-list > li', { hasText: t }).waitFor();
  }
  await addProposal({ kind: 'saving', title: 'Close the library on Mondays', summary: 'The library would be closed every Monday.', amount: '250', service: 'library' });
  await addProposal({ kind: 'saving', title: 'Cut grass less often', summary: 'Grass would be cut once a month.', amount: '600' });
  await addProposal({ kind: 'development', title: 'New youth club', summary: 'A youth club open three evenings a week.', amount: '150.25' });
  await addProposal({ kind: 'development', title: 'A mistake', summary: 'To be deleted.', amount: '1' });
  await page.locator('#proposals-list > li', { hasText: 'A mistake' }).getByRole('button', { name: /Delete/ }).click();
  await page.locator('#proposals-flash', { hasText: 'deleted' }).waitFor();
  // Change one.
  await page.locator('#proposals-list > li', { hasText: 'Cut grass less often' }).getByRole('button', { name: /Change/ }).click();
  assert.equal(await page.locator('#prop-title').inputValue(), 'Cut grass less often');
  await page.locator('#prop-title').fill('Cut park grass monthly');
  await page.locator('#proposal-submit').click();
  await page.locator('#proposals-list > li', { hasText: 'Cut park grass monthly' }).waitFor();
  assert.equal(await page.locator('#proposals-list > li').count(), 3);

  // Everything reached the server in minor units.
  const token = await page.evaluate(() => sessionStorage.getItem('pbvote.token'));
  const c = await ok('GET', `/consultations/${id}`, { token });
  assert.equal(c.title, title);
  assert.deepEqual(c.budget, { overall_budget: 210000000, savings_target: 80000, development_budget: 30050 });
  assert.deepEqual(c.areas, ['North', 'South']);
  assert.equal(c.settings.rank_depth, 5);
  assert.deepEqual(c.services.map((s) => s.id), ['library']);
  const byTitle = Object.fromEntries(c.proposals.map((p) => [p.title, p]));
  assert.equal(byTitle['Close the library on Mondays'].amount, 25000);
  assert.equal(byTitle['Close the library on Mondays'].service, 'library');
  assert.equal(byTitle['Close the library on Mondays'].kind, 'saving');
  assert.equal(byTitle['Cut park grass monthly'].amount, 60000);
  assert.equal(byTitle['New youth club'].amount, 15025);
  assert.equal(byTitle['New youth club'].kind, 'development');

  // Open voting (after a confirmation).
  await page.locator('#open-button').click();
  await page.locator('#phase', { hasText: 'Open for votes' }).waitFor();
  assert.equal(await page.locator('#proposal-form').count(), 0, 'an open consultation cannot be edited');

  // Voter codes.
  await page.getByLabel('How many codes to make').fill('5');
  await page.locator('#generate-button').click();
  await page.locator('#codes-list li').first().waitFor();
  const codes = await page.$$eval('#codes-list li', (els) => els.map((e) => e.textContent.trim()));
  assert.equal(codes.length, 5);
  for (const code of codes) assert.match(code.replace(/[-\s]/g, ''), /^[A-Z0-9]{12}$/);
  assert.match(await page.locator('#new-codes').textContent(), /shown only once/);

  // CSV download, built in the page.
  const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#download-csv').click()]);
  assert.match(download.suggestedFilename(), /^voter-codes-.*\.csv$/);
  const csv = (await readFile(await download.path(), 'utf8')).trim().split(/\r?\n/);
  assert.equal(csv[0], 'code,ballot_url,short_link');
  assert.equal(csv.length, 6);
  const rows = csv.slice(1).map((l) => l.split(','));
  assert.deepEqual(rows.map((r) => r[0]), codes);
  const ballotUrl = rows[0][1];
  assert.ok(ballotUrl.length > 0, 'each row has the ballot address');
  assert.ok(rows.every((r) => r[1] === ballotUrl));
  const links = rows.map((r) => r[2]);
  assert.deepEqual(links, codes.map((c) => `${BASE}/go#${c.replace(/-/g, '')}`), 'and the code’s short link');

  // The printable letters: one per code, one per printed page, each with its short link and
  // a QR code of it instead of the long ballot address.
  await page.locator('#letters-link').click();
  await page.waitForURL(/letters\.html/);
  await page.locator('.letter img.letter-qr').first().waitFor();
  const letters = await page.$$eval('.letter', (els) => els.map((e) => ({ text: e.textContent, qr: e.querySelector('img.letter-qr')?.getAttribute('src') || '' })));
  assert.equal(letters.length, 5);
  letters.forEach(({ text, qr }, i) => {
    assert.ok(text.includes(codes[i]), 'the letter has its code');
    assert.ok(text.includes(title), 'the letter has the consultation title');
    assert.ok(text.includes(links[i]), 'the letter has its short link');
    assert.ok(!text.includes(ballotUrl), 'and not the long ballot address');
    assert.match(qr, /^data:image\/svg\+xml;base64,/, 'and a QR code drawn by the server');
  });
  // The short link (what the QR code holds) opens the ballot with the code filled in.
  const scanned = await newPage(browser, { width: 360, height: 740 });
  await scanned.goto(links[0]);
  await scanned.locator('#voter-code').waitFor();
  assert.equal(await scanned.locator('#voter-code').inputValue(), codes[0]);
  assertClean(scanned);
  await scanned.context().close();
  await page.emulateMedia({ media: 'print' });
  const printed = await page.evaluate(() => ({
    breaks: [...document.querySelectorAll('.letter')].map((e) => getComputedStyle(e).breakAfter),
    header: getComputedStyle(document.querySelector('.site-header')).display,
    button: getComputedStyle(document.querySelector('#print-letters')).display,
    codeSize: parseFloat(getComputedStyle(document.querySelector('.letter-code')).fontSize),
  }));
  assert.ok(printed.breaks.every((b) => b === 'page'), `each letter ends its page: ${printed.breaks}`);
  assert.equal(printed.header, 'none');
  assert.equal(printed.button, 'none');
  assert.ok(printed.codeSize >= 28, 'the code is in large type');
  await page.emulateMedia({ media: 'screen' });

  // A code from the batch works on the ballot.
  const vote = await call('POST', `/consultations/${id}/ballots`, { body: { voter_code: codes[0], want: [byTitle['New youth club'].id], dont_want: [], uses: ['library'], area: 'North' } });
  assert.equal(vote.status, 201, vote.text);

  // Sign out.
  await page.goto(url('console/index.html'));
  await page.locator('#sign-out').click();
  await page.getByRole('button', { name: 'Sign in' }).waitFor();
  assert.equal(await page.evaluate(() => sessionStorage.getItem('pbvote.token')), null);
  const after = await call('GET', '/auth/me', { token });
  assert.equal(after.status, 401, 'the token stops working after signing out');
  assertClean(page);
  await page.context().close();
});
