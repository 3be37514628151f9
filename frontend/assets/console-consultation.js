// Manage one consultation: details, services, proposals, stages (open / close / publish), voter codes
// and meetings in a hall.
import { api, param } from './api.js';
import { h, field, setFieldError, focusEl, announce, replace, oneAtATime, showErrorSummary } from './dom.js';
import { layout } from './layout.js';
import { formatMoney, parseMoney, moneyInputValue, formatDateTime, localTimeZone, fill } from './format.js';
import { requireUser, consoleBar } from './console-common.js';
import { consultationForm, SETTINGS, FORM_TEXT } from './console-form.js';

const TEXT = {
  title: 'Manage a consultation',
  loading: 'Loading…',
  noId: 'No consultation was chosen.',
  notFound: 'We could not find this consultation.',
  loadError: 'We could not load the consultation: {detail}',
  back: 'Back to the console',
  created: 'The consultation was created as a draft. Add the services and proposals, then open voting.',
  status: 'Status:',
  phase: { draft: 'Draft', open: 'Open for votes', closed: 'Voting closed', published: 'Results published' },
  ballotLink: 'Open the ballot page',
  resultsLink: 'See the results',
  stageHeading: 'Voting',
  stageText: {
    draft: 'This consultation is a draft: residents cannot see it yet, and you can still change everything.',
    open: 'Voting is open. Residents can vote with their voter codes. The proposals can no longer be changed. Results are counted when voting closes.',
    closed: 'Voting has closed. Commissioners can see the results. Publish them to make them public.',
    published: 'The results are public.',
  },
  needProposal: 'Add at least one proposal before you open voting.',
  open: 'Open voting',
  close: 'Close voting',
  publish: 'Publish the results',
  confirmOpen: 'Open voting on “{title}”? Residents will be able to vote, and you will no longer be able to change the details, services or proposals.',
  confirmClose: 'Close voting on “{title}”? Residents will no longer be able to vote. This cannot be undone.',
  confirmPublish: 'Publish the results of “{title}”? Anyone will be able to see them. This cannot be undone.',
  opened: 'Voting is now open.',
  closed: 'Voting is now closed.',
  published: 'The results are now published.',
  detailsHeading: 'Details',
  saveDetails: 'Save details',
  detailsSaved: 'The details were saved.',
  mustSave: 'Must save: {amount}',
  noTarget: 'No savings target',
  canSpend: 'Budget for new spending: {amount}',
  noLimit: 'No limit on new spending',
  overall: 'Overall budget: {amount}',
  areas: 'Areas: {list}',
  opensAt: 'Voting opens: {date} ({zone})',
  closesAt: 'Voting closes: {date} ({zone})',
  settingsHeading: 'Counting settings',
  servicesHeading: 'Services',
  servicesIntro: 'Services are things residents use, such as a day centre or a library. Link each cut to the service it affects, so that the people who use it get a fair say.',
  noServices: 'No services yet.',
  serviceId: 'Short name for the service (optional)',
  serviceIdHint: 'Letters, numbers and . _ / - only, for example day-centre. Left empty, one is made from the name.',
  serviceName: 'Name of the service',
  serviceDescription: 'Description (optional)',
  addServiceHeading: 'Add a service',
  editServiceHeading: 'Change the service “{name}”',
  addService: 'Add service',
  saveService: 'Save service',
  cancel: 'Cancel',
  edit: 'Change',
  delete: 'Delete',
  confirmDeleteService: 'Delete the service “{name}”?',
  confirmDeleteProposal: 'Delete the proposal “{name}”?',
  serviceAdded: 'Service “{name}” added.',
  serviceSaved: 'Service “{name}” saved.',
  serviceDeleted: 'Service “{name}” deleted.',
  serviceInUse: 'You can’t delete “{name}” while a proposal is linked to it. Change or delete that proposal first.',
  proposalsHeading: 'Proposals',
  proposalsIntro: 'Savings are cuts that save money; new spending costs money. Describe each one in plain English.',
  noProposals: 'No proposals yet.',
  kindLegend: 'Kind of proposal',
  kind: { saving: 'Saving (a cut)', development: 'New spending' },
  kindShort: { saving: 'Saving', development: 'New spending' },
  propId: 'Short name for the proposal (optional)',
  propIdHint: 'For example S1. Left empty, one is chosen for you (S1, S2… for savings, D1, D2… for new spending).',
  propTitle: 'Title',
  propSummary: 'Summary',
  propSummaryHint: 'One or two sentences residents see on the ballot.',
  propDetails: 'More details (optional)',
  propAmount: 'Amount it saves or costs',
  propAmountHint: 'In {unit}, for example 80000 or 1,200.50.',
  propService: 'Service it affects (optional)',
  propNoService: 'None',
  addProposalHeading: 'Add a proposal',
  editProposalHeading: 'Change the proposal “{name}”',
  addProposal: 'Add proposal',
  saveProposal: 'Save proposal',
  proposalAdded: 'Proposal “{name}” added.',
  proposalSaved: 'Proposal “{name}” saved.',
  proposalDeleted: 'Proposal “{name}” deleted.',
  saves: 'saves {amount}',
  costs: 'costs {amount}',
  affects: 'affects {name}',
  idLabel: 'short name {id}',
  needServiceName: 'Type the name of the service.',
  needTitle: 'Type a title.',
  needSummary: 'Type a summary.',
  badAmount: 'Type an amount in {unit}, like 800 or 1,200.50.',
  codesHeading: 'Voter codes',
  codesIntro: 'Each resident needs one voter code to vote. Make a batch, then download it for a mail merge or print one letter per code.',
  stats: '{issued} codes made, {used} used to vote.',
  statsOpen: '{issued} codes made. At least {used} used to vote so far: while voting is open the number goes up in steps of {step}, so that nobody can tell when one person voted.',
  count: 'How many codes to make',
  countHint: 'From 1 to 10,000 at a time.',
  badCount: 'Type a whole number from 1 to 10,000.',
  generate: 'Make voter codes',
  generating: 'Making codes…',
  codesNotNow: 'Voter codes can be made only while the consultation is a draft or open.',
  newCodesHeading: 'Your new voter codes ({count})',
  newServiceCodesHeading: 'Your new service-user codes for {service} ({count})',
  serviceCodesNote: 'Give these to the provider of {service}, to hand one to each person who uses it. A resident types one beside their own voter code: it is not a vote.',
  codeKind: 'What kind of codes',
  codeKindHint: 'Service-user codes let the users of a service prove it: a day centre or a library hands them out. They are not votes.',
  codeKindVoter: 'Voter codes, for letters',
  codeKindService: 'Service-user codes for {service}',
  onlyOnce: 'These codes are shown only once. Download them or print the letters now: the council keeps only a scrambled copy, so they can never be shown again.',
  downloadCsv: 'Download the codes (CSV spreadsheet)',
  printLetters: 'Print one letter per code',
  rollLink: 'Import a voter roll (one code per person, with letters addressed to them)',
  forget: 'I have saved them: hide the codes',
  ballotAddress: 'Ballot page address: {url}',
  error: 'Something went wrong: {detail}',
  problem: 'There is a problem',
  meetingsHeading: 'Meetings in a hall',
  meetingsIntro: 'At a meeting, people vote on their phones with an admission slip or their letter, or on paper that an officer types in. Every vote counts in this consultation, one per person.',
  meetingsLoading: 'Loading the meetings…',
  meetingsError: 'We could not load the meetings: {detail}',
  noMeetings: 'No meetings yet.',
  meetingPhase: { planned: 'Planned', voting: 'Voting', closed: 'Closed' },
  meetingWhen: '{place}, starting {date}',
  runMeeting: 'Run this meeting',
  addMeetingHeading: 'Add a meeting',
  meetingTitle: 'Name of the meeting',
  meetingTitleHint: 'For example “Riverside community meeting”.',
  meetingPlace: 'Place',
  meetingPlaceHint: 'For example “Riverside library, Mill Street”.',
  meetingStart: 'Starts (optional)',
  meetingStartHint: 'Times are in {zone}, the time zone this computer is set to.',
  doubleEntry: 'Two officers type in each paper ballot, and they must agree (double entry)',
  addMeeting: 'Add meeting',
  meetingAdded: 'Meeting “{name}” added.',
  needMeetingTitle: 'Type a name for the meeting.',
  needPlace: 'Type where the meeting is.',
  badStart: 'Type a date and time, or leave it empty.',
  meetingsNotNow: 'Meetings can be added while the consultation is a draft or open.',
  populationHeading: 'Who lives here',
  populationIntro: 'How many people live in each area, and how many use each service, as far as the council knows. The results show turnout against these figures and flag areas that took little part. They are never used to weight votes. You can enter them at any time.',
  populationAreas: 'People living in each area',
  populationServices: 'People known to use each service',
  populationArea: '{area}',
  populationService: '{name}',
  populationHint: 'A whole number. Leave it empty if you don’t know.',
  badPopulation: 'Type a whole number, such as 12500, or leave it empty.',
  savePopulation: 'Save the population figures',
  populationSaved: 'The population figures were saved.',
  populationNone: 'This consultation has no areas or services to give figures for.',
  reviewLink: 'Review the result, record decisions and publish',
};

