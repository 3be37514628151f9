// Scenarios 4 and 5: every page (and each step of the ballot) passes axe-core with no serious or
// critical problem, at 360×740 and 1280×900, and a screenshot of each is saved under
// target/browser-screenshots/ (not committed).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { launch, newPage, url, checkAxe, screenshot, assertClean, signInPage, signInApi, useSession, ok, demoId, demoCode, workedExample, VIEWPORTS, SHOT_DIR, ORGANISER, OFFICER } from './lib.mjs';

let browser;
let data;
const report = {};

before(async () => {
  browser = await launch();
  const token = await signInApi(ORGANISER);
  const demo = await demoId();
  const published = await workedExample(token, { title: `Published example ${Date.now()}`, phase: 'published' });
  const draft = await ok('POST', '/consultations', { token, body: {
    title: 'Lakeside budget 2027 (draft)',
    description: 'A draft used to check how the console looks.',
    currency: 'GBP',
    budget: { overall_budget: 5000000000, savings_target: 120000, development_budget: 45000 },
    areas: ['Lakeside North', 'Lakeside South'],
    services: [{ id: 'library', name: 'Library', description: 'The library on Market Street.' }],
    proposals: [
      { kind: 'saving', title: 'Open the library four days a week', summary: 'The library would close on Mondays and Tuesdays.', amount: 60000, service: 'library' },
      { kind: 'development', title: 'Free swimming for under-16s', summary: 'Children could swim for free at weekends.', amount: 25000 },
    ],
  } }, [201]);
  if (!(draft.services || []).length) await ok('POST', `/consultations/${draft.id}/services`, { token, body: { id: 'library', name: 'Library' } }, [201]);
  if (!(draft.proposals || []).length) await ok('POST', `/consultations/${draft.id}/proposals`, { token, body: { kind: 'saving', title: 'Open the library four days a week', summary: 'The library would close two days a week.', amount: 60000, service: 'library' } }, [201]);
  const codes = [];
  for (const _ of VIEWPORTS) codes.push(await demoCode(token));
  const receiptCode = await demoCode(token);
  const r = await ok('POST', `/consultations/${demo}/ballots`, { body: { voter_code: receiptCode, want: [], dont_want: [], uses: [] } }, [201]);
  // A meeting that votes (with a slip for each width, a proposal in focus and an officer), and one
  // that has closed with its result revealed.
  const hall = await workedExample(token, { title: `Hall pages ${Date.now()}`, phase: 'open' });
  const voting = await ok('POST', `/consultations/${hall}/meetings`, { token, body: { title: 'Riverside community meeting', place: 'Riverside library, Mill Street' } }, [201]);
  const { slips } = await ok('POST', `/meetings/${voting.id}/slips`, { token, body: { count: VIEWPORTS.length } }, [201]);
  await ok('POST', `/meetings/${voting.id}/officers`, { token, body: { email: OFFICER.email } }, [201]);
  await ok('PUT', `/meetings/${voting.id}/focus`, { token, body: { proposal: 'S1' } });
  await ok('POST', `/meetings/${voting.id}/open`, { token });
  const officer = await signInApi(OFFICER);
  await ok('POST', `/meetings/${voting.id}/paper`, { token: officer, body: { serial: '0001', want: ['S3'], dont_want: ['S1'], uses: ['day-centre'] } }, [201]);
  const closed = await ok('POST', `/consultations/${hall}/meetings`, { token, body: { title: 'Northside meeting', place: 'Northside school hall' } }, [201]);
  const more = await ok('POST', `/meetings/${closed.id}/slips`, { token, body: { count: 5 } }, [201]);
  await ok('POST', `/meetings/${closed.id}/open`, { token });
  const wants = [['S3', 'S2'], ['S3', 'D1'], ['S2', 'S3'], ['D1'], ['S3']];
  for (const [j, s] of more.slips.entries()) await ok('POST', `/meetings/${closed.id}/ballots`, { body: { voter_code: s.code, want: wants[j], dont_want: j % 2 ? ['S1'] : [], uses: [] } }, [201]);
  await ok('POST', `/meetings/${closed.id}/close`, { token, body: {} });
  await ok('POST', `/meetings/${closed.id}/reveal`, { token });
  const letters = await ok('POST', `/consultations/${hall}/voter-codes`, { token, body: { count: VIEWPORTS.length } }, [201]);
  data = { demo, published, draft: draft.id, codes, receipt: r.receipt, meeting: voting.id, slips, revealed: closed.id, letters: letters.codes };
});

