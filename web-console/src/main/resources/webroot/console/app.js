// Baton's console: one page, eight views (/, /runs, /runs/{id}, /approvals, /tickets, /triggers, /tools, /dashboard), plain ES modules.
// Everything that came from a user, a model or a tool goes into the page as text (see dom.js).
import { get, post, setToken, token, eventSource, ApiError } from './api.js';
import { el, clear, json, age, duration, badge, placeAfter, FINISHED } from './dom.js';
import { dashboardView } from './dashboard.js';
import { homeView } from './home.js';
import { runView } from './run-view.js';
import { ticketsView } from './tickets.js';
import { triggersView } from './triggers.js';
import { toolsView } from './tools.js';

const view = document.getElementById('view');
const notice = document.getElementById('notice');
let dispose = () => {};
let me = null; // GET /api/me: the caller's name and roles, fetched once per token

/** Whether the caller may do what needs this role (as the server's Caller.may: admin may all, all may view). */
function may(role) {
  const roles = (me && me.roles) || [];
  return roles.includes('admin') || role === 'viewer' || roles.includes(role);
}

const RUN_STATUSES = ['PLANNING', 'AWAITING_PLAN_APPROVAL', 'RUNNING', 'REPLANNING', 'COMPENSATING', 'SUCCEEDED', 'FAILED', 'CANCELLED',
  'COMPENSATION_FAILED'];

function notify(message, kind) {
  clear(notice);
  notice.className = kind || '';
  if (message) notice.append(el('p', { text: message }));
}

function go(path) {
  history.pushState(null, '', path);
  route();
}

/** Renders the view for the address; an API 401 turns into the token prompt. */
async function route() {
  dispose();
  dispose = () => {};
  clear(view);
  notify('');
  const path = location.pathname.replace(/\/+$/, '') || '/';
  for (const a of document.querySelectorAll('nav a')) {
    const active = a.dataset.nav === (path === '/' ? 'home' : path.split('/')[1]);
    if (active) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
  }
  try {
    if (!me) me = await get('/api/me');
    let m;
    if (path === '/') await homeView({ view, may, act, failed, go, me, runTable, onDispose: (fn) => { dispose = fn; } });
    else if (path === '/runs') await runsView();
    else if ((m = path.match(/^\/runs\/([^/]+)$/))) await runView({ view, may, act, failed, onDispose: (fn) => { dispose = fn; } }, decodeURIComponent(m[1]));
    else if (path === '/approvals') await approvalsView();
    else if (path === '/dashboard') dispose = await dashboardView(view, failed);
    else if (path === '/tickets') await ticketsView({ view, may, failed, notify, go, onDispose: (fn) => { dispose = fn; } });
    else if (path === '/triggers') await triggersView({ view, may, failed, notify, onDispose: (fn) => { dispose = fn; } });
    else if (path === '/tools') await toolsView({ view, failed, onDispose: (fn) => { dispose = fn; } });
    else view.append(el('h1', { text: 'Not found' }), el('p', {}, 'No view here. ', el('a', { href: '/', text: 'Back to the chat' })));
  } catch (e) {
    failed(e);
  }
}

function failed(e) {
  if (e instanceof ApiError && e.status === 401) {
    me = null;
    tokenView(token() ? 'That token was not accepted.' : null);
  } else {
    notify(e instanceof ApiError ? e.message + ' (' + e.status + ')' : String(e && e.message || e), 'error');
  }
}

function tokenView(problem) {
  dispose();
  dispose = () => {};
  clear(view);
  const input = el('input', { id: 'token', type: 'password', autocomplete: 'off', required: true });
  const form = el('form', { class: 'card', onsubmit: (ev) => { ev.preventDefault(); setToken(input.value.trim()); me = null; route(); } },
    el('h1', { text: 'Sign in' }),
    el('p', { text: 'This server requires an access token. It is kept for this browser tab only.' }),
    problem ? el('p', { class: 'error', role: 'alert', text: problem }) : null,
    el('label', { for: 'token', text: 'Token' }), input,
    el('button', { type: 'submit', text: 'Use token' }));
  view.append(form);
  input.focus();
}

/** Runs an action from a button; reports its error without leaving the view. */
async function act(button, action) {
  button.disabled = true;
  try {
    await action();
    notify('');
  } catch (e) {
    failed(e);
  } finally {
    button.disabled = false;
  }
}

function runTable(runs) {
  if (!runs.length) return el('p', { text: 'No runs yet.' });
  return el('table', { class: 'runs' },
    el('thead', {}, el('tr', {}, ['Status', 'Goal', 'Started', 'Duration', 'Tokens'].map(h => el('th', { text: h })))),
    el('tbody', {}, runs.map(r => {
      const finished = FINISHED.has(r.status);
      const tokens = r.usage ? r.usage.promptTokens + r.usage.completionTokens : 0;
      return el('tr', { 'data-run-id': r.id, 'data-status': r.status },
        el('td', {}, badge(r.status)),
        el('td', {}, el('a', { href: '/runs/' + encodeURIComponent(r.id), text: r.goal || r.id })),
        el('td', { class: 'age', text: age(r.createdAt), title: r.createdAt }),
        // a finished run's last event ends it; an unfinished one has been going since it was created
        el('td', { class: 'duration', text: finished ? duration(r.createdAt, r.updatedAt) : 'running ' + duration(r.createdAt, new Date().toISOString()) }),
        el('td', { class: 'tokens', 'data-tokens': tokens, title: r.usage ? r.usage.promptTokens + ' prompt + ' + r.usage.completionTokens
          + ' completion tokens in ' + r.usage.llmCalls + ' model calls' : null, text: tokens ? tokens.toLocaleString('en') : '—' }));
    })));
}

