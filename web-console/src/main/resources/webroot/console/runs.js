// The runs list (/runs): every run, newest first, filterable by status. runTable is shared with the chat's recent runs.
// Goals come from users and models: they go into the page as text only (see dom.js).
import { get } from './api.js';
import { el, age, duration, badge, FINISHED } from './dom.js';

export const RUN_STATUSES = ['PLANNING', 'AWAITING_PLAN_APPROVAL', 'RUNNING', 'REPLANNING', 'COMPENSATING', 'SUCCEEDED', 'FAILED', 'CANCELLED',
  'COMPENSATION_FAILED'];

export function runTable(runs) {
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

/** Renders /runs into ctx.view; ctx: { view, go }. */
export async function runsView({ view, go }) {
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
