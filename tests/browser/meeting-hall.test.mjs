// Issue 14, live meetings in the browser: the organiser adds a meeting, prints slips and opens
// voting; three phones (360 px) open their slips' short links and vote in the hall; the projector
// (1920 px) shows the three votes live and no result; the organiser closes and reveals, and the
// projector shows the meeting's result as bars. Also: the short-link page with wrong and missing
// codes, the join code, a phone that waits for voting to open, and too few votes for a result.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, newPage, url, assertClean, checkAxe, screenshot, useSession, signInApi, ok, BASE, ORGANISER } from './lib.mjs';

let browser;
let token;
before(async () => { browser = await launch(); token = await signInApi(ORGANISER); });
after(async () => { await browser?.close(); });

const PROPOSALS = [
  { id: 'S1', kind: 'saving', title: 'Close the day centre', summary: 'The day centre would close for good.', details: 'About forty people use it each week.', amount: 80000, service: 'day-centre' },
  { id: 'S2', kind: 'saving', title: 'Cut park grass monthly', summary: 'Grass in parks would be cut once a month instead of every two weeks.', amount: 50000 },
  { id: 'S3', kind: 'saving', title: 'Dim street lights 1am–5am', summary: 'Street lights would be dimmed in the middle of the night.', amount: 40000 },
  { id: 'D1', kind: 'development', title: 'New youth club', summary: 'A youth club open three evenings a week.', amount: 30000 },
];

/** An open consultation whose smallest group is `minGroup` (3: three votes make a result). */
async function openConsultation(label, { minGroup = 3 } = {}) {
  const c = await ok('POST', '/consultations', { token, body: {
    title: `${label} ${Date.now()}`, description: 'A consultation with a meeting in a hall.', currency: 'GBP',
    budget: { overall_budget: null, savings_target: 80000, development_budget: 30000 },
    settings: { rank_depth: 3, minority_share_percent: 50, max_weight: 10, min_group: minGroup, protect_threshold_percent: 50 },
    areas: [], services: [{ id: 'day-centre', name: 'Day centre' }], proposals: PROPOSALS,
  } }, [201]);
  await ok('POST', `/consultations/${c.id}/open`, { token });
  return c.id;
}

async function meetingByApi(consultation, title = 'Hall meeting') {
  return ok('POST', `/consultations/${consultation}/meetings`, { token, body: { title, place: 'Riverside library' } }, [201]);
}

const text = (page, sel) => page.locator(sel).innerText();

