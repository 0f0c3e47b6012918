// The /tickets view: the tickets Baton triaged (filterable by queue and status, paged with the
// API's cursor) and the review inbox, where a person confirms a proposed category with one key
// or routes the ticket to another category picked from a searchable list.
// Everything from a ticket (subject, rationale, categories) goes into the page as text (dom.js).
import { get, post, eventSource } from './api.js';
import { el, clear, age, badge, placeAfter } from './dom.js';

export const TICKET_STATUSES = ['TRIAGING', 'AWAITING_APPROVAL', 'ROUTED', 'FAILED'];
const PAGE_SIZE = 50; // tickets per page; /tickets?limit=N asks for another size

// Live updates come from the server's event stream of all runs (a ticket is a run of the triage
// playbook, so every change of a ticket is one of these events) rather than from polling: an idle
// page costs no requests, and a decision made elsewhere shows within a fraction of a second.
// A busy server sends many events per second, so reloads are coalesced: one fetch in flight, one
// queued, and at least MIN_GAP_MS between them. The stream is live only: after a reconnect the page
// reloads once (its 'open' event), and a slow safety poll covers anything no event announces.
const LIVE_TYPES = ['RunCreated', 'TaskSucceeded', 'TaskAttemptFailed', 'TaskRetryRequested', 'ApprovalRequested',
  'ApprovalDecided', 'ApprovalExpired', 'RunSucceeded', 'RunFailed', 'RunCancelled', 'RunReopened'];
const MIN_GAP_MS = 300;
const SAFETY_POLL_MS = 30000;

/**
 * Renders the view into ctx.view. ctx: { view, may(role), failed(error), notify(text, kind),
 * go(path), onDispose(fn) } from app.js.
 */
