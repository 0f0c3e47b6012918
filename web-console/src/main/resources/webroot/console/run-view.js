// The run view (/runs/{id}): the live plan graph, the task list and the selected task's detail,
// the plan-approval form and the run's timeline. Moved whole from app.js (issue 16).
import { post } from './api.js';
import { el, clear, json, age, duration, badge, placeAfter, FINISHED } from './dom.js';
import { PlanGraph } from './graph.js';
import { gantt } from './gantt.js';
import { planVersions, planDiffView } from './plan-diff.js';
import { followRun, messageForm, runAnswer } from './follow.js';
import { triggerOrigin } from './chat.js';

/** Parses JSON a person typed; a mistake says what was wrong, and nothing is sent. */
function parseJson(text, what) {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(what + ' is not valid JSON: ' + e.message);
  }
}

export async function runView({ view, may, act, failed, onDispose }, runId) {
  const state = { run: null, events: new Map(), selected: new URLSearchParams(location.search).get('task'), detailKey: null, decisionKey: null,
    gone: false, frame: 0, runChanged: false, detailChanged: false, pendingTimeline: [],
    ganttAt: 0, ganttTimer: 0, versionsKey: null, shownVersion: null, preview: null };
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
  // The timeline: a Gantt chart of attempts and waits, or the flat list of events (kept for operators and tests).
  const timeline = el('ol', { class: 'timeline', hidden: true });
  const ganttBox = el('div', { id: 'gantt' });
  const showGantt = el('button', { type: 'button', class: 'toggle', 'aria-pressed': 'true', text: 'Gantt', onclick: () => timelineMode(true) });
  const showList = el('button', { type: 'button', class: 'toggle', 'aria-pressed': 'false', text: 'Event list', onclick: () => timelineMode(false) });
  const timelineCard = el('details', { class: 'card timeline-card' }, el('summary', { text: 'Timeline' }),
    el('div', { class: 'actions', role: 'group', 'aria-label': 'Timeline view' }, showGantt, showList), ganttBox, timeline);
  timelineCard.addEventListener('toggle', () => renderGantt());
  // Plan versions: after a replan (or an edited approval), what changed from one version to the next.
  const versionsCard = el('section', { class: 'card plan-versions', id: 'plan-versions', hidden: true });
  const graphWrap = el('div', { class: 'card graph-wrap' });
  view.append(el('section', { class: 'card run-head' }, title, meta, origin, actions, outcome), planBox,
    el('div', { class: 'run-grid' }, graphWrap,
      el('div', { class: 'card side' }, el('h2', { text: 'Tasks' }), taskList, detail)),
    versionsCard,
    messageBox,
    timelineCard);
  graphWrap.append(graphBox); // cytoscape reads its container's size when it starts
  const graph = new PlanGraph(graphBox, id => select(id));
  graphWrap.prepend(graph.controls);
  graphWrap.append(graph.tip);
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
      if (event.type === 'PlanProposed' || event.type === 'PlanAccepted') state.runChanged = true;
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
        renderGantt();
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
    renderVersions();
  }

  function timelineMode(asGantt) {
    showGantt.setAttribute('aria-pressed', String(asGantt));
    showList.setAttribute('aria-pressed', String(!asGantt));
    ganttBox.hidden = !asGantt;
    timeline.hidden = asGantt;
    renderGantt();
  }

  /** The Gantt chart, drawn only while shown, and at most twice a second while events stream in. */
  function renderGantt() {
    if (!timelineCard.open || ganttBox.hidden || !state.run || state.gone) return;
    const wait = state.ganttAt + 500 - Date.now();
    if (wait > 0) {
      if (!state.ganttTimer) state.ganttTimer = setTimeout(() => { state.ganttTimer = 0; renderGantt(); }, wait);
      return;
    }
    state.ganttAt = Date.now();
    const events = [...state.events.values()];
    const finished = FINISHED.has(state.run.status);
    const until = finished && events.length ? Math.max(...events.map(e => Date.parse(e.at))) : Date.now();
    clear(ganttBox).append(gantt(events, (state.run.plan && state.run.plan.tasks) || [], until));
  }

  /** The version selector and the diff with the version before, once there is more than one plan version. */
  function renderVersions() {
    const events = [...state.events.values()].filter(e => e.type === 'PlanAccepted' || e.type === 'PlanProposed');
    const key = events.map(e => e.seq).join(',');
    if (key === state.versionsKey) return;
    state.versionsKey = key;
    const versions = planVersions(events);
    versionsCard.hidden = versions.length < 2;
    if (versions.length < 2) return;
    const latest = versions[versions.length - 1].version;
    if (!versions.some(v => v.version === state.shownVersion)) state.shownVersion = latest;
    const select = el('select', { id: 'plan-version' }, versions.slice(1).map(v =>
      el('option', { value: v.version, text: 'version ' + v.version + ' (against ' + versions[versions.indexOf(v) - 1].version + ')',
        selected: v.version === state.shownVersion })));
    const diffBox = el('div', {}, planDiffView(versions, state.shownVersion));
    select.addEventListener('change', () => {
      state.shownVersion = Number(select.value);
      clear(diffBox).append(planDiffView(versions, state.shownVersion));
    });
    clear(versionsCard).append(el('h2', { text: 'Plan versions' }),
      el('p', {}, el('label', { for: 'plan-version', class: 'inline', text: 'Changes in ' }), select), diffBox);
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

  function closePreview() {
    if (state.preview) state.preview.destroy();
    state.preview = null;
  }

  // The plan a planner proposed, as a graph first; its JSON (editable, as sent on approval) behind a
  // disclosure. An edit that parses re-draws the graph, so a person sees what they are about to approve.
  function renderPlanApproval(run) {
    if (run.status !== 'AWAITING_PLAN_APPROVAL' || !may('approver')) { if (planBox.firstChild) { closePreview(); clear(planBox); } return; }
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
      closePreview();
      clear(planBox);
      await refresh();
    });
    const previewBox = el('div', { id: 'plan-preview', class: 'graph preview', role: 'img', 'aria-label': 'The proposed plan as a graph' });
    const previewNote = el('p', { class: 'hint', role: 'status' });
    const wrap = el('div', { class: 'graph-wrap' }, previewBox);
    planBox.append(el('section', { class: 'card approval' }, el('h2', { text: 'This plan waits for your approval' }),
      el('p', { class: 'hint', text: (proposed.data.plan.tasks || []).length + ' tasks, proposed by ' + (proposed.data.source || 'the planner') + '.' }),
      wrap, previewNote,
      el('details', { class: 'plan-json' }, el('summary', { text: 'Edit the plan as JSON' }),
        el('label', { for: 'plan-edit', text: 'Plan (edit before approving)' }), editor),
      el('label', { for: 'plan-comment', text: 'Comment' }), comment,
      el('div', { class: 'actions' }, el('button', { type: 'button', text: 'Approve plan', onclick: decide('approve') }),
        el('button', { type: 'button', class: 'danger', text: 'Reject plan', onclick: decide('reject') }))));
    const preview = new PlanGraph(previewBox, () => {}, { collapse: false });
    wrap.prepend(preview.controls);
    wrap.append(preview.tip);
    previewBox.planGraph = preview; // for tests, as #graph's
    state.preview = preview;
    preview.update(proposed.data.plan.tasks || []);
    let pending = 0;
    editor.addEventListener('input', () => {
      clearTimeout(pending);
      pending = setTimeout(() => {
        let plan = null;
        try { plan = JSON.parse(editor.value); } catch (e) { plan = null; }
        if (!plan || !Array.isArray(plan.tasks) || plan.tasks.some(t => !t || typeof t.id !== 'string')) {
          previewNote.textContent = 'The JSON is not a plan yet: the graph shows the last plan that was.';
          return;
        }
        previewNote.textContent = '';
        if (state.preview) state.preview.update(plan.tasks);
      }, 250);
    });
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
    const agent = task.transcript && task.transcript.length;
    if (agent) detailBody.append(el('h3', { text: 'Conversation' }), transcriptTotals(task.transcript),
      el('ol', { class: 'agent-transcript conversation' }, agentTurns(task.transcript)));
    if (taskEvents.length) {
      const events = el('ol', { class: 'transcript' }, taskEvents.map(transcriptItem));
      // An agent's conversation above says it all; its raw events stay one click away.
      if (agent) detailBody.append(el('details', { class: 'raw-events' }, el('summary', { text: 'Events (' + taskEvents.length + ', raw)' }), events));
      else detailBody.append(el('h3', { text: 'Events' }), events);
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

  onDispose(() => { state.gone = true; clearTimeout(state.ganttTimer); closePreview(); if (state.frame) cancelAnimationFrame(state.frame); follower.stop(); graph.destroy(); });
  // The run first, then its events from the first (the timeline and the task transcripts come from
  // the stream): the events the GET already holds then cause no refetch.
  await refresh();
  listen();
}