after(async () => {
  await browser?.close();
  mkdirSync(SHOT_DIR, { recursive: true });
  writeFileSync(path.join(SHOT_DIR, 'axe-report.json'), JSON.stringify(report, null, 2));
});

async function check(page, name) {
  assert.equal(await page.locator('#page-loading').count(), 0, `${name}: the script replaced the static “Loading…” text`);
  const violations = await checkAxe(page, name);
  const vp = page.viewportSize();
  const wide = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(wide <= vp.width, `${name}: the page is ${wide}px wide at ${vp.width}px; nothing should need sideways scrolling`);
  report[`${name}-${vp.width}`] = violations;
  await screenshot(page, name);
}

for (const [i, vp] of VIEWPORTS.entries()) {
  test(`every page is accessible and looks right at ${vp.width}×${vp.height}`, { timeout: 300000 }, async (t) => {
    const page = await newPage(browser, vp);
    page.on('dialog', (d) => d.accept());
    const step = (name, fn) => t.test(name, async () => { await fn(); await check(page, name); });

    await step('home', async () => {
      await page.goto(url('index.html'));
      await page.locator('#open-heading').waitFor();
    });
    await step('vote', async () => {
      await page.goto(url(`vote.html?c=${data.demo}`));
      await page.locator('[data-proposal]').first().waitFor();
    });
    await step('vote-choices', async () => {
      const ids = await page.$$eval('[data-proposal]', (els) => els.map((e) => e.dataset.proposal));
      await page.locator(`button[data-action="want"][data-id="${ids[0]}"]`).click();
      await page.locator(`button[data-action="want"][data-id="${ids[ids.length - 1]}"]`).click();
      await page.locator(`button[data-action="dont"][data-id="${ids[1]}"]`).click();
      await page.locator(`#want-list button[data-action="up"][data-id="${ids[ids.length - 1]}"]`).click();
      const first = page.locator('input[name="uses"]').first();
      if (await first.count()) await first.check();
      const details = page.locator('[data-proposal] details');
      if (await details.count()) await details.first().evaluate((d) => { d.open = true; });
    });
    await step('vote-error', async () => {
      await page.locator('#voter-code').fill('AAAA-BBBB-CCCC');
      await page.locator('#review-button').click();
      await page.locator('#send-button').click();
      await page.locator('#voter-code-error').waitFor({ state: 'visible' });
    });
    await step('vote-review', async () => {
      await page.locator('#voter-code').fill(data.codes[i]);
      await page.locator('#review-button').click();
      await page.locator('#send-button').waitFor();
    });
    await step('vote-receipt', async () => {
      await page.locator('#send-button').click();
      await page.locator('#receipt-code').waitFor();
    });
    await step('go-missing', async () => {
      await page.goto(url('go'));
      await page.locator('#code-form').waitFor();
    });
    await step('go-wrong', async () => {
      await page.goto(url('go#2222-3333-4444'));
      await page.locator('#code-error:not([hidden])').waitFor();
    });
    await step('vote-hall', async () => {
      await page.goto(data.slips[i].link);
      await page.locator('#hall-phase', { hasText: 'Voting is open' }).waitFor();
      await page.locator('[data-proposal]').first().waitFor();
    });
    await step('vote-hall-review', async () => {
      await page.locator('button[data-action="want"][data-id="S3"]').click();
      await page.locator('#review-button').click();
      await page.locator('#send-button').waitFor();
    });
    await step('vote-hall-receipt', async () => {
      await page.locator('#send-button').click();
      await page.locator('#receipt-code').waitFor();
    });
    await step('projector', async () => {
      await page.goto(url(`projector.html?m=${data.meeting}`));
      await page.locator('#focus h2').waitFor();
      await page.locator('#count-voted', { hasText: /\d/ }).waitFor();
    });
    await step('projector-result', async () => {
      await page.goto(url(`projector.html?m=${data.revealed}`));
      await page.locator('#savings-results li').first().waitFor();
    });
    await step('receipt', async () => {
      await page.goto(url(`receipt.html?r=${data.receipt}`));
      await page.locator('#receipt-result h2').waitFor();
    });
    await step('results', async () => {
      await page.goto(url(`results.html?c=${data.published}`));
      await page.locator('#result-S1').waitFor();
      await page.locator('#who-got-nothing').waitFor(); // the review below the result, public once published
    });
    await step('published-list', async () => {
      await page.goto(url('published/'));
      await page.locator(`a[href="/published/${data.published}"]`).waitFor();
    });
    await step('published-record', async () => {
      await page.goto(url(`published/${data.published}`));
      await page.locator('#we-did').waitFor();
    });
    await step('not-found', async () => {
      await page.goto(url('no/such/page'));
      await page.locator('#council-name').waitFor();
    });
    await step('console-sign-in', async () => {
      await page.goto(url('console/index.html'));
      await page.getByRole('button', { name: 'Sign in' }).waitFor();
    });
    await step('console-list', async () => {
      await signInPage(page, ORGANISER);
      await page.locator('#consultations').waitFor();
    });
    await step('console-new', async () => {
      await page.goto(url('console/new.html'));
      await page.locator('#details-form').waitFor();
      await page.locator('#details-form details').evaluate((d) => { d.open = true; });
    });
    await step('console-consultation', async () => {
      await page.goto(url(`console/consultation.html?c=${data.draft}`));
      await page.locator('#proposals-list').waitFor();
      await page.locator('#codes-stats:not(:empty)').waitFor().catch(() => {});
    });
    await step('console-codes', async () => {
      await page.getByLabel('How many codes to make').fill('3');
      await page.locator('#generate-button').click();
      await page.locator('#codes-list li').first().waitFor();
    });
    await step('console-letters', async () => {
      await page.locator('#letters-link').click();
      await page.locator('.letter').first().waitFor();
    });
    await step('console-results-signed-in', async () => {
      await page.goto(url(`results.html?c=${data.published}`));
      await page.locator('#codes-used:not([hidden])').waitFor();
      await page.locator('#decision-list').waitFor(); // an organiser sees the decisions, without the form
    });
    await step('console-meetings', async () => {
      await page.goto(url(`console/consultation.html?c=${data.draft}`));
      await page.locator('#meeting-form').waitFor();
      await page.locator('#meeting-title').fill('Lakeside meeting');
      await page.locator('#meeting-place').fill('Lakeside community centre');
      await page.locator('#meeting-submit').click();
      await page.locator('#meetings-list li').first().waitFor();
    });
    await step('console-meeting', async () => {
      await page.goto(url(`console/meeting.html?m=${data.meeting}`));
      await page.locator('#reconciliation-table').waitFor();
      await page.locator('#live-counts', { hasText: /voted/ }).waitFor();
    });
    await step('console-meeting-exchange', async () => {
      await page.locator('#letter-code').fill(data.letters[i]);
      await page.locator('#exchange-button').click();
      await page.locator('#slip-exchanged img').waitFor();
    });
    await step('console-slips', async () => {
      await page.goto(url(`console/meeting.html?m=${data.meeting}`));
      await page.locator('#slip-count').fill('3');
      await page.locator('#slips-button').click();
      await page.locator('#print-slips-link').click();
      await page.locator('.slip img').nth(2).waitFor();
    });
    await step('console-paper', async () => {
      await page.goto(url(`console/paper.html?m=${data.meeting}`));
      await page.locator('#entries-table').waitFor();
    });
    await step('console-officer', async () => {
      await useSession(page, OFFICER);
      await page.goto(url('console/index.html'));
      await page.locator('#meetings li').first().waitFor();
    });
    assertClean(page);
    await page.context().close();
  });
}

