// Scenario 3: a commissioner sees a result in which protecting the users of a service changed the outcome
// (the worked example of the counting rule, built through the API with 100 real ballots).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { launch, newPage, url, assertClean, signInPage, useSession, signInApi, workedExample, ok, ORGANISER, COMMISSIONER } from './lib.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const text = async (loc) => (await loc.innerText()).replace(/\s+/g, ' ').trim();

test('a commissioner sees S1 protected and not adopted, where the plain count adopted it', { timeout: 240000 }, async () => {
  const orgToken = await signInApi(ORGANISER);
  const id = await workedExample(orgToken, { title: `Riverside worked example ${Date.now()}`, phase: 'closed' });

  // Not public yet: the public sees a clear message.
  const pub = await newPage(browser, { width: 360, height: 740 });
  await pub.goto(url(`results.html?c=${id}`));
  await pub.locator('.notice').first().waitFor();
  assert.match(await text(pub.locator('main')), /not public yet/);

  // The commissioner signs in on the console and opens the results.
  const page = await newPage(browser, { width: 1280, height: 900 });
  page.on('dialog', (d) => d.accept());
  await signInPage(page, COMMISSIONER);
  await page.goto(url(`results.html?c=${id}`));
  await page.locator('#result-S1').waitFor();

  const s1 = page.locator('#result-S1');
  assert.match(await text(s1), /Close the day centre/);
  assert.match(await text(s1.locator('.tag--protected')), /Protected/);
  assert.match(await text(s1.locator('.outcome-result')), /Result \(with protection\): Not agreed/);
  assert.match(await text(s1.locator('.outcome-plain')), /Simple majority count: Agreed/);
  // Its users' extra say already put its score below zero: the card does not credit the veto alone.
  assert.match(await text(s1.locator('.changed-note')), /^The simple majority count agreed it\. With its users’ extra say its score is −30, so it would not have been agreed even if it were not protected\.$/);
  assert.doesNotMatch(await text(s1), /Protection changed the outcome/);
  const why = await text(s1.locator('.protected-note'));
  assert.ok(why.length > 'Protected:'.length + 5, `the protected cut shows its reason: ${why}`);
  // Scores side by side: −30 with protection, 50 by simple majority; the negative bar is left of zero.
  const labels = await s1.locator('.chart__label').allTextContents();
  assert.match(labels[0].replace(/\s+/g, ' '), /Score with protection\s*−30/);
  assert.match(labels[1].replace(/\s+/g, ' '), /Simple majority score\s*50/);
  const bar = await s1.locator('.chart__bar--protected').evaluate((e) => {
    const r = e.getBoundingClientRect();
    const z = e.parentElement.querySelector('.chart__zero').getBoundingClientRect();
    return { right: r.right, zero: z.left + z.width / 2 };
  });
  assert.ok(bar.right <= bar.zero + 1, 'a negative score is drawn to the left of the zero line');
  assert.match(await text(s1), /10 people said they or someone they care for use Day centre; on this proposal each of their votes counted 9 times/);

  // S3 and S2 are adopted instead; the target is still met; D1 fits the budget.
  for (const pid of ['S3', 'S2', 'D1']) {
    assert.match(await text(page.locator(`#result-${pid} .outcome-result`)), /: Agreed/, `${pid} agreed`);
  }
  assert.match(await text(page.locator('#result-S2 .outcome-plain')), /Not agreed/);
  const savingsOrder = await page.$$eval('#savings-results > li', (els) => els.map((e) => e.dataset.proposal));
  assert.deepEqual(savingsOrder, ['S3', 'S2', 'S1']);
  const summary = await text(page.locator('main'));
  assert.match(summary, /Votes counted 100/);
  assert.match(summary, /Target: save £800\./);
  assert.match(summary, /Savings agreed: £900\./);
  assert.match(summary, /Target met/);
  assert.match(summary, /A simple majority count would have agreed £1,200 of savings/);
  assert.match(summary, /Spent £300 of £300\./);
  assert.match(summary, /1 cut is protected/);
  assert.match(summary, /How the count works/);
  assert.match(summary, /100 of 100 voter codes used/);

  // Anyone can recount: the export downloads as JSON with every counted ballot.
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: /Download every counted vote/ }).click()]);
  const exported = JSON.parse(await readFile(await download.path(), 'utf8'));
  assert.equal(exported.ballots.length, 100);
  assert.equal(exported.config.rank_depth, 3);

  // The commissioner publishes from the console; then anyone can see the results.
  await page.goto(url(`console/consultation.html?c=${id}`));
  await page.locator('#publish-button').click();
  await page.locator('#phase', { hasText: 'Results published' }).waitFor();
  await pub.reload();
  await pub.locator('#result-S1').waitFor();
  assert.match(await text(pub.locator('#result-S1 .outcome-result')), /Not agreed/);
  assert.match(await text(pub.locator('main')), /These are the published results/);
  assertClean(page);
  assertClean(pub);
  await page.context().close();
  await pub.context().close();
});

test('while voting is open, nobody sees results: staff see the turnout in steps; the export comes once voting closes', { timeout: 120000 }, async () => {
  const orgToken = await signInApi(ORGANISER);
  const id = await workedExample(orgToken, { title: `Still open ${Date.now()}`, phase: 'open' });
  // Seven of ten residents vote.
  const { codes } = await ok('POST', `/consultations/${id}/voter-codes`, { token: orgToken, body: { count: 10 } }, [201]);
  for (const code of codes.slice(0, 7)) await ok('POST', `/consultations/${id}/ballots`, { body: { voter_code: code, want: ['S3'] } }, [201]);
  const page = await newPage(browser, { width: 360, height: 740 });
  await useSession(page, COMMISSIONER);

  // No result while voting is open, for staff too: the reason, and the turnout in steps of min_group (5).
  await page.goto(url(`results.html?c=${id}`));
  await page.locator('#not-yet').waitFor();
  assert.match(await text(page.locator('#not-yet')), /Results are counted when voting closes/);
  await page.locator('#turnout').waitFor();
  assert.equal(await text(page.locator('#turnout')),
    'At least 5 of 10 voter codes have been used so far. While voting is open this number goes up in steps of 5, so that nobody can tell when one person voted.');
  assert.equal(await page.locator('#result-S1').count(), 0, 'no result card while voting is open');
  page.errors = page.errors.filter((e) => !/status of 409/.test(e));
  assertClean(page);

  // Closed: the result and the export, with a note on what the file leaves out; if the server
  // still says wrong-phase for the file, the reason is plain.
  await ok('POST', `/consultations/${id}/close`, { token: orgToken });
  await page.reload();
  await page.locator('#result-S1').waitFor();
  assert.match(await text(page.locator('#export-privacy')), /No ballot in this file can be picked out by its area, channel or services/);
  await page.route(`**/api/v1/consultations/${id}/export`, (route) => route.fulfill({ status: 409, contentType: 'application/problem+json',
    body: JSON.stringify({ type: 'urn:pbvote:problem:wrong-phase', title: 'Not in this phase', status: 409, detail: 'consultation is in phase open' }) }));
  await page.locator('#export-button').waitFor();
  assert.equal(await page.locator('#export-later').count(), 0);
  await page.locator('#export-button').click();
  await page.locator('#export-error').waitFor({ state: 'visible' });
  assert.match(await text(page.locator('#export-error')), /once voting has closed/);
  page.errors = page.errors.filter((e) => !/status of 409/.test(e));
  assertClean(page);
  await page.context().close();
});
