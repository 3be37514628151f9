// Verified service users (issue 16): the organiser makes service-user codes for the day
// centre on the consultation page; a resident on a phone gives one beside their voter code,
// by keyboard (a wrong one first: the error is on that field); the commissioner sees
// declared, verified and counted users side by side on the results page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, newPage, url, tabTo, active, assertClean, checkAxe, screenshot, useSession, signInApi, ok, ORGANISER, COMMISSIONER } from './lib.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test('service-user codes are made, given with a vote, and shown beside declared users', { timeout: 180000 }, async () => {
  const token = await signInApi(ORGANISER);
  const c = await ok('POST', '/consultations', { token, body: {
    title: `Service users ${Date.now()}`,
    budget: { savings_target: 100 },
    settings: { min_group: 5, service_users: 'verified' },
    services: [{ id: 'day-centre', name: 'Day centre' }],
    proposals: [
      { id: 'S1', kind: 'saving', title: 'Close the day centre', amount: 100, service: 'day-centre' },
      { id: 'S2', kind: 'saving', title: 'Cut park grass monthly', amount: 100 },
    ],
  } }, [201]);
  const letters = (await ok('POST', `/consultations/${c.id}/voter-codes`, { token, body: { count: 7 } }, [201])).codes;

  // The organiser makes 5 service-user codes for the day centre on the consultation page.
  const organiser = await newPage(browser, { width: 1280, height: 900 });
  await useSession(organiser, ORGANISER);
  await organiser.goto(url(`console/consultation.html?c=${c.id}`));
  await organiser.locator('#code-kind').waitFor();
  await tabTo(organiser, '#code-kind');
  await organiser.keyboard.press('ArrowDown'); // "Service-user codes for Day centre"
  assert.equal(await organiser.locator('#code-kind').inputValue(), 'day-centre');
  await tabTo(organiser, '#code-count');
  await organiser.keyboard.press('Control+A');
  await organiser.keyboard.type('5');
  await organiser.keyboard.press('Enter');
  const heading = organiser.locator('#new-codes-heading');
  await heading.waitFor();
  assert.match(await heading.textContent(), /service-user codes for Day centre \(5\)/);
  assert.equal(await organiser.locator('#letters-link').count(), 0, 'no voting letters for service-user codes');
  const cards = await organiser.$$eval('#codes-list li', (els) => els.map((e) => e.textContent.trim()));
  assert.equal(cards.length, 5);
  await organiser.locator('#batches-table tr', { hasText: 'Service-user codes for Day centre' }).waitFor();
  await checkAxe(organiser, 'consultation page with service-user codes');
  await screenshot(organiser, 'console-service-user-codes');
  await ok('POST', `/consultations/${c.id}/open`, { token });

  // Four users vote through the API with their codes; two others only tick the day centre.
  for (let i = 0; i < 4; i++) {
    await ok('POST', `/consultations/${c.id}/ballots`, { body: { voter_code: letters[i], dont_want: ['S1'], service_user_code: cards[i] } }, [201]);
  }
  for (const letter of letters.slice(5, 7)) {
    await ok('POST', `/consultations/${c.id}/ballots`, { body: { voter_code: letter, want: ['S1'], uses: ['day-centre'] } }, [201]);
  }

  // The fifth, on a phone, by keyboard.
  const page = await newPage(browser, { width: 360, height: 740 });
  await page.goto(url(`vote.html?c=${c.id}`));
  await page.locator('[data-proposal]').first().waitFor();
  await page.locator('#service-user-code').waitFor();
  assert.match(await page.locator('#uses-hint').textContent(), /only people with a service-user code/);
  await tabTo(page, 'button[data-action="dont"][data-id="S1"]');
  await page.keyboard.press('Enter');
  await tabTo(page, '#service-user-code');
  await page.keyboard.type(letters[6]); // a voter code in the wrong box
  await tabTo(page, '#voter-code');
  await page.keyboard.type(letters[4]);
  await page.keyboard.press('Enter');
  await page.locator('#step-review h2').waitFor({ state: 'visible' });
  assert.match(await page.locator('#step-review').textContent(), /Your service-user code/);
  await tabTo(page, '#send-button');
  await page.keyboard.press('Enter');
  await page.locator('#service-user-code-error').waitFor({ state: 'visible' });
  assert.match(await page.locator('#service-user-code-error').textContent(), /not a service-user code/);
  assert.equal((await active(page)).id, 'service-user-code', 'focus moves to the service-user code field');
  assert.match(await page.locator('#service-user-code').getAttribute('aria-describedby'), /service-user-code-error/);
  await checkAxe(page, 'ballot with a service-user code error');
  await page.keyboard.press('Control+A');
  await page.keyboard.press('Backspace');
  await page.keyboard.type(cards[4].toLowerCase());
  await page.keyboard.press('Enter');
  await page.locator('#step-review h2').waitFor({ state: 'visible' });
  await tabTo(page, '#send-button');
  await page.keyboard.press('Enter');
  await page.locator('#receipt-code').waitFor();
  await screenshot(page, 'ballot-service-user-code-sent');

  // Close; the commissioner reads the users side by side.
  await ok('POST', `/consultations/${c.id}/close`, { token });
  const results = await newPage(browser, { width: 1280, height: 900 });
  await useSession(results, COMMISSIONER);
  await results.goto(url(`results.html?c=${c.id}`));
  const row = results.locator('#service-users-table tr[data-service="day-centre"]');
  await row.waitFor();
  const cells = await row.locator('td').allTextContents();
  assert.deepEqual(cells, ['fewer than 5', '5', '5'], 'declared (2, shown as fewer than 5), verified 5, counted 5');
  assert.match(await results.locator('#service-users').textContent(), /Only people who gave a service-user code/);
  await checkAxe(results, 'results with service users');
  await screenshot(results, 'results-service-users');
  for (const p of [organiser, page, results]) {
    assertClean(p);
    await p.context().close();
  }
});