test('if the scripts do not load, every page still shows a header, a heading, what to do and a way home', { timeout: 120000 }, async () => {
  const pages = {
    'index.html': 'Have your say on the council budget',
    [`vote.html?c=${data.demo}`]: 'Your vote',
    'receipt.html': 'Check a receipt',
    [`results.html?c=${data.published}`]: 'Results',
    'console/index.html': 'Council staff console',
    'console/new.html': 'Create a consultation',
    [`console/consultation.html?c=${data.draft}`]: 'Manage a consultation',
    'console/letters.html': 'Letters with voter codes',
    go: 'Open your ballot',
    [`projector.html?m=${data.meeting}`]: 'Meeting screen',
    [`console/meeting.html?m=${data.meeting}`]: 'Run a meeting',
    [`console/paper.html?m=${data.meeting}`]: 'Paper ballots',
    [`console/slips.html?m=${data.meeting}`]: 'Admission slips',
    'console/accounts.html': 'Staff accounts',
    'console/audit.html': 'Audit record',
    'console/two-step.html': 'Two-step sign-in',
    'console/welcome.html': 'Set your password',
    [`console/roll.html?c=${data.draft}`]: 'Voter roll',
  };
  const page = await newPage(browser, { width: 360, height: 740 });
  await page.route('**/assets/*.js', (route) => route.abort('failed'));
  for (const [p, heading] of Object.entries(pages)) {
    await page.goto(url(p));
    assert.equal((await page.locator('h1').textContent()).trim(), heading, `${p}: the heading`);
    assert.match(await page.locator('#page-loading').textContent(), /^Loading… If nothing appears, reload the page or contact the council\.$/, `${p}: what to do`);
    const home = await page.locator('main a').first().evaluate((a) => a.href);
    assert.equal(home, url('index.html'), `${p}: a link home`);
    assert.equal(await page.locator('.site-header .site-name').isVisible(), true, `${p}: the header`);
    await checkAxe(page, `${p} without scripts`);
  }
  // The only errors are the scripts we blocked.
  page.errors = page.errors.filter((e) => !/ERR_FAILED/.test(e));
  assertClean(page);
  await page.context().close();
});