export async function ticketsView(ctx) {
  const { view, may, failed, notify, go } = ctx;
  const params = new URLSearchParams(location.search);
  const filter = { queue: params.get('queue') || '', status: params.get('status') || '', cursor: params.get('cursor') || '',
    limit: /^\d+$/.test(params.get('limit') || '') ? params.get('limit') : '' };
  let gone = false;
  let source = null;
  let ticker = 0;
  let poll = 0;
  // registered first: leaving the view while it still loads must stop it too
  ctx.onDispose(() => {
    gone = true;
    if (source) source.close();
    clearInterval(ticker);
    clearInterval(poll);
  });

  const routing = await get('/api/routing');
  if (gone) return;
  const table = routingIndex(routing);

  // ---- the classifier's first training (minutes for a user's own examples): shown until it is ready
  const classifierNote = el('p', { id: 'classifier-progress', class: 'hint', role: 'status' });
  let progressPoll = 0;
  const showClassifier = (r) => {
    const text = classifierStatus(r);
    classifierNote.textContent = text;
    classifierNote.hidden = !text;
    if (!text || (r.classifierProgress && r.classifierProgress.phase === 'FAILED')) clearInterval(progressPoll);
  };
  showClassifier(routing);
  if (classifierNote.textContent) {
    progressPoll = setInterval(() => {
      if (!document.hidden) get('/api/routing').then(r => { if (!gone) showClassifier(r); }).catch(() => {});
    }, 2000);
  }
  ctx.onDispose(() => clearInterval(progressPoll));
  view.append(classifierNote);

  // ---- filters
  const link = (changes) => {
    const next = Object.assign({}, filter, { cursor: '' }, changes);
    const q = new URLSearchParams();
    for (const key of ['queue', 'status', 'limit', 'cursor']) if (next[key]) q.set(key, next[key]);
    return '/tickets' + (q.toString() ? '?' + q : '');
  };
  const queueSelect = el('select', { id: 'queue-filter' }, el('option', { value: '', text: 'All queues' }),
    table.queues.map(q => el('option', { value: q, text: q, selected: q === filter.queue })));
  const statusSelect = el('select', { id: 'ticket-status-filter' }, el('option', { value: '', text: 'All' }),
    TICKET_STATUSES.map(s => el('option', { value: s, text: s, selected: s === filter.status })));
  queueSelect.addEventListener('change', () => go(link({ queue: queueSelect.value })));
  statusSelect.addEventListener('change', () => go(link({ status: statusSelect.value })));

  const inboxBody = el('div', { id: 'review' });
  const inboxCount = el('span', { class: 'count' });
  const listBody = el('div', { id: 'ticket-list' });
  const pager = el('p', { class: 'pager' });
  view.append(
    el('section', { class: 'card', 'aria-labelledby': 'review-heading' },
      el('h1', { id: 'review-heading' }, 'Review inbox ', inboxCount),
      el('p', { class: 'hint', text: may('approver')
        ? 'Tickets Baton is unsure of. Select one (j/k move between them) and press Enter to confirm the proposed category, '
          + 'or search another category and press Enter to route it there.'
        : 'Tickets Baton is unsure of. Deciding needs the approver role.' }),
      inboxBody),
    el('section', { class: 'card' },
      el('h1', { text: 'Tickets' }),
      el('p', { class: 'filters' },
        el('label', { for: 'queue-filter', class: 'inline', text: 'Queue ' }), queueSelect, ' ',
        el('label', { for: 'ticket-status-filter', class: 'inline', text: 'Status ' }), statusSelect),
      listBody, pager));

  // ---- loading, coalesced
  let inflight = null;
  let queued = null;
  let lastLoad = 0;
  const load = async () => {
    const wait = lastLoad + MIN_GAP_MS - Date.now();
    if (wait > 0) await new Promise(resolve => setTimeout(resolve, wait));
    if (gone) return;
    lastLoad = Date.now();
    const q = (extra) => {
      const p = new URLSearchParams({ limit: String(PAGE_SIZE) });
      for (const [k, v] of Object.entries(extra)) if (v) p.set(k, v);
      return '/api/tickets?' + p;
    };
    const [page, review] = await Promise.all([
      get(q({ queue: filter.queue, status: filter.status, cursor: filter.cursor, limit: filter.limit })),
      get(q({ queue: filter.queue, status: 'AWAITING_APPROVAL' }))]);
    if (gone) return;
    const fetchedAt = Date.now();
    for (const t of [...(page.tickets || []), ...(review.tickets || [])]) t.fetchedAt = fetchedAt;
    renderList(page);
    renderInbox(review);
  };
  /** Reloads; the promise settles once a load begun after this call has been applied. */
  const refresh = () => {
    if (!inflight) {
      inflight = load().catch(e => { if (!gone) failed(e); }).finally(() => { inflight = null; });
      return inflight;
    }
    if (!queued) queued = inflight.then(() => { queued = null; return refresh(); });
    return queued;
  };

  // ---- the ticket list
  const rows = new Map();
  const tbody = el('tbody');
  const emptyNote = el('p', { text: 'No tickets' + (filter.queue || filter.status ? ' match these filters.' : ' yet.') });
  const listTable = el('table', { class: 'runs tickets' },
    el('thead', {}, el('tr', {}, ['Subject', 'Category', 'Queue', 'Priority', 'Confidence', 'Status', 'SLA left', 'Received']
      .map(h => el('th', { text: h })))), tbody);

  function renderList(page) {
    const tickets = page.tickets || [];
    if (!tickets.length) { clear(listBody).append(emptyNote); rows.clear(); clear(tbody); }
    else if (listTable.parentNode !== listBody) clear(listBody).append(listTable);
    const ids = new Set(tickets.map(t => t.id));
    for (const [id, tr] of rows) if (!ids.has(id)) { tr.remove(); rows.delete(id); }
    let prev = null;
    for (const t of tickets) {
      let tr = rows.get(t.id);
      if (!tr) { tr = el('tr', { 'data-ticket-id': t.id }); rows.set(t.id, tr); }
      prev = placeAfter(tbody, prev, tr);
      const key = ticketKey(t);
      if (tr.renderKey === key) continue; // unchanged: no DOM work
      tr.renderKey = key;
      tr.dataset.status = t.status;
      clear(tr).append(
        el('td', { class: 'subject' }, t.runId
          ? el('a', { href: '/runs/' + encodeURIComponent(t.runId), text: subjectOf(t), title: 'The triage run of this ticket' })
          : subjectOf(t)),
        el('td', { class: 'category' }, t.category ? el('code', { text: t.category }) : '—'),
        el('td', { class: 'queue', text: t.queue || '—' }),
        el('td', { class: 'priority' }, t.priority ? el('span', { class: 'prio prio-' + String(t.priority).toLowerCase(), text: t.priority }) : '—'),
        el('td', { class: 'confidence', text: percent(t.confidence) }),
        el('td', { class: 'status' }, badge(t.status), deliveryNote(t)),
        slaCell(t, 'td'),
        el('td', { class: 'received', text: age(t.createdAt), title: t.createdAt || '' }));
    }
    clear(pager);
    if (filter.cursor) pager.append(el('a', { href: link({}), text: '← Newest tickets' }), ' ');
    if (page.next) pager.append(el('a', { href: link({ cursor: page.next }), rel: 'next', text: 'Older tickets →' }));
  }

  // ---- the review inbox
  const items = new Map();
  const inboxList = el('ul', { class: 'inbox review', 'aria-label': 'Tickets awaiting review' });
  const inboxEmpty = el('p', { class: 'hint', text: 'Nothing waits for review.' });

  function renderInbox(page) {
    const tickets = page.tickets || [];
    inboxCount.textContent = tickets.length ? '(' + tickets.length + (page.next ? '+' : '') + ')' : '';
    if (!tickets.length) { if (inboxEmpty.parentNode !== inboxBody) clear(inboxBody).append(inboxEmpty); }
    else if (inboxList.parentNode !== inboxBody) clear(inboxBody).append(inboxList);
    const ids = new Set(tickets.map(t => t.id));
    for (const [id, item] of items) {
      if (!ids.has(id)) {
        // keep the keyboard where it was: the next ticket takes the focus of one that leaves
        const focused = item.li.contains(document.activeElement);
        const next = item.li.nextElementSibling || item.li.previousElementSibling;
        item.li.remove();
        items.delete(id);
        if (focused && next) next.focus();
      }
    }
    let prev = null;
    for (const t of tickets) {
      let item = items.get(t.id);
      if (!item) { item = reviewItem(t); items.set(t.id, item); }
      prev = placeAfter(inboxList, prev, item.li);
      item.update(t);
    }
  }

  /** One ticket awaiting review: its facts, and for approvers Confirm and a category picker with Route. */
  function reviewItem(ticket) {
    let current = ticket;
    const head = el('h2', { class: 'subject' });
    const facts = el('p', { class: 'meta' });
    const rationale = el('p', { class: 'rationale' });
    const li = el('li', { class: 'card', tabindex: '0', 'data-ticket-id': ticket.id }, head, facts, rationale);
    const item = { li, update };

    const decide = async (button, category, label) => {
      const body = { category };
      if (comment && comment.value.trim()) body.comment = comment.value.trim();
      if (queuePick && queuePick.value) body.queue = queuePick.value;
      for (const b of li.querySelectorAll('button')) b.disabled = true;
      try {
        const routed = await post('/api/tickets/' + encodeURIComponent(current.id) + '/route', body);
        li.dataset.status = routed.status || li.dataset.status;
        notify(label + ': “' + subjectOf(current) + '” → ' + (routed.category || category) + (routed.queue ? ' · ' + routed.queue : ''), 'ok');
        await refresh();
      } catch (e) {
        failed(e);
      } finally {
        for (const b of li.querySelectorAll('button')) b.disabled = false;
      }
    };

    let comment = null;
    let queuePick = null;
    let confirm = null;
    if (may('approver')) {
      const n = cssId(ticket.id);
      const search = el('input', { id: 'cat-search-' + n, type: 'search', autocomplete: 'off', placeholder: 'Type to search categories',
        'aria-controls': 'cat-pick-' + n });
      const pick = el('select', { id: 'cat-pick-' + n, size: 6, class: 'category-pick' });
      queuePick = el('select', { id: 'queue-pick-' + n }, el('option', { value: '', text: 'The category’s queue' }),
        table.queues.map(q => el('option', { value: q, text: q })));
      comment = el('input', { id: 'comment-' + n, type: 'text', autocomplete: 'off' });
      confirm = el('button', { type: 'button', class: 'confirm', text: 'Confirm' });
      const routeButton = el('button', { type: 'submit', text: 'Route' });
      const matches = el('span', { class: 'hint', 'aria-live': 'polite' });
      const fill = () => {
        const words = search.value.toLowerCase().split(/[\s_-]+/).filter(Boolean);
        const keep = pick.value || current.category;
        // every word must occur; the category named by the words comes first, then those starting with them
        const query = words.join('_');
        const rank = (c) => c.name.toLowerCase() === query ? 0 : c.name.toLowerCase().startsWith(query) ? 1 : 2;
        const shown = table.categories.filter(c => {
          const hay = (c.name + ' ' + c.name.replace(/_/g, ' ') + ' ' + (c.queue || '')).toLowerCase();
          return words.every(w => hay.includes(w));
        }).sort((a, b) => rank(a) - rank(b));
        clear(pick).append(...shown.map(c => el('option', { value: c.name, text: c.name + (c.queue ? ' — ' + c.queue : '') + (c.priority ? ' (' + c.priority + ')' : '') })));
        pick.value = shown.some(c => c.name === keep) && !words.length ? keep : (shown[0] ? shown[0].name : '');
        matches.textContent = shown.length + ' of ' + table.categories.length + ' categories';
      };
      search.addEventListener('input', fill);
      search.addEventListener('keydown', (ev) => {
        if (ev.key === 'ArrowDown') { ev.preventDefault(); pick.focus(); }
      });
      pick.addEventListener('keydown', (ev) => {
        // a listbox does not submit its form on Enter by itself
        if (ev.key === 'Enter') { ev.preventDefault(); form.requestSubmit(); }
      });
      const form = el('form', { class: 'route-form' },
        el('label', { for: 'cat-search-' + n, text: 'Another category' }), search, matches,
        el('label', { for: 'cat-pick-' + n, class: 'visually-hidden', text: 'Category' }), pick,
        el('div', { class: 'row' },
          el('span', {}, el('label', { for: 'queue-pick-' + n, text: 'Queue' }), queuePick),
          el('span', { class: 'grow' }, el('label', { for: 'comment-' + n, text: 'Comment (optional)' }), comment)),
        el('div', { class: 'actions' }, routeButton));
      form.addEventListener('submit', (ev) => {
        ev.preventDefault();
        if (!pick.value) { notify('Pick a category to route to.', 'error'); search.focus(); return; }
        decide(routeButton, pick.value, pick.value === current.category ? 'Confirmed' : 'Routed');
      });
      confirm.addEventListener('click', () => decide(confirm, current.category, 'Confirmed'));
      li.append(el('div', { class: 'actions' }, confirm, el('span', { class: 'hint', text: 'or press Enter' })), form);
      li.addEventListener('keydown', (ev) => {
        if (ev.target !== li || ev.altKey || ev.ctrlKey || ev.metaKey) return;
        if (ev.key === 'Enter') { ev.preventDefault(); if (!confirm.disabled) confirm.click(); }
        else if (ev.key === '/') { ev.preventDefault(); search.focus(); search.select(); }
      });
      item.fill = fill;
      fill();
    }
    li.addEventListener('keydown', (ev) => {
      if (ev.target !== li || ev.altKey || ev.ctrlKey || ev.metaKey) return;
      const step = ev.key === 'j' || ev.key === 'ArrowDown' ? 1 : ev.key === 'k' || ev.key === 'ArrowUp' ? -1 : 0;
      if (!step) return;
      ev.preventDefault();
      const next = step > 0 ? li.nextElementSibling : li.previousElementSibling;
      if (next) next.focus();
    });

    function update(t) {
      const key = ticketKey(t);
      if (item.key === key) return;
      item.key = key;
      const categoryChanged = current.category !== t.category;
      current = t;
      li.dataset.status = t.status;
      li.setAttribute('aria-label', 'Ticket: ' + subjectOf(t));
      head.textContent = subjectOf(t);
      clear(facts).append('Proposed ', el('code', { class: 'proposed', text: t.category || '—' }),
        ' · ', t.queue || '—', ' · ', t.priority || '—', ' · confidence ', el('strong', { text: percent(t.confidence) }),
        ' · SLA ', slaCell(t, 'span'), ' · received ' + age(t.createdAt),
        t.runId ? el('span', {}, ' · ', el('a', { href: '/runs/' + encodeURIComponent(t.runId), text: 'triage run' })) : '');
      const reason = t.review && t.review.reason;
      rationale.textContent = [reason ? 'Review: ' + reason : '', t.rationale || ''].filter(Boolean).join(' — ');
      rationale.hidden = !rationale.textContent;
      if (confirm) confirm.title = 'Route to ' + (t.category || '?') + ' (Enter)';
      if (categoryChanged && item.fill) item.fill();
    }
    return item;
  }

  // ---- SLA countdown: ticks locally, no requests
  const tick = () => {
    for (const node of view.querySelectorAll('[data-due]')) {
      const text = timeLeft(node.dataset.due);
      if (node.textContent !== text) node.textContent = text;
      node.classList.toggle('overdue', Date.parse(node.dataset.due) <= Date.now());
    }
  };
  ticker = setInterval(tick, 1000);

  // ---- live
  source = eventSource('/api/events');
  for (const type of LIVE_TYPES) source.addEventListener(type, () => refresh());
  source.addEventListener('open', () => refresh());
  poll = setInterval(() => { if (!document.hidden) refresh(); }, SAFETY_POLL_MS);
  await refresh();
}

