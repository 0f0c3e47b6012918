// Baton's console: one page, eight views (/, /runs, /runs/{id}, /approvals, /tickets, /triggers, /tools, /dashboard), plain ES modules.
// Everything that came from a user, a model or a tool goes into the page as text (see dom.js).
import { get, post, setToken, token, eventSource, ApiError } from './api.js';
import { el, clear, json, age, duration, badge, placeAfter, FINISHED } from './dom.js';
import { PlanGraph } from './graph.js';
import { dashboardView } from './dashboard.js';
import { followRun, messageForm, runAnswer } from './follow.js';
import { conversation, triggerOrigin } from './chat.js';
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
    if (path === '/') await homeView();
    else if (path === '/runs') await runsView();
    else if ((m = path.match(/^\/runs\/([^/]+)$/))) await runView(decodeURIComponent(m[1]));
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

/** Parses JSON a person typed; a mistake says what was wrong, and nothing is sent. */
function parseJson(text, what) {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(what + ' is not valid JSON: ' + e.message);
  }
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

// ------------------------------------------------------------------ chat / home

async function homeView() {
  const chatRun = new URLSearchParams(location.search).get('run');
  if (chatRun) {
    const chat = conversation(chatRun, { may, act, failed, me });
    view.append(chat.node);
    dispose = chat.dispose;
    await chat.start();
    return;
  }
  const goal = el('textarea', { id: 'goal', rows: 3, required: true, placeholder: 'What should be done?' });
  const input = el('textarea', { id: 'input', rows: 3, placeholder: '{"key": "value"}', spellcheck: 'false' });
  const plan = el('textarea', { id: 'plan', rows: 8, placeholder: '{"tasks": [{"id": "hello", "tool": "echo", "args": {"text": "hello"}}]}', spellcheck: 'false' });
  const planApproval = el('input', { id: 'plan-approval', type: 'checkbox' });
  const formError = el('p', { class: 'error', role: 'alert' });
  const modelInfo = el('div', { class: 'model-info' });
  const form = el('form', { class: 'card', id: 'start-run' },
    el('h1', { text: 'What should Baton do?' }),
    modelInfo,
    el('label', { for: 'goal', text: 'Goal' }), goal,
    el('details', {}, el('summary', { text: 'Input and plan (optional JSON)' }),
      el('label', { for: 'input', text: 'Input (JSON object)' }), input,
      el('label', { for: 'plan', text: 'Plan (JSON; runs as given, no planner)' }), plan),
    el('p', {}, planApproval, el('label', { for: 'plan-approval', class: 'inline', text: ' Let me approve the plan before it runs' })),
    formError,
    el('button', { type: 'submit', text: 'Start run' }));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    formError.textContent = '';
    const body = { goal: goal.value.trim() };
    try {
      if (input.value.trim()) body.input = JSON.parse(input.value);
      if (plan.value.trim()) body.plan = JSON.parse(plan.value);
    } catch (e) {
      formError.textContent = 'Not valid JSON: ' + e.message;
      return;
    }
    // A goal typed here is a chat goal: the server writes it an answer unless BATON_ANSWER_CHAT_GOALS is false.
    body.options = planApproval.checked ? { chat: true, planApproval: true } : { chat: true };
    const button = form.querySelector('button[type=submit]');
    button.disabled = true;
    try {
      const run = await post('/api/runs', body);
      go('/?run=' + encodeURIComponent(run.id)); // the conversation
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) failed(e);
      else formError.textContent = e.message;
    } finally {
      button.disabled = false;
    }
  });
  const recent = el('section', { class: 'card' }, el('h2', { text: 'Recent runs' }));
  if (may('operator')) view.append(form, recent);
  else view.append(el('section', { class: 'card' }, el('h1', { text: 'Runs' }), modelInfo,
    el('p', { class: 'hint', text: 'Signed in as ' + me.name + ' (' + me.roles.join(', ') + '): starting runs needs the operator role.' })), recent);

  const [health, runs] = await Promise.all([get('/api/health'), get('/api/runs?limit=10')]);
  // Runs the journal could not rebuild at start: every other run goes on, but a person should know.
  const setAside = Object.entries(health.runsSetAside || {});
  if (setAside.length) {
    view.prepend(el('section', { class: 'card set-aside', role: 'alert' },
      el('h2', { text: setAside.length === 1 ? '1 run was set aside' : setAside.length + ' runs were set aside' }),
      el('p', { class: 'error', text: 'The journal could not rebuild these at start, so they do not run; every other run goes on.'
        + ' Their events are kept. The server log says why.' }),
      el('ul', {}, setAside.map(([id, why]) => el('li', {}, el('a', { href: '/runs/' + encodeURIComponent(id), text: id }), ': ', why)))));
  }
  if (!health.model.configured) {
    modelInfo.append(el('p', { class: 'hint', text: 'No model is configured, so goals are matched to playbooks. ' + (health.model.hint || '') }));
    const playbooks = await get('/api/playbooks');
    if (playbooks.length) {
      modelInfo.append(el('p', { text: 'Playbooks:' }), el('ul', { class: 'playbooks' }, playbooks.map(p =>
        el('li', {}, el('strong', { text: p.name }), ' — ', p.description || '', ' ',
          p.goals && p.goals.length ? el('button', { type: 'button', class: 'link', text: 'Use “' + p.goals[0] + '”',
            onclick: () => { goal.value = p.goals[0]; goal.focus(); } }) : null))));
    }
  } else {
    modelInfo.append(el('p', { class: 'hint', text: 'Model: ' + health.model.name }));
  }
  recent.append(runTable(runs.runs));
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

