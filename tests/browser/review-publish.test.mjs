// Issue 15: the commissioners' review and the public record. An organiser enters the areas'
// population on the console; a commissioner reviews the closed worked example on the results
// page (who said what with small groups shown as "fewer than 5", who got nothing, turnout
// against population, the shortfall and what would close it, the rules' fingerprint), records
// decisions with reasons (a departure without one is refused, then saved with one; a change of
// mind is added to the history), publishes from that page and posts an update. The public
// record is then read by keyboard at 360 and 1280 px (axe clean, screenshots) and printed to a
// PDF by Chromium whose text has every section. The council's own frame on every page, and
// pbvote's own 404 page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import {
  launch, newPage, url, assertClean, checkAxe, screenshot, tabTo, useSession, signInApi, ok, call, demoId,
  VIEWPORTS, SHOT_DIR, ORGANISER, COMMISSIONER,
} from './lib.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const text = async (loc) => (await loc.innerText()).replace(/\s+/g, ' ').trim();
const short = (fp) => fp.slice(0, 12).match(/.{4}/g).join(' ');
const DEMO_COUNCIL = 'Riverside Borough Council (demo)';

/**
 * The worked example of docs/tally.md with three areas (East named by two ballots only, so
 * never shown) and a savings target of £1,500 that the protected count leaves £600 short.
 */
async function closedExample(token, title) {
  const services = [{ id: 'day-centre', name: 'Day centre', description: 'Daytime care and company for older and disabled residents.' }];
  const proposals = [
    { id: 'S1', kind: 'saving', title: 'Close the day centre', summary: 'The day centre would close for good.', amount: 80000, service: 'day-centre' },
    { id: 'S2', kind: 'saving', title: 'Cut park grass monthly', summary: 'Grass in parks would be cut once a month.', amount: 50000 },
    { id: 'S3', kind: 'saving', title: 'Dim street lights 1am–5am', summary: 'Street lights would be dimmed in the middle of the night.', amount: 40000 },
    { id: 'D1', kind: 'development', title: 'New youth club', summary: 'A youth club open three evenings a week.', amount: 30000 },
  ];
  const c = await ok('POST', '/consultations', { token, body: {
    title, description: 'The council must save £1,500 and can spend £300 on new things.', currency: 'GBP',
    budget: { overall_budget: null, savings_target: 150000, development_budget: 30000 },
    settings: { rank_depth: 3, minority_share_percent: 50, max_weight: 10, min_group: 5, protect_threshold_percent: 50 },
    areas: ['North', 'South', 'East'], services, proposals,
  } }, [201]);
  const id = c.id;
  await ok('POST', `/consultations/${id}/open`, { token });
  const { codes } = await ok('POST', `/consultations/${id}/voter-codes`, { token, body: { count: 100 } }, [201]);
  const ballots = [
    ...Array(60).fill({ want: ['S1', 'S3', 'S2'], dont_want: [], uses: [] }),
    ...Array(30).fill({ want: ['S3', 'D1', 'S2'], dont_want: [], uses: [] }),
    ...Array(10).fill({ want: ['S2', 'D1'], dont_want: ['S1', 'S3'], uses: ['day-centre'] }),
  ].map((b, i) => ({ ...b, area: i < 2 ? 'East' : (i % 2 ? 'South' : 'North') }));
  for (let i = 0; i < ballots.length; i += 10) {
    await Promise.all(ballots.slice(i, i + 10).map((b, j) => ok('POST', `/consultations/${id}/ballots`, { body: { voter_code: codes[i + j], ...b } }, [201])));
  }
  await ok('POST', `/consultations/${id}/close`, { token });
  return id;
}

/**
 * Record a decision on a proposal's card by keyboard alone: Tab into its radio group (which is
 * one Tab stop: the checked radio, or the first when none is), arrow keys to the decision, then
 * the amount and the reason, and Enter on the button.
 */
async function decide(page, pid, decision, reason, { amount } = {}) {
  const group = `dec-${pid}`;
  const checked = await page.locator(`input[name="${group}"]:checked`).count();
  await tabTo(page, checked ? `input[name="${group}"]:checked` : `input[name="${group}"]`);
  for (let i = 0; i < 4 && (await page.evaluate(() => document.activeElement.value)) !== decision; i++) await page.keyboard.press('ArrowDown');
  assert.equal(await page.evaluate(() => document.activeElement.value), decision);
  if (!(await page.evaluate(() => document.activeElement.checked))) await page.keyboard.press('Space');
  assert.equal(await page.locator(`#dec-${pid}-${decision}`).isChecked(), true);
  if (amount !== undefined) {
    await tabTo(page, `#dec-${pid}-amount`);
    await page.keyboard.type(amount);
  }
  await tabTo(page, `#dec-${pid}-reason`);
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.press('Delete');
  if (reason) await page.keyboard.type(reason);
  await tabTo(page, `#dec-${pid}-submit`);
  await page.keyboard.press('Enter');
}