const main = layout({ title: TEXT.title, root: '../', current: 'console' });
const id = param('c');
const CODES_KEY = 'pbvote.codes';
let user;
let C;
let flash = null; // {section, text, kind}
let editingService = null;
let editingProposal = null;

const enc = encodeURIComponent;
const money = (m) => formatMoney(m, C.currency);
const unit = () => FORM_TEXT.unit[C.currency] || C.currency;
const editable = () => user.role === 'organiser' && C.phase === 'draft';

async function start() {
  user = await requireUser();
  if (!user) return;
  if (!id) {
    replace(main, h('h1', {}, TEXT.title), consoleBar(user), h('div', { class: 'notice notice--error' }, h('p', {}, TEXT.noId)));
    return;
  }
  replace(main, h('h1', {}, TEXT.title), h('p', { role: 'status' }, TEXT.loading));
  await reload();
  if (param('created') && C) {
    flash = { section: 'top', text: TEXT.created, kind: 'success' };
    render();
    history.replaceState(null, '', `?c=${enc(id)}`);
    focusEl(document.getElementById('top-flash')); // the new page would otherwise leave focus on <body>
  }
}

async function reload(focusSelector) {
  try {
    C = await api(`/consultations/${enc(id)}`);
  } catch (e) {
    const text = e.status === 404 ? TEXT.notFound : fill(TEXT.loadError, { detail: e.detail || e.message });
    replace(main, h('h1', {}, TEXT.title), consoleBar(user), h('div', { class: 'notice notice--error', role: 'alert' }, h('p', {}, text)));
    return;
  }
  render();
  if (focusSelector) {
    const el = typeof focusSelector === 'string' ? document.querySelector(focusSelector) : focusSelector;
    if (el) focusEl(el);
  }
}

/**
 * The message after an action. It is not a live region: either focus moves to it (and a screen
 * reader reads it then) or the action announces it, never both, so it is read out once.
 */
function flashFor(section) {
  if (!flash || flash.section !== section) return null;
  const f = flash;
  return h('div', { class: `notice notice--${f.kind || 'success'}`, id: `${section}-flash`, tabindex: '-1' }, h('p', {}, f.text));
}

function render() {
  document.title = `${C.title} – ${TEXT.title}`;
  replace(main, 
    h('h1', {}, C.title),
    h('p', { class: 'status-line' }, `${TEXT.status} `, h('strong', { class: 'tag tag--phase', id: 'phase' }, TEXT.phase[C.phase] || C.phase)),
    consoleBar(user),
    flashFor('top'),
    C.phase !== 'draft' ? h('ul', { class: 'card__meta' },
      h('li', {}, h('a', { href: `../vote.html?c=${enc(C.id)}` }, TEXT.ballotLink)),
      h('li', {}, h('a', { href: `../results.html?c=${enc(C.id)}`, id: 'results-link' },
        (C.phase === 'closed' || C.phase === 'published') ? TEXT.reviewLink : TEXT.resultsLink))) : null,
    stageSection(),
    detailsSection(),
    user.role === 'organiser' ? populationSection() : null,
    servicesSection(),
    proposalsSection(),
    codesSection(),
    batchesSection(),
    meetingsSection(),
    h('p', {}, h('a', { href: 'index.html' }, TEXT.back)));
  flash = null;
}

// ---------- stage ----------