function timelineItem(event) {
  return el('li', { 'data-seq': event.seq }, el('code', { text: '#' + event.seq }), ' ', el('strong', { text: event.type }),
    event.taskId ? ' · ' + event.taskId : '', ' · ' + new Date(event.at).toLocaleTimeString());
}

/** The agent's tokens in all: model turns, prompt + completion tokens, tool calls. */
function transcriptTotals(transcript) {
  const calls = transcript.filter(e => e.type === 'AgentModelCalled');
  const prompt = calls.reduce((n, e) => n + (e.promptTokens || 0), 0);
  const completion = calls.reduce((n, e) => n + (e.completionTokens || 0), 0);
  const tools = transcript.filter(e => e.type === 'AgentToolCalled').length;
  return el('p', { class: 'transcript-total', 'data-tokens': prompt + completion },
    calls.length + (calls.length === 1 ? ' model turn' : ' model turns') + ', ' + tools + (tools === 1 ? ' tool call' : ' tool calls') + ' · ',
    el('strong', { text: (prompt + completion).toLocaleString('en') + ' tokens' }), ' (' + prompt + ' prompt + ' + completion + ' completion)');
}

/** The transcript as a conversation: the model's turns and the tools' results, numbered turn by turn. */
function agentTurns(transcript) {
  let turn = 0;
  const attempts = new Set(transcript.map(e => e.attempt)).size;
  return transcript.map(entry => {
    if (entry.type === 'AgentModelCalled') turn++;
    return agentStep(entry, turn, attempts > 1);
  });
}

