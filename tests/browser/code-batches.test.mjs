// Who made which codes (issue 16): the organiser asks for approval of late codes while the
// consultation is a draft; a batch made after opening waits; the commissioner sees it marked
// on the consultation page and approves it, by keyboard.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, newPage, url, assertClean, checkAxe, screenshot, useSession, signInApi, ok, tabTo, ORGANISER, COMMISSIONER } from './lib.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test('a late batch waits, marked, until a commissioner approves it on the consultation page', { timeout: 120000 }, async () => {
  const token = await signInApi(ORGANISER);
  const c = await ok('POST', '/consultations', { token, body: {
    title: `Late codes ${Date.now()}`,
    proposals: [{ id: 'S1', kind: 'saving', title: 'Close the library', amount: 100 }],
  } }, [201]);
  await ok('POST', `/consultations/${c.id}/voter-codes`, { token, body: { count: 3 } }, [201]);

  const organiser = await newPage(browser, { width: 1280, height: 900 });
  await useSession(organiser, ORGANISER);
  await organiser.goto(url(`console/consultation.html?c=${c.id}`));
  await organiser.locator('#approval-required').check();
  await organiser.locator('#approval-save').click();
  await organiser.locator('#approval-status', { hasText: 'saved' }).waitFor();
  await checkAxe(organiser, 'consultation page with code batches (draft)');
  await ok('POST', `/consultations/${c.id}/open`, { token });
  const late = await ok('POST', `/consultations/${c.id}/voter-codes`, { token, body: { count: 2 } }, [201]);
  assert.equal(late.batch.needs_approval, true);

  const page = await newPage(browser, { width: 360, height: 740 });
  await useSession(page, COMMISSIONER);
  await page.goto(url(`console/consultation.html?c=${c.id}`));
  const row = page.locator(`#batches-table tr[data-batch="${late.batch.id}"]`);
  await row.waitFor();
  assert.match(await row.textContent(), /Made after voting opened/);
  assert.match(await row.textContent(), /Waiting for a commissioner’s approval/);
  assert.match(await page.locator('#code-batches').textContent(), /2 codes are waiting/);
  await checkAxe(page, 'consultation page: a batch waiting for approval');
  await screenshot(page, 'console-code-batches-waiting');
  await tabTo(page, `button[data-batch="${late.batch.id}"]`);
  await page.keyboard.press('Enter');
  await row.filter({ hasText: 'Approved by' }).waitFor();
  await screenshot(page, 'console-code-batches-approved');
  assertClean(page);
  assertClean(organiser);
  await page.context().close();
  await organiser.context().close();
});