function stageSection() {
  const buttons = [];
  const action = (label, path, confirmText, done, cls = '') => h('button', {
    type: 'button', class: cls, id: `${path}-button`,
    onclick: oneAtATime(async () => {
      if (!window.confirm(fill(confirmText, { title: C.title }))) return;
      try {
        await api(`/consultations/${enc(C.id)}/${path}`, { method: 'POST' });
        flash = { section: 'stage', text: done };
      } catch (e) {
        flash = { section: 'stage', text: fill(TEXT.error, { detail: e.detail || e.message }), kind: 'error' };
      }
      await reload('#stage-flash'); // focus on the message is enough: no announcement as well
    }),
  }, label);
  if (user.role === 'organiser' && C.phase === 'draft') {
    if ((C.proposals || []).length) buttons.push(action(TEXT.open, 'open', TEXT.confirmOpen, TEXT.opened));
    else buttons.push(h('p', { class: 'hint' }, TEXT.needProposal));
  }
  if (user.role === 'organiser' && C.phase === 'open') buttons.push(action(TEXT.close, 'close', TEXT.confirmClose, TEXT.closed, 'btn--danger'));
  if (C.phase === 'closed') buttons.push(action(TEXT.publish, 'publish', TEXT.confirmPublish, TEXT.published));
  return h('section', { 'aria-labelledby': 'stage-heading', class: 'panel' },
    h('h2', { id: 'stage-heading' }, TEXT.stageHeading),
    flashFor('stage'),
    h('p', {}, TEXT.stageText[C.phase] || ''),
    buttons.length ? h('div', { class: 'btn-row' }, buttons) : null);
}

// ---------- details ----------

function detailsSection() {
  const b = C.budget || {};
  if (editable()) {
    const form = consultationForm(C, {
      submitText: TEXT.saveDetails,
      onSubmit: async (body) => {
        try {
          await api(`/consultations/${enc(C.id)}`, { method: 'PATCH', body });
          flash = { section: 'details', text: TEXT.detailsSaved };
          await reload('#details-flash');
        } catch (e) {
          form.showProblem(e);
        }
      },
    });
    return h('section', { 'aria-labelledby': 'details-heading' },
      h('h2', { id: 'details-heading' }, TEXT.detailsHeading), flashFor('details'), form.element);
  }
  return h('section', { 'aria-labelledby': 'details-heading' },
    h('h2', { id: 'details-heading' }, TEXT.detailsHeading),
    C.description ? h('p', {}, C.description) : null,
    h('ul', {},
      h('li', {}, b.savings_target != null ? fill(TEXT.mustSave, { amount: money(b.savings_target) }) : TEXT.noTarget),
      h('li', {}, b.development_budget != null ? fill(TEXT.canSpend, { amount: money(b.development_budget) }) : TEXT.noLimit),
      b.overall_budget != null ? h('li', {}, fill(TEXT.overall, { amount: money(b.overall_budget) })) : null,
      (C.areas || []).length ? h('li', {}, fill(TEXT.areas, { list: C.areas.join(', ') })) : null,
      C.opens_at ? h('li', {}, fill(TEXT.opensAt, { date: formatDateTime(C.opens_at), zone: localTimeZone() })) : null,
      C.closes_at ? h('li', {}, fill(TEXT.closesAt, { date: formatDateTime(C.closes_at), zone: localTimeZone() })) : null),
    h('h3', {}, TEXT.settingsHeading),
    h('ul', {}, SETTINGS.map(([k, def]) => h('li', {}, `${FORM_TEXT[k]}: ${C.settings?.[k] ?? def}`))));
}

// ---------- population ----------

function populationSection() {
  const pop = C.population || { areas: {}, services: {} };
  const areas = C.areas || [];
  const services = C.services || [];
  const fields = new Map(); // key in the request ("areas.North") → field
  const input = (keyName, i, label, value) => {
    const f = field({ id: `pop-${keyName.split('.')[0]}-${i}`, label, hint: TEXT.populationHint, value: value == null ? '' : String(value),
      attrs: { inputmode: 'numeric', class: 'input--short', autocomplete: 'off' } });
    fields.set(keyName, f);
    return f.wrap;
  };
  if (!areas.length && !services.length) {
    return h('section', { 'aria-labelledby': 'population-heading', id: 'population' },
      h('h2', { id: 'population-heading' }, TEXT.populationHeading), h('p', {}, TEXT.populationNone));
  }
  const error = h('div', { class: 'notice notice--error', hidden: true, tabindex: '-1' });
  const form = h('form', { novalidate: true, id: 'population-form', class: 'panel', onsubmit: oneAtATime(async () => {
    error.hidden = true;
    const body = { areas: {}, services: {} };
    const bad = [];
    for (const [k, f] of fields) {
      setFieldError(f, '');
      const raw = f.input.value.trim().replace(/[\s,]/g, '');
      if (!raw) continue;
      if (!/^\d{1,10}$/.test(raw)) { setFieldError(f, TEXT.badPopulation); bad.push([`${f.wrap.querySelector('label').textContent}: ${TEXT.badPopulation}`, f.input]); continue; }
      const [group, ...rest] = k.split('.');
      body[group][rest.join('.')] = Number(raw);
    }
    if (bad.length) { showErrorSummary(error, TEXT.problem, bad, { level: 'h3' }); return; }
    try {
      await api(`/consultations/${enc(C.id)}/population`, { method: 'PUT', body });
      flash = { section: 'population', text: TEXT.populationSaved };
      await reload('#population-flash');
    } catch (err) {
      const f = fields.get(String(err.field || ''));
      if (f) { setFieldError(f, err.detail || err.message); focusEl(f.input); return; }
      replace(error, h('p', {}, fill(TEXT.error, { detail: err.detail || err.message })));
      error.hidden = false;
      focusEl(error);
    }
  }) },
  error,
  areas.length ? h('fieldset', { class: 'field' }, h('legend', {}, TEXT.populationAreas),
    areas.map((a, i) => input(`areas.${a}`, i, fill(TEXT.populationArea, { area: a }), pop.areas?.[a]))) : null,
  services.length ? h('fieldset', { class: 'field' }, h('legend', {}, TEXT.populationServices),
    services.map((sv, i) => input(`services.${sv.id}`, i, fill(TEXT.populationService, { name: sv.name }), pop.services?.[sv.id]))) : null,
  h('div', { class: 'btn-row' }, h('button', { type: 'submit', id: 'population-submit' }, TEXT.savePopulation)));
  return h('section', { 'aria-labelledby': 'population-heading', id: 'population' },
    h('h2', { id: 'population-heading' }, TEXT.populationHeading),
    h('p', {}, TEXT.populationIntro),
    flashFor('population'),
    form);
}