/** One entry of an agent task's transcript: a model turn (its text, the tools it asks for, its tokens) or a tool's result. */
function agentStep(entry, turn, showAttempt) {
  const head = [];
  const body = [];
  const attempt = showAttempt && entry.attempt ? ' · attempt ' + entry.attempt : '';
  let role = 'other';
  if (entry.type === 'AgentModelCalled') {
    role = 'model';
    head.push(el('strong', { text: 'Model' }), ' · turn ' + turn + attempt,
      el('span', { class: 'tokens', text: ' · ' + entry.promptTokens + ' + ' + entry.completionTokens + ' tokens' }),
      ' · ' + entry.durationMs + ' ms', entry.finishReason ? ' · ' + entry.finishReason : '');
    if (entry.text) body.push(el('pre', { class: 'model-text', text: entry.text }));
    for (const call of entry.toolCalls || []) {
      body.push(el('details', { class: 'tool-call' }, el('summary', {}, 'asks for ', el('code', { text: call.name }), ' with its arguments'),
        el('pre', { class: 'args', text: json(call.args) })));
    }
  } else if (entry.type === 'AgentToolCalled') {
    role = 'tool';
    head.push(el('strong', { text: 'Tool' }), ' ', el('code', { text: entry.tool }), ' answers · turn ' + turn + attempt, ' · ' + entry.durationMs + ' ms');
    body.push(el('details', { class: 'tool-call' }, el('summary', { text: 'Arguments' }), el('pre', { class: 'args', text: json(entry.args) })));
    body.push(entry.error ? el('pre', { class: 'error', text: entry.error.code + ': ' + entry.error.message })
      : el('pre', { class: 'output', text: json(entry.output) }));
  } else {
    head.push(el('strong', { text: entry.type }));
    body.push(el('pre', { text: json(entry) }));
  }
  return el('li', { class: 'turn turn-' + role, 'data-type': entry.type, 'data-step': entry.step, 'data-turn': turn },
    el('div', { class: 'bubble' }, el('div', { class: 'turn-head' }, head), body));
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
