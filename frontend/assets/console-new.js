// Create a consultation (organisers).
import { api } from './api.js';
import { h, replace } from './dom.js';
import { layout } from './layout.js';
import { requireUser, consoleBar } from './console-common.js';
import { consultationForm } from './console-form.js';

const TEXT = {
  title: 'Create a consultation',
  intro: 'Start with the details. You can add the services and proposals on the next page. Nothing is public until you open voting.',
  submit: 'Create consultation',
  notOrganiser: 'Only organisers can create consultations.',
  back: 'Back to the console',
};

const main = layout({ title: TEXT.title, root: '../', current: 'console' });

async function start() {
  const user = await requireUser();
  if (!user) return;
  if (user.role !== 'organiser') {
    replace(main, h('h1', {}, TEXT.title), consoleBar(user), h('div', { class: 'notice notice--warning' }, h('p', {}, TEXT.notOrganiser)));
    return;
  }
  let created = false; // once made, another Enter while the next page loads must not make a second one
  const form = consultationForm(null, {
    submitText: TEXT.submit,
    onSubmit: async (body) => {
      if (created) return;
      try {
        const c = await api('/consultations', { method: 'POST', body });
        created = true;
        location.href = `consultation.html?c=${encodeURIComponent(c.id)}&created=1`;
      } catch (e) {
        form.showProblem(e);
      }
    },
  });
  replace(main, h('h1', {}, TEXT.title), consoleBar(user), h('p', { class: 'lead' }, TEXT.intro), form.element,
    h('p', {}, h('a', { href: 'index.html' }, TEXT.back)));
}

start();
