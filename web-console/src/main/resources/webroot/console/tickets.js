// The /tickets view: the review inbox (tickets Baton is unsure of) and the tickets Baton triaged
// (filterable by queue and status, paged with the API's cursor), beside a detail pane that shows
// the selected ticket whole (ticket-detail.js) with the page's one category picker.
// /tickets/{id} opens the view on that ticket. The keyboard works across the page (keys.js):
// j/k select, Enter confirms a ticket in review (opens any other), c corrects, / searches,
// ? lists the keys. Everything from a ticket goes into the page as text (dom.js).
import { get, post, eventSource } from './api.js';
import { el, clear, age, badge, placeAfter } from './dom.js';
import { ticketDetail } from './ticket-detail.js';
import { bindKeys, keyHelp } from './keys.js';

export const TICKET_STATUSES = ['TRIAGING', 'AWAITING_APPROVAL', 'ROUTED', 'FAILED'];
const PAGE_SIZE = 50; // tickets per page; /tickets?limit=N asks for another size
const EXCERPT_CHARS = 160; // of a body, on a card or a row; the detail pane shows it whole

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
 * go(path), onDispose(fn), ticketId (from /tickets/{id}, or null) } from app.js.
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
  let unbind = () => {};
  let progressPoll = 0;
  // registered first: leaving the view while it still loads must stop it too. One disposer for
  // everything: app.js keeps only the last function given to onDispose.
  ctx.onDispose(() => {
    gone = true;
    if (source) source.close();
    clearInterval(ticker);
    clearInterval(poll);
    clearInterval(progressPoll);
    unbind();
  });

  const routing = await get('/api/routing');
  if (gone) return;
  const table = routingIndex(routing);

  // ---- the classifier's first training (minutes for a user's own examples): shown until it is ready
  const classifierNote = el('p', { id: 'classifier-progress', class: 'hint', role: 'status' });
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
  const searchBox = el('input', { id: 'ticket-search', type: 'search', autocomplete: 'off',
    placeholder: 'Subject, body, category… (/)' });

  // ---- the detail pane, and deciding (its picker, a card's Confirm, or Enter)
  const detail = ticketDetail({ table, may, failed, notify, decide: (t, category, queue, comment) => decide(t, category, queue, comment, true),
    sla: slaCell, percent });

  const inboxBody = el('div', { id: 'review' });
  const inboxCount = el('span', { class: 'count' });
  const listBody = el('div', { id: 'ticket-list' });
  const pager = el('p', { class: 'pager' });
  const help = keyHelp('Keys on the tickets page', KEYS);
  view.append(
    el('div', { class: 'tickets-layout' },
      el('div', { class: 'tickets-lists' },
        el('section', { class: 'card', 'aria-labelledby': 'review-heading' },
          el('h1', { id: 'review-heading' }, 'Review inbox ', inboxCount),
          el('p', { class: 'hint' }, may('approver')
            ? 'Tickets Baton is unsure of. j/k select one, Enter confirms the proposed category, c picks another. '
            : 'Tickets Baton is unsure of. Deciding needs the approver role. ',
          el('button', { type: 'button', class: 'link', text: 'All keys (?)', onclick: () => help.toggle() })),
          inboxBody),
        el('section', { class: 'card' },
          el('h1', { text: 'Tickets' }),
          el('p', { class: 'filters' },
            el('label', { for: 'queue-filter', class: 'inline', text: 'Queue ' }), queueSelect, ' ',
            el('label', { for: 'ticket-status-filter', class: 'inline', text: 'Status ' }), statusSelect, ' ',
            el('label', { for: 'ticket-search', class: 'inline', text: 'Search ' }), searchBox),
          listBody, pager)),
      detail.node),
    help.node);

  // ---- the selection: one ticket of the inbox or the list at a time, shown in the detail pane
  let selected = null; // the selected card or row
  let selectedId = ctx.ticketId || null;
  const selectable = () => [...inboxList.children, ...tbody.children].filter(n => !n.hidden);
  const ticketOf = (node) => node && (node.ticket || null);
  /**
   * Selects a card or row. focus: move the keyboard focus to it; address: 'push' or 'replace' the
   * address with the ticket's own (/tickets/{id}), or leave it.
   */
  function select(node, { focus = false, address = null } = {}) {
    if (!node) return;
    if (selected && selected !== node) { selected.classList.remove('selected'); selected.removeAttribute('aria-current'); }
    selected = node;
    node.classList.add('selected');
    node.setAttribute('aria-current', 'true');
    const id = node.dataset.ticketId;
    if (focus && document.activeElement !== node) { node.focus({ preventScroll: true }); node.scrollIntoView({ block: 'nearest' }); }
    if (address) {
      const url = '/tickets/' + encodeURIComponent(id) + location.search;
      if (address === 'push') history.pushState(null, '', url); else history.replaceState(null, '', url);
    }
    if (id !== selectedId || detail.id() !== id) { selectedId = id; detail.show(id, node.ticket); }
  }
  const move = (step) => {
    const nodes = selectable();
    if (!nodes.length) return;
    const at = nodes.indexOf(selected);
    const next = at < 0 ? nodes[0] : nodes[Math.max(0, Math.min(nodes.length - 1, at + step))];
    select(next, { focus: true, address: 'replace' });
  };
  // focus (a Tab, a click, a script) selects; clicking a subject link opens the ticket's own view in place
  const onFocus = (ev) => {
    const node = ev.target.closest('[data-ticket-id]');
    if (node && (node.parentNode === inboxList || node.parentNode === tbody)) select(node);
  };
  inboxBody.addEventListener('focusin', onFocus);
  listBody.addEventListener('focusin', onFocus);
  const onClick = (ev) => {
    const node = ev.target.closest('[data-ticket-id]');
    if (!node) return;
    const a = ev.target.closest('a.ticket-link');
    if (a && !(ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey)) {
      ev.preventDefault();
      select(node, { focus: true, address: 'push' });
      detail.focusPane();
    } else if (!ev.target.closest('a, button, input, select')) {
      select(node, { focus: true, address: 'replace' });
    }
  };
  inboxBody.addEventListener('click', onClick);
  listBody.addEventListener('click', onClick);

  // ---- the search: narrows the loaded inbox and list to the tickets whose text has every word
  const applySearch = () => {
    const words = searchBox.value.toLowerCase().split(/\s+/).filter(Boolean);
    for (const node of [...inboxList.children, ...tbody.children]) {
      const hay = node.searchText || '';
      node.hidden = !words.every(w => hay.includes(w));
    }
  };
  searchBox.addEventListener('input', applySearch);
  searchBox.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter') { ev.preventDefault(); const first = selectable()[0]; if (first) select(first, { focus: true, address: 'replace' }); }
  });

  /**
   * Routes a ticket to {@code category} (its proposed one: a confirmation). The next ticket of
   * the inbox is selected (and focused, when the keyboard was on the decided one or the picker).
   */
  async function decide(t, category, queue, comment, fromPicker) {
    const body = { category };
    if (queue) body.queue = queue;
    if (comment) body.comment = comment;
    const card = items.get(t.id);
    const keyboardThere = fromPicker || (card && card.li.contains(document.activeElement));
    const after = card ? neighbour(card.li) : null;
    const buttons = card ? [...card.li.querySelectorAll('button')] : [];
    for (const b of buttons) b.disabled = true;
    if (fromPicker) fromPickerIds.add(t.id);
    try {
      const routed = await post('/api/tickets/' + encodeURIComponent(t.id) + '/route', body);
      if (card) card.li.dataset.status = routed.status || card.li.dataset.status;
      const label = category === t.category && !queue ? 'Confirmed' : 'Routed';
      notify(label + ': “' + subjectOf(t) + '” → ' + (routed.category || category) + (routed.queue ? ' · ' + routed.queue : ''), 'ok');
      if (card && after && selectedId === t.id) select(after, { focus: keyboardThere, address: location.pathname !== '/tickets' ? 'replace' : null });
      await refresh();
      if (selectedId === t.id) detail.reload();
    } catch (e) {
      failed(e);
      throw e;
    } finally {
      for (const b of buttons) b.disabled = false;
      fromPickerIds.delete(t.id);
    }
  }
  /** Tickets being decided with the picker: when one leaves the inbox, the keyboard goes to the next. */
  const fromPickerIds = new Set();

  // ---- keys (keys.js): never while typing
  const onTicket = (ev) => !!(ev.target.closest && ev.target.closest('[data-ticket-id]') && !ev.target.closest('a, button'));
  const KEY_RUN = {
    next: () => move(1),
    prev: () => move(-1),
    enter: (ev) => {
      if (ev.target.closest && ev.target.closest('a, button, summary, dialog')) return false;
      const t = ticketOf(selected);
      if (!t) return false;
      if (t.status === 'AWAITING_APPROVAL' && may('approver') && t.category) {
        decide(t, t.category, null, null, false).catch(() => {});
      } else {
        detail.focusPane();
      }
    },
    correct: () => { if (!detail.focusPicker()) notify(may('approver') ? 'This ticket is still being triaged.' : 'Deciding needs the approver role.', 'error'); },
    search: () => { searchBox.focus(); searchBox.select(); },
    help: () => help.toggle(),
  };
  unbind = bindKeys(KEYS.filter(k => KEY_RUN[k.action]).map(k => Object.assign({}, k, { run: KEY_RUN[k.action],
    when: k.action === 'next' || k.action === 'prev' ? (ev) => ev.key.length === 1 || onTicket(ev) : undefined })),
  (ev) => {
    // Escape leaves a field for the selected ticket
    ev.preventDefault();
    ev.target.blur();
    if (selected) selected.focus({ preventScroll: true });
  });

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
    applySearch();
    settleSelection([...(review.tickets || []), ...(page.tickets || [])]);
  };
  /** After a load: the selected ticket keeps (or finds) its node; the detail follows a change of it. */
  function settleSelection(tickets) {
    const nodes = selectable();
    let node = selected && selected.isConnected && !selected.hidden ? selected : null;
    if (!node && selectedId) node = nodes.find(n => n.dataset.ticketId === selectedId) || null;
    if (!node && !selectedId) node = nodes[0] || null;
    if (node) select(node);
    else if (selectedId && detail.id() !== selectedId) detail.show(selectedId); // /tickets/{id} of a ticket not on this page
    const shown = detail.ticket();
    const fresh = shown && tickets.find(t => t.id === shown.id);
    if (fresh && (fresh.updatedAt !== shown.updatedAt || fresh.status !== shown.status)) detail.reload();
  }
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
    el('thead', {}, el('tr', {}, ['Subject', 'Body', 'Category', 'Queue', 'Priority', 'Confidence', 'Status', 'SLA left', 'Received']
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
      if (!tr) { tr = el('tr', { 'data-ticket-id': t.id, tabindex: '-1' }); rows.set(t.id, tr); }
      prev = placeAfter(tbody, prev, tr);
      tr.ticket = t;
      const key = ticketKey(t);
      if (tr.renderKey === key) continue; // unchanged: no DOM work
      tr.renderKey = key;
      tr.dataset.status = t.status;
      tr.searchText = searchText(t);
      clear(tr).append(
        el('td', { class: 'subject' }, el('a', { class: 'ticket-link', href: '/tickets/' + encodeURIComponent(t.id), text: subjectOf(t),
          title: 'Open this ticket' })),
        el('td', { class: 'excerpt', text: excerpt(t.body) }),
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
        // keep the keyboard where it was: the next ticket takes the focus (and the selection) of one that leaves
        // (a live update may remove it before the decision's own answer arrives)
        const focused = item.li.contains(document.activeElement) || fromPickerIds.has(id);
        const next = neighbour(item.li);
        const wasSelected = selected === item.li;
        item.li.remove();
        items.delete(id);
        if (wasSelected && next) select(next, { focus: focused });
        else if (focused && next) next.focus();
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

  /** One ticket awaiting review: its subject, the start of its body, its facts, and for approvers Confirm. */
  function reviewItem(ticket) {
    const head = el('h2', { class: 'subject' });
    const body = el('p', { class: 'excerpt' });
    const facts = el('p', { class: 'meta' });
    const rationale = el('p', { class: 'rationale' });
    const li = el('li', { class: 'card', tabindex: '0', 'data-ticket-id': ticket.id }, head, body, facts, rationale);
    const item = { li, update };
    let confirm = null;
    if (may('approver')) {
      confirm = el('button', { type: 'button', class: 'confirm', text: 'Confirm' });
      confirm.addEventListener('click', () => decide(li.ticket, li.ticket.category, null, null, false).catch(() => {}));
      li.append(el('div', { class: 'actions' }, confirm, el('span', { class: 'hint', text: 'or press Enter · c to pick another' })));
    }

    function update(t) {
      li.ticket = t;
      const key = ticketKey(t);
      if (item.key === key) return;
      item.key = key;
      li.dataset.status = t.status;
      li.searchText = searchText(t);
      li.setAttribute('aria-label', 'Ticket: ' + subjectOf(t));
      head.textContent = subjectOf(t);
      body.textContent = excerpt(t.body);
      body.hidden = !t.body;
      clear(facts).append('Proposed ', el('code', { class: 'proposed', text: t.category || '—' }),
        ' · ', t.queue || '—', ' · ', t.priority || '—', ' · confidence ', el('strong', { text: percent(t.confidence) }),
        ' · SLA ', slaCell(t, 'span'), ' · received ' + age(t.createdAt),
        ' · ', el('a', { class: 'ticket-link', href: '/tickets/' + encodeURIComponent(t.id), text: 'open' }));
      const reason = t.review && t.review.reason;
      rationale.textContent = [reason ? 'Review: ' + reason : '', t.rationale || ''].filter(Boolean).join(' — ');
      rationale.hidden = !rationale.textContent;
      if (confirm) confirm.title = 'Route to ' + (t.category || '?') + ' (Enter)';
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
  if (ctx.ticketId) detail.show(ctx.ticketId);
  await refresh();
}

/** The page's keys, as the help overlay lists them. */
const KEYS = [
  { keys: ['j', 'ArrowDown'], action: 'next', label: 'Select the next ticket (the review inbox first, then the list)' },
  { keys: ['k', 'ArrowUp'], action: 'prev', label: 'Select the previous ticket' },
  { keys: ['Enter'], action: 'enter', label: 'Confirm the proposed category of a ticket in review; open any other ticket in the detail pane' },
  { keys: ['c'], action: 'correct', label: 'Correct: go to the category picker (type to search, ↓ to the list, Enter routes there)' },
  { keys: ['/'], action: 'search', label: 'Search the tickets shown (subject, body, category)' },
  { keys: ['?'], action: 'help', label: 'Show or hide these keys' },
  { keys: ['Escape'], action: 'none', label: 'Close this help, or leave a field for the selected ticket' },
];

/** The card after (else before) this one that the search shows, or null. */
function neighbour(node) {
  for (let n = node.nextElementSibling; n; n = n.nextElementSibling) if (!n.hidden) return n;
  for (let n = node.previousElementSibling; n; n = n.previousElementSibling) if (!n.hidden) return n;
  return null;
}

/** The words a ticket is found by with the page's search. */
function searchText(t) {
  return [t.subject, t.body, t.category, t.queue, t.id, t.externalId].filter(Boolean).join(' ').toLowerCase();
}

/** The start of a body, on one line. */
function excerpt(body) {
  const line = String(body || '').replace(/\s+/g, ' ').trim();
  return line.length <= EXCERPT_CHARS ? line : line.slice(0, EXCERPT_CHARS - 1) + '…';
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