// ------------------------------------------------------------------ one run

async function runView(runId) {
  const state = { run: null, events: new Map(), selected: new URLSearchParams(location.search).get('task'), detailKey: null, decisionKey: null,
    gone: false, frame: 0, runChanged: false, detailChanged: false, pendingTimeline: [] };
  const title = el('h1', { class: 'goal' });
  const meta = el('p', { class: 'meta' });
  const origin = el('p', { class: 'meta trigger-origin', hidden: true });
  const actions = el('div', { class: 'actions' });
  const outcome = el('div');
  const planBox = el('div');
  const graphBox = el('div', { id: 'graph', class: 'graph', role: 'img', 'aria-label': 'Plan graph' });
  const taskList = el('ul', { id: 'tasks', class: 'tasks', 'aria-label': 'Tasks' });
  const detailHead = el('div');
  const decisionBox = el('div');
  const detailBody = el('div');
  const detail = el('section', { id: 'detail', class: 'detail', 'aria-live': 'polite' }, detailHead, decisionBox, detailBody);
  const messageBox = el('div');
  const timeline = el('ol', { class: 'timeline' });
  view.append(el('section', { class: 'card run-head' }, title, meta, origin, actions, outcome), planBox,
    el('div', { class: 'run-grid' }, el('div', { class: 'card' }, graphBox),
      el('div', { class: 'card side' }, el('h2', { text: 'Tasks' }), taskList, detail)),
    messageBox,
    el('details', { class: 'card' }, el('summary', { text: 'Timeline' }), timeline));
  const graph = new PlanGraph(graphBox, id => select(id));
  graphBox.planGraph = graph; // lets tests read node positions
  const items = new Map();

  const select = (id) => {
    state.selected = id;
    state.detailKey = null;
    const url = new URL(location.href);
    if (id) url.searchParams.set('task', id); else url.searchParams.delete('task');
    history.replaceState(null, '', url);
    render();
  };

  // Live updates coalesce (see follow.js); the page renders at most once per animation frame.
  const follower = followRun(runId, {
    onEvent: (event) => {
      state.events.set(event.seq, event);
      state.pendingTimeline.push(event);
      // Events the last GET already held refetch nothing (follow.js), yet two views read events
      // themselves: the plan approval form (PlanProposed) and the selected task's event list.
      if (event.type === 'PlanProposed') state.runChanged = true;
      else if (event.taskId && event.taskId === state.selected) state.detailChanged = true;
      schedule();
    },
    onRun: (run) => {
      state.run = run;
      state.runChanged = true;
      schedule();
    },
    onError: failed
  });
  const refresh = follower.refresh;
  const listen = follower.listen;
  const schedule = () => {
    if (state.frame || state.gone) return;
    state.frame = requestAnimationFrame(() => {
      state.frame = 0;
      if (state.gone) return;
      if (state.pendingTimeline.length) {
        const fragment = document.createDocumentFragment();
        for (const event of state.pendingTimeline) fragment.append(timelineItem(event));
        state.pendingTimeline = [];
        timeline.append(fragment);
      }
      if (state.runChanged) {
        state.runChanged = false;
        state.detailChanged = false;
        render();
      } else if (state.detailChanged && state.run) {
        state.detailChanged = false;
        renderDetail(((state.run.plan && state.run.plan.tasks) || []).find(t => t.id === state.selected));
      }
    });
  };

  function render() {
    const run = state.run;
    if (!run) return;
    title.textContent = run.goal || run.id;
    clear(meta).append(badge(run.status), ' ', el('code', { text: run.id }), ' · ',
      el('a', { href: '/?run=' + encodeURIComponent(run.id), text: 'conversation' }), ' · started ' + age(run.createdAt),
      FINISHED.has(run.status) ? ' · took ' + duration(run.createdAt, run.updatedAt) : '',
      run.usage ? ' · ' + (run.usage.promptTokens + run.usage.completionTokens) + ' tokens, ' + run.usage.llmCalls + ' model calls, ' + run.usage.toolCalls + ' tool calls' : '');
    view.dataset.runStatus = run.status;
    renderOrigin(run);
    clear(actions);
    if (run.status === 'COMPENSATION_FAILED' && may('operator')) {
      actions.append(el('button', { type: 'button', id: 'retry-compensation', text: 'Retry compensation',
        onclick: (ev) => act(ev.currentTarget, async () => { await post('/api/runs/' + encodeURIComponent(runId) + '/compensation/retry'); listen(); await refresh(); }) }));
    }
    if (!FINISHED.has(run.status) && run.status !== 'COMPENSATING' && may('operator')) {
      actions.append(el('button', { type: 'button', class: 'danger', text: 'Cancel run',
        onclick: (ev) => act(ev.currentTarget, async () => { await post('/api/runs/' + encodeURIComponent(runId) + '/cancel'); await refresh(); }) }));
    }
    clear(outcome);
    const answer = runAnswer(run);
    if (answer) outcome.append(el('h2', { text: 'Answer' }), answer);
    if (run.result) outcome.append(el('h2', { text: 'Result' }), el('pre', { class: 'output', text: json(run.result) }));
    if (run.error) outcome.append(el('h2', { text: 'Error' }), el('pre', { class: 'error', text: run.error.code + ': ' + run.error.message }));

    renderPlanApproval(run);
    const tasks = (run.plan && run.plan.tasks) || [];
    graph.update(tasks);
    graph.select(state.selected);
    renderTasks(tasks);
    renderDetail(tasks.find(t => t.id === state.selected));
    renderMessageBox(run);
  }

  /** A run a trigger started says which (options.trigger, set by the server only), and when or for which event. */
  function renderOrigin(run) {
    const t = run.options && run.options.trigger;
    const key = JSON.stringify(t || null);
    if (origin.renderKey === key) return; // the run view renders on every event; this never changes
    origin.renderKey = key;
    clear(origin);
    origin.hidden = !t;
    if (!t) return;
    origin.append(triggerOrigin(t));
  }

  function renderPlanApproval(run) {
    if (run.status !== 'AWAITING_PLAN_APPROVAL' || !may('approver')) { if (planBox.firstChild) clear(planBox); return; }
    if (planBox.firstChild) return;
    // The plan as proposed (plan JSON, as a client would send it), not the run's view of it with statuses.
    const proposed = [...state.events.values()].reverse().find(e => e.type === 'PlanProposed');
    if (!proposed) return; // its event is on its way; it triggers another render
    const editor = el('textarea', { id: 'plan-edit', rows: 10, spellcheck: 'false' });
    editor.value = JSON.stringify({ tasks: proposed.data.plan.tasks }, null, 2);
    const comment = el('input', { id: 'plan-comment', type: 'text' });
    const decide = (decision) => (ev) => act(ev.currentTarget, async () => {
      const body = { decision };
      if (comment.value.trim()) body.comment = comment.value.trim();
      if (decision === 'approve') body.plan = parseJson(editor.value, 'The plan');
      await post('/api/runs/' + encodeURIComponent(runId) + '/plan/approval', body);
      clear(planBox);
      await refresh();
    });
    planBox.append(el('section', { class: 'card approval' }, el('h2', { text: 'This plan waits for your approval' }),
      el('label', { for: 'plan-edit', text: 'Plan (edit before approving)' }), editor,
      el('label', { for: 'plan-comment', text: 'Comment' }), comment,
      el('div', { class: 'actions' }, el('button', { type: 'button', text: 'Approve plan', onclick: decide('approve') }),
        el('button', { type: 'button', class: 'danger', text: 'Reject plan', onclick: decide('reject') }))));
  }

  function renderTasks(tasks) {
    const ids = new Set(tasks.map(t => t.id));
    for (const [id, li] of items) if (!ids.has(id)) { li.remove(); items.delete(id); }
    let prev = null;
    for (const task of tasks) {
      let li = items.get(task.id);
      if (!li) {
        const button = el('button', { type: 'button', class: 'task', 'data-task-id': task.id, onclick: () => select(task.id) });
        li = el('li', {}, button);
        items.set(task.id, li);
      }
      prev = placeAfter(taskList, prev, li); // the plan's order
      const button = li.firstChild;
      const undo = task.compensation ? task.compensation.status : '';
      const fallback = task.fallback ? task.fallback.status : '';
      const key = [task.title, task.kind, task.status, task.attempts, undo, fallback, task.id === state.selected].join('\u0000');
      if (li.renderKey === key) continue; // unchanged: no DOM work
      li.renderKey = key;
      button.dataset.status = task.status;
      // data-compensation / data-fallback: the status of the task's compensation or fallback call (see README)
      if (undo) button.dataset.compensation = undo; else delete button.dataset.compensation;
      if (fallback) button.dataset.fallback = fallback; else delete button.dataset.fallback;
      button.setAttribute('aria-pressed', String(task.id === state.selected));
      clear(button).append(el('span', { class: 'task-title', text: task.title || task.id }), ' ',
        el('span', { class: 'kind', text: task.kind }), ' ', badge(task.status),
        el('span', { class: 'attempts', text: task.attempts ? '×' + task.attempts : '' }),
        fallback ? el('span', { class: 'badge side status-' + fallback.toLowerCase(), text: 'fallback ' + fallback }) : '',
        undo ? el('span', { class: 'badge side undo status-' + undo.toLowerCase(), text: 'undo ' + undo }) : '');
    }
  }

  // The detail is rebuilt whenever its task or the task's events change, but the decision form
  // (approve/reject with edited arguments, or retry) lives in its own box that is rebuilt only when
  // the decision itself changes: a person's half-typed arguments survive events streaming in.
  function renderDetail(task) {
    renderDecision(task);
    const taskEvents = task ? [...state.events.values()].filter(e => e.taskId === task.id) : [];
    const key = task ? JSON.stringify(task) + '#' + taskEvents.length : '';
    if (key === state.detailKey) return;
    state.detailKey = key;
    clear(detailHead);
    clear(detailBody);
    if (!task) { detailHead.append(el('p', { class: 'hint', text: 'Select a task to see its detail.' })); return; }
    const rows = [['Id', task.id], ['Kind', task.kind], ['Tool', task.tool], ['Agent', task.agent], ['Status', task.status],
      ['Attempts', task.attempts], ['Depends on', (task.dependsOn || []).join(', ')], ['When', task.when],
      ['Join', task.join], ['Skipped because', task.skipReason], ['Started', task.startedAt],
      ['Finished', task.finishedAt], ['Took', duration(task.startedAt, task.finishedAt)]]
      .filter(([, v]) => v !== undefined && v !== null && v !== '');
    detailHead.append(el('h2', { text: task.title || task.id }),
      el('dl', {}, rows.map(([k, v]) => [el('dt', { text: k }), el('dd', { text: v })])));
    if (task.approval) {
      detailHead.append(el('p', { class: 'approval-state', text: 'Approval: ' + (task.approval.status || '') +
        (task.approval.decidedBy ? ' by ' + task.approval.decidedBy : '') + (task.approval.comment ? ' — ' + task.approval.comment : '') }));
    }
    if (task.instruction) detailBody.append(el('h3', { text: 'Instruction' }), el('pre', { text: task.instruction }));
    detailBody.append(el('h3', { text: 'Arguments' }), el('pre', { class: 'args', text: json(task.args) }),
      el('h3', { text: 'Output' }), el('pre', { class: 'output', text: json(task.output) }));
    if (task.error) detailBody.append(el('h3', { text: 'Error' }), el('pre', { class: 'error', text: task.error.code + ': ' + task.error.message }));
    for (const [name, call] of [['Fallback', task.fallback], ['Compensation', task.compensation]]) {
      if (!call) continue;
      detailBody.append(el('h3', { text: name + ' (' + (call.tool || 'agent ' + call.agent) + ')' }), el('p', {}, badge(call.status), ' ×' + call.attempts),
        el('pre', { class: 'args', text: json(call.args) }), el('pre', { class: 'output', text: json(call.output) }));
      if (call.error) detailBody.append(el('pre', { class: 'error', text: call.error.code + ': ' + call.error.message }));
    }
    if (task.history && task.history.length) {
      detailBody.append(el('h3', { text: 'Attempts' }), el('ol', { class: 'history' }, task.history.map(h =>
        el('li', { 'data-attempt': h.attempt }, 'started ' + (h.startedAt ? new Date(h.startedAt).toLocaleTimeString() : '—'),
          h.finishedAt ? ' · took ' + duration(h.startedAt, h.finishedAt) : ' · running',
          h.error ? el('span', { class: 'error', text: ' · ' + h.error.code + ': ' + h.error.message }) : ''))));
    }
    if (task.transcript && task.transcript.length) {
      detailBody.append(el('h3', { text: 'Transcript' }), el('ol', { class: 'agent-transcript' }, task.transcript.map(agentStep)));
    }
    if (taskEvents.length) {
      detailBody.append(el('h3', { text: 'Events' }),
        el('ol', { class: 'transcript' }, taskEvents.map(transcriptItem)));
    }
  }

  function renderDecision(task) {
    const waiting = task && task.status === 'WAITING_APPROVAL' && may('approver');
    const failed = task && task.status === 'FAILED' && may('operator');
    // a new approval request (another attempt) is a new decision, with fresh arguments
    const key = !task ? '' : waiting ? 'approve\u0000' + task.id + '\u0000' + JSON.stringify(task.args || {}) + '\u0000' + task.attempts
      : failed ? 'retry\u0000' + task.id : '';
    if (key === state.decisionKey) return;
    state.decisionKey = key;
    clear(decisionBox);
    if (!key) return;
    const taskPath = '/api/runs/' + encodeURIComponent(runId) + '/tasks/' + encodeURIComponent(task.id);
    if (failed) {
      decisionBox.append(el('div', { class: 'actions' }, el('button', { type: 'button', text: 'Retry',
        onclick: (ev) => act(ev.currentTarget, async () => { await post(taskPath + '/retry'); listen(); await refresh(); }) })));
      return;
    }
    const proposed = JSON.stringify(task.args || {}, null, 2);
    const comment = el('input', { id: 'approval-comment', type: 'text' });
    const args = el('textarea', { id: 'approval-args', rows: 5, spellcheck: 'false' });
    args.value = proposed;
    const decide = (decision) => (ev) => act(ev.currentTarget, async () => {
      const body = { decision };
      if (comment.value.trim()) body.comment = comment.value.trim();
      if (decision === 'approve' && args.value.trim() !== proposed) body.args = parseJson(args.value, 'The arguments');
      await post(taskPath + '/approval', body);
      await refresh();
    });
    decisionBox.append(el('div', { class: 'approval' },
      el('label', { for: 'approval-args', text: 'Arguments (edit before approving)' }), args,
      el('label', { for: 'approval-comment', text: 'Comment' }), comment,
      el('div', { class: 'actions' }, el('button', { type: 'button', text: 'Approve', onclick: decide('approve') }),
        el('button', { type: 'button', class: 'danger', text: 'Reject', onclick: decide('reject') }))));
  }

  function renderMessageBox(run) {
    if (FINISHED.has(run.status) || !may('operator')) { if (messageBox.firstChild) clear(messageBox); return; }
    if (messageBox.firstChild) return;
    const form = messageForm(runId, { label: 'Send the run a follow-up message', formClass: 'card', act });
    messageBox.append(form);
  }

  dispose = () => { state.gone = true; if (state.frame) cancelAnimationFrame(state.frame); follower.stop(); graph.destroy(); };
  // The run first, then its events from the first (the timeline and the task transcripts come from
  // the stream): the events the GET already holds then cause no refetch.
  await refresh();
  listen();
}

