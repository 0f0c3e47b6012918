// Baton's console: one page, eight views (/, /runs, /runs/{id}, /approvals, /tickets, /triggers, /tools, /dashboard), plain ES modules.
// Everything that came from a user, a model or a tool goes into the page as text (see dom.js).
import { get, setToken, token, ApiError } from './api.js';
import { el, clear } from './dom.js';
import { dashboardView } from './dashboard.js';
import { homeView } from './home.js';
import { runView } from './run-view.js';
import { ticketsView } from './tickets.js';
import { triggersView } from './triggers.js';
import { toolsView } from './tools.js';
import { runsView, runTable } from './runs.js';
import { approvalsView } from './approvals.js';

const view = document.getElementById('view');
const notice = document.getElementById('notice');
let dispose = () => {};
let me = null; // GET /api/me: the caller's name and roles, fetched once per token

/** Whether the caller may do what needs this role (as the server's Caller.may: admin may all, all may view). */
function may(role) {
  const roles = (me && me.roles) || [];
  return roles.includes('admin') || role === 'viewer' || roles.includes(role);
}

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
    else if (path === '/runs') await runsView({ view, failed, onDispose: (fn) => { dispose = fn; } });
    else if ((m = path.match(/^\/runs\/([^/]+)$/))) await runView({ view, may, act, failed, onDispose: (fn) => { dispose = fn; } }, decodeURIComponent(m[1]));
    else if (path === '/approvals') await approvalsView({ view, may, act, failed, onDispose: (fn) => { dispose = fn; } });
    else if (path === '/dashboard') dispose = await dashboardView(view, failed);
    else if ((m = path.match(/^\/tickets(?:\/([^/]+))?$/))) await ticketsView({ view, may, failed, notify, go, onDispose: (fn) => { dispose = fn; }, ticketId: m[1] ? decodeURIComponent(m[1]) : null });
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