test('a commissioner reviews, decides with reasons, publishes and posts an update; the public record reads by keyboard and prints', { timeout: 300000 }, async () => {
  const orgToken = await signInApi(ORGANISER);
  const title = `Review example ${Date.now()}`;
  const id = await closedExample(orgToken, title);
  const result = await ok('GET', `/consultations/${id}/results`, { token: orgToken });
  const fingerprint = short(result.fingerprint);

  // The organiser enters the population on the consultation's page.
  const org = await newPage(browser, { width: 360, height: 740 });
  await useSession(org, ORGANISER);
  await org.goto(url(`console/consultation.html?c=${id}`));
  await org.locator('#population-form').waitFor();
  await org.getByLabel('North', { exact: true }).fill('1000');
  await org.getByLabel('South', { exact: true }).fill('1,000');
  await org.getByLabel('East', { exact: true }).fill('8000');
  await org.getByLabel('Day centre', { exact: true }).fill('lots');
  await org.locator('#population-submit').click();
  await org.locator('.error-summary').waitFor();
  assert.equal(await org.getByLabel('Day centre', { exact: true }).getAttribute('aria-invalid'), 'true');
  await org.getByLabel('Day centre', { exact: true }).fill('40');
  await org.locator('#population-submit').click();
  await org.locator('#population-flash').waitFor();
  assert.match(await text(org.locator('#population-flash')), /population figures were saved/);
  assert.equal(await org.getByLabel('East', { exact: true }).inputValue(), '8000');
  assertClean(org);
  await org.context().close();

  // The commissioner's console is headed for commissioners and leads to the review.
  const page = await newPage(browser, { width: 1280, height: 900 });
  page.on('dialog', (d) => d.accept());
  await useSession(page, COMMISSIONER);
  await page.goto(url('console/index.html'));
  await page.locator('#consultations').waitFor();
  assert.equal(await text(page.locator('h1')), 'Commissioners’ console');
  assert.doesNotMatch(await text(page.locator('main')), /Organiser console/);
  const card = page.locator(`#consultations li[data-id="${id}"]`);
  await card.getByRole('link', { name: /^Review, decide and publish\b/ }).click();
  await page.locator('#decision-list').waitFor();

  // A list of the review's parts, each leading to its section.
  const parts = await page.$$eval('#review-contents a', (as) => as.map((a) => a.getAttribute('href')));
  assert.deepEqual(parts, ['#breakdowns', '#who-got-nothing', '#representativeness', '#decisions', '#files', '#publish']);
  for (const part of parts) assert.equal(await page.locator(`section${part}`).count(), 1, part);

  // The rules' fingerprint, and the shortfall with what would close it.
  assert.match(await text(page.locator('#fingerprint')), new RegExp(`Rules fingerprint: ${fingerprint}`));
  assert.equal(result.summary.shortfall, 60000);
  assert.match(await text(page.locator('#shortfall')), /£600 short of the target/);
  assert.match(await text(page.locator('#shortfall-list li[data-proposal="S1"]')), /Close the day centre \(£800\): savings would then come to £1,700\. Protected/);

  // Who said what: every group the server shows, and "fewer than 5" wherever it left one out.
  const B = await ok('GET', `/consultations/${id}/breakdowns`, { token: orgToken });
  assert.ok(!JSON.stringify([B.breakdowns, B.satisfaction]).includes('East'), 'East (two ballots) is no group of who said what');
  const s1 = page.locator('#breakdown-S1');
  await tabTo(page, '#breakdown-S1 summary');
  await page.keyboard.press('Enter');
  assert.equal(await s1.evaluate((d) => d.open), true);
  const got = await page.$$eval('#breakdown-table-S1 tbody tr', (trs) => trs.map((tr) => [...tr.children].map((c) => c.textContent.replace(/\s+/g, ' ').trim())));
  const lists = (n, points) => (n === 1 ? `1 list, ${points} points` : `${n} lists, ${points} points`);
  const score = (x) => String(Math.round(Number(x) * 10) / 10).replace('-', '−');
  const channelName = { online: 'Online', meeting: 'At a meeting, on a phone', paper: 'At a meeting, on paper', unspecified: 'Not shown (too few to show apart)' };
  const row = (name, g) => { const c = g.proposals.find((x) => x.id === 'S1'); return [name, String(g.ballots), lists(c.want_count, c.want_points), lists(c.dont_want_count, c.dont_want_points), score(c.plain_score)]; };
  const withheld = 'Not broken down (too few alike to show)';
  const split = B.breakdowns.by_users.find((u) => u.id === 'S1');
  const side = (name, x, extra = '') => [name, String(x.ballots), `${x.want_points} points`, `${x.dont_want_points} points${extra}`, score(x.plain_score)];
  assert.deepEqual(got, [
    ['How people voted'], ...B.breakdowns.by_channel.map((g) => row(g.withheld ? withheld : channelName[g.label], g)),
    ['Where people live'], ...B.breakdowns.by_area.map((g) => row(g.withheld ? withheld : (g.label ?? 'No area given, or too few to show'), g)),
    ['Users of Day centre'], side('Use Day centre', split.users, ' 10 of them put it in “don’t want”.'), side('Don’t use it', split.others),
  ]);
  assert.equal(split.users.ballots, 10);
  // Who got nothing: worst served first, each share as the server gave it.
  const rows = await page.$$eval('#nothing-table tbody tr', (trs) => trs.map((tr) => [...tr.children].map((c) => c.textContent.trim())));
  const S = B.satisfaction;
  assert.equal(rows.length, 1 + S.groups.length);
  assert.equal(rows[0][0], 'Everyone');
  assert.equal(rows[0][2], `${S.everyone.wish_granted.percent}% (${S.everyone.wish_granted.got} of ${S.everyone.wish_granted.of})`);
  const cell = (share) => (share.of == null ? 'fewer than 5' : `${share.percent}% (${share.got} of ${share.of})`);
  S.groups.forEach((g, i) => assert.deepEqual(rows[i + 1].slice(2), [cell(g.wish_granted), cell(g.first_dont_want_spared)], `group ${i}`));
  const hidden = S.groups.flatMap((g) => [g.wish_granted, g.first_dont_want_spared]).filter((s) => s.of == null).length;
  assert.ok(hidden > 0, 'the example has cells left out for being small');
  assert.equal(rows.flat().filter((c) => c === 'fewer than 5').length, hidden + S.groups.filter((g) => g.ballots == null).length);
  // Turnout against population: East is flagged, with its votes as "fewer than 5".
  const east = await text(page.locator('#rep-areas tr[data-area="East"]'));
  assert.equal(east, 'East fewer than 5 8000 Not known fewer than 5 80% Under-represented');
  assert.match(await text(page.locator('#rep-areas tr[data-area="North"]')), /^North \d+ 1000 \d+(\.\d)?% \d+(\.\d)?% 10% No$/);
  assert.match(await text(page.locator('#rep-services')), /Day centre 10 40 25%/);

  // Decisions. S1 is protected: a decision without a reason is refused, and the server's
  // message is shown next to the reason, which gets focus.
  await decide(page, 'S1', 'reject', '');
  const reasonError = page.locator('#dec-S1-reason-error');
  await reasonError.waitFor({ state: 'visible' });
  assert.match(await text(reasonError), /protected/);
  assert.equal(await page.evaluate(() => document.activeElement.id), 'dec-S1-reason');
  assert.equal(await page.locator('#dec-S1-reason').getAttribute('aria-invalid'), 'true');
  assert.match(await page.locator('#dec-S1-reason').getAttribute('aria-describedby'), /dec-S1-reason-error/);
  assert.equal(await page.locator('#history-S1').count(), 0, 'nothing was recorded');
  await page.keyboard.type('The day centre stays open, as its users asked.');
  await tabTo(page, '#dec-S1-submit');
  await page.keyboard.press('Enter');
  await page.locator('#decide-S1-done:not([hidden])').waitFor();
  assert.equal(await page.evaluate(() => document.activeElement.id), 'decide-S1-done');
  assert.match(await text(page.locator('#decide-S1-done')), /Decision on “Close the day centre” recorded: Rejected/);
  assert.match(await text(page.locator('#history-S1')), /Rejected — Differs from the result of the vote — recorded by commissioner@example\.test “The day centre stays open, as its users asked\.”/);
  assert.equal(await page.locator('#dec-S1-reason-error').isVisible(), false);

  // S2 was agreed by the count: adopting it needs no reason. Then a change of mind (rejecting
  // it) needs one, and is added to the history, never written over it.
  await decide(page, 'S2', 'adopt', '');
  await page.locator('#decide-S2-done:not([hidden])').waitFor();
  await decide(page, 'S2', 'reject', '');
  await page.locator('#dec-S2-reason-error').waitFor({ state: 'visible' });
  assert.match(await text(page.locator('#dec-S2-reason-error')), /departs from the result/);
  await decide(page, 'S2', 'reject', 'Parks matter to everyone who wrote to us.');
  await page.locator('#decide-S2-done', { hasText: 'Rejected' }).waitFor();
  const s2History = await page.$$eval('#history-S2 > li', (lis) => lis.map((li) => li.textContent));
  assert.equal(s2History.length, 2);
  assert.match(s2History[0], /Adopted/);
  assert.match(s2History[1], /Rejected — Differs from the result of the vote/);
  assert.match(await text(page.locator('#decide-S2 .decision-current')), /Decision: Rejected/);
  // Adopt S3 (as counted); amend D1 to £200 with a reason.
  await decide(page, 'S3', 'adopt', '');
  await page.locator('#decide-S3-done:not([hidden])').waitFor();
  await decide(page, 'D1', 'amend', 'A smaller club, two evenings a week.', { amount: '200' });
  await page.locator('#decide-D1-done:not([hidden])').waitFor();
  assert.match(await text(page.locator('#decide-D1-done')), /Adopted with another amount: £200/);
  // Counted and decided side by side, against the target and the budget.
  assert.equal(await text(page.locator('#budget-savings')), 'Savings £900 £400 £1,500');
  assert.equal(await text(page.locator('#budget-spending')), 'New spending £300 £200 £300');
  assert.match(await text(page.locator('#budget-notes')), /leave the savings target £1,100 short\. Every proposal has a decision\./);
  for (const vp of VIEWPORTS) {
    await page.setViewportSize({ width: vp.width, height: vp.height });
    const wide = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(wide <= vp.width, `the review is ${wide}px wide at ${vp.width}px`);
    await checkAxe(page, `review with decisions ${vp.name}`);
    await screenshot(page, 'review-decisions');
  }

  // The figures as files, fetched with the commissioner's token before publication: small
  // groups stay out, and the page shows the file's SHA-256 as the server computed it.
  const [csv] = await Promise.all([page.waitForEvent('download'), page.locator('button[data-file="breakdowns.csv"]').click()]);
  const breakdownsCsv = await readFile(await csv.path(), 'utf8');
  assert.match(breakdownsCsv, /^by,group,ballots,proposal/);
  assert.doesNotMatch(breakdownsCsv, /East/);
  const served = await call('GET', `/consultations/${id}/files/breakdowns.csv`, { token: orgToken, raw: true });
  await page.locator('#file-status:not([hidden])').waitFor();
  assert.equal(await text(page.locator('#file-status')), `Who said what (CSV): SHA-256 of the file you downloaded: ${served.headers.get('x-content-sha256')}`);

  // Publishing, from the same page.
  await tabTo(page, '#publish-button');
  await page.keyboard.press('Enter');
  await page.locator('#phase-notice', { hasText: 'These are the published results.' }).waitFor();
  assert.equal(await page.evaluate(() => document.activeElement.id), 'phase-notice');
  await page.locator('#public-record-link').waitFor();
  assert.equal((await ok('GET', `/consultations/${id}`)).phase, 'published');

  // An update on what became of S3.
  await page.locator('#update-form').waitFor();
  await page.getByLabel('Proposal', { exact: true }).selectOption('S3');
  await page.getByLabel('Where it has got to').selectOption('done');
  await page.getByLabel('Progress in percent (optional)').fill('100');
  await page.getByLabel('Note (optional)').fill('Lights dimmed across the borough since March.');
  await page.getByLabel('Year', { exact: true }).fill('2027');
  await page.getByLabel('Saved that year (£)').fill('410');
  await page.locator('#update-submit').click();
  await page.locator('#update-done:not([hidden])').waitFor();
  assert.match(await text(page.locator('#updates-list')), /Dim street lights 1am–5am: Done \(100% done\) · £410 saved in 2027 Lights dimmed/);
  assertClean(page);
  await page.context().close();

  // The public record, read by keyboard at both widths: every link and field is reached in
  // order, each one on screen when it has focus; axe finds nothing serious; no sideways scrolling.
  const record = url(`published/${id}`);
  for (const vp of VIEWPORTS) {
    const pub = await newPage(browser, vp);
    await pub.goto(record);
    const main = await text(pub.locator('main'));
    for (const heading of ['We asked', 'You said', 'We did', 'What has happened since', 'Check your receipt', 'Check the count yourself']) {
      assert.ok(main.includes(heading), `${vp.name}: the record has “${heading}”`);
    }
    assert.match(main, new RegExp(fingerprint));
    assert.match(main, /The day centre stays open, as its users asked\./);
    assert.match(main, /Parks matter to everyone who wrote to us\./);
    assert.match(main, /£410 saved in 2027/);
    assert.doesNotMatch(main, /commissioner@/);
    assert.match(await text(pub.locator('header')), new RegExp(DEMO_COUNCIL.replace(/[()]/g, '\\$&')));
    const focusables = await pub.$$eval('a[href], input, button, select, textarea, [tabindex="0"]', (els) => els.filter((e) => e.offsetParent !== null).length);
    await pub.keyboard.press('Tab');
    assert.equal(await pub.evaluate(() => document.activeElement.className), 'skip-link', 'the first Tab stop skips to the content');
    let reached = 0;
    for (let i = 0; i < focusables + 5; i++) {
      const at = await pub.evaluate(() => {
        const e = document.activeElement;
        if (!e || e === document.body) return null;
        window.seenByTab ??= new Set();
        const seen = window.seenByTab.has(e);
        window.seenByTab.add(e);
        const r = e.getBoundingClientRect();
        const name = `${e.tagName} ${e.getAttribute('href') || e.id || e.textContent.trim()}`;
        return { seen, name, visible: r.width > 0 && r.height > 0 && r.top >= 0 && r.bottom <= innerHeight + 1 && r.left >= 0 && r.right <= innerWidth + 1 };
      });
      if (!at || at.seen) break;
      assert.ok(at.visible, `${vp.name}: ${at.name} is on screen when it has focus`);
      reached += 1;
      await pub.keyboard.press('Tab');
    }
    assert.equal(reached, focusables, `${vp.name}: Tab reached every link and field once`);
    // A receipt checked by keyboard alone (the record's form works without JavaScript).
    await tabTo(pub, '#receipt-input');
    await pub.keyboard.type('R-2222-2222-2222-2222');
    await pub.keyboard.press('Enter');
    await pub.locator('.notice', { hasText: 'could not find' }).waitFor();
    await pub.goto(record);
    const wide = await pub.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(wide <= vp.width, `${vp.name}: the record is ${wide}px wide at ${vp.width}px`);
    await checkAxe(pub, `public record ${vp.name}`);
    await screenshot(pub, 'public-record');
    assertClean(pub);
    await pub.context().close();
  }

  // Printed to PDF by Chromium: every section is in the printed text.
  const printer = await newPage(browser, { width: 1280, height: 900 });
  await printer.goto(record);
  await printer.emulateMedia({ media: 'print' });
  const pdf = await printer.pdf({ format: 'A4', printBackground: true });
  mkdirSync(SHOT_DIR, { recursive: true });
  const pdfFile = path.join(SHOT_DIR, 'public-record.pdf');
  writeFileSync(pdfFile, pdf);
  const printed = execFileSync('pdftotext', [pdfFile, '-']).toString().normalize('NFKC').replace(/\s+/g, ' ');
  for (const part of ['We asked', 'You said', 'We did', 'What has happened since', DEMO_COUNCIL, 'Close the day centre',
    'The day centre stays open, as its users asked.', 'This decision differs from the result of the vote.', '£410 saved in 2027', fingerprint]) {
    assert.ok(printed.includes(part), `the printed record has “${part}”`);
  }
  assert.ok(!printed.includes('Check your receipt'), 'the receipt form is left off the printout');
  assertClean(printer);
  await printer.context().close();
});

