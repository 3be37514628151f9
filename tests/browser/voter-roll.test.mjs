// A voter roll from the console (issue 16): a file with bad rows is refused line by line,
// nothing imported; the corrected file is checked, imported, and its letters printed with
// each person's name and address; one person's code is revoked and replaced.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, newPage, url, assertClean, checkAxe, screenshot, useSession, signInApi, ok, ORGANISER } from './lib.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const file = (text) => ({ name: 'roll.csv', mimeType: 'text/csv', buffer: Buffer.from(text) });

test('an organiser imports a roll, prints its letters and replaces one code', { timeout: 120000 }, async () => {
  const token = await signInApi(ORGANISER);
  const c = await ok('POST', '/consultations', { token, body: {
    title: `Roll ${Date.now()}`, areas: ['North', 'South'],
    proposals: [{ id: 'S1', kind: 'saving', title: 'Close the library', amount: 100 }],
  } }, [201]);
  const page = await newPage(browser, { width: 1280, height: 900 });
  await useSession(page, ORGANISER);
  await page.goto(url(`console/consultation.html?c=${c.id}`));
  await page.locator('#roll-link').click();
  await page.locator('#roll-form').waitFor();
  await checkAxe(page, 'voter roll');

  await page.locator('#roll-file').setInputFiles(file('name,address,reference,area\nAnn Jones,1 High St,R1,North\n,2 Low St,R2,North\nBo Li,3 Mill Lane,R3,East\n'));
  await page.locator('#check-roll').click();
  await page.locator('#roll-result table').waitFor();
  const problems = await page.locator('#roll-result').textContent();
  assert.match(problems, /2 rows cannot be imported/);
  assert.match(problems, /3.*name/);
  assert.match(problems, /4.*East/);
  assert.equal(await page.locator('#import-roll').count(), 0, 'no import while a row is wrong');
  await checkAxe(page, 'voter roll with problems');
  await screenshot(page, 'console-roll-problems');

  await page.locator('#roll-file').setInputFiles(file('name,address,reference,area\nAnn Jones,"1 High St, Riverside",R1,North\nBo Li,3 Mill Lane,R3,South\n'));
  await page.locator('#check-roll').click();
  await page.locator('#import-roll').click();
  await page.locator('#roll-done').waitFor();
  await screenshot(page, 'console-roll-imported');
  await page.locator('#print-roll-letters').click();
  await page.locator('.letter').nth(1).waitFor();
  const letters = await page.locator('#letters').textContent();
  assert.match(letters, /Ann Jones/);
  assert.match(letters, /Riverside/);
  assert.match(letters, /Bo Li/);
  await checkAxe(page, 'roll letters');
  await screenshot(page, 'console-roll-letters');

  await page.goto(url(`console/roll.html?c=${c.id}`));
  await page.locator('#revoke-reference').fill('R3');
  await page.locator('#revoke-reason').fill('Letter returned: moved away');
  await page.locator('#revoke-button').click();
  await page.locator('#revoke-result #roll-done').waitFor();
  assert.match(await page.locator('#revoke-result').textContent(), /Bo Li is revoked.*new code is [A-Z0-9]{4}-/);
  await checkAxe(page, 'voter roll after a revocation');
  assertClean(page);
  await page.context().close();
});