test('a meeting in a hall: slips on three phones, the projector counts them live and shows the result once revealed', { timeout: 300000 }, async () => {
  const id = await openConsultation('Hall vote');

  // The organiser adds the meeting on the consultation's page.
  const console_ = await newPage(browser, { width: 1280, height: 900 });
  console_.on('dialog', (d) => d.accept());
  await useSession(console_, ORGANISER);
  await console_.goto(url(`console/consultation.html?c=${id}`));
  await console_.locator('#meeting-form').waitFor();
  await console_.locator('#meeting-title').fill('Riverside community meeting');
  await console_.locator('#meeting-place').fill('Riverside library, Mill Street');
  await console_.locator('#meeting-submit').click();
  await console_.locator('#meetings-list a', { hasText: 'Riverside community meeting' }).first().waitFor();
  assert.equal((await console_.locator('#meetings-flash').textContent()).trim(), 'Meeting “Riverside community meeting” added.');
  await console_.locator('#meetings-list h3 a').first().click();
  await console_.waitForURL(/console\/meeting\.html\?m=/);
  const mid = new URL(console_.url()).searchParams.get('m');
  await console_.locator('#meeting-phase', { hasText: 'Planned' }).waitFor();

  // Three slips, printed from the console: each with its code, short link and QR code.
  await console_.locator('#slip-count').fill('3');
  await console_.locator('#slips-button').click();
  await console_.locator('#new-slips-heading').waitFor();
  await console_.locator('#print-slips-link').click();
  await console_.waitForURL(/console\/slips\.html\?m=/);
  await console_.locator('.slip img.slip__qr').nth(2).waitFor();
  const slips = await console_.$$eval('.slip', (els) => els.map((e) => ({ code: e.querySelector('.slip__code').textContent.trim(), link: e.querySelector('.slip__link').textContent.trim() })));
  assert.equal(slips.length, 3);
  for (const s of slips) assert.equal(s.link, `${BASE}/go#${s.code.replace(/-/g, '')}`, 'a slip’s short link carries its code after #');
  await checkAxe(console_, 'slips sheet');
  await screenshot(console_, 'meeting-slips');
  await console_.emulateMedia({ media: 'print' });
  const printed = await console_.evaluate(() => ({ header: getComputedStyle(document.querySelector('.site-header')).display, columns: getComputedStyle(document.querySelector('.slip-sheet')).gridTemplateColumns.split(' ').length }));
  assert.deepEqual(printed, { header: 'none', columns: 2 }, 'printed: no header, two slips across');
  await console_.emulateMedia({ media: 'screen' });

  // The projector, signed in as the organiser, so it shows the join link's QR code too.
  const projector = await newPage(browser, { width: 1920, height: 1080 });
  await useSession(projector, ORGANISER);
  await projector.goto(url(`projector.html?m=${mid}`));
  await projector.locator('#projector-phase', { hasText: 'Voting has not started yet' }).waitFor();
  await projector.locator('#join-qr').waitFor();
  const join = await ok('GET', `/meetings/${mid}`, {});
  assert.equal(await text(projector, '#join-link'), `${BASE.replace(/^https?:\/\//, '')}/go#${join.join_code}`);
  const bodySize = await projector.evaluate(() => parseFloat(getComputedStyle(document.body).fontSize));
  assert.ok(bodySize >= 28, `large type at 1920 px (${bodySize}px)`);

  // Focus mode: the organiser steps to the first proposal; the projector shows it.
  await console_.goto(url(`console/meeting.html?m=${mid}`));
  await console_.locator('#focus-next').click();
  await projector.locator('#focus h2', { hasText: 'Close the day centre' }).waitFor();
  assert.match(await text(projector, '#focus'), /Saves £800/);
  assert.match(await text(projector, '#focus'), /About forty people use it each week\./);
  await screenshot(projector, 'projector-focus');
  await console_.locator('#focus-none').click();
  await projector.locator('#focus').waitFor({ state: 'hidden' });

  // Open voting.
  await console_.locator('#open-button').click();
  await console_.locator('#meeting-phase', { hasText: 'Voting' }).waitFor();
  await projector.locator('#projector-phase', { hasText: 'Voting is open' }).waitFor();
  // The stream also says the meeting moved on; the page is not drawn again under the reader.
  await console_.waitForTimeout(1000);
  assert.equal(await console_.evaluate(() => document.activeElement.id), 'stage-flash', 'focus stays on the message');
  assert.equal((await console_.locator('#stage-flash').innerText()).trim(), 'Voting is now open.');
  await checkAxe(console_, 'meeting console');
  await screenshot(console_, 'meeting-console');

  // Three phones open their slips' short links and vote.
  const choices = [['S3', 'D1'], ['S3'], ['D1', 'S2']];
  const phones = [];
  for (const [i, slip] of slips.entries()) {
    const phone = await newPage(browser, { width: 360, height: 740 });
    phones.push(phone);
    await phone.goto(slip.link);
    await phone.waitForURL(/vote\.html\?/);
    await phone.locator('#hall-phase', { hasText: 'Voting is open' }).waitFor();
    const address = new URL(phone.url());
    assert.equal(address.searchParams.get('m'), mid, 'the hall view of this meeting');
    assert.equal(address.hash, '', 'the code is taken out of the address bar');
    assert.ok(!phone.url().includes(slip.code.replace(/-/g, '').slice(0, 6)), 'the code is nowhere in the address');
    assert.equal((await phone.locator('#voter-code').inputValue()).replace(/-/g, ''), slip.code.replace(/-/g, ''), 'the code is filled in');
    assert.equal(await phone.evaluate(() => document.body.classList.contains('hall')), true);
    for (const pid of choices[i]) await phone.locator(`button[data-action="want"][data-id="${pid}"]`).click();
    await phone.locator('#review-button').click();
    await phone.locator('#send-button').waitFor();
    assert.match(await text(phone, '#step-review'), /While voting is open at this meeting you can change your vote/);
    if (i === 0) { await checkAxe(phone, 'hall ballot review'); await screenshot(phone, 'hall-review'); }
    await phone.locator('#send-button').click();
    await phone.locator('#receipt-code').waitFor();
    // The projector counts it within moments.
    await projector.locator('#count-voted', { hasText: String(i + 1) }).waitFor({ timeout: 5000 });
  }
  assert.equal(await text(projector, '#count-voted'), '3');
  assert.equal(await text(projector, '#count-admitted'), '3');
  assert.equal(await projector.locator('#result').isVisible(), false, 'no result while the meeting votes');
  assert.equal(await projector.locator('.chart__bar').count(), 0);
  await checkAxe(projector, 'projector while voting');
  await screenshot(projector, 'projector-voting');
  await screenshot(phones[0], 'hall-receipt');
  await console_.locator('#live-counts', { hasText: '3 admitted, 3 voted' }).waitFor();

  // Close: still no result on the projector, until the organiser reveals it.
  await console_.locator('#close-button').click();
  await console_.locator('#meeting-phase', { hasText: 'Closed' }).waitFor();
  await projector.locator('#projector-phase', { hasText: 'Voting has closed' }).waitFor();
  await projector.locator('#waiting-reveal').waitFor();
  assert.equal(await projector.locator('#result').isVisible(), false);
  assert.equal(await console_.locator('#reconciliation-table tr[data-key="ballots_counted"] td').innerText(), '3');
  await phones[1].locator('#hall-phase', { hasText: 'Voting has closed' }).waitFor();
  await console_.locator('#reveal-button').click();
  await projector.locator('#result').waitFor();
  await projector.locator('#savings-results li').first().waitFor();
  const ranked = await projector.$$eval('#savings-results li', (els) => els.map((e) => e.dataset.proposal));
  assert.equal(ranked[0], 'S3', 'the savings most wanted come first');
  assert.equal(await projector.locator('#result .chart__bar--protected').count(), 4, 'a protected-score bar for each proposal');
  assert.equal(await projector.locator('#result .chart__bar--plain').count(), 4, 'and a simple-majority bar beside it');
  assert.match(await text(projector, '#result'), /Counted from the 3 votes cast at this meeting/);
  await checkAxe(projector, 'projector result');
  await screenshot(projector, 'projector-result');
  // The phones get a link to the result.
  await phones[2].locator('#hall-result-link').waitFor();
  await checkAxe(phones[2], 'hall ballot after reveal');
  await screenshot(phones[2], 'hall-revealed');
  assert.equal(await phones[2].locator('#send-button').count(), 0, 'nothing to send once the meeting has closed');

  for (const p of [console_, projector, ...phones]) { assertClean(p); await p.context().close(); }
});

