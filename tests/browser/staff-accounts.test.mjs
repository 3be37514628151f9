// Accounts from the console (issue 16): the admin invites an officer; the officer opens the
// one-time link, sets a password, signs in, turns on two-step sign-in with the key the page
// shows (the app's code is computed here, RFC 6238), and signs in again with password and
// code. Every page is checked with axe and photographed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { launch, newPage, url, assertClean, checkAxe, screenshot, signInPage, active, ADMIN } from './lib.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

/** Base32 (RFC 4648, no padding) to bytes. */
function base32(text) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of text.replace(/=+$/, '').toUpperCase()) {
    const v = alphabet.indexOf(c);
    assert.ok(v >= 0, `not base32: ${c}`);
    bits += v.toString(2).padStart(5, '0');
  }
  const bytes = [];
  for (let i = 0; i + 8 <= bits.length; i += 8) bytes.push(parseInt(bits.slice(i, i + 8), 2));
  return Buffer.from(bytes);
}

/** The code an authenticator app shows now (RFC 6238: SHA-1, 30 s, 6 digits). */
function totpNow(secret) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 1000 / 30)));
  const mac = createHmac('sha1', base32(secret)).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const n = (mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000;
  return String(n).padStart(6, '0');
}

test('RFC 6238 test vector, so the codes below are an app’s codes', () => {
  // The RFC's SHA-1 secret "12345678901234567890" at T = 59 s gives 94287082 (8 digits): the
  // last 6 are 287082.
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(1n);
  const mac = createHmac('sha1', Buffer.from('12345678901234567890')).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  assert.equal((mac.readUInt32BE(offset) & 0x7fffffff) % 100_000_000, 94287082);
});

test('an admin invites an officer, who sets a password and signs in with two-step sign-in', { timeout: 180000 }, async () => {
  const officer = { email: `new-officer-${Date.now()}@example.test`, password: 'the officer’s own long password' };

  // The admin's console.
  const admin = await newPage(browser, { width: 1280, height: 900 });
  await signInPage(admin, ADMIN);
  await admin.locator('#accounts-link').click();
  await admin.locator('#accounts-table tbody tr').first().waitFor();
  await checkAxe(admin, 'staff accounts');
  await screenshot(admin, 'console-accounts');
  // Invite, by keyboard: the form's fields in order, then Enter.
  await admin.locator('#invite-email').focus();
  await admin.keyboard.type(officer.email);
  await admin.keyboard.press('Tab');
  assert.equal((await active(admin)).id, 'invite-role');
  await admin.locator('#invite-role').selectOption('officer');
  await admin.locator('#invite-email').press('Enter');
  await admin.locator('#invite-link').waitFor();
  assert.equal((await active(admin)).id, 'link-heading', 'focus moves to the link');
  const link = await admin.locator('#invite-link').inputValue();
  assert.match(link, /\/console\/welcome\.html#[0-9a-f]{64}$/);
  await admin.locator(`#accounts-table tr[data-email="${officer.email}"]`).waitFor();
  assert.match(await admin.locator(`#accounts-table tr[data-email="${officer.email}"]`).textContent(), /Invited, no password yet/);
  await checkAxe(admin, 'staff accounts with a new link');
  await screenshot(admin, 'console-accounts-invited');

  // The officer opens the link (a browser of their own).
  const page = await newPage(browser, { width: 360, height: 740 });
  await page.goto(link);
  await page.locator('#welcome-form').waitFor();
  assert.ok(!page.url().includes('#'), 'the token is cleared from the address bar');
  assert.match(await page.locator('main').textContent(), new RegExp(officer.email.replace(/[.]/g, '\\.')));
  await checkAxe(page, 'set your password');
  await screenshot(page, 'console-welcome');
  await page.getByLabel('New password', { exact: true }).fill(officer.password);
  await page.getByLabel('Type the new password again').fill('something else entirely');
  await page.locator('#save-password').click();
  assert.match(await page.locator('#new-password-again-error').textContent(), /different/);
  await page.getByLabel('Type the new password again').fill(officer.password);
  await page.locator('#save-password').click();
  await page.locator('#go-sign-in').waitFor();
  await screenshot(page, 'console-welcome-done');
  // The link works once. (From another page: the same address with only a new # would not load.)
  await page.goto(url('index.html'));
  await page.goto(link);
  await page.locator('#welcome-message').waitFor();
  assert.match(await page.locator('#welcome-message').textContent(), /does not work any more/);

  // Sign in, and turn on two-step sign-in.
  await signInPage(page, officer);
  await page.locator('#two-step-link').click();
  await page.locator('#start-two-step').click();
  await page.locator('#totp-secret').waitFor();
  const secret = await page.locator('#totp-secret').inputValue();
  // A QR code of the setup address for the app's camera, described for screen readers.
  assert.match(await page.locator('#totp-qr').getAttribute('src'), /^data:image\/svg\+xml;base64,/);
  assert.match(await page.locator('#totp-qr').getAttribute('alt'), /type the key below/);
  assert.ok(await page.locator('#totp-qr').evaluate((img) => img.complete && img.naturalWidth > 0), 'the QR code draws');
  assert.match(secret, /^[A-Z2-7]{32}$/);
  assert.equal((await active(page)).id, 'totp-code', 'focus is on the code field');
  await checkAxe(page, 'two-step set-up');
  await screenshot(page, 'console-two-step');
  await page.keyboard.type(totpNow(secret));
  await page.keyboard.press('Enter');
  await page.locator('#two-step-result .notice--success').waitFor();
  await page.locator('#sign-out').click();

  // Signing in now asks for the app's code after the password.
  await page.locator('#sign-in-form').waitFor();
  await page.getByLabel('Email address').fill(officer.email);
  await page.getByLabel('Password').fill(officer.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('#totp').waitFor({ state: 'visible' });
  assert.equal((await active(page)).id, 'totp', 'focus moves to the code');
  await checkAxe(page, 'sign in: the app’s code');
  await screenshot(page, 'console-sign-in-code');
  await page.keyboard.type('000000' === totpNow(secret) ? '111111' : '000000');
  await page.keyboard.press('Enter');
  await page.locator('#totp-error:not([hidden])').waitFor();
  assert.match(await page.locator('#totp-error').textContent(), /not right/);
  await page.locator('#totp').fill(totpNow(secret));
  await page.keyboard.press('Enter');
  await page.locator('#sign-out').waitFor();
  assert.match(await page.locator('.console-bar').textContent(), /officer/);

  // The admin sees it.
  await admin.reload();
  await admin.locator(`#accounts-table tr[data-email="${officer.email}"]`).waitFor();
  assert.match(await admin.locator(`#accounts-table tr[data-email="${officer.email}"]`).textContent(), /two-step sign-in on/);
  // And the audit record page lists the steps.
  await admin.goto(url('console/audit.html'));
  await admin.locator('#audit-table tbody tr').first().waitFor();
  const audit = await admin.locator('#audit-table').textContent();
  for (const action of ['account.invite', 'account.password-set', 'account.totp-on']) assert.ok(audit.includes(action), `the audit page shows ${action}`);
  await admin.locator('#check-audit').click();
  await admin.locator('#check-result .notice--success').waitFor();
  await checkAxe(admin, 'audit record');
  await screenshot(admin, 'console-audit');
  assertClean(admin);
  assertClean(page);
  await admin.context().close();
  await page.context().close();
});