// ------------------------------------------------------------------ runs

async function runsView() {
  const params = new URLSearchParams(location.search);
  const status = params.get('status') || '';
  const select = el('select', { id: 'status-filter' }, el('option', { value: '', text: 'All' }),
    RUN_STATUSES.map(s => el('option', { value: s, text: s, selected: s === status })));
  select.addEventListener('change', () => go('/runs' + (select.value ? '?status=' + select.value : '')));
  const list = el('div');
  view.append(el('section', { class: 'card' }, el('h1', { text: 'Runs' }),
    el('p', {}, el('label', { for: 'status-filter', class: 'inline', text: 'Status ' }), select), list));
  const page = await get('/api/runs?limit=100' + (status ? '&status=' + encodeURIComponent(status) : ''));
  list.append(runTable(page.runs));
}

// ------------------------------------------------------------------ approvals

async function approvalsView() {
  const body = el('div');
  const inbox = el('ul', { class: 'inbox' });
  const empty = el('p', { text: 'Nothing waits for approval.' });
  view.append(el('section', { class: 'card' }, el('h1', { text: 'Approvals' }),
    el('p', { class: 'hint', text: 'Tasks waiting for a person, across runs.' }), body));
  // Any approval event anywhere reloads the list; an approval still waiting keeps its item, so a
  // comment being typed survives another run's approval arriving.
  const items = new Map();
  const load = async () => {
    const list = await get('/api/approvals');
    const keys = new Set(list.map(approvalKey));
    for (const [key, li] of items) if (!keys.has(key)) { li.remove(); items.delete(key); }
    if (!list.length) { if (empty.parentNode !== body) clear(body).append(empty); return; }
    if (inbox.parentNode !== body) clear(body).append(inbox);
    let prev = null;
    for (const a of list) {
      const key = approvalKey(a);
      let li = items.get(key);
      if (!li) { li = approvalItem(a, load); items.set(key, li); }
      prev = placeAfter(inbox, prev, li);
    }
  };
  await load();
  const source = eventSource('/api/events');
  for (const type of ['ApprovalRequested', 'ApprovalDecided', 'ApprovalExpired', 'ApprovalEscalated', 'RunCancelled']) {
    source.addEventListener(type, () => load().catch(failed));
  }
  dispose = () => source.close();
}

/** An approval request is one decision: the same task asked again (another attempt) is a new one. */
function approvalKey(a) {
  return [a.runId, a.taskId, a.requestedAt, a.expiresAt].join('\u0000');
}

function approvalItem(a, reload) {
  const comment = el('input', { type: 'text', 'aria-label': 'Comment on ' + (a.title || a.taskId) });
  const decide = (decision) => (ev) => act(ev.currentTarget, async () => {
    const req = { decision };
    if (comment.value.trim()) req.comment = comment.value.trim();
    await post('/api/runs/' + encodeURIComponent(a.runId) + '/tasks/' + encodeURIComponent(a.taskId) + '/approval', req);
    await reload();
  });
  return el('li', { class: 'card', 'data-run-id': a.runId, 'data-task-id': a.taskId },
    el('h2', { text: a.title || a.taskId }),
    el('p', {}, 'Tool ', el('code', { text: a.tool || '' }), ' · run ',
      el('a', { href: '/runs/' + encodeURIComponent(a.runId) + '?task=' + encodeURIComponent(a.taskId), text: a.runId }),
      ' · requested ' + age(a.requestedAt), a.expiresAt ? ' · expires ' + a.expiresAt : ''),
    el('pre', { class: 'args', text: json(a.args) }),
    may('approver') ? [comment,
      el('div', { class: 'actions' }, el('button', { type: 'button', text: 'Approve', onclick: decide('approve') }),
        el('button', { type: 'button', class: 'danger', text: 'Reject', onclick: decide('reject') }))]
      : el('p', { class: 'hint', text: 'Deciding needs the approver role.' }));
}

// ------------------------------------------------------------------ navigation

document.addEventListener('click', (ev) => {
  const a = ev.target.closest && ev.target.closest('a[href]');
  if (!a || ev.defaultPrevented || ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey) return;
  const url = new URL(a.href, location.href);
  if (url.origin !== location.origin || url.pathname.startsWith('/api/') || url.pathname === '/metrics') return;
  ev.preventDefault();
  go(url.pathname + url.search);
});
window.addEventListener('popstate', route);
route();