test('the short-link page: no code, a wrong code, a meeting’s join code', { timeout: 120000 }, async () => {
  const id = await openConsultation('Short links');
  const meeting = await meetingByApi(id);
  const page = await newPage(browser, { width: 360, height: 740 });

  await page.goto(url('go'));
  await page.locator('#go-notice', { hasText: 'This link has no code in it.' }).waitFor();
  assert.equal((await page.evaluate(() => document.activeElement.id)), 'go-notice');
  await checkAxe(page, 'go without a code');
  await screenshot(page, 'go-missing');

  await page.goto(url('go#K7QF'));
  await page.locator('#code-error', { hasText: 'A code has 12 letters and numbers' }).waitFor();
  assert.equal(page.url(), url('go'), 'the code is taken out of the address bar');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'code');

  await page.goto(url('go#2222-3333-4444'));
  await page.locator('#code-error', { hasText: 'We don’t recognise this code' }).waitFor();
  await checkAxe(page, 'go with a wrong code');
  await screenshot(page, 'go-wrong');

  // Typing the meeting's join code (as shown on the projector) opens the hall's ballot, with no code.
  await page.locator('#code').fill(meeting.join_code.toLowerCase());
  await page.keyboard.press('Enter');
  await page.waitForURL(/vote\.html\?/);
  assert.equal(new URL(page.url()).searchParams.get('m'), meeting.id);
  await page.locator('#hall-phase', { hasText: 'Voting has not started yet' }).waitFor();
  assert.equal(await page.locator('#voter-code').inputValue(), '', 'the join code gives no vote: the person types their own');

  // A letter's short link opens the consultation's own ballot with the code filled in.
  const letters = await ok('POST', `/consultations/${id}/voter-codes`, { token, body: { count: 1 } }, [201]);
  await page.goto(letters.links[0]);
  await page.waitForURL(/vote\.html\?c=/);
  assert.equal(new URL(page.url()).searchParams.get('m'), null);
  assert.equal(new URL(page.url()).hash, '');
  assert.equal(await page.locator('#voter-code').inputValue(), letters.codes[0]);
  page.errors = page.errors.filter((e) => !/status of 4\d\d/.test(e));
  assertClean(page);
  await page.context().close();
});

test('a phone that opens its slip before voting starts can choose, and can send once voting opens', { timeout: 120000 }, async () => {
  const id = await openConsultation('Waiting hall');
  const meeting = await meetingByApi(id);
  const { slips } = await ok('POST', `/meetings/${meeting.id}/slips`, { token, body: { count: 1 } }, [201]);
  const phone = await newPage(browser, { width: 360, height: 740 });
  await phone.goto(slips[0].link);
  await phone.locator('#hall-phase', { hasText: 'Voting has not started yet' }).waitFor();
  await phone.locator('button[data-action="want"][data-id="S2"]').click();
  await phone.locator('#review-button').click();
  await phone.locator('#wait-to-send').waitFor();
  assert.equal(await phone.locator('#send-button').isVisible(), false, 'no “Send my vote” before voting opens');
  await ok('POST', `/meetings/${meeting.id}/open`, { token });
  await phone.locator('#send-button').waitFor({ state: 'visible' });
  await phone.waitForFunction(() => document.getElementById('announcer')?.textContent.includes('Voting is open'));
  assert.equal(await phone.locator('#wait-to-send').isVisible(), false);
  await phone.locator('#send-button').click();
  await phone.locator('#receipt-code').waitFor();
  const live = await ok('GET', `/meetings/${meeting.id}/live`, {});
  assert.equal(live.voted, 1);
  assertClean(phone);
  await phone.context().close();
});

