// The header, skip link and footer shared by every page: the council's name and logo, the
// site's links, and in the footer the council's privacy notice and contact (GET /api/v1/council,
// kept for the tab in sessionStorage so the next page shows it at once).
import { h, replace } from './dom.js';

export const LAYOUT_TEXT = {
  skip: 'Skip to main content',
  site: 'Have your say on the council budget',
  nav: 'Site',
  home: 'Consultations',
  published: 'Published results',
  receipt: 'Check a receipt',
  console: 'Council staff',
  footer: 'Your vote is secret: a receipt proves your vote arrived without showing what is in it.',
  privacy: 'Privacy notice',
  contact: 'Contact: {contact}',
  noscript: 'This page needs JavaScript.',
};

const COUNCIL_KEY = 'pbvote.council';

function storedCouncil() {
  try { return JSON.parse(sessionStorage.getItem(COUNCIL_KEY) || 'null'); } catch { return null; }
}

/** The council's settings: from this tab's copy at once, then from the server (fetched once per page). */
let councilRequest = null;
export function council() {
  if (!councilRequest) {
    councilRequest = fetch('/api/v1/council', { headers: { Accept: 'application/json' }, credentials: 'same-origin' })
      .then((r) => (r.ok ? r.json() : null))
      .then((c) => {
        if (c && typeof c.name === 'string') { try { sessionStorage.setItem(COUNCIL_KEY, JSON.stringify(c)); } catch { /* private mode */ } }
        return c;
      })
      .catch(() => null);
  }
  return councilRequest;
}

/** Fill the header's brand and the footer's council lines from the council's settings. */
function showCouncil(c, brand, lines) {
  if (!c || typeof c.name !== 'string') return;
  replace(brand,
    c.logo_url ? h('img', { class: 'council-logo', src: c.logo_url, alt: '' }) : null,
    h('span', { class: 'site-name__council', id: 'council-name' }, c.name),
    h('span', { class: 'site-name__site' }, LAYOUT_TEXT.site));
  // Only a web address, or one on this site, is linked: never javascript: or the like.
  const privacy = typeof c.privacy_url === 'string' && /^(https?:\/\/|\/)/i.test(c.privacy_url) ? c.privacy_url : null;
  replace(lines,
    privacy ? h('li', {}, h('a', { href: privacy, id: 'council-privacy' }, LAYOUT_TEXT.privacy)) : null,
    c.contact ? h('li', { id: 'council-contact' }, LAYOUT_TEXT.contact.replace('{contact}', c.contact)) : null);
}

/**
 * Fill the page frame. `root` is the path back to the site root ('' or '../', or '/' for a
 * page that may be served at any address, such as the 404 page).
 * Returns the <main> element to render into.
 */
export function layout({ title, root = '', current = '' } = {}) {
  const T = LAYOUT_TEXT;
  if (title) document.title = `${title} – ${T.site}`;
  const body = document.body;
  const main = document.getElementById('main') || h('main', { id: 'main', tabindex: '-1' });
  const link = (href, text, key) => h('a', { href: root + href, 'aria-current': current === key ? 'page' : null }, text);
  const brand = h('a', { class: 'site-name', href: root + 'index.html' }, T.site);
  const lines = h('ul', { class: 'site-footer__council' });
  const header = h('header', { class: 'site-header' },
    h('div', { class: 'wrap site-header__inner' },
      brand,
      h('nav', { 'aria-label': T.nav },
        h('ul', { class: 'site-nav' },
          h('li', {}, link('index.html', T.home, 'home')),
          h('li', {}, h('a', { href: '/published/', 'aria-current': current === 'published' ? 'page' : null }, T.published)),
          h('li', {}, link('receipt.html', T.receipt, 'receipt')),
          h('li', {}, link('console/index.html', T.console, 'console'))))));
  const footer = h('footer', { class: 'site-footer' }, h('div', { class: 'wrap' }, lines, h('p', {}, T.footer)));
  const skip = h('a', { class: 'skip-link', href: '#main' }, T.skip);
  const announcer = document.getElementById('announcer') || h('div', { id: 'announcer', class: 'visually-hidden', 'aria-live': 'polite', role: 'status' });
  replace(body, skip, header, main, footer, announcer);
  main.classList.add('wrap');
  const known = storedCouncil();
  if (known) showCouncil(known, brand, lines);
  council().then((c) => { if (c && JSON.stringify(c) !== JSON.stringify(known)) showCouncil(c, brand, lines); });
  return main;
}
