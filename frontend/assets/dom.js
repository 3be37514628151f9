// Tiny DOM helpers: build elements without innerHTML (so text from the server is never parsed as HTML).

/**
 * h('button', {class: 'btn', onclick: fn, 'aria-label': 'x'}, 'text', childNode, [more])
 * Props: class, text, html is NOT supported on purpose; on* → event listeners;
 * boolean true → attribute present; false/null/undefined → omitted; dataset via data-*.
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v === false || v === null || v === undefined) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'style') el.style.cssText = v; // CSSOM, so a strict Content-Security-Policy still allows it
    else if (k === 'text') el.textContent = v;
    else if (k === 'value' && 'value' in el) el.value = v;
    else if (k === 'checked' || k === 'selected') el[k] = Boolean(v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

/** Like el.replaceChildren(), but skips null / undefined / false (replaceChildren would print "null"). */
export function replace(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

export function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/** An inline SVG icon, hidden from assistive technology (the text next to it says the same). */
export function icon(name) {
  const paths = {
    check: 'M4 12.5l5 5L20 6.5',
    cross: 'M6 6l12 12M18 6L6 18',
    shield: 'M12 3l7 3v5c0 5-3.5 8.5-7 10-3.5-1.5-7-5-7-10V6l7-3z',
    info: 'M12 8h.01M11 12h1v5h1',
    up: 'M12 19V5M6 11l6-6 6 6',
    down: 'M12 5v14M6 13l6 6 6-6',
    print: 'M7 9V3h10v6M7 17H4v-7h16v7h-3M7 14h10v7H7z',
  };
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('width', '20');
  svg.setAttribute('height', '20');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  svg.setAttribute('class', `icon icon-${name}`);
  const p = document.createElementNS(ns, 'path');
  p.setAttribute('d', paths[name] || '');
  p.setAttribute('fill', 'none');
  p.setAttribute('stroke', 'currentColor');
  p.setAttribute('stroke-width', '2.5');
  p.setAttribute('stroke-linecap', 'round');
  p.setAttribute('stroke-linejoin', 'round');
  svg.append(p);
  return svg;
}

/** Text only screen readers hear. */
export function srOnly(text) {
  return h('span', { class: 'visually-hidden' }, text);
}

/** Move focus to an element that is not normally focusable (a heading, a message). */
export function focusEl(el) {
  if (!el) return;
  for (let d = el.closest('details'); d; d = d.parentElement?.closest('details')) d.open = true;
  if (!el.hasAttribute('tabindex') && !/^(A|BUTTON|INPUT|SELECT|TEXTAREA)$/.test(el.tagName)) {
    el.setAttribute('tabindex', '-1');
  }
  el.focus();
  const reduce = window.matchMedia && window.matchMedia('(prefers-reduced-motion: reduce)').matches;
  el.scrollIntoView({ block: 'center', behavior: reduce ? 'auto' : 'smooth' });
}

/** Announce a message through a polite live region (created once per page). */
let liveRegion;
let pending = null;
export function announce(message) {
  if (!liveRegion || !liveRegion.isConnected) {
    liveRegion = document.getElementById('announcer') || h('div', { id: 'announcer', class: 'visually-hidden', 'aria-live': 'polite', role: 'status' });
    if (!liveRegion.isConnected) document.body.append(liveRegion);
  }
  // Clear then set, so the same message twice is still read out. A message still on its way
  // is dropped: the newer one is what is true now.
  clearTimeout(pending);
  liveRegion.textContent = '';
  pending = message ? setTimeout(() => { pending = null; liveRegion.textContent = message; }, 50) : null;
}

/**
 * Empty the live region (and drop a message still on its way), so that a status that is no
 * longer true ("Sending your vote…") is not left there to be read out later.
 */
export function quiet() {
  announce('');
}

/**
 * Wrap an event handler that sends something to the server so that it runs once at a time:
 * while it is running, another call (a second Enter, a double click) is ignored. A form's
 * submit event is always prevented. The form's submit buttons, or the button clicked, are
 * marked aria-disabled meanwhile: never `disabled`, which would drop keyboard focus to <body>.
 */
export function oneAtATime(fn) {
  let running = false;
  return async function guarded(e, ...rest) {
    if (e && e.type === 'submit') e.preventDefault();
    if (running) return undefined;
    running = true;
    const target = e && e.currentTarget;
    let buttons = [];
    if (target && target.tagName === 'FORM') buttons = [...target.querySelectorAll('button[type="submit"], button:not([type])')];
    else if (target && target.tagName === 'BUTTON') buttons = [target];
    const before = buttons.map((b) => b.getAttribute('aria-disabled'));
    for (const b of buttons) b.setAttribute('aria-disabled', 'true');
    try {
      return await fn.call(this, e, ...rest);
    } finally {
      running = false;
      buttons.forEach((b, i) => { if (before[i] === null) b.removeAttribute('aria-disabled'); else b.setAttribute('aria-disabled', before[i]); });
    }
  };
}

/**
 * Fill `box` with an error summary: a heading and one link per problem that moves focus to the
 * field it is about; then show and focus it. `items` are [message, element-to-focus] pairs.
 */
export function showErrorSummary(box, heading, items, { level = 'h2' } = {}) {
  replace(box,
    h(level, {}, heading),
    h('ul', { class: 'error-summary__list' }, items.map(([text, target]) => h('li', {},
      target && target.id
        ? h('a', { href: `#${target.id}`, onclick: (e) => { e.preventDefault(); focusEl(target); } }, text)
        : text))));
  box.classList.add('error-summary');
  box.hidden = false;
  focusEl(box);
}

/** A labelled form field: returns {wrap, input, error, hint}. */
export function field({ id, label, type = 'text', hint, required = false, attrs = {}, options, value, multiline = false }) {
  const hintId = hint ? `${id}-hint` : null;
  const errorId = `${id}-error`;
  let input;
  if (options) {
    input = h('select', { id, name: id, ...attrs }, options.map(([v, t]) => h('option', { value: v }, t)));
    if (value !== undefined && value !== null) input.value = value;
  } else if (multiline) {
    input = h('textarea', { id, name: id, rows: 4, ...attrs });
    if (value !== undefined && value !== null) input.value = value;
  } else {
    input = h('input', { id, name: id, type, ...attrs });
    if (value !== undefined && value !== null) input.value = value;
  }
  if (required) input.required = true;
  const describedBy = [hintId].filter(Boolean).join(' ');
  if (describedBy) input.setAttribute('aria-describedby', describedBy);
  const error = h('p', { id: errorId, class: 'field-error', hidden: true });
  const wrap = h('div', { class: 'field' },
    h('label', { for: id }, label),
    hint ? h('p', { id: hintId, class: 'hint' }, hint) : null,
    error,
    input);
  return { wrap, input, error, hint: hintId };
}

/** Show or clear an error on a field made by field(). */
export function setFieldError(f, message) {
  const ids = new Set((f.input.getAttribute('aria-describedby') || '').split(' ').filter(Boolean));
  if (message) {
    f.error.textContent = message;
    f.error.hidden = false;
    f.input.setAttribute('aria-invalid', 'true');
    ids.add(f.error.id);
    f.wrap.classList.add('field--error');
  } else {
    f.error.textContent = '';
    f.error.hidden = true;
    f.input.removeAttribute('aria-invalid');
    ids.delete(f.error.id);
    f.wrap.classList.remove('field--error');
  }
  if (ids.size) f.input.setAttribute('aria-describedby', [...ids].join(' '));
  else f.input.removeAttribute('aria-describedby');
}
