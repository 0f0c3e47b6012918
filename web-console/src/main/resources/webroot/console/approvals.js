// The approvals inbox (/approvals): tasks waiting for a person, across runs, each with its run's goal
// and a deadline that counts down; an approver may decide several at once with one comment.
// Titles, goals, tools and arguments come from plans, users and models: they go into the page as text only (see dom.js).
import { get, post, eventSource, ApiError } from './api.js';
import { el, clear, json, age, deadline, placeAfter } from './dom.js';

/** Decisions sent at once by a bulk approve or reject: enough to be quick, few enough to spare the server. */
const BULK_CONCURRENCY = 4;
/** How often the deadlines are written again. */
const TICK_MS = 10000;

/** An approval request is one decision: the same task asked again (another attempt) is a new one. */
function approvalKey(a) {
  return [a.runId, a.taskId, a.requestedAt, a.expiresAt].join('\u0000');
}

function approvalPath(a) {
  return '/api/runs/' + encodeURIComponent(a.runId) + '/tasks/' + encodeURIComponent(a.taskId) + '/approval';
}

/** Why a decision failed, in words: a 409 means someone (or the expiry) decided first. */
function why(e) {
  if (e instanceof ApiError && e.status === 409) return 'not decided: it no longer waits (decided by someone else, or expired) — ' + e.message;
  if (e instanceof ApiError) return 'not decided: ' + e.message + ' (' + e.status + ')';
  return 'not decided: ' + String(e && e.message || e);
}

