// Issue 14, paper ballots: an officer finds their meeting on the console's home page and types in
// papers with the keyboard alone (two papers, a mistake, a paper typed twice, a correction); with
// double entry a third person settles a paper two officers typed differently, and the organiser
// closes only with a reason while one is still unsettled.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, newPage, url, tabTo, active, assertClean, checkAxe, screenshot, useSession, signInApi, ok, ORGANISER, OFFICER, OFFICER2 } from './lib.mjs';

let browser;
let token;
before(async () => { browser = await launch(); token = await signInApi(ORGANISER); });
after(async () => { await browser?.close(); });

const announced = (page, text) => page.waitForFunction((t) => document.getElementById('announcer')?.textContent === t, text);

/** An open consultation (areas North and South, the day centre) with a voting meeting and `officers`. */
async function votingMeeting(label, { doubleEntry = false, officers = [OFFICER] } = {}) {
  const c = await ok('POST', '/consultations', { token, body: {
    title: `${label} ${Date.now()}`, description: 'Paper ballots at a meeting.', currency: 'GBP',
    budget: { overall_budget: null, savings_target: 80000, development_budget: 30000 },
    areas: ['North', 'South'],
    services: [{ id: 'day-centre', name: 'Day centre' }],
    proposals: [
      { id: 'S1', kind: 'saving', title: 'Close the day centre', summary: 'The day centre would close.', amount: 80000, service: 'day-centre' },
      { id: 'S2', kind: 'saving', title: 'Cut park grass monthly', summary: 'Grass would be cut monthly.', amount: 50000 },
      { id: 'S3', kind: 'saving', title: 'Dim street lights 1am–5am', summary: 'Lights dimmed at night.', amount: 40000 },
      { id: 'D1', kind: 'development', title: 'New youth club', summary: 'A youth club three evenings a week.', amount: 30000 },
    ],
  } }, [201]);
  await ok('POST', `/consultations/${c.id}/open`, { token });
  const title = `${label} meeting ${Date.now()}`;
  const m = await ok('POST', `/consultations/${c.id}/meetings`, { token, body: { title, place: 'Town hall', double_entry: doubleEntry } }, [201]);
  for (const o of officers) await ok('POST', `/meetings/${m.id}/officers`, { token, body: { email: o.email } }, [201]);
  await ok('POST', `/meetings/${m.id}/open`, { token });
  return { consultation: c.id, mid: m.id, title };
}

test('an officer types in two papers, a mistake and a correction with the keyboard alone', { timeout: 180000 }, async () => {
  const { mid, title } = await votingMeeting('Paper desk');
  const page = await newPage(browser, { width: 1280, height: 900 });
  await useSession(page, OFFICER);

  // The console's home page lists the officer's meetings.
  await page.goto(url('console/index.html'));
  await page.locator('#meetings li', { hasText: title }).waitFor();
  await tabTo(page, `#meetings li[data-id="${mid}"] a.btn`);
  await page.keyboard.press('Enter');
  await page.waitForURL(/console\/paper\.html\?m=/);
  await page.locator('#paper-form').waitFor();
  assert.equal((await active(page)).id, 'paper-serial', 'focus starts on the paper number');
  await checkAxe(page, 'paper entry');

  // Paper 1: wants S3 then D1 (typed in small letters), doesn't want S1, uses the day centre, North.
  await page.keyboard.type('0001');
  await page.keyboard.press('Tab');
  await page.keyboard.type('s3 d1');
  assert.equal(await page.locator('#paper-want-echo').textContent(), 'Reads as: 1. Dim street lights 1am–5am, 2. New youth club.');
  await page.keyboard.press('Tab');
  await page.keyboard.type('S1');
  await page.keyboard.press('Tab');
  assert.equal((await active(page)).name, 'paper-uses');
  await page.keyboard.press('Space');
  await page.keyboard.press('Tab');
  assert.equal((await active(page)).id, 'paper-area');
  await page.keyboard.press('N');
  await page.keyboard.press('Tab');
  assert.equal((await active(page)).id, 'paper-submit');
  await page.keyboard.press('Enter');
  await announced(page, 'Paper 0001 entered and counted.');
  assert.equal((await active(page)).id, 'paper-serial', 'focus goes back to the paper number');
  assert.equal(await page.locator('#paper-serial').inputValue(), '', 'the form is empty for the next paper');
  assert.equal((await page.locator('#paper-last').innerText()).trim(), 'Paper 0001 entered and counted.');

  // Paper 2, with a mistake first: S9 is not on the ballot. Enter in a list sends the paper.
  await page.keyboard.type('0002');
  await page.keyboard.press('Tab');
  await page.keyboard.type('D1 S9');
  await page.keyboard.press('Enter');
  await page.locator('#paper-want-error').waitFor({ state: 'visible' });
  assert.match(await page.locator('#paper-want-error').textContent(), /“S9” is not a proposal on this ballot/);
  assert.equal((await active(page)).id, 'paper-want', 'focus moves to the field with the problem');
  assert.ok((await page.locator('#paper-want').getAttribute('aria-describedby')).includes('paper-want-error'), 'the error is tied to its field');
  assert.equal(await page.locator('#paper-want').getAttribute('aria-invalid'), 'true');
  await page.keyboard.press('Backspace');
  await page.keyboard.press('Backspace');
  await page.keyboard.press('Backspace');
  await page.keyboard.press('Enter');
  await announced(page, 'Paper 0002 entered and counted.');
  assert.equal((await active(page)).id, 'paper-serial');

  // Paper 2 again: the server says it is in already, and offers to correct it.
  await page.keyboard.type('0002');
  await page.keyboard.press('Tab');
  await page.keyboard.type('S2');
  await page.keyboard.press('Enter');
  await page.locator('#paper-serial-error').waitFor({ state: 'visible' });
  assert.match(await page.locator('#paper-serial-error').textContent(), /already been entered/);
  assert.equal((await active(page)).id, 'paper-serial');
  await page.keyboard.press('Escape');

  // A correction of paper 1, from the table of papers typed in.
  await page.locator('#entries-table tr[data-serial="0001"]').waitFor();
  await tabTo(page, '#entries-table button[data-correct="0001"]');
  await page.keyboard.press('Enter');
  await page.locator('#paper-form-heading', { hasText: 'Correct paper 0001' }).waitFor();
  assert.equal((await active(page)).id, 'paper-want', 'focus goes to the wants');
  assert.equal(await page.locator('#paper-want').inputValue(), 'S3 D1', 'the entry to correct is filled in');
  await page.keyboard.press('Control+A');
  await page.keyboard.type('S2');
  await page.keyboard.press('Enter');
  await announced(page, 'Paper 0001 corrected. The new entry counts; the old one stays in the record.');
  assert.equal((await active(page)).id, 'paper-serial');
  await page.locator('#paper-form-heading', { hasText: 'Type in a paper ballot' }).waitFor();
  await checkAxe(page, 'paper entry after a correction');
  await screenshot(page, 'paper-entry');

  const record = await ok('GET', `/meetings/${mid}/paper`, { token });
  const byPaper = (serial) => record.entries.filter((e) => e.serial === serial).map((e) => [e.status, e.want.join(' '), e.dont_want.join(' '), e.uses.join(' '), e.area]);
  // The correction changed the wants only: the rest came filled in from the entry it replaces.
  assert.deepEqual(byPaper('0001'), [['replaced', 'S3 D1', 'S1', 'day-centre', 'North'], ['corrected', 'S2', 'S1', 'day-centre', 'North']]);
  assert.deepEqual(byPaper('0002'), [['entered', 'D1', '', '', null]]);
  const live = await ok('GET', `/meetings/${mid}/live`, {});
  assert.equal(live.paper, 2);
  await page.locator('#paper-count', { hasText: '2 paper ballots counted' }).waitFor();
  page.errors = page.errors.filter((e) => !/status of 409/.test(e));
  assertClean(page);
  await page.context().close();
});

