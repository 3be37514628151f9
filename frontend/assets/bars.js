// Score bars, drawn the same way on the results page and the projector: one row per score, a
// track with a zero line in the middle, positive scores to the right and negative ones to the
// left, the number beside it in text (the bars themselves are hidden from screen readers).
import { h } from './dom.js';
import { formatScore } from './format.js';

function num(x) { const n = Number(x); return Number.isFinite(n) ? n : 0; }

/** The largest score (either kind) among `proposals`, at least 1: the bars' common scale. */
export function scoreScale(proposals) {
  return Math.max(1, ...proposals.flatMap((p) => [Math.abs(num(p.score)), Math.abs(num(p.plain_score))]));
}

/** One labelled bar; `kind` is 'protected' or 'plain'. */
export function bar(label, value, max, kind) {
  const v = num(value);
  const width = (Math.abs(v) / max) * 50;
  const style = v >= 0 ? `left:50%;width:${width}%` : `left:${50 - width}%;width:${width}%`;
  return h('div', { class: 'chart__row' },
    h('div', { class: 'chart__label' }, h('span', {}, label), h('b', {}, formatScore(v))),
    h('div', { class: 'chart__track', 'aria-hidden': 'true' },
      h('div', { class: `chart__bar chart__bar--${kind}`, style }),
      h('div', { class: 'chart__zero' })));
}

/** The protected and the simple-majority score of a proposal, side by side, with the scale. */
export function scoreChart(p, max, { protectedLabel, plainLabel }) {
  return h('div', { class: 'chart' },
    bar(protectedLabel, p.score, max, 'protected'),
    bar(plainLabel, p.plain_score, max, 'plain'),
    h('div', { class: 'chart__row', 'aria-hidden': 'true' }, h('span', {}),
      h('div', { class: 'chart__axis' },
        h('span', {}, formatScore(-max)), h('span', {}, '0'), h('span', {}, formatScore(max)))));
}