/**
 * What the page says about the classifier while it is not ready (GET /api/routing's classifierReady
 * and classifierProgress), e.g. "Training the classifier: 4,000 of 20,006 embeddings, about 70 s left";
 * '' once it is ready.
 */
export function classifierStatus(routing) {
  if (!routing || routing.classifierReady) return '';
  const p = routing.classifierProgress;
  if (!p) return 'The classifier is built when the first ticket arrives.';
  const n = (x) => Number(x).toLocaleString('en-US');
  const left = p.remainingMs === null || p.remainingMs === undefined ? ''
    : ', about ' + n(Math.max(1, Math.round(p.remainingMs / 1000))) + ' s left';
  switch (p.phase) {
    case 'EMBEDDING': return 'Training the classifier: ' + n(p.embedded) + ' of ' + n(p.toEmbed) + ' embeddings' + left;
    case 'TRAINING': return 'Training the classifier: ' + n(p.foldsTrained) + ' of ' + n(p.folds) + ' folds fitted' + left;
    case 'FAILED': return 'The classifier could not be trained; see the server log.';
    case 'READY': return 'The classifier is trained; the review threshold follows.';
    default: return 'Loading the classifier…';
  }
}

/** Queues and categories of the routing table, whatever shape a queue lists its categories in. */
function routingIndex(routing) {
  const queues = [];
  const categories = [];
  const seen = new Set();
  for (const q of (routing && routing.queues) || []) {
    const name = typeof q === 'string' ? q : q.name;
    if (!name) continue;
    queues.push(name);
    const cats = q.categories;
    const entries = Array.isArray(cats)
      ? cats.map(c => typeof c === 'string' ? [c, null] : [c.name || c.category, c.priority || null])
      : Object.entries(cats || {}).map(([c, p]) => [c, typeof p === 'string' ? p : p && p.priority]);
    for (const [c, p] of entries) {
      if (!c || seen.has(c)) continue;
      seen.add(c);
      categories.push({ name: c, queue: name, priority: p || null });
    }
  }
  for (const c of (routing && routing.categories) || []) {
    const name = typeof c === 'string' ? c : c.name;
    if (name && !seen.has(name)) { seen.add(name); categories.push({ name, queue: c.queue || null, priority: c.priority || null }); }
  }
  categories.sort((a, b) => a.name.localeCompare(b.name));
  return { queues, categories };
}