// ---------- services ----------

function servicesSection() {
  const services = C.services || [];
  const list = services.length ? h('ul', { class: 'card-list', role: 'list', id: 'services-list' }, services.map((s) => h('li', { class: 'card', 'data-id': s.id },
    h('div', { class: 'item-row' },
      h('div', {}, h('h3', { style: 'margin:0' }, s.name), h('p', { class: 'muted small', style: 'margin:0' }, s.id), s.description ? h('p', { style: 'margin:0.25rem 0 0' }, s.description) : null),
      editable() ? h('div', { class: 'btn-row btn-row--tight', style: 'margin:0' },
        h('button', { type: 'button', class: 'btn--small btn--secondary', onclick: () => { editingService = s.id; render(); focusEl(document.getElementById('svc-name')); } }, TEXT.edit, h('span', { class: 'visually-hidden' }, `: ${s.name}`)),
        h('button', { type: 'button', class: 'btn--small btn--danger', onclick: oneAtATime(() => deleteService(s)) }, TEXT.delete, h('span', { class: 'visually-hidden' }, `: ${s.name}`))) : null)))) : h('p', {}, TEXT.noServices);
  return h('section', { 'aria-labelledby': 'services-heading' },
    h('h2', { id: 'services-heading' }, TEXT.servicesHeading),
    h('p', {}, TEXT.servicesIntro),
    flashFor('services'),
    list,
    editable() ? serviceForm() : null);
}

function serviceForm() {
  const s = editingService ? (C.services || []).find((x) => x.id === editingService) : null;
  const fid = s ? null : field({ id: 'svc-id', label: TEXT.serviceId, hint: TEXT.serviceIdHint, attrs: { autocomplete: 'off', spellcheck: 'false', class: 'input--short' } });
  const name = field({ id: 'svc-name', label: TEXT.serviceName, value: s?.name ?? '', attrs: { autocomplete: 'off' } });
  const desc = field({ id: 'svc-description', label: TEXT.serviceDescription, multiline: true, value: s?.description ?? '' });
  const fields = { id: fid, name, description: desc };
  const error = h('div', { class: 'notice notice--error', hidden: true, tabindex: '-1' });
  const heading = s ? fill(TEXT.editServiceHeading, { name: s.name }) : TEXT.addServiceHeading;
  return h('form', { novalidate: true, id: 'service-form', class: 'panel', onsubmit: oneAtATime(async () => {
    error.hidden = true;
    for (const f of Object.values(fields)) if (f) setFieldError(f, '');
    const body = { name: name.input.value.trim() };
    if (!body.name) { setFieldError(name, TEXT.needServiceName); name.input.focus(); return; }
    const d = desc.input.value.trim();
    if (d) body.description = d;
    if (fid && fid.input.value.trim()) body.id = fid.input.value.trim();
    try {
      if (s) await api(`/consultations/${enc(C.id)}/services/${enc(s.id)}`, { method: 'PUT', body });
      else await api(`/consultations/${enc(C.id)}/services`, { method: 'POST', body });
      flash = { section: 'services', text: fill(s ? TEXT.serviceSaved : TEXT.serviceAdded, { name: body.name }) };
      editingService = null;
      // After adding, focus goes to the empty form for the next one, so the message is announced;
      // after a change, focus goes to the message itself.
      if (!s) announce(flash.text);
      await reload(s ? '#services-flash' : '#svc-name');
    } catch (err) {
      showProblem(err, fields, error);
    }
  }) },
  h('h3', {}, heading),
  error,
  fid ? fid.wrap : null, name.wrap, desc.wrap,
  h('div', { class: 'btn-row' },
    h('button', { type: 'submit', id: 'service-submit' }, s ? TEXT.saveService : TEXT.addService),
    s ? h('button', { type: 'button', class: 'btn--secondary', onclick: () => { editingService = null; render(); focusEl(document.getElementById('services-heading')); } }, TEXT.cancel) : null));
}

async function deleteService(s) {
  if (!window.confirm(fill(TEXT.confirmDeleteService, { name: s.name }))) return;
  try {
    await api(`/consultations/${enc(C.id)}/services/${enc(s.id)}`, { method: 'DELETE' });
    flash = { section: 'services', text: fill(TEXT.serviceDeleted, { name: s.name }) };
  } catch (e) {
    flash = { section: 'services', kind: 'error', text: e.type === 'conflict' ? fill(TEXT.serviceInUse, { name: s.name }) : fill(TEXT.error, { detail: e.detail || e.message }) };
  }
  await reload('#services-flash');
}

// ---------- proposals ----------

function proposalsSection() {
  const proposals = C.proposals || [];
  const svcName = (sid) => (C.services || []).find((s) => s.id === sid)?.name ?? sid;
  const list = proposals.length ? h('ul', { class: 'card-list', role: 'list', id: 'proposals-list' }, proposals.map((p) => h('li', { class: 'card', 'data-id': p.id },
    h('div', { class: 'item-row' },
      h('div', {},
        h('h3', { style: 'margin:0 0 0.25rem' }, p.title),
        h('ul', { class: 'card__meta' },
          h('li', {}, h('span', { class: `tag tag--${p.kind === 'saving' ? 'saving' : 'development'}` }, TEXT.kindShort[p.kind] || p.kind)),
          h('li', {}, h('strong', {}, fill(p.kind === 'saving' ? TEXT.saves : TEXT.costs, { amount: money(p.amount) }))),
          p.service ? h('li', {}, fill(TEXT.affects, { name: svcName(p.service) })) : null,
          h('li', {}, fill(TEXT.idLabel, { id: p.id }))),
        p.summary ? h('p', { style: 'margin:0' }, p.summary) : null),
      editable() ? h('div', { class: 'btn-row btn-row--tight', style: 'margin:0' },
        h('button', { type: 'button', class: 'btn--small btn--secondary', onclick: () => { editingProposal = p.id; render(); focusEl(document.getElementById('prop-title')); } }, TEXT.edit, h('span', { class: 'visually-hidden' }, `: ${p.title}`)),
        h('button', { type: 'button', class: 'btn--small btn--danger', onclick: oneAtATime(() => deleteProposal(p)) }, TEXT.delete, h('span', { class: 'visually-hidden' }, `: ${p.title}`))) : null)))) : h('p', {}, TEXT.noProposals);
  return h('section', { 'aria-labelledby': 'proposals-heading' },
    h('h2', { id: 'proposals-heading' }, TEXT.proposalsHeading),
    h('p', {}, TEXT.proposalsIntro),
    flashFor('proposals'),
    list,
    editable() ? proposalForm() : null);
}