test('double entry: a paper typed in differently is settled by a third person; closing while one is open needs a reason', { timeout: 180000 }, async () => {
  const { mid } = await votingMeeting('Double entry', { doubleEntry: true, officers: [OFFICER, OFFICER2] });
  const [first, second] = [await signInApi(OFFICER), await signInApi(OFFICER2)];
  for (const serial of ['P1', 'P2']) {
    await ok('POST', `/meetings/${mid}/paper`, { token: first, body: { serial, want: ['S1'] } }, [201]);
    const r = await ok('POST', `/meetings/${mid}/paper`, { token: second, body: { serial, want: ['S2'] } }, [201]);
    assert.equal(r.status, 'mismatched');
  }

  // The organiser (neither of the two) settles P1 by keyboard.
  const page = await newPage(browser, { width: 360, height: 740 });
  page.on('dialog', (d) => d.accept());
  await useSession(page, ORGANISER);
  await page.goto(url(`console/paper.html?m=${mid}`));
  await page.locator('#mismatches-list li[data-serial="P1"]').waitFor();
  assert.equal(await page.locator('#mismatches-list li').count(), 2, 'each unsettled paper once');
  await tabTo(page, '#mismatches-list button[data-serial="P1"]');
  await page.keyboard.press('Enter');
  await page.locator('#paper-form-heading', { hasText: 'Settle paper P1' }).waitFor();
  assert.match(await page.locator('#paper-entry').innerText(), /officer@example\.test: Wants S1/);
  assert.match(await page.locator('#paper-entry').innerText(), /second-officer@example\.test: Wants S2/);
  assert.equal((await active(page)).id, 'paper-want');
  await page.keyboard.type('S1');
  await page.keyboard.press('Enter');
  await announced(page, 'Paper P1 settled and counted.');
  await page.locator('#mismatches-list li[data-serial="P1"]').waitFor({ state: 'detached' });
  await checkAxe(page, 'paper entry, settling');
  await screenshot(page, 'paper-settle');

  // The meeting's page shows the reason field, and closing without a reason is refused at it.
  await page.goto(url(`console/meeting.html?m=${mid}`));
  await page.locator('#override-reason').waitFor();
  assert.match(await page.locator('#stage').innerText(), /1 paper ballots were typed in differently and are not settled yet: P2/);
  await page.locator('#close-button').click();
  await page.locator('#override-reason-error').waitFor({ state: 'visible' });
  assert.match(await page.locator('#override-reason-error').textContent(), /P2/);
  assert.equal((await active(page)).id, 'override-reason');
  await page.keyboard.type('The paper is torn and cannot be read.');
  await page.locator('#close-button').click();
  await page.locator('#meeting-phase', { hasText: 'Closed' }).waitFor();
  await page.locator('#record-events li', { hasText: 'Closed with papers not settled (P2). Reason: The paper is torn and cannot be read.' }).waitFor();
  assert.equal(await page.locator('#reconciliation-table tr[data-key="paper_ballots"] td').innerText(), '1');
  page.errors = page.errors.filter((e) => !/status of 409/.test(e));
  assertClean(page);
  await page.context().close();
});