function timelineItem(event) {
  return el('li', { 'data-seq': event.seq }, el('code', { text: '#' + event.seq }), ' ', el('strong', { text: event.type }),
    event.taskId ? ' · ' + event.taskId : '', ' · ' + new Date(event.at).toLocaleTimeString());
}

/** One entry of an agent task's transcript: a model call (with its tokens) or a tool call. */
function agentStep(entry) {
  const head = [];
  const body = [];
  if (entry.type === 'AgentModelCalled') {
    head.push(el('strong', { text: 'Model' }), ' · step ' + entry.step,
      el('span', { class: 'tokens', text: ' · ' + entry.promptTokens + ' + ' + entry.completionTokens + ' tokens' }),
      ' · ' + entry.durationMs + ' ms', entry.finishReason ? ' · ' + entry.finishReason : '');
    if (entry.text) body.push(el('pre', { class: 'model-text', text: entry.text }));
    for (const call of entry.toolCalls || []) {
      body.push(el('p', { class: 'hint' }, 'asks for ', el('code', { text: call.name }), ' with'), el('pre', { text: json(call.args) }));
    }
  } else if (entry.type === 'AgentToolCalled') {
    head.push(el('strong', { text: 'Tool' }), ' ', el('code', { text: entry.tool }), ' · step ' + entry.step, ' · ' + entry.durationMs + ' ms');
    body.push(el('pre', { class: 'args', text: json(entry.args) }));
    body.push(entry.error ? el('pre', { class: 'error', text: entry.error.code + ': ' + entry.error.message })
      : el('pre', { class: 'output', text: json(entry.output) }));
  } else {
    head.push(el('strong', { text: entry.type }));
    body.push(el('pre', { text: json(entry) }));
  }
  return el('li', { 'data-type': entry.type, 'data-step': entry.step }, el('div', {}, head), body);
}

function transcriptItem(event) {
  const d = event.data || {};
  const head = [el('strong', { text: event.type }), ' · ' + new Date(event.at).toLocaleTimeString()];
  if (d.attempt) head.push(' · attempt ' + d.attempt);
  if (d.step !== undefined) head.push(' · step ' + d.step);
  if (d.promptTokens !== undefined) head.push(' · ' + d.promptTokens + ' + ' + (d.completionTokens || 0) + ' tokens');
  const body = Object.assign({}, d);
  delete body.taskId;
  return el('li', {}, el('div', {}, head), el('pre', { text: json(body) }));
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
