// The runs list (/runs): every run, newest first, live, searchable by goal, filterable by status and
// paged with the API's cursor; runTable is shared with the chat's recent runs. The search, the filter
// and the page are in the address (?goal=, ?status=, ?cursor=), so a list can be shared and Back works.
// Goals come from users and models: they go into the page as text only (see dom.js).
import { get, eventSource } from './api.js';
import { el, clear, age, duration, badge, placeAfter, FINISHED } from './dom.js';

export const RUN_STATUSES = ['PLANNING', 'AWAITING_PLAN_APPROVAL', 'RUNNING', 'REPLANNING', 'COMPENSATING', 'SUCCEEDED', 'FAILED', 'CANCELLED',
  'COMPENSATION_FAILED'];

/** Runs per page: the API's cursor leads to the older ones. */
const PAGE = 100;
/** At most one refetch per this many ms, however many events arrive (a busy server sends hundreds a second). */
const REFRESH_MS = 1000;
/** Typing pauses this long before the search is sent. */
const TYPING_MS = 300;
/** The events that change what a row shows: a new run, its status, its waiting approvals, its tokens. */
const LIST_EVENTS = ['RunCreated', 'PlanProposed', 'PlanAccepted', 'RunSucceeded', 'RunFailed', 'RunCancelled', 'RunReopened',
  'ReplanStarted', 'ReplanFailed', 'RunUnwinding', 'CompensationFailed', 'ApprovalRequested', 'ApprovalDecided', 'ApprovalExpired',
  'TaskCancelled', 'ModelUsed'];

/** The status cell: a RUNNING run that waits on people says so, with how many approvals it waits for. */
function statusBadge(r) {
  const waiting = r.waitingApprovals || 0;
  if (!waiting || FINISHED.has(r.status)) return badge(r.status);
  return el('a', { href: '/approvals', class: 'badge status-waiting_approval run-waiting', 'data-waiting': waiting,
    title: r.status + ': ' + waiting + (waiting === 1 ? ' approval waits' : ' approvals wait') + ' for a person',
    text: 'WAITING FOR APPROVAL (' + waiting + ')' });
}

/** One row; its data-* attributes say what tests and scripts may read (data-status is the API's status). */
function runRow(r) {
  const finished = FINISHED.has(r.status);
  const tokens = r.usage ? r.usage.promptTokens + r.usage.completionTokens : 0;
  return el('tr', { 'data-run-id': r.id, 'data-status': r.status, 'data-waiting': r.waitingApprovals || 0 },
    el('td', {}, statusBadge(r)),
    el('td', {}, el('a', { href: '/runs/' + encodeURIComponent(r.id), text: r.goal || r.id })),
    el('td', { class: 'age', text: age(r.createdAt), title: r.createdAt }),
    // a finished run's last event ends it; an unfinished one has been going since it was created
    el('td', { class: 'duration', text: finished ? duration(r.createdAt, r.updatedAt) : 'running ' + duration(r.createdAt, new Date().toISOString()) }),
    el('td', { class: 'tokens', 'data-tokens': tokens, title: r.usage ? r.usage.promptTokens + ' prompt + ' + r.usage.completionTokens
      + ' completion tokens in ' + r.usage.llmCalls + ' model calls' : null, text: tokens ? tokens.toLocaleString('en') : '—' }));
}

function tableHead() {
  return el('thead', {}, el('tr', {}, ['Status', 'Goal', 'Started', 'Duration', 'Tokens'].map(h => el('th', { scope: 'col', text: h }))));
}

export function runTable(runs) {
  if (!runs.length) return el('p', { text: 'No runs yet.' });
  return el('table', { class: 'runs' }, tableHead(), el('tbody', {}, runs.map(runRow)));
}

/** What the address asks for. */
function query() {
  const p = new URLSearchParams(location.search);
  return { status: p.get('status') || '', goal: p.get('goal') || '', cursor: p.get('cursor') || '' };
}

/** The address of the list with these settings; a changed search or filter starts again at the newest page. */
function address({ status, goal, cursor }) {
  const p = new URLSearchParams();
  if (goal) p.set('goal', goal);
  if (status) p.set('status', status);
  if (cursor) p.set('cursor', cursor);
  const s = p.toString();
  return '/runs' + (s ? '?' + s : '');
}