test('the status on the home page is a plain label, not something that looks like a button', { timeout: 60000 }, async () => {
  const page = await newPage(browser, { width: 360, height: 740 });
  await page.goto(url('index.html'));
  await page.locator('#open-heading').waitFor();
  const line = page.locator('#open-heading ~ ul .status-line').first();
  assert.match((await line.textContent()).trim(), /^Status: Open for votes$/);
  const look = await line.locator('.tag--phase').evaluate((e) => { const s = getComputedStyle(e); return { border: s.borderTopWidth, radius: s.borderTopLeftRadius, padding: s.paddingLeft, display: s.display }; });
  assert.deepEqual(look, { border: '0px', radius: '0px', padding: '0px', display: 'inline' });
  assertClean(page);
  await page.context().close();
});

test('pages answer at the addresses in the brief', async () => {
  for (const p of ['', 'index.html', 'vote.html', 'receipt.html', 'results.html', 'console/index.html', 'console/new.html', 'console/consultation.html', 'console/letters.html',
    'go', 'go.html', 'projector.html', 'console/meeting.html', 'console/paper.html', 'console/slips.html',
    'assets/style.css', 'assets/api.js', 'assets/format.js', 'assets/go.js', 'assets/projector.js', 'assets/meeting-live.js', 'assets/bars.js', 'assets/printing.js']) {
    const r = await fetch(url(p));
    assert.equal(r.status, 200, `/${p}`);
  }
  const root = await (await fetch(url(''))).text();
  assert.match(root, /lang="en-GB"/);
  const missing = await fetch(url('no-such-page.html'));
  assert.equal(missing.status, 404);
});
