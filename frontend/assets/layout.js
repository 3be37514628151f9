// The header, skip link and footer shared by every page.
import { h, replace } from './dom.js';

export const LAYOUT_TEXT = {
  skip: 'Skip to main content',
  site: 'Have your say on the council budget',
  nav: 'Site',
  home: 'Consultations',
  receipt: 'Check a receipt',
  console: 'Organisers',
  footer: 'Your vote is secret: a receipt proves your vote arrived without showing what is in it.',
  noscript: 'This page needs JavaScript.',
};

/**
 * Fill the page frame. `root` is the path back to the site root ('' or '../').
 * Returns the <main> element to render into.
 */
export function layout({ title, root = '', current = '' } = {}) {
  const T = LAYOUT_TEXT;
  if (title) document.title = `${title} – ${T.site}`;
  const body = document.body;
  const main = document.getElementById('main') || h('main', { id: 'main', tabindex: '-1' });
  const link = (href, text, key) => h('a', { href: root + href, 'aria-current': current === key ? 'page' : null }, text);
  const header = h('header', { class: 'site-header' },
    h('div', { class: 'wrap site-header__inner' },
      h('a', { class: 'site-name', href: root + 'index.html' }, T.site),
      h('nav', { 'aria-label': T.nav },
        h('ul', { class: 'site-nav' },
          h('li', {}, link('index.html', T.home, 'home')),
          h('li', {}, link('receipt.html', T.receipt, 'receipt')),
          h('li', {}, link('console/index.html', T.console, 'console'))))));
  const footer = h('footer', { class: 'site-footer' }, h('div', { class: 'wrap' }, h('p', {}, T.footer)));
  const skip = h('a', { class: 'skip-link', href: '#main' }, T.skip);
  const announcer = document.getElementById('announcer') || h('div', { id: 'announcer', class: 'visually-hidden', 'aria-live': 'polite', role: 'status' });
  replace(body, skip, header, main, footer, announcer);
  main.classList.add('wrap');
  return main;
}