/** Renders /runs into ctx.view; ctx: { view, failed, onDispose }. Returns once the first page is shown. */
export async function runsView({ view, failed, onDispose }) {
  const start = query();
  const search = el('input', { id: 'run-search', type: 'search', value: start.goal, placeholder: 'words from the goal', autocomplete: 'off',
    maxlength: 200 });
  const select = el('select', { id: 'status-filter' }, el('option', { value: '', text: 'All' }),
    RUN_STATUSES.map(s => el('option', { value: s, text: s, selected: s === start.status })));
  const summary = el('p', { class: 'hint runs-summary', 'aria-live': 'polite' });
  const tbody = el('tbody');
  const table = el('table', { class: 'runs', id: 'runs-list' }, tableHead(), tbody);
  const empty = el('p', { class: 'runs-empty' });
  const newer = el('a', { class: 'runs-newest', text: '← Newest runs' });
  const older = el('a', { class: 'runs-older', rel: 'next', text: 'Older runs →' });
  // (a div, not a nav: the page has one navigation landmark, the views)
  const pager = el('div', { class: 'runs-pager' }, newer, ' ', older);
  const list = el('div');
  view.append(el('section', { class: 'card' }, el('h1', { text: 'Runs' }),
    el('form', { class: 'runs-filters', role: 'search', onsubmit: (ev) => { ev.preventDefault(); typing = false; apply(true); } },
      el('label', { for: 'run-search', class: 'inline', text: 'Search goals ' }), search, ' ',
      el('label', { for: 'status-filter', class: 'inline', text: 'Status ' }), select),
    summary, list, pager));

  const rows = new Map(); // run id -> { tr, key }: a row is replaced only when what it shows changed
  let shown = null; // the address whose page is shown
  let inFlight = null;
  let again = false;

  const render = (page, q) => {
    const keep = new Set();
    let prev = null;
    for (const r of page.runs) {
      const key = [r.status, r.updatedAt, r.waitingApprovals || 0, r.goal, r.usage ? r.usage.llmCalls : 0].join('\u0000');
      let row = rows.get(r.id);
      if (!row || row.key !== key) {
        const tr = runRow(r);
        if (row) row.tr.replaceWith(tr);
        row = { tr, key };
        rows.set(r.id, row);
      }
      keep.add(r.id);
      prev = placeAfter(tbody, prev, row.tr);
    }
    for (const [id, row] of rows) if (!keep.has(id)) { row.tr.remove(); rows.delete(id); }
    if (page.runs.length) {
      if (table.parentNode !== list) clear(list).append(table);
    } else {
      empty.textContent = q.goal || q.status ? 'No run matches.' : q.cursor ? 'No older runs.' : 'No runs yet.';
      if (empty.parentNode !== list) clear(list).append(empty);
    }
    const waiting = page.runs.filter(r => r.waitingApprovals > 0 && !FINISHED.has(r.status)).length;
    summary.textContent = (page.runs.length === 1 ? '1 run' : page.runs.length + ' runs')
      + (q.cursor ? ' (older page)' : page.next ? ' (newest first; older runs on the next page)' : '')
      + (q.goal ? ' whose goal contains “' + q.goal + '”' : '') + (q.status ? ', ' + q.status : '')
      + (waiting ? ' · ' + waiting + ' waiting for approval' : '');
    newer.hidden = !q.cursor;
    newer.setAttribute('href', address({ status: q.status, goal: q.goal }));
    older.hidden = !page.next;
    if (page.next) older.setAttribute('href', address({ status: q.status, goal: q.goal, cursor: page.next }));
    pager.hidden = newer.hidden && older.hidden;
  };

  /** Fetches the page the address names and shows it; coalesced: one GET in flight, at most one queued. */
  const load = async () => {
    if (inFlight) { again = true; return inFlight; }
    inFlight = (async () => {
      do {
        again = false;
        const q = query();
        const params = new URLSearchParams({ limit: String(PAGE) });
        if (q.status) params.set('status', q.status);
        if (q.goal) params.set('goal', q.goal);
        if (q.cursor) params.set('cursor', q.cursor);
        const page = await get('/api/runs?' + params);
        if (location.pathname.replace(/\/+$/, '') !== '/runs') return; // the person left meanwhile
        if (shown !== null && shown !== address(q)) for (const row of rows.values()) row.tr.remove();
        if (shown !== address(q)) rows.clear();
        shown = address(q);
        render(page, q);
      } while (again);
    })();
    try {
      await inFlight;
    } finally {
      inFlight = null;
    }
  };

  // Search and filter change the address: the first keystroke of a search is a new history entry,
  // the next ones replace it, so Back leaves the search rather than stepping through its letters.
  let typing = false;
  let typingTimer = 0;
  const apply = (push) => {
    const next = address({ status: select.value, goal: search.value.trim() });
    if (next === location.pathname + location.search) return;
    if (push) history.pushState(null, '', next); else history.replaceState(null, '', next);
    load().catch(failed);
  };
  search.addEventListener('input', () => {
    clearTimeout(typingTimer);
    typingTimer = setTimeout(() => { apply(!typing); typing = true; }, TYPING_MS);
  });
  search.addEventListener('blur', () => { typing = false; });
  select.addEventListener('change', () => { typing = false; apply(true); });

  // Live: events only say that something changed; the list is fetched again, at most once a second.
  let timer = 0;
  let last = 0;
  const refresh = () => {
    if (timer) return;
    const wait = Math.max(0, last + REFRESH_MS - Date.now());
    timer = setTimeout(() => {
      timer = 0;
      last = Date.now();
      load().catch(failed);
    }, wait);
  };
  const source = eventSource('/api/events');
  for (const type of LIST_EVENTS) source.addEventListener(type, refresh);
  // Ages ("2 min ago") move on even when no event comes.
  const ticker = setInterval(() => { for (const td of tbody.querySelectorAll('td.age')) td.textContent = age(td.title); }, 15000);
  onDispose(() => { source.close(); clearTimeout(timer); clearTimeout(typingTimer); clearInterval(ticker); });

  await load();
}