test('with fewer votes than the smallest group the projector says so instead of showing a result', { timeout: 120000 }, async () => {
  const id = await openConsultation('Too few', { minGroup: 5 });
  const meeting = await meetingByApi(id);
  const { slips } = await ok('POST', `/meetings/${meeting.id}/slips`, { token, body: { count: 2 } }, [201]);
  await ok('POST', `/meetings/${meeting.id}/open`, { token });
  for (const s of slips) await ok('POST', `/meetings/${meeting.id}/ballots`, { body: { voter_code: s.code, want: ['S1'], dont_want: [], uses: [] } }, [201]);
  const projector = await newPage(browser, { width: 1920, height: 1080 });
  await projector.goto(url(`projector.html?m=${meeting.id}`));
  await projector.locator('#count-voted', { hasText: '2' }).waitFor();
  // Not signed in: the join link without a QR code.
  assert.equal(await projector.locator('#join-qr').count(), 0);
  await projector.locator('#join-link').waitFor();
  await ok('POST', `/meetings/${meeting.id}/close`, { token, body: {} });
  await ok('POST', `/meetings/${meeting.id}/reveal`, { token });
  await projector.locator('#too-few').waitFor();
  assert.match(await text(projector, '#too-few'), /Too few votes were cast at this meeting to show its result: 2, fewer than 5\./);
  assert.equal(await projector.locator('.chart__bar').count(), 0);
  await checkAxe(projector, 'projector, too few votes');
  await screenshot(projector, 'projector-too-few');
  assertClean(projector);
  await projector.context().close();
});

test('the projector reconnects by itself when the server refuses its stream for a while', { timeout: 120000 }, async () => {
  const id = await openConsultation('Reconnecting');
  const meeting = await meetingByApi(id);
  const { slips } = await ok('POST', `/meetings/${meeting.id}/slips`, { token, body: { count: 1 } }, [201]);
  await ok('POST', `/meetings/${meeting.id}/open`, { token });
  const projector = await newPage(browser, { width: 1920, height: 1080 });
  // A proxy in front of a restarting server answers 503: the browser's EventSource gives up on
  // such an answer, so the page must start a new one itself.
  let refused = 0;
  await projector.route(`**/api/v1/meetings/${meeting.id}/stream`, (route) => {
    if (refused < 2) { refused++; return route.fulfill({ status: 503, contentType: 'application/problem+json', body: '{"status":503}' }); }
    return route.continue();
  });
  await projector.goto(url(`projector.html?m=${meeting.id}`));
  await projector.locator('#projector-offline').waitFor({ state: 'visible' });
  await ok('POST', `/meetings/${meeting.id}/ballots`, { body: { voter_code: slips[0].code, want: ['S1'], dont_want: [], uses: [] } }, [201]);
  await projector.locator('#count-voted', { hasText: '1' }).waitFor({ timeout: 15000 });
  assert.equal(refused, 2);
  assert.equal(await projector.locator('#projector-offline').isVisible(), false, 'the reconnecting notice goes once it is back');
  projector.errors = projector.errors.filter((e) => !/status of 503|EventSource/.test(e));
  assertClean(projector);
  await projector.context().close();
});

test('the meeting’s page follows what another organiser does without losing the reader’s place', { timeout: 120000 }, async () => {
  const id = await openConsultation('Two organisers');
  const meeting = await meetingByApi(id);
  const page = await newPage(browser, { width: 1280, height: 900 });
  await useSession(page, ORGANISER);
  await page.goto(url(`console/meeting.html?m=${meeting.id}`));
  await page.locator('#focus-next').waitFor();
  await page.locator('#focus-next').focus();
  // Another organiser (another window) opens voting: the stream tells this page.
  await ok('POST', `/meetings/${meeting.id}/open`, { token });
  await page.locator('#meeting-phase', { hasText: 'Voting' }).waitFor();
  await page.locator('#close-button').waitFor();
  assert.equal(await page.evaluate(() => document.activeElement.id), 'focus-next', 'focus stays where it was');
  assertClean(page);
  await page.context().close();
});
