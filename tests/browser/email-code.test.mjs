// A resident with no letter asks for a voter code by e-mail on the ballot page, by keyboard,
// reads it from the mail (a local SMTP sink stands in for the mail server), and votes with it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, newPage, url, tabTo, active, assertClean, checkAxe, screenshot, signInApi, ok, workedExample, useSession, ORGANISER } from './lib.mjs';
import { startSink, codeIn } from './smtp-sink.mjs';

let browser;
let sink;
before(async () => {
  const port = Number(process.env.PBVOTE_SMTP_SINK_PORT);
  assert.ok(port > 0, 'run.sh sets PBVOTE_SMTP_SINK_PORT (and the server’s PBVOTE_SMTP_URL)');
  sink = await startSink(port);
  browser = await launch();
});
after(async () => { await browser?.close(); await sink?.close(); });

async function press(page, selector, key = 'Enter') {
  await tabTo(page, selector);
  await page.keyboard.press(key);
}

test('a resident asks for a code by e-mail by keyboard, gets one, and votes with it', { timeout: 180000 }, async () => {
  const token = await signInApi(ORGANISER);
  const id = await workedExample(token, { title: 'Codes by e-mail', phase: 'open' });
  const page = await newPage(browser, { width: 1280, height: 900 });

  // Off: the ballot page does not offer it.
  await page.goto(url(`vote.html?c=${id}`));
  await page.locator('[data-proposal]').first().waitFor();
  assert.equal(await page.locator('#email-section').count(), 0, 'no e-mail form while the consultation does not allow it');

  // The organiser turns it on in the console, by keyboard.
  const console_ = await newPage(browser, { width: 1280, height: 900 });
  await useSession(console_, ORGANISER);
  await console_.goto(url(`console/consultation.html?c=${id}`));
  await console_.locator('#self-registration').waitFor();
  assert.equal(await console_.locator('#self-registration').isChecked(), false);
  await tabTo(console_, '#self-registration');
  await console_.keyboard.press('Space');
  await press(console_, '#self-registration-save', 'Enter');
  await console_.waitForFunction(() => document.getElementById('self-registration-status')?.textContent === 'Setting saved.');
  await checkAxe(console_, 'console with the e-mail setting');
  assertClean(console_);
  await console_.close();
  assert.equal((await ok('GET', `/consultations/${id}`)).self_registration, true);

  await page.reload();
  await page.locator('#email-section').waitFor();
  assert.equal(await page.locator('#email-heading').textContent(), 'No code? Get one by e-mail');
  assert.equal(await page.locator('label[for="email"]').textContent(), 'Your e-mail address');
  await checkAxe(page, 'ballot with the e-mail form');

  // A wrong address: the error is tied to the field and focus goes back to it.
  await tabTo(page, '#email');
  await page.keyboard.type('ann.example.org');
  await page.keyboard.press('Enter');
  await page.locator('#email-error').waitFor({ state: 'visible' });
  let f = await active(page);
  assert.equal(f.id, 'email', 'focus stays on the field');
  assert.equal(await page.locator('#email').getAttribute('aria-invalid'), 'true');
  assert.match(await page.locator('#email').getAttribute('aria-describedby'), /email-error/);
  assert.match(await page.locator('#email-error').textContent(), /such as name@example\.org/);
  assert.equal(sink.mails.length, 0);

  // A good one, sent with the button.
  await page.keyboard.press('Control+A');
  await page.keyboard.type('Resident.One@Example.ORG');
  await press(page, '#email-button', 'Enter');
  await page.locator('#email-sent').waitFor({ state: 'visible' });
  f = await active(page);
  assert.equal(f.id, 'email-sent', 'focus moves to the confirmation, so a screen reader reads it');
  assert.match(await page.locator('#email-sent').textContent(), /We have e-mailed a voter code to Resident\.One@Example\.ORG/);
  assert.equal(await page.locator('#email').getAttribute('aria-invalid'), null);
  await checkAxe(page, 'code sent by e-mail');
  await screenshot(page, 'email-code-sent');
  for (let i = 0; i < 50 && !sink.mails.length; i++) await new Promise((r) => setTimeout(r, 100));
  assert.equal(sink.mails.length, 1);
  assert.deepEqual(sink.mails[0].to, ['Resident.One@example.org']);
  const code = codeIn(sink.mails[0]);
  assert.ok(code, 'the mail holds a voter code');

  // The same address again: told plainly, and no second mail.
  await tabTo(page, '#email');
  await page.keyboard.press('Control+A');
  await page.keyboard.type('resident.one@example.org');
  await page.keyboard.press('Enter');
  await page.locator('#email-error').waitFor({ state: 'visible' });
  assert.match(await page.locator('#email-error').textContent(), /already sent to this address/);
  assert.equal(sink.mails.length, 1);

  // Vote with the code from the mail, by keyboard.
  await press(page, 'button[data-action="want"][data-id="S2"]', 'Enter');
  await tabTo(page, '#voter-code');
  await page.keyboard.type(code);
  await press(page, '#review-button', 'Enter');
  await page.locator('#step-review').waitFor({ state: 'visible' });
  await press(page, '#send-button', 'Enter');
  await page.locator('#receipt-code').waitFor();
  assert.match((await page.locator('#receipt-code').textContent()).trim(), /^R-[A-Z0-9]{4}(-[A-Z0-9]{4}){3}$/);
  assertClean(page);
  await page.close();
});