/** Runs {@code job} over {@code items}, at most {@code limit} at a time; resolves when all are done. */
async function eachLimited(items, limit, job) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      await job(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** Renders /approvals into ctx.view; ctx: { view, may, act, failed, onDispose }. */
export async function approvalsView({ view, may, act, failed, onDispose }) {
  const approver = may('approver');
  const count = el('span', { class: 'approvals-count', 'data-count': 0 });
  const body = el('div');
  const inbox = el('ul', { class: 'inbox' });
  const empty = el('p', { text: 'Nothing waits for approval.' });
  const items = new Map(); // approvalKey -> { a, li, check, deadline }
  const selected = new Set();

  // The bulk bar: select all, one comment, Approve selected / Reject selected, one confirmation, per-item results.
  const selectAll = el('input', { type: 'checkbox', id: 'select-all' });
  const selectedCount = el('span', { class: 'hint', 'aria-live': 'polite' });
  const bulkComment = el('input', { type: 'text', id: 'bulk-comment', placeholder: 'recorded with each decision' });
  const approveSelected = el('button', { type: 'button', text: 'Approve selected' });
  const rejectSelected = el('button', { type: 'button', class: 'danger', text: 'Reject selected' });
  const confirmBox = el('div', { class: 'bulk-confirm', role: 'alertdialog', 'aria-label': 'Confirm the decisions', hidden: true });
  const results = el('ul', { class: 'bulk-results', 'aria-live': 'polite' });
  const bulk = el('div', { class: 'bulk-bar' },
    el('p', {}, selectAll, el('label', { for: 'select-all', class: 'inline', text: ' Select all' }), ' ', selectedCount),
    el('label', { for: 'bulk-comment', text: 'Comment for the selected' }), bulkComment,
    el('div', { class: 'actions' }, approveSelected, rejectSelected), confirmBox, results);

  view.append(el('section', { class: 'card' }, el('h1', {}, 'Approvals ', count),
    el('p', { class: 'hint', text: 'Tasks waiting for a person, across runs.' }), approver ? bulk : null, body));

  let busy = false; // a bulk decision is under way: its buttons stay disabled whatever reloads meanwhile
  const syncSelection = () => {
    for (const key of [...selected]) if (!items.has(key)) selected.delete(key);
    for (const [key, it] of items) if (it.check) it.check.checked = selected.has(key);
    selectAll.checked = items.size > 0 && selected.size === items.size;
    selectAll.indeterminate = selected.size > 0 && selected.size < items.size;
    selectedCount.textContent = selected.size ? selected.size + ' selected' : '';
    approveSelected.disabled = rejectSelected.disabled = busy || selected.size === 0;
  };
  selectAll.addEventListener('change', () => {
    if (selectAll.checked) for (const key of items.keys()) selected.add(key); else selected.clear();
    syncSelection();
  });

  const tick = () => {
    const now = Date.now();
    for (const it of items.values()) if (it.deadline) it.deadline.textContent = deadline(it.a.expiresAt, now);
  };

  // Any approval event anywhere reloads the list; an approval still waiting keeps its item, so a
  // comment being typed (or a selection) survives another run's approval arriving.
  const load = async () => {
    const list = await get('/api/approvals');
    const keys = new Set(list.map(approvalKey));
    for (const [key, it] of items) if (!keys.has(key)) { it.li.remove(); items.delete(key); }
    count.textContent = '(' + list.length + ')';
    count.dataset.count = list.length;
    count.setAttribute('aria-label', list.length + (list.length === 1 ? ' waits' : ' wait'));
    bulk.hidden = !list.length && !results.firstChild;
    if (!list.length) { if (empty.parentNode !== body) clear(body).append(empty); syncSelection(); return; }
    if (inbox.parentNode !== body) clear(body).append(inbox);
    let prev = null;
    for (const a of list) {
      const key = approvalKey(a);
      let it = items.get(key);
      if (!it) {
        it = approvalItem(a, { approver, act, reload: load, onSelect: (on) => { if (on) selected.add(key); else selected.delete(key); syncSelection(); } });
        items.set(key, it);
      }
      prev = placeAfter(inbox, prev, it.li);
    }
    syncSelection();
  };

  const decideSelected = (decision) => {
    const chosen = [...selected].map(key => items.get(key)).filter(Boolean);
    if (!chosen.length) return;
    const comment = bulkComment.value.trim();
    const verb = decision === 'approve' ? 'Approve' : 'Reject';
    const yes = el('button', { type: 'button', class: decision === 'approve' ? null : 'danger',
      text: verb + ' ' + chosen.length + (chosen.length === 1 ? ' task' : ' tasks') });
    const no = el('button', { type: 'button', class: 'link', text: 'Cancel' });
    clear(confirmBox).append(el('p', { text: verb + ' ' + chosen.length + (chosen.length === 1 ? ' task' : ' tasks')
      + (comment ? ' with the comment “' + comment + '”?' : ' without a comment?') }), yes, ' ', no);
    confirmBox.hidden = false;
    no.addEventListener('click', () => { confirmBox.hidden = true; approveSelected.focus(); });
    yes.addEventListener('click', async () => {
      confirmBox.hidden = true;
      busy = true;
      approveSelected.disabled = rejectSelected.disabled = true;
      clear(results);
      let ok = 0;
      const lines = chosen.map(it => {
        const line = el('li', { 'data-result-for': it.a.runId + '/' + it.a.taskId, 'data-result': 'pending',
          text: (it.a.title || it.a.taskId) + ' (' + (it.a.goal || it.a.runId) + '): deciding…' });
        results.append(line);
        return line;
      });
      await eachLimited(chosen, BULK_CONCURRENCY, async (it, i) => {
        const req = { decision };
        if (comment) req.comment = comment;
        const name = (it.a.title || it.a.taskId) + ' (' + (it.a.goal || it.a.runId) + '): ';
        try {
          await post(approvalPath(it.a), req);
          ok++;
          lines[i].dataset.result = 'ok';
          lines[i].textContent = name + (decision === 'approve' ? 'approved' : 'rejected');
        } catch (e) {
          if (e instanceof ApiError && e.status === 401) { failed(e); return; }
          lines[i].dataset.result = 'failed';
          lines[i].className = 'error';
          lines[i].textContent = name + why(e);
          it.note.textContent = why(e);
          it.note.hidden = false;
        }
      });
      results.prepend(el('li', { class: 'bulk-summary', text: ok + ' of ' + chosen.length + ' ' + (decision === 'approve' ? 'approved' : 'rejected')
        + (ok < chosen.length ? '; ' + (chosen.length - ok) + ' not decided (see why below)' : '') }));
      selected.clear();
      busy = false;
      await load().catch(failed);
    });
    yes.focus();
  };
  approveSelected.addEventListener('click', () => decideSelected('approve'));
  rejectSelected.addEventListener('click', () => decideSelected('reject'));

  await load();
  tick();
  const source = eventSource('/api/events');
  for (const type of ['ApprovalRequested', 'ApprovalDecided', 'ApprovalExpired', 'ApprovalEscalated', 'RunCancelled']) {
    source.addEventListener(type, () => load().then(tick).catch(failed));
  }
  const ticker = setInterval(tick, TICK_MS);
  onDispose(() => { source.close(); clearInterval(ticker); });
}

function approvalItem(a, { approver, act, reload, onSelect }) {
  const name = a.title || a.taskId;
  const comment = el('input', { type: 'text', 'aria-label': 'Comment on ' + name, placeholder: 'comment (optional)' });
  const note = el('p', { class: 'error item-result', role: 'status', hidden: true });
  const decide = (decision) => (ev) => act(ev.currentTarget, async () => {
    const req = { decision };
    if (comment.value.trim()) req.comment = comment.value.trim();
    await post(approvalPath(a), req);
    await reload();
  });
  const check = approver ? el('input', { type: 'checkbox', class: 'select-approval', 'aria-label': 'Select ' + name + ' (' + (a.goal || a.runId) + ')',
    onchange: (ev) => onSelect(ev.currentTarget.checked) }) : null;
  const deadlineText = a.expiresAt ? el('span', { class: 'deadline', title: 'expires ' + new Date(Date.parse(a.expiresAt)).toLocaleString()
    + ' (' + a.expiresAt + ')', 'data-expires-at': a.expiresAt, text: deadline(a.expiresAt) }) : null;
  const runLink = '/runs/' + encodeURIComponent(a.runId) + '?task=' + encodeURIComponent(a.taskId);
  const li = el('li', { class: 'card', 'data-run-id': a.runId, 'data-task-id': a.taskId },
    el('div', { class: 'approval-head' }, check, el('h2', { text: name })),
    el('p', { class: 'approval-goal' }, 'For ', el('a', { href: runLink, class: 'goal', text: a.goal || a.runId })),
    el('p', { class: 'meta' }, 'Tool ', el('code', { text: a.tool || '' }), ' · run ', el('code', { text: a.runId }),
      ' · requested ', el('span', { title: a.requestedAt, text: age(a.requestedAt) }),
      deadlineText ? [' · ', deadlineText] : ' · never expires', a.escalated ? ' · escalated: an admin decides' : ''),
    el('pre', { class: 'args', text: json(a.args) }),
    note,
    approver ? [comment,
      el('div', { class: 'actions' }, el('button', { type: 'button', text: 'Approve', onclick: decide('approve') }),
        el('button', { type: 'button', class: 'danger', text: 'Reject', onclick: decide('reject') }))]
      : el('p', { class: 'hint', text: 'Deciding needs the approver role.' }));
  return { a, li, check, note, deadline: deadlineText };
}
