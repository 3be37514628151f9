// Scenario 1: a resident votes on the demo consultation using the keyboard only.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, newPage, url, tabTo, active, assertClean, demoId, demoCode, signInApi, ok, workedExample, ORGANISER } from './lib.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const wantOrder = (page) => page.$$eval('#want-list li[data-id]', (els) => els.map((e) => e.dataset.id));
const dontOrder = (page) => page.$$eval('#dont-list li[data-id]', (els) => els.map((e) => e.dataset.id));
const announced = (page, text) => page.waitForFunction((t) => document.getElementById('announcer')?.textContent.includes(t), text);

/** Focus a control with Tab / Shift+Tab and press it with Enter or Space. */
async function press(page, selector, key = 'Enter') {
  await tabTo(page, selector);
  await page.keyboard.press(key);
}

test('a resident builds want and don’t-want lists, reviews and votes by keyboard only', { timeout: 180000 }, async () => {
  const id = await demoId();
  const token = await signInApi(ORGANISER);
  const code = await demoCode(token);
  const page = await newPage(browser, { width: 1280, height: 900 });
  await page.goto(url(`vote.html?c=${id}`));
  await page.locator('[data-proposal]').first().waitFor();

  // Budget context in plain English.
  const sentence = await page.locator('#budget-sentence').textContent();
  assert.match(sentence, /The council (must save £[\d,]+(\.\d\d)?\.|does not have a set amount)/);

  // Read the ballot (reading is not interacting).
  const cards = await page.$$eval('[data-proposal]', (els) => els.map((e) => ({ id: e.dataset.proposal, title: e.querySelector('h3').textContent, saving: !!e.querySelector('.tag--saving') })));
  const savings = cards.filter((c) => c.saving);
  const devs = cards.filter((c) => !c.saving);
  assert.ok(savings.length >= 3, 'the demo needs at least 3 savings');
  assert.ok(devs.length >= 1, 'the demo needs at least 1 development');
  const [a, b, c] = savings;
  const d = devs[0];

  // Start from the top: the skip link is the first thing Tab reaches.
  await page.keyboard.press('Tab');
  assert.equal((await active(page)).text, 'Skip to main content');

  // Want: a, d, b (Enter and Space both work).
  await press(page, `button[data-action="want"][data-id="${a.id}"]`, 'Enter');
  await announced(page, `${a.title} added to your want list at position 1 of 1`);
  let f = await active(page);
  assert.equal(f.data.action, 'want', 'focus stays on the button that was pressed');
  assert.match(f.text, /^Remove from want/);
  await press(page, `button[data-action="want"][data-id="${d.id}"]`, ' ');
  await press(page, `button[data-action="want"][data-id="${b.id}"]`, 'Enter');
  assert.deepEqual(await wantOrder(page), [a.id, d.id, b.id]);
  // Don't want: c.
  await press(page, `button[data-action="dont"][data-id="${c.id}"]`, 'Enter');
  assert.deepEqual(await dontOrder(page), [c.id]);
  // A proposal can't be in both lists: adding b to don't want moves it over, then back.
  await press(page, `button[data-action="dont"][data-id="${b.id}"]`, 'Enter');
  await announced(page, `${b.title} moved from your want list to your don’t want list`);
  assert.deepEqual(await wantOrder(page), [a.id, d.id]);
  assert.deepEqual(await dontOrder(page), [c.id, b.id]);
  await press(page, `button[data-action="want"][data-id="${b.id}"]`, 'Enter');
  assert.deepEqual(await wantOrder(page), [a.id, d.id, b.id]);
  assert.deepEqual(await dontOrder(page), [c.id]);

  // Move b up in the want list: focus stays on b's "Move up" button, and the move is announced.
  await press(page, `#want-list button[data-action="up"][data-id="${b.id}"]`, 'Enter');
  assert.deepEqual(await wantOrder(page), [a.id, b.id, d.id]);
  await announced(page, `${b.title} moved to position 2 of 3 in your want list`);
  f = await active(page);
  assert.equal(f.data.id, b.id);
  assert.equal(f.data.action, 'up');
  // Once more with Space: b goes to the top.
  await page.keyboard.press(' ');
  assert.deepEqual(await wantOrder(page), [b.id, a.id, d.id]);
  await announced(page, `${b.title} moved to position 1 of 3 in your want list`);
  // And down again.
  await press(page, `#want-list button[data-action="down"][data-id="${b.id}"]`, 'Enter');
  assert.deepEqual(await wantOrder(page), [a.id, b.id, d.id]);

  // The card says where a proposal is.
  assert.match(await page.locator(`[data-proposal="${b.id}"] .card__status`).textContent(), /want list: number 2 of 3/);

  // Services used: tick the first one (the day centre when there is one) with Space.
  const boxes = await page.$$eval('input[name="uses"]', (els) => els.map((e) => e.value));
  let used = null;
  if (boxes.length) {
    used = boxes.find((v) => /day/i.test(v)) || boxes[0];
    await press(page, `input[name="uses"][value="${used}"]`, ' ');
    assert.equal(await page.locator(`input[name="uses"][value="${used}"]`).isChecked(), true);
  }
  // Area, if the consultation lists areas: arrow keys on the select.
  if (await page.locator('#area').count()) {
    await tabTo(page, '#area');
    await page.keyboard.press('ArrowDown');
    assert.notEqual(await page.locator('#area').inputValue(), '');
  }

  // The draft survives a reload.
  await page.reload();
  await page.locator('#want-list li[data-id]').first().waitFor();
  assert.deepEqual(await wantOrder(page), [a.id, b.id, d.id]);
  assert.deepEqual(await dontOrder(page), [c.id]);
  if (used) assert.equal(await page.locator(`input[name="uses"][value="${used}"]`).isChecked(), true);

  // A wrong voter code: the error shows next to the code field, focus goes there, the lists stay.
  await tabTo(page, '#voter-code');
  await page.keyboard.type('AAAA-BBBB-CCCC');
  await page.keyboard.press('Enter'); // submits the form: the review step
  await page.locator('#step-review h2').waitFor();
  assert.match(await page.locator('#step-review').textContent(), new RegExp(a.title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  await press(page, '#send-button', 'Enter');
  await page.locator('#voter-code-error').waitFor({ state: 'visible' });
  assert.match(await page.locator('#voter-code-error').textContent(), /don’t recognise this voter code/);
  f = await active(page);
  assert.equal(f.id, 'voter-code', 'focus moves to the code field');
  assert.equal(await page.locator('#voter-code').getAttribute('aria-invalid'), 'true');
  assert.match(await page.locator('#voter-code').getAttribute('aria-describedby'), /voter-code-error/);
  assert.equal(await page.locator('#voter-code').inputValue(), 'AAAA-BBBB-CCCC', 'typed input is kept');
  assert.deepEqual(await wantOrder(page), [a.id, b.id, d.id], 'the want list is kept');
  assert.deepEqual(await dontOrder(page), [c.id], 'the don’t want list is kept');

  // The right code, typed in small letters with spaces.
  await page.keyboard.press('Control+A');
  await page.keyboard.press('Backspace');
  await page.keyboard.type(code.toLowerCase().replace(/-/g, ' '));
  await page.keyboard.press('Enter');
  await page.locator('#step-review h2').waitFor({ state: 'visible' });
  assert.equal((await active(page)).tag, 'H2', 'focus moves to the review heading');
  const review = await page.locator('#step-review').textContent();
  for (const p of [a, b, c, d]) assert.ok(review.includes(p.title), `the review lists ${p.title}`);
  await press(page, '#send-button', 'Enter');
  await page.locator('#receipt-code').waitFor();
  const receipt = (await page.locator('#receipt-code').textContent()).trim();
  assert.match(receipt, /^R-[A-Z0-9]{4}(-[A-Z0-9]{4}){3}$/);
  assert.match(await page.locator('#step-done').textContent(), /Keep this receipt/);
  assert.equal(await page.locator('#print-button').isVisible(), true);
  assert.equal(await page.evaluate((k) => sessionStorage.getItem(k), `pbvote.draft.${id}`), null, 'the draft is cleared after voting');

  // Check the receipt, still by keyboard.
  await press(page, 'a[href^="receipt.html?r="]', 'Enter');
  await page.locator('#receipt-result h2').waitFor();
  assert.match(await page.locator('#receipt-result').textContent(), /Your vote arrived/);
  assert.match(await page.locator('#receipt-result').textContent(), new RegExp(receipt));
  assertClean(page);
  await page.context().close();
});

test('the ballot enforces the list length with a clear message', { timeout: 60000 }, async () => {
  const id = await demoId();
  const page = await newPage(browser, { width: 360, height: 740 });
  await page.goto(url(`vote.html?c=${id}`));
  await page.locator('[data-proposal]').first().waitFor();
  const ids = await page.$$eval('[data-proposal]', (els) => els.map((e) => e.dataset.proposal));
  const depth = Number((await page.locator('#want-count').textContent()).match(/of (\d+)/)[1]);
  if (ids.length <= depth) return; // not enough proposals to overfill the list
  for (const pid of ids.slice(0, depth)) await press(page, `button[data-action="want"][data-id="${pid}"]`, 'Enter');
  const extra = ids[depth];
  await press(page, `button[data-action="want"][data-id="${extra}"]`, 'Enter');
  assert.equal((await page.$$('#want-list li[data-id]')).length, depth);
  assert.match(await page.locator(`[data-proposal="${extra}"] .field-error`).textContent(), new RegExp(`Your want list is full: you can choose up to ${depth}`));
  await announced(page, 'Your want list is full');
  // Removing from the list puts focus on a sensible place.
  await press(page, `#want-list button[data-action="remove"][data-id="${ids[0]}"]`, 'Enter');
  const f = await active(page);
  assert.equal(f.data.action, 'remove');
  assert.equal(f.data.id, ids[1]);
  assertClean(page);
  await page.context().close();
});

test('a ballot sent after voting closed says so and keeps the choices', { timeout: 60000 }, async () => {
  const token = await signInApi(ORGANISER);
  const id = await workedExample(token, { title: `Closes while voting ${Date.now()}`, phase: 'open' });
  const { codes } = await ok('POST', `/consultations/${id}/voter-codes`, { token, body: { count: 1 } }, [201]);
  const page = await newPage(browser, { width: 360, height: 740 });
  await page.goto(url(`vote.html?c=${id}`));
  await page.locator('[data-proposal]').first().waitFor();
  assert.match(await page.locator('#budget-sentence').textContent(), /The council must save £800\. It can spend up to £300 on new things\./);
  await press(page, 'button[data-action="want"][data-id="S3"]', 'Enter');
  await press(page, 'button[data-action="dont"][data-id="S1"]', 'Enter');
  await tabTo(page, '#voter-code');
  await page.keyboard.type(codes[0]);
  await page.keyboard.press('Enter');
  await page.locator('#send-button').waitFor();
  await ok('POST', `/consultations/${id}/close`, { token });
  await press(page, '#send-button', 'Enter');
  await page.locator('#form-error').waitFor({ state: 'visible' });
  assert.match(await page.locator('#form-error').textContent(), /closed/);
  assert.equal((await active(page)).id, 'form-error', 'focus moves to the message');
  assert.deepEqual(await wantOrder(page), ['S3']);
  assert.deepEqual(await dontOrder(page), ['S1']);
  // Nothing offers to send, or promises another go, once voting has closed (issue 14).
  assert.equal(await page.locator('#send-button').count(), 0, 'no “Send my vote” button once voting has closed');
  assert.equal(await page.locator('#retry-button').count(), 0, 'no “Try again” either');
  assert.doesNotMatch(await page.locator('main').innerText(), /You can vote again later/);
  assert.doesNotMatch(await page.locator('main').innerText(), /Send my vote/);
  // Reloading now shows the consultation as closed.
  await page.reload();
  await page.locator('.notice--warning').waitFor();
  assert.match(await page.locator('main').textContent(), /Voting on this consultation has closed/);
  assertClean(page);
  await page.context().close();
});