/** What a ticket's rendering depends on: not the moment it was fetched nor the time left then (the ticker shows that). */
function ticketKey(t) {
  return JSON.stringify(Object.assign({}, t, { fetchedAt: undefined, sla: t.sla && t.sla.dueAt }));
}

function subjectOf(t) {
  return t.subject || (t.body ? String(t.body).slice(0, 120) : t.id);
}

function percent(c) {
  return typeof c === 'number' ? Math.round(c * 100) + '%' : '—';
}

/**
 * The SLA deadline of a ticket in this browser's clock: the server's time left
 * (sla.remaining) counted from when the ticket was fetched, so a skewed clock here does not
 * skew the countdown; the absolute sla.dueAt otherwise.
 */
function dueOf(t) {
  const sla = t.sla || {};
  const left = isoMillis(sla.remaining);
  if (left !== null && t.fetchedAt) return new Date(t.fetchedAt + left).toISOString();
  return sla.dueAt || t.slaDueAt || null;
}

/** Milliseconds of an ISO-8601 duration as Java writes it ("PT1H2M3S", "PT-5M-30S", "P1D"), or null. */
export function isoMillis(text) {
  const m = /^(-)?P(?:(-?\d+)D)?(?:T(?:(-?\d+)H)?(?:(-?\d+)M)?(?:(-?\d+(?:\.\d+)?)S)?)?$/.exec(String(text || ''));
  if (!m || text === 'P' || text === 'PT') return null;
  const n = (v) => v ? Number(v) : 0;
  const ms = ((n(m[2]) * 24 + n(m[3])) * 60 + n(m[4])) * 60000 + n(m[5]) * 1000;
  return m[1] ? -ms : ms;
}