function proposalForm() {
  const p = editingProposal ? (C.proposals || []).find((x) => x.id === editingProposal) : null;
  const kindError = h('p', { class: 'field-error', id: 'prop-kind-error', hidden: true });
  const kinds = ['saving', 'development'].map((k) => h('li', {}, h('label', { class: 'check', for: `prop-kind-${k}` },
    h('input', { type: 'radio', name: 'prop-kind', id: `prop-kind-${k}`, value: k, checked: (p?.kind ?? 'saving') === k }),
    h('span', {}, TEXT.kind[k]))));
  const kindSet = h('fieldset', { class: 'field', id: 'prop-kind' }, h('legend', {}, TEXT.kindLegend), kindError, h('ul', { class: 'radios' }, kinds));
  const fid = p ? null : field({ id: 'prop-id', label: TEXT.propId, hint: TEXT.propIdHint, attrs: { autocomplete: 'off', spellcheck: 'false', class: 'input--short' } });
  const title = field({ id: 'prop-title', label: TEXT.propTitle, value: p?.title ?? '', attrs: { autocomplete: 'off' } });
  const summary = field({ id: 'prop-summary', label: TEXT.propSummary, hint: TEXT.propSummaryHint, multiline: true, value: p?.summary ?? '' });
  const details = field({ id: 'prop-details', label: TEXT.propDetails, multiline: true, value: p?.details ?? '' });
  const amount = field({ id: 'prop-amount', label: TEXT.propAmount, hint: fill(TEXT.propAmountHint, { unit: unit() }), value: moneyInputValue(p?.amount, C.currency), attrs: { inputmode: 'decimal', class: 'input--short' } });
  const service = field({ id: 'prop-service', label: TEXT.propService, options: [['', TEXT.propNoService], ...(C.services || []).map((s) => [s.id, s.name])], value: p?.service ?? '' });
  const fields = { id: fid, title, summary, details, amount, service };
  const error = h('div', { class: 'notice notice--error', hidden: true, tabindex: '-1' });
  const heading = p ? fill(TEXT.editProposalHeading, { name: p.title }) : TEXT.addProposalHeading;
  return h('form', { novalidate: true, id: 'proposal-form', class: 'panel', onsubmit: oneAtATime(async () => {
    error.hidden = true;
    kindError.hidden = true;
    for (const f of Object.values(fields)) if (f) setFieldError(f, '');
    const kind = document.querySelector('input[name="prop-kind"]:checked')?.value || 'saving';
    const body = { kind, title: title.input.value.trim(), summary: summary.input.value.trim() };
    const amt = parseMoney(amount.input.value, C.currency);
    const bad = [];
    const problem = (f, text) => { setFieldError(f, text); bad.push([text, f.input]); };
    if (!body.title) problem(title, TEXT.needTitle);
    if (!body.summary) problem(summary, TEXT.needSummary);
    if (amt === null || Number.isNaN(amt)) problem(amount, fill(TEXT.badAmount, { unit: unit() }));
    if (bad.length) { showErrorSummary(error, TEXT.problem, bad, { level: 'h4' }); return; }
    body.amount = amt;
    const d = details.input.value.trim();
    if (d) body.details = d;
    if (service.input.value) body.service = service.input.value;
    if (fid && fid.input.value.trim()) body.id = fid.input.value.trim();
    try {
      if (p) await api(`/consultations/${enc(C.id)}/proposals/${enc(p.id)}`, { method: 'PUT', body });
      else await api(`/consultations/${enc(C.id)}/proposals`, { method: 'POST', body });
      // The answer is the whole consultation: its `title` is the consultation's, not the proposal's.
      flash = { section: 'proposals', text: fill(p ? TEXT.proposalSaved : TEXT.proposalAdded, { name: body.title }) };
      editingProposal = null;
      if (!p) announce(flash.text); // see the services form
      await reload(p ? '#proposals-flash' : '#prop-title');
    } catch (err) {
      if (String(err.field || '') === 'kind') {
        kindError.textContent = err.detail;
        kindError.hidden = false;
        focusEl(document.getElementById('prop-kind-saving'));
        return;
      }
      showProblem(err, fields, error);
    }
  }) },
  h('h3', {}, heading),
  error,
  kindSet, fid ? fid.wrap : null, title.wrap, summary.wrap, details.wrap, amount.wrap, service.wrap,
  h('div', { class: 'btn-row' },
    h('button', { type: 'submit', id: 'proposal-submit' }, p ? TEXT.saveProposal : TEXT.addProposal),
    p ? h('button', { type: 'button', class: 'btn--secondary', onclick: () => { editingProposal = null; render(); focusEl(document.getElementById('proposals-heading')); } }, TEXT.cancel) : null));
}

async function deleteProposal(p) {
  if (!window.confirm(fill(TEXT.confirmDeleteProposal, { name: p.title }))) return;
  try {
    await api(`/consultations/${enc(C.id)}/proposals/${enc(p.id)}`, { method: 'DELETE' });
    flash = { section: 'proposals', text: fill(TEXT.proposalDeleted, { name: p.title }) };
  } catch (e) {
    flash = { section: 'proposals', kind: 'error', text: fill(TEXT.error, { detail: e.detail || e.message }) };
  }
  await reload('#proposals-flash');
}