test('every page carries the council’s name, logo, privacy notice and contact (the meeting screen its name); the ballot shows the fingerprint; an unknown address gets pbvote’s own page', { timeout: 120000 }, async () => {
  const demo = await demoId();
  const paper = await ok('GET', `/consultations/${demo}`);
  const council = await ok('GET', '/council');
  assert.equal(council.name, DEMO_COUNCIL);
  assert.equal((await fetch(url(council.logo_url))).status, 200, 'the logo is served');
  const page = await newPage(browser, { width: 360, height: 740 });
  for (const [p, ready] of [['index.html', '#open-heading'], [`vote.html?c=${demo}`, '#fingerprint'], ['receipt.html', 'main form'], ['console/index.html', '#sign-in-form'],
    ['privacy.html', 'main h1'], ['no-such-page.html', 'main h1'], ['deep/no/such/page', 'main h1']]) {
    const res = await page.goto(url(p));
    await page.locator(ready).first().waitFor();
    await page.locator('#council-name').waitFor();
    assert.equal(await text(page.locator('#council-name')), DEMO_COUNCIL, `${p}: the council's name`);
    assert.equal(await page.locator('.site-header img.council-logo').evaluate((img) => img.complete && img.getBoundingClientRect().width > 0), true, `${p}: the logo`);
    assert.equal(await page.locator('#council-privacy').getAttribute('href'), council.privacy_url, `${p}: the privacy notice`);
    assert.equal(await text(page.locator('#council-contact')), `Contact: ${council.contact}`, `${p}: the contact`);
    if (p.includes('no-such') || p.startsWith('deep')) {
      assert.equal(res.status(), 404, `${p}: 404`);
      assert.equal(await text(page.locator('main h1')), 'Page not found');
      const wide = await page.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(wide <= 360, `${p}: no sideways scrolling`);
      await checkAxe(page, p);
    }
  }
  await screenshot(page, 'not-found');
  // The meeting screen in a hall is headed with the council's name too.
  const token = await signInApi(ORGANISER);
  const meeting = await ok('POST', `/consultations/${demo}/meetings`, { token, body: { title: 'Council check meeting', place: 'Town hall' } }, [201]);
  await page.goto(url(`projector.html?m=${meeting.id}`));
  await page.locator('#projector-title', { hasText: 'Council check meeting' }).waitFor();
  await page.locator('#council-name').waitFor();
  assert.equal(await text(page.locator('#council-name')), DEMO_COUNCIL);
  // The ballot page shows the rules' fingerprint the results will show.
  await page.goto(url(`vote.html?c=${demo}`));
  assert.match(await text(page.locator('#fingerprint')), new RegExp(`Rules fingerprint: ${short(paper.fingerprint)}`));
  page.errors = page.errors.filter((e) => !/404/.test(e));
  assertClean(page);
  await page.context().close();
});

