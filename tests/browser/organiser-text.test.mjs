// What organisers type ends up on every page, and pages must hold up whatever it is:
// - ids that differ only in `.` and `_` (both allowed in ids) are separate choices on the
//   ballot: a click on one service's label ticks that service, not the other;
// - a very long unbroken word in a title, a name or an area never makes a page wider than a
//   phone (360 px), on any page that shows it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, newPage, url, assertClean, useSession, signInApi, ok, ORGANISER } from './lib.mjs';

let browser;
let token;

before(async () => {
  browser = await launch();
  token = await signInApi(ORGANISER);
});

after(async () => { await browser?.close(); });

/** Ids used by more than one element of the page. */
async function duplicateIds(page) {
  return page.evaluate(() => {
    const seen = new Map();
    for (const e of document.querySelectorAll('[id]')) seen.set(e.id, (seen.get(e.id) || 0) + 1);
    return [...seen].filter(([, n]) => n > 1).map(([id]) => id);
  });
}

test('services and proposals whose ids differ only in . and _ are separate choices', { timeout: 120000 }, async () => {
  const c = await ok('POST', '/consultations', { token, body: {
    title: `Look-alike ids ${Date.now()}`,
    services: [{ id: 'a.b', name: 'Day centre' }, { id: 'a_b', name: 'Library' }, { id: 'error', name: 'Error helpline' }],
    proposals: [
      { id: 'p.1', kind: 'saving', title: 'Close the day centre', amount: 100, service: 'a.b' },
      { id: 'p_1', kind: 'saving', title: 'Close the library', amount: 100, service: 'a_b' },
    ],
  } }, [201]);
  await ok('POST', `/consultations/${c.id}/open`, { token });
  const page = await newPage(browser, { width: 1280, height: 900 });
  await page.goto(url(`vote.html?c=${c.id}`));
  await page.locator('[data-proposal]').first().waitFor();
  assert.deepEqual(await duplicateIds(page), [], 'every element id on the ballot is used once');

  const box = (id) => page.locator(`input[name="uses"][value="${id}"]`);
  await page.locator('label.check', { hasText: 'Library' }).click();
  assert.equal(await box('a_b').isChecked(), true, 'a click on “Library” ticks Library');
  assert.equal(await box('a.b').isChecked(), false, 'and not the day centre');
  await page.locator('label.check', { hasText: 'Day centre' }).click();
  await page.locator('label.check', { hasText: 'Library' }).click();
  assert.equal(await box('a.b').isChecked(), true, 'a click on “Day centre” ticks the day centre');
  assert.equal(await box('a_b').isChecked(), false, 'a second click on “Library” unticks Library only');
  assert.equal(await page.getByRole('checkbox', { name: 'Library' }).count(), 1, 'each box is named by its own label');

  // Each proposal's buttons are labelled by that proposal's own title.
  for (const [id, title] of [['p.1', 'Close the day centre'], ['p_1', 'Close the library']]) {
    const label = await page.locator(`[data-proposal="${id}"] [role="group"]`).evaluate((g) => document.getElementById(g.getAttribute('aria-labelledby'))?.textContent);
    assert.equal(label, title, `the buttons of ${id} are labelled by its title`);
  }
  await page.locator('button[data-action="want"][data-id="p_1"]').click();
  assert.deepEqual(await page.$$eval('#want-list li[data-id]', (els) => els.map((e) => e.dataset.id)), ['p_1']);
  assertClean(page);
});

test('a very long unbroken title, name or area never makes a page wider than a phone', { timeout: 240000 }, async () => {
  // The longest each field takes, as one word: titles and names 200 characters, areas 100.
  const word = (n, stem) => stem.repeat(Math.ceil(n / stem.length)).slice(0, n);
  const text = {
    title: word(200, 'Riverside'),
    description: `Read this: ${word(300, 'Consultation')}`,
    area: word(100, 'Northfield'),
    service: word(200, 'Library'),
    proposal: word(200, 'Closure'),
    summary: `It would ${word(300, 'Saving')}`,
  };
  const body = {
    title: text.title,
    description: text.description,
    areas: [text.area],
    services: [{ id: 'library', name: text.service, description: word(300, 'Books') }],
    proposals: [
      { id: 'S1', kind: 'saving', title: text.proposal, summary: text.summary, details: word(300, 'Detail'), amount: 100, service: 'library' },
      { id: 'D1', kind: 'development', title: word(200, 'Youthclub'), amount: 100 },
    ],
  };
  const open = (await ok('POST', '/consultations', { token, body }, [201])).id;
  await ok('POST', `/consultations/${open}/open`, { token });
  const { codes, ballot_url: ballotUrl } = await ok('POST', `/consultations/${open}/voter-codes`, { token, body: { count: 2 } }, [201]);
  const cast = await ok('POST', `/consultations/${open}/ballots`, { body: { voter_code: codes[0], want: ['S1'], uses: ['library'], area: text.area } }, [201]);
  const published = (await ok('POST', '/consultations', { token, body }, [201])).id;
  for (const step of ['open', 'close', 'publish']) await ok('POST', `/consultations/${published}/${step}`, { token });

  const page = await newPage(browser, { width: 360, height: 740 });
  const fits = async (name) => {
    const wide = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(wide <= 360, `${name}: the page is ${wide}px wide at 360px`);
  };
  const shows = async (name, path, ready, seen = text.title) => {
    await page.goto(url(path));
    await page.locator(ready).first().waitFor();
    assert.ok((await page.locator('main').textContent()).includes(seen), `${name} shows the long text`);
    await fits(name);
  };
  await shows('home', 'index.html', '#open-heading');
  await shows('ballot', `vote.html?c=${open}`, '[data-proposal]');
  assert.ok((await page.locator('main').textContent()).includes(text.service), 'the ballot names the service');
  // The review step too, with the long area chosen.
  await page.locator('button[data-action="want"][data-id="S1"]').click();
  await page.locator('#area').selectOption(text.area);
  await page.locator('#voter-code').fill(codes[1]);
  await page.locator('#review-button').click();
  await page.locator('#send-button').waitFor();
  await fits('ballot review');
  await shows('receipt', `receipt.html?r=${encodeURIComponent(cast.receipt)}`, '#receipt-result *');
  await shows('results', `results.html?c=${published}`, '#summary-heading');

  await useSession(page, ORGANISER);
  await shows('console home', 'console/index.html', '#consultations');
  await shows('console consultation', `console/consultation.html?c=${open}`, '#sign-out');
  await page.evaluate(([id, title, url, codes]) => sessionStorage.setItem('pbvote.codes', JSON.stringify({ consultation_id: id, title, ballot_url: url, codes })), [open, text.title, ballotUrl, codes]);
  await shows('letters', `console/letters.html?c=${open}`, '#letters');
  assertClean(page);
});