function showProblem(err, fields, box) {
  const key = String(err.field || '').split(/[.[]/)[0];
  const f = fields[key];
  if (f) {
    setFieldError(f, err.detail || err.message);
    focusEl(f.input);
    return;
  }
  replace(box, h('h4', {}, TEXT.problem), h('p', {}, err.detail || err.message));
  box.hidden = false;
  focusEl(box);
}

// ---------- voter codes ----------

function serviceName(id) {
  return (C.services || []).find((s) => s.id === id)?.name || id;
}

function storedCodes() {
  try {
    const s = JSON.parse(sessionStorage.getItem(CODES_KEY) || 'null');
    return s && s.consultation_id === C.id ? s : null;
  } catch { return null; }
}

function csvCell(v) {
  const s = String(v ?? '');
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function downloadCsv(batch) {
  // Batches made before short links existed have none: the column is then left out.
  const links = Array.isArray(batch.links) && batch.links.length === batch.codes.length ? batch.links : null;
  const lines = [links ? 'code,ballot_url,short_link' : 'code,ballot_url',
    ...batch.codes.map((c, i) => `${csvCell(c)},${csvCell(batch.ballot_url)}${links ? `,${csvCell(links[i])}` : ''}`)];
  const blob = new Blob([lines.join('\r\n') + '\r\n'], { type: 'text/csv;charset=utf-8' });
  const url = URL.createObjectURL(blob);
  const slug = (C.title || 'consultation').toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 40) || 'consultation';
  const a = h('a', { href: url, download: `voter-codes-${slug}.csv` });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

function codesSection() {
  const stats = h('p', { id: 'codes-stats', class: 'muted' });
  api(`/consultations/${enc(C.id)}/voter-codes/stats`).then((s) => { stats.textContent = fill(s.exact === false ? TEXT.statsOpen : TEXT.stats, s); }).catch(() => {});
  const batch = storedCodes();
  const canMake = user.role === 'organiser' && (C.phase === 'draft' || C.phase === 'open');
  let form = null;
  if (canMake) {
    const count = field({ id: 'code-count', label: TEXT.count, hint: TEXT.countHint, type: 'number', value: '100', attrs: { min: 1, max: 10000, step: 1, inputmode: 'numeric', class: 'input--short' } });
    // Service-user codes only where the consultation verifies service users.
    const verifies = C.settings?.service_users && C.settings.service_users !== 'declared' && (C.services || []).length;
    const kind = verifies ? field({ id: 'code-kind', label: TEXT.codeKind, hint: TEXT.codeKindHint,
      options: [['', TEXT.codeKindVoter], ...C.services.map((s) => [s.id, fill(TEXT.codeKindService, { service: s.name })])], value: '' }) : null;
    const error = h('div', { class: 'notice notice--error', hidden: true, tabindex: '-1' });
    const button = h('button', { type: 'submit', id: 'generate-button' }, TEXT.generate);
    form = h('form', { novalidate: true, id: 'codes-form', onsubmit: oneAtATime(async () => {
      error.hidden = true;
      setFieldError(count, '');
      const raw = count.input.value.trim();
      const n = Number(raw);
      if (!/^\d+$/.test(raw) || n < 1 || n > 10000) { setFieldError(count, TEXT.badCount); count.input.focus(); return; }
      button.textContent = TEXT.generating; // aria-disabled meanwhile (oneAtATime), so focus stays
      try {
        const service = kind?.input.value || null;
        const r = await api(`/consultations/${enc(C.id)}/voter-codes`, { method: 'POST', body: service ? { count: n, service } : { count: n } });
        sessionStorage.setItem(CODES_KEY, JSON.stringify({ consultation_id: C.id, title: C.title, ballot_url: r.ballot_url, codes: r.codes, links: r.links, service }));
        await reload('#new-codes-heading'); // focus on the heading reads it out: no announcement as well
      } catch (err) {
        button.textContent = TEXT.generate;
        if (String(err.field || '') === 'count') { setFieldError(count, err.detail); count.input.focus(); return; }
        if (kind && String(err.field || '') === 'service') { setFieldError(kind, err.detail); kind.input.focus(); return; }
        replace(error, h('p', {}, fill(TEXT.error, { detail: err.detail || err.message })));
        error.hidden = false;
        focusEl(error);
      }
    }) }, error, kind ? kind.wrap : null, count.wrap, h('div', { class: 'btn-row' }, button));
  }
  const panel = batch ? h('div', { class: 'notice notice--warning', id: 'new-codes' },
    h('h3', { id: 'new-codes-heading', tabindex: '-1' }, batch.service
      ? fill(TEXT.newServiceCodesHeading, { count: batch.codes.length, service: serviceName(batch.service) })
      : fill(TEXT.newCodesHeading, { count: batch.codes.length })),
    h('p', {}, h('strong', {}, TEXT.onlyOnce)),
    batch.service ? h('p', {}, fill(TEXT.serviceCodesNote, { service: serviceName(batch.service) })) : null,
    h('p', { class: 'small' }, fill(TEXT.ballotAddress, { url: batch.ballot_url })),
    h('ol', { class: 'codes-list', id: 'codes-list', tabindex: '0', 'aria-labelledby': 'new-codes-heading' }, batch.codes.map((c) => h('li', {}, c))),
    h('div', { class: 'btn-row' },
      h('button', { type: 'button', id: 'download-csv', onclick: () => downloadCsv(batch) }, TEXT.downloadCsv),
      batch.service ? null : h('a', { class: 'btn btn--secondary', id: 'letters-link', href: `letters.html?c=${enc(C.id)}` }, TEXT.printLetters),
      h('button', { type: 'button', class: 'btn--link', onclick: () => { sessionStorage.removeItem(CODES_KEY); reload('#codes-heading'); } }, TEXT.forget))) : null;
  return h('section', { 'aria-labelledby': 'codes-heading' },
    h('h2', { id: 'codes-heading' }, TEXT.codesHeading),
    h('p', {}, TEXT.codesIntro),
    stats,
    panel,
    form || h('p', { class: 'hint' }, TEXT.codesNotNow),
    canMake ? h('p', {}, h('a', { href: `roll.html?c=${enc(C.id)}`, id: 'roll-link' }, TEXT.rollLink)) : null);
}

// ---------- who made which codes ----------

const BATCH_TEXT = {
  heading: 'Who made which codes',
  intro: 'Every batch of codes is recorded: who made it, when and how many. Codes made after voting opened are marked, because extra codes could be used to vote more than once.',
  loading: 'Loading…',
  error: 'We could not load the code batches: {detail}',
  none: 'No codes have been made yet.',
  totals: '{letters} letter codes and {slips} meeting slips; {after} made after voting opened.',
  totalsBallots: '{letters} letter codes and {slips} meeting slips; {after} made after voting opened; {ballots} ballots.',
  totalsRoll: 'The voter roll has {roll} people.',
  totalsServiceUsers: '{count} service-user codes were made for service providers (they show a voter uses a service; they are not votes).',
  totalsEmail: '{letters} letter codes, {email} codes sent by e-mail and {slips} meeting slips; {after} made after voting opened.',
  totalsEmailBallots: '{letters} letter codes, {email} codes sent by e-mail and {slips} meeting slips; {after} made after voting opened; {ballots} ballots.',
  waitingTotal: '{count} codes are waiting for a commissioner’s approval and cannot be used yet.',
  colWhen: 'Made',
  colWho: 'By',
  colWhat: 'What',
  colCount: 'How many',
  colState: 'Notes',
  kind: { letter: 'Letters', roll: 'Letters for the voter roll', 'e-mail': 'Codes residents asked for by e-mail', slip: 'Meeting slips', exchange: 'Slip for a letter at the door', 'service-user': 'Service-user codes' },
  forService: 'for {service}',
  late: 'Made after voting opened',
  waiting: 'Waiting for a commissioner’s approval',
  approvedBy: 'Approved by {who}',
  approve: 'Approve these codes',
  approved: 'Approved. Those codes can now be used.',
  approveError: 'We could not approve them: {detail}',
  setting: 'Codes made after voting opens need a commissioner’s approval before they work',
  settingHint: 'You can change this only before voting opens.',
  settingOn: 'Codes made after voting opens need a commissioner’s approval before they work.',
  settingOff: 'Codes made after voting opens work at once (they are still marked).',
  save: 'Save this setting',
  saved: 'Setting saved.',
  selfHeading: 'Codes by e-mail',
  selfSetting: 'Residents may ask for a voter code by e-mail',
  selfHint: 'The ballot page then offers “No code? Get one by e-mail”. Each e-mail address gets one code; pbvote keeps only a scrambled copy of the address. You can change this until voting closes. An e-mail address is not a person: if each person must have exactly one vote, use letters or a voter roll instead.',
  selfOn: 'Residents may ask for a voter code by e-mail.',
  selfOff: 'Residents cannot ask for a voter code by e-mail.',
  selfSave: 'Save',
  selfError: 'We could not save this setting: {detail}',
  table: 'Code batches, oldest first',
};

function batchesSection() {
  const T = BATCH_TEXT;
  const body = h('div', { id: 'code-batches' }, h('p', { role: 'status' }, T.loading));
  const load = () => api(`/consultations/${enc(C.id)}/code-batches`).then((s) => {
    const approval = C.phase === 'draft' && user.role === 'organiser' ? approvalSetting(s.approval_required) : h('p', { id: 'approval-setting' }, s.approval_required ? T.settingOn : T.settingOff);
    const setting = [approval, selfRegistrationSetting()];
    if (!s.batches.length) { replace(body, setting, h('p', {}, T.none)); return; }
    const rows = s.batches.map((b) => {
      const waiting = b.needs_approval && !b.approved_at;
      const notes = [
        b.after_opening ? h('strong', { class: 'tag' }, T.late) : null,
        waiting ? h('span', {}, ' ', T.waiting) : null,
        b.approved_by ? h('span', {}, ' ', fill(T.approvedBy, { who: b.approved_by })) : null,
      ];
      const approve = waiting && user.role === 'commissioner' && C.phase === 'open'
        ? h('button', { type: 'button', class: 'btn--small', 'data-batch': b.id, onclick: oneAtATime(async () => {
          try {
            await api(`/code-batches/${enc(b.id)}/approve`, { method: 'POST' });
            announce(T.approved);
            await load();
          } catch (e) { announce(fill(T.approveError, { detail: e.detail || e.message })); }
        }) }, T.approve, h('span', { class: 'visually-hidden' }, `: ${formatDateTime(b.made_at)}`)) : null;
      return h('tr', { 'data-batch': b.id, class: b.after_opening ? 'batch--late' : null },
        h('td', {}, formatDateTime(b.made_at)),
        h('td', { style: 'overflow-wrap:anywhere' }, b.made_by),
        h('td', {}, T.kind[b.kind] || b.kind, b.service ? ` ${fill(T.forService, { service: serviceName(b.service) })}` : ''),
        h('td', { class: 'num' }, String(b.count)),
        h('td', {}, notes, approve ? h('div', { style: 'margin-top:0.25rem' }, approve) : null));
    });
    replace(body,
      setting,
      h('p', { id: 'code-totals' }, fill(s.email ? (s.ballots == null ? T.totalsEmail : T.totalsEmailBallots) : (s.ballots == null ? T.totals : T.totalsBallots), { letters: s.letters, email: s.email, slips: s.slips, after: s.after_opening, ballots: s.ballots }),
        s.roll ? ` ${fill(T.totalsRoll, { roll: s.roll })}` : '',
        s.service_user_codes ? ` ${fill(T.totalsServiceUsers, { count: s.service_user_codes })}` : ''),
      s.awaiting_approval ? h('div', { class: 'notice notice--warning' }, h('p', {}, fill(T.waitingTotal, { count: s.awaiting_approval }))) : null,
      h('div', { class: 'table-wrap' }, h('table', { id: 'batches-table' },
        h('caption', { class: 'visually-hidden' }, T.table),
        h('thead', {}, h('tr', {}, [T.colWhen, T.colWho, T.colWhat, T.colCount, T.colState].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, rows))));
  }).catch((e) => { replace(body, h('p', { class: 'field-error' }, fill(T.error, { detail: e.detail || e.message }))); });
  load();
  return h('section', { 'aria-labelledby': 'batches-heading' },
    h('h2', { id: 'batches-heading' }, T.heading),
    h('p', {}, T.intro),
    body);
}

/** Whether residents may ask for a code by e-mail: organisers change it in draft and while voting is open. */
function selfRegistrationSetting() {
  const T = BATCH_TEXT;
  const canChange = (C.phase === 'draft' || C.phase === 'open') && user.role === 'organiser';
  if (!canChange) return h('p', { id: 'self-registration-setting' }, C.self_registration ? T.selfOn : T.selfOff);
  const box = h('input', { type: 'checkbox', id: 'self-registration', checked: !!C.self_registration, 'aria-describedby': 'self-registration-hint' });
  const status = h('p', { role: 'status', id: 'self-registration-status' });
  return h('form', { id: 'self-registration-form', novalidate: true, onsubmit: oneAtATime(async () => {
    try {
      const updated = await api(`/consultations/${enc(C.id)}/self-registration`, { method: 'PUT', body: { enabled: box.checked } });
      C.self_registration = updated.self_registration;
      status.textContent = T.saved;
    } catch (e) {
      box.checked = !!C.self_registration;
      status.textContent = fill(T.selfError, { detail: e.detail || e.message });
    }
  }) },
  h('h3', {}, T.selfHeading),
  h('div', { class: 'field' },
    h('ul', { class: 'checkboxes' }, h('li', {}, box, ' ', h('label', { for: 'self-registration' }, T.selfSetting))),
    h('p', { class: 'hint', id: 'self-registration-hint' }, T.selfHint)),
  h('div', { class: 'btn-row' }, h('button', { type: 'submit', class: 'btn--secondary', id: 'self-registration-save' }, T.selfSave)),
  status);
}

function approvalSetting(required) {
  const T = BATCH_TEXT;
  const box = h('input', { type: 'checkbox', id: 'approval-required', checked: required });
  const status = h('p', { role: 'status', id: 'approval-status' });
  return h('form', { id: 'approval-form', novalidate: true, onsubmit: oneAtATime(async () => {
    try {
      await api(`/consultations/${enc(C.id)}/code-approval`, { method: 'PUT', body: { required: box.checked } });
      status.textContent = T.saved;
    } catch (e) { status.textContent = fill(T.approveError, { detail: e.detail || e.message }); }
  }) },
  h('div', { class: 'field' },
    h('ul', { class: 'checkboxes' }, h('li', {}, box, ' ', h('label', { for: 'approval-required' }, T.setting))),
    h('p', { class: 'hint', id: 'approval-hint' }, T.settingHint)),
  h('div', { class: 'btn-row' }, h('button', { type: 'submit', class: 'btn--secondary', id: 'approval-save' }, T.save)),
  status);
}

// ---------- meetings ----------

function meetingsSection() {
  const list = h('div', { id: 'meetings' }, h('p', { role: 'status' }, TEXT.meetingsLoading));
  api(`/consultations/${enc(C.id)}/meetings`).then((meetings) => {
    replace(list, meetings.length ? h('ul', { class: 'card-list', role: 'list', id: 'meetings-list' }, meetings.map((m) => h('li', { class: 'card', 'data-id': m.id },
      h('h3', { style: 'margin:0 0 0.25rem' }, h('a', { href: `meeting.html?m=${enc(m.id)}` }, m.title)),
      h('p', { class: 'status-line', style: 'margin:0' }, `${TEXT.status} `, h('strong', { class: 'tag tag--phase' }, TEXT.meetingPhase[m.phase] || m.phase)),
      h('p', { style: 'margin:0' }, m.starts_at ? fill(TEXT.meetingWhen, { place: m.place, date: formatDateTime(m.starts_at) }) : m.place),
      user.role === 'organiser' ? h('p', { style: 'margin:0.25rem 0 0' }, h('a', { href: `meeting.html?m=${enc(m.id)}` }, TEXT.runMeeting, h('span', { class: 'visually-hidden' }, `: ${m.title}`))) : null)))
      : h('p', {}, TEXT.noMeetings));
  }).catch((e) => {
    replace(list, h('p', { class: 'field-error' }, fill(TEXT.meetingsError, { detail: e.detail || e.message })));
  });
  const canAdd = user.role === 'organiser' && (C.phase === 'draft' || C.phase === 'open');
  return h('section', { 'aria-labelledby': 'meetings-heading' },
    h('h2', { id: 'meetings-heading' }, TEXT.meetingsHeading),
    h('p', {}, TEXT.meetingsIntro),
    flashFor('meetings'),
    list,
    canAdd ? meetingForm() : (user.role === 'organiser' ? h('p', { class: 'hint' }, TEXT.meetingsNotNow) : null));
}

function meetingForm() {
  const title = field({ id: 'meeting-title', label: TEXT.meetingTitle, hint: TEXT.meetingTitleHint, attrs: { autocomplete: 'off' } });
  const place = field({ id: 'meeting-place', label: TEXT.meetingPlace, hint: TEXT.meetingPlaceHint, attrs: { autocomplete: 'off' } });
  const startsAt = field({ id: 'meeting-start', label: TEXT.meetingStart, hint: fill(TEXT.meetingStartHint, { zone: localTimeZone() }), type: 'datetime-local' });
  const double = h('input', { type: 'checkbox', id: 'meeting-double', name: 'meeting-double' });
  const error = h('div', { class: 'notice notice--error', hidden: true, tabindex: '-1' });
  const fields = { title, place, starts_at: startsAt };
  return h('form', { novalidate: true, id: 'meeting-form', class: 'panel', onsubmit: oneAtATime(async () => {
    error.hidden = true;
    for (const f of Object.values(fields)) setFieldError(f, '');
    const body = { title: title.input.value.trim(), place: place.input.value.trim(), double_entry: double.checked };
    const bad = [];
    const problem = (f, text) => { setFieldError(f, text); bad.push([text, f.input]); };
    if (!body.title) problem(title, TEXT.needMeetingTitle);
    if (!body.place) problem(place, TEXT.needPlace);
    if (startsAt.input.value) {
      const d = new Date(startsAt.input.value);
      if (Number.isNaN(d.getTime())) problem(startsAt, TEXT.badStart);
      else body.starts_at = d.toISOString().replace(/\.\d{3}Z$/, 'Z');
    }
    if (bad.length) { showErrorSummary(error, TEXT.problem, bad, { level: 'h4' }); return; }
    try {
      await api(`/consultations/${enc(C.id)}/meetings`, { method: 'POST', body });
      flash = { section: 'meetings', text: fill(TEXT.meetingAdded, { name: body.title }) };
      announce(flash.text); // focus goes to the empty form for the next one, as with services
      await reload('#meeting-title');
    } catch (err) {
      showProblem(err, fields, error);
    }
  }) },
  h('h3', {}, TEXT.addMeetingHeading),
  error,
  title.wrap, place.wrap, startsAt.wrap,
  h('div', { class: 'field' }, h('label', { class: 'check', for: 'meeting-double' }, double, h('span', {}, TEXT.doubleEntry))),
  h('div', { class: 'btn-row' }, h('button', { type: 'submit', id: 'meeting-submit' }, TEXT.addMeeting)));
}

start();
