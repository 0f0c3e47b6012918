// The detail pane of /tickets: one ticket as GET /api/tickets/{id} has it (subject, body, customer,
// the classifier's top three, who or what decided, the SLA counted from receipt, the history), and
// the page's one category picker, with which an approver confirms or corrects the shown ticket.
// Everything from a ticket goes into the page as text (dom.js).
import { get } from './api.js';
import { el, clear, badge } from './dom.js';

const DECIDERS = { classifier: 'the classifier', model: 'the model', rule: 'a keyword rule', person: 'a person' };

/**
 * ctx: { table: { queues, categories }, may(role), failed(e), decide(ticket, category, queue, comment) -> Promise,
 * sla(ticket, tag) -> node, percent(c) }. Returns { node, show(id), reload(), ticket(), focusPicker(), focusPane() }.
 */
export function ticketDetail(ctx) {
  const { table, may, failed, decide } = ctx;
  let current = null;
  let shownId = null;
  let loading = 0;

  const heading = el('h2', { id: 'ticket-detail-heading', class: 'subject', tabindex: '-1' });
  const facts = el('p', { class: 'meta' });
  const customer = el('p', { class: 'customer' });
  const body = el('div', { class: 'ticket-body', tabindex: '0', role: 'region', 'aria-label': 'Ticket body' });
  const decision = el('div', { class: 'decision' });
  const rankingList = el('ol', { class: 'ranking', 'aria-label': 'The classifier’s top three' });
  const slaLine = el('p', { class: 'sla-line' });
  const history = el('ol', { class: 'history', 'aria-label': 'History' });
  const runLink = el('p', { class: 'hint run-link' });
  const content = el('div', { hidden: true }, heading, facts, customer, body, decision,
    el('h3', { text: 'Top three categories' }), rankingList, slaLine);
  const empty = el('p', { class: 'hint', text: 'Select a ticket (j/k, or click it) to read it here.' });

  // ---- the one category picker of the page
  const search = el('input', { id: 'category-search', type: 'search', autocomplete: 'off',
    placeholder: 'Type to search ' + table.categories.length + ' categories', 'aria-controls': 'category-pick' });
  const pick = el('select', { id: 'category-pick', size: 6, class: 'category-pick' });
  const matches = el('span', { class: 'hint', 'aria-live': 'polite' });
  const queuePick = el('select', { id: 'queue-pick' }, el('option', { value: '', text: 'The category’s queue' }),
    table.queues.map(q => el('option', { value: q, text: q })));
  const comment = el('input', { id: 'route-comment', type: 'text', autocomplete: 'off' });
  const confirm = el('button', { type: 'button', class: 'confirm', text: 'Confirm' });
  const routeButton = el('button', { type: 'submit', text: 'Route' });
  const form = el('form', { class: 'route-form', id: 'route-form', 'aria-label': 'Confirm or correct the category' },
    el('label', { for: 'category-search', text: 'Category' }), search, matches,
    el('label', { for: 'category-pick', class: 'visually-hidden', text: 'Matching categories' }), pick,
    el('div', { class: 'row' },
      el('span', {}, el('label', { for: 'queue-pick', text: 'Queue' }), queuePick),
      el('span', { class: 'grow' }, el('label', { for: 'route-comment', text: 'Comment (optional)' }), comment)),
    el('div', { class: 'actions' }, confirm, routeButton));
  const viewerNote = el('p', { class: 'hint', text: 'Confirming or correcting needs the approver role.' });

  const node = el('aside', { id: 'ticket-detail', class: 'card ticket-detail', 'aria-labelledby': 'ticket-detail-title' },
    el('h1', { id: 'ticket-detail-title', text: 'Ticket' }), empty, content,
    may('approver') ? form : viewerNote,
    el('h3', { text: 'History' }), history, runLink);
  form.hidden = true;

  function fill() {
    const words = search.value.toLowerCase().split(/[\s_-]+/).filter(Boolean);
    const query = words.join('_');
    // every word must occur; the category named by the words comes first, then those starting with them
    const rank = (c) => c.name.toLowerCase() === query ? 0 : c.name.toLowerCase().startsWith(query) ? 1 : 2;
    const shown = table.categories.filter(c => {
      const hay = (c.name + ' ' + c.name.replace(/_/g, ' ') + ' ' + (c.queue || '')).toLowerCase();
      return words.every(w => hay.includes(w));
    }).sort((a, b) => rank(a) - rank(b));
    const keep = current && current.category;
    clear(pick).append(...shown.map(c => el('option', { value: c.name,
      text: c.name + (c.queue ? ' — ' + c.queue : '') + (c.priority ? ' (' + c.priority + ')' : '') })));
    pick.value = !words.length && shown.some(c => c.name === keep) ? keep : (shown[0] ? shown[0].name : '');
    matches.textContent = shown.length + ' of ' + table.categories.length + ' categories';
  }
  search.addEventListener('input', fill);
  search.addEventListener('keydown', (ev) => {
    if (ev.key === 'ArrowDown') { ev.preventDefault(); pick.focus(); }
  });
  pick.addEventListener('keydown', (ev) => {
    // a listbox does not submit its form on Enter by itself
    if (ev.key === 'Enter') { ev.preventDefault(); form.requestSubmit(); }
  });
  const busy = (on) => { for (const b of form.querySelectorAll('button')) b.disabled = on; };
  const send = async (category) => {
    const t = current;
    if (!t || t.id !== shownId) { ctx.notify('The selected ticket is still loading; try again in a moment.', 'error'); return; }
    busy(true);
    try {
      await decide(t, category, queuePick.value || null, comment.value.trim() || null);
      search.value = '';
      comment.value = '';
      queuePick.value = '';
    } finally {
      busy(false);
    }
  };
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (!current) return;
    if (!pick.value) { ctx.notify('Pick a category to route to.', 'error'); search.focus(); return; }
    send(pick.value).catch(() => {});
  });
  confirm.addEventListener('click', () => { if (current) send(current.category).catch(() => {}); });

  function render(t) {
    const changed = !current || current.id !== t.id;
    current = t;
    empty.hidden = true;
    content.hidden = false;
    node.dataset.ticketId = t.id;
    node.dataset.status = t.status;
    heading.textContent = t.subject || '(no subject)';
    clear(facts).append(badge(t.status), ' ',
      t.category ? el('code', { class: 'category', text: t.category }) : 'no category yet',
      ' · ', t.queue || '—', ' · ', t.priority ? el('span', { class: 'prio prio-' + String(t.priority).toLowerCase(), text: t.priority }) : '—',
      ' · received ', el('time', { datetime: t.createdAt, text: when(t.createdAt) }));
    clear(customer).append(el('strong', { text: 'Customer ' }), customerText(t.customer),
      t.channel ? ' · via ' + t.channel : '', t.externalId ? ' · ' + t.externalId : '');
    body.textContent = t.body || '(no body)';
    body.classList.toggle('empty', !t.body);

    // who or what decided (a list's ticket, shown until its detail arrives, has only its method)
    const partial = !t.history;
    const d = t.decidedBy || { kind: { confirmation: 'person', correction: 'person' }[t.method] || t.method, confidence: t.confidence };
    clear(decision);
    if (d.outsideCategories) {
      decision.append(el('p', { class: 'outside', role: 'note',
        text: 'The model answered outside the categories, so nothing was decided: '
          + (t.category ? t.category + ' is only a placeholder. ' : '') + 'Pick one of the classifier’s ranked categories below, or another.' }));
    }
    const by = d.kind === 'person' && d.by ? 'a person: ' + d.by + (t.method === 'correction' ? ' (corrected)' : t.method === 'confirmation' ? ' (confirmed)' : '')
      : d.kind === 'model' ? 'the model' + (d.model ? ' ' + d.model : '')
        : DECIDERS[d.kind] || (t.status === 'TRIAGING' ? 'not decided yet' : '—');
    decision.append(el('p', { class: 'decided-by' }, el('strong', { text: 'Decided by ' }), by,
      typeof d.confidence === 'number' && d.kind !== 'person' && d.kind !== 'rule' ? ' · confidence ' + ctx.percent(d.confidence) : '',
      d.kind === 'person' && d.model ? ' · the model ' + d.model + ' was asked first' : ''));
    const rationale = [t.review && t.review.reason ? 'Review: ' + t.review.reason : '', t.rationale || ''].filter(Boolean).join(' — ');
    if (rationale) decision.append(el('p', { class: 'rationale', text: rationale }));

    clear(rankingList);
    const ranking = t.ranking || [];
    if (partial) rankingList.append(el('li', { class: 'hint', text: 'Loading…' }));
    else if (!ranking.length) rankingList.append(el('li', { class: 'hint', text: d.kind === 'rule' ? 'A keyword rule decided; the classifier was not asked.' : 'No ranking kept for this ticket.' }));
    for (const r of ranking) {
      rankingList.append(el('li', { 'data-category': r.category },
        el('code', { text: r.category }), ' ',
        el('meter', { min: '0', max: '1', value: String(r.confidence), 'aria-label': r.category + ' probability' }), ' ',
        el('span', { class: 'probability', text: ctx.percent(r.confidence) })));
    }

    clear(slaLine).append(el('strong', { text: 'SLA ' }), ctx.sla(t, 'span'),
      t.sla && t.sla.dueAt ? ' · due ' + when(t.sla.dueAt) + ', counted from receipt' : ' · no SLA until the ticket has a category of the routing table');

    clear(history);
    for (const h of t.history || []) {
      history.append(el('li', { 'data-step': h.step },
        el('time', { datetime: h.at || '', text: h.at ? when(h.at) : '' }), ' ', h.text || h.step, h.by && !(h.text || '').includes(h.by) ? ' — ' + h.by : ''));
    }
    clear(runLink);
    if (t.runId) runLink.append('For operators: the ', el('a', { href: '/runs/' + encodeURIComponent(t.runId), text: 'triage run' }), '.');

    // the picker: a decision is possible once triage settled
    form.hidden = t.status === 'TRIAGING';
    confirm.hidden = t.status !== 'AWAITING_APPROVAL' || !t.category;
    confirm.textContent = 'Confirm ' + (t.category || '');
    confirm.title = 'Route to ' + (t.category || '?') + ' (Enter)';
    if (changed) { search.value = ''; comment.value = ''; queuePick.value = ''; }
    if (changed || document.activeElement !== search) fill();
  }

  /**
   * Shows the ticket {@code id}; a later call wins over an earlier one still loading. {@code summary},
   * the ticket as a list has it, is shown at once (subject, body, status, the picker) until its
   * detail arrives, so that the keys act on the selected ticket without waiting.
   */
  async function show(id, summary) {
    shownId = id;
    const mine = ++loading;
    if (summary && summary.id === id && (!current || current.id !== id)) render(summary);
    try {
      const t = await get('/api/tickets/' + encodeURIComponent(id));
      if (mine !== loading) return;
      t.fetchedAt = Date.now();
      render(t);
    } catch (e) {
      if (mine === loading) failed(e);
    }
  }

  return {
    node,
    show,
    reload: () => shownId ? show(shownId) : Promise.resolve(),
    id: () => shownId,
    ticket: () => current,
    focusPicker: () => {
      if (form.hidden || !may('approver')) return false;
      search.focus();
      search.select();
      return true;
    },
    focusPane: () => { heading.focus(); node.scrollIntoView({ block: 'nearest' }); },
  };
}

function when(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const sameDay = d.toDateString() === new Date().toDateString();
  return sameDay ? d.toLocaleTimeString() : d.toLocaleString();
}

/** A customer object as one line of text: its name and email if it has them, else its JSON. */
function customerText(c) {
  if (!c) return 'unknown';
  if (typeof c !== 'object') return String(c);
  const parts = [c.name, c.email, c.id].filter(x => typeof x === 'string' && x);
  return parts.length ? parts.join(' · ') : JSON.stringify(c);
}