function slaCell(t, tag) {
  const due = dueOf(t);
  if (!due || t.status === 'FAILED' && !t.queue) return el(tag, { class: 'sla', text: '—' });
  return el(tag, { class: 'sla' + (Date.parse(due) <= Date.now() ? ' overdue' : ''), 'data-due': due, title: 'due ' + due, text: timeLeft(due) });
}

/** "14 min 05 s", "3 h 20 min", "2 d 4 h", or "overdue 3 min". */
export function timeLeft(iso) {
  const ms = Date.parse(iso) - Date.now();
  if (Number.isNaN(ms)) return '—';
  const s = Math.floor(Math.abs(ms) / 1000);
  let text;
  if (s < 3600) text = Math.floor(s / 60) + ' min ' + String(s % 60).padStart(2, '0') + ' s';
  else if (s < 86400) text = Math.floor(s / 3600) + ' h ' + String(Math.floor(s % 3600 / 60)).padStart(2, '0') + ' min';
  else text = Math.floor(s / 86400) + ' d ' + Math.floor(s % 86400 / 3600) + ' h';
  return ms < 0 ? 'overdue ' + text : text;
}

/** Delivery to the queue's webhook unless it went through (or the queue has none), and a triage error. */
function deliveryNote(t) {
  const d = t.delivery && typeof t.delivery === 'object' ? t.delivery.status : t.delivery;
  const parts = [];
  if (d && d !== 'DELIVERED' && d !== 'NONE') parts.push('delivery ' + String(d).toLowerCase());
  if (t.error && t.error.message) parts.push(t.error.message);
  return parts.length ? el('div', { class: 'hint delivery', text: parts.join(' · ') }) : null;
}

/** An id usable in element ids (ticket ids are opaque). */
function cssId(id) {
  return String(id).replace(/[^A-Za-z0-9_-]/g, '_');
}
