// The approvals inbox (/approvals): tasks waiting for a person, across runs.
// Titles, tools and arguments come from plans and models: they go into the page as text only (see dom.js).
import { get, post, eventSource } from './api.js';
import { el, clear, json, age, placeAfter } from './dom.js';

/** Renders /approvals into ctx.view; ctx: { view, may, act, failed, onDispose }. */
export async function approvalsView({ view, may, act, failed, onDispose }) {
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
      if (!li) { li = approvalItem(a, load, may, act); items.set(key, li); }
      prev = placeAfter(inbox, prev, li);
    }
  };
  await load();
  const source = eventSource('/api/events');
  for (const type of ['ApprovalRequested', 'ApprovalDecided', 'ApprovalExpired', 'ApprovalEscalated', 'RunCancelled']) {
    source.addEventListener(type, () => load().catch(failed));
  }
  onDispose(() => source.close());
}

/** An approval request is one decision: the same task asked again (another attempt) is a new one. */
function approvalKey(a) {
  return [a.runId, a.taskId, a.requestedAt, a.expiresAt].join('\u0000');
}

function approvalItem(a, reload, may, act) {
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
