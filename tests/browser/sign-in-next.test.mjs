// After signing in, the console goes on only to one of its own pages (`?next=`): never to
// another site, however the address is spelt. Browsers drop tabs and line breaks from
// addresses, so `/%09/evil.example/x` is `//evil.example/x` by the time it is followed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, newPage, url, BASE, assertClean, useSession, signInApi, ok, ORGANISER, COMMISSIONER } from './lib.mjs';

let browser;
let draft;
let closed;

before(async () => {
  browser = await launch();
  const token = await signInApi(ORGANISER);
  draft = (await ok('POST', '/consultations', { token, body: { title: `Next page check ${Date.now()}` } }, [201])).id;
  const open = await ok('POST', '/consultations', { token, body: {
    title: `Next page results ${Date.now()}`,
    proposals: [{ id: 'S1', kind: 'saving', title: 'Close the library', amount: 100 }],
  } }, [201]);
  closed = open.id;
  await ok('POST', `/consultations/${closed}/open`, { token });
  await ok('POST', `/consultations/${closed}/close`, { token });
});

after(async () => { await browser?.close(); });

// Raw query-string values, as an attacker would put them in a link.
const ELSEWHERE = () => [
  '/%09/evil.example/x',
  '/%0A/evil.example/x',
  '/%0D%0A/evil.example/x',
  '%09/%09/evil.example',
  '//evil.example/x',
  '%2F%2Fevil.example%2Fx',
  'https://evil.example/x',
  'https:evil.example',
  '/%5Cevil.example',
  '%5C%5Cevil.example',
  'java%09script:alert(1)',
  'data:text/html,hello',
  '../../evil.example',
  '/console/new.html',
  `consultation.html%3Fc%3D${draft}%26x%3D%2F%2Fevil.example`,
  `letters.html%3Fc%3Dnot-a-uuid`,
];

/** A page on which any request to evil.example is answered, and counted. */
async function guardedPage() {
  const page = await newPage(browser, { width: 1280, height: 900 });
  page.evil = [];
  await page.context().route((u) => u.hostname.endsWith('evil.example'), (route) => { page.evil.push(route.request().url()); return route.fulfill({ status: 200, contentType: 'text/html', body: '<p>evil</p>' }); });
  page.on('dialog', (d) => { page.errors.push(`a dialog opened: ${d.message()}`); return d.dismiss(); });
  return page;
}

async function expectConsoleHome(page, next) {
  await page.locator('#console-heading').waitFor();
  await page.waitForTimeout(200); // a redirect, if any, would have started
  assert.ok(page.url().startsWith(`${BASE}/console/index.html`), `next=${next} led to ${page.url()}`);
  assert.deepEqual(page.evil, [], `next=${next} reached another site`);
}

test('a signed-in organiser is never sent to another site by ?next=', { timeout: 120000 }, async () => {
  const page = await guardedPage();
  await useSession(page, ORGANISER);
  for (const next of ELSEWHERE()) {
    await page.goto(url(`console/index.html?next=${next}`));
    await expectConsoleHome(page, next);
  }
  // The console's own pages are followed.
  await page.goto(url(`console/index.html?next=${encodeURIComponent(`consultation.html?c=${draft}`)}`));
  await page.waitForURL(`${BASE}/console/consultation.html?c=${draft}`);
  await page.goto(url(`console/index.html?next=${encodeURIComponent('new.html')}`));
  await page.waitForURL(`${BASE}/console/new.html`);
  // The results page's sign-in link.
  await page.goto(url(`console/index.html?next=${encodeURIComponent(`../results.html?c=${closed}`)}`));
  await page.waitForURL(`${BASE}/results.html?c=${closed}`);
  assertClean(page);
});

test('signing in with the form goes on to the page asked for, and only to the console’s own', { timeout: 120000 }, async () => {
  const page = await guardedPage();
  // A page of the console without a session sends the reader to sign in, and back after.
  await page.goto(url(`console/consultation.html?c=${draft}`));
  await page.waitForURL(/\/console\/index\.html\?next=/);
  await page.getByLabel('Email address').fill(COMMISSIONER.email);
  await page.getByLabel('Password').fill(COMMISSIONER.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${BASE}/console/consultation.html?c=${draft}`);

  // Another site in ?next= on the sign-in form: the console home after signing in.
  const fresh = await guardedPage();
  await fresh.goto(url(`console/index.html?next=/%09/evil.example/x`));
  await fresh.getByLabel('Email address').fill(COMMISSIONER.email);
  await fresh.getByLabel('Password').fill(COMMISSIONER.password);
  await fresh.getByRole('button', { name: 'Sign in' }).click();
  await expectConsoleHome(fresh, '/%09/evil.example/x');
  assertClean(page);
  assertClean(fresh);
});