test('one user of a service is “1 person”, one vote is “1 list”: never “1 people”', { timeout: 60000 }, async () => {
  const token = await signInApi(ORGANISER);
  const c = await ok('POST', '/consultations', { token, body: {
    title: `One user ${Date.now()}`, description: 'One person who uses the library votes.', currency: 'GBP',
    budget: { overall_budget: null, savings_target: 1000, development_budget: null },
    settings: { rank_depth: 3, minority_share_percent: 50, max_weight: 10, min_group: 1, protect_threshold_percent: 50 },
    areas: [], services: [{ id: 'library', name: 'Library' }],
    proposals: [{ id: 'S1', kind: 'saving', title: 'Close the library', summary: 'The library would close.', amount: 1000, service: 'library' }],
  } }, [201]);
  await ok('POST', `/consultations/${c.id}/open`, { token });
  const { codes } = await ok('POST', `/consultations/${c.id}/voter-codes`, { token, body: { count: 1 } }, [201]);
  await ok('POST', `/consultations/${c.id}/ballots`, { body: { voter_code: codes[0], want: ['S1'], uses: ['library'] } }, [201]);
  await ok('POST', `/consultations/${c.id}/close`, { token });
  const page = await newPage(browser, { width: 360, height: 740 });
  await useSession(page, ORGANISER);
  await page.goto(url(`results.html?c=${c.id}`));
  const numbers = await text(page.locator('#result-S1 .numbers'));
  assert.match(numbers, /^In 1 “want” list and 0 “don’t want” lists\. 1 person said they or someone they care for use Library/);
  assert.doesNotMatch(await text(page.locator('main')), /\b1 people\b|\b1 lists\b/);
  // The code was made after voting opened, and the results say so to everyone.
  assert.equal(await text(page.locator('#codes-given')),
    'Voter codes given out: 1 (1 by letter, 0 at meetings); 1 of them made after voting opened.');
  assertClean(page);
  await page.context().close();
});
