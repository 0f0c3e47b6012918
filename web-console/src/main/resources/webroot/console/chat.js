// The chat on "/": one run as a conversation. The user's goal and follow-up messages on one side;
// Baton's plan, progress, replans and final answer on the other, all built from the run's events
// (so a reload, or a second person watching, sees the same conversation). Everything is text.
import { el, clear, json, duration, FINISHED } from './dom.js';
import { post } from './api.js';
import { followRun, messageForm, answerView } from './follow.js';

const DONE = new Set(['SUCCEEDED', 'FAILED', 'REJECTED', 'SKIPPED', 'CANCELLED']);
/** How many earlier runs of a conversation (follow-ups linked by "continues") are shown above the current one. */
const EARLIER_RUNS = 5;

function runLink(runId, text, taskId) {
  return el('a', { href: '/runs/' + encodeURIComponent(runId) + (taskId ? '?task=' + encodeURIComponent(taskId) : ''), text });
}

function taskCount(plan) {
  const n = plan && plan.tasks ? plan.tasks.length : 0;
  return n + (n === 1 ? ' task' : ' tasks');
}

function sourceText(source) {
  if (!source || source === 'client') return 'the plan you gave';
  if (source === 'llm') return 'the model';
  if (source.startsWith('playbook:')) return 'the playbook “' + source.slice('playbook:'.length) + '”';
  return source;
}

/**
 * "started by trigger ..." for a run a trigger started ({@code options.trigger}, set by the
 * server only): which trigger, and when it was due or which event it received. The run view shows
 * it under the goal, the chat under the first message.
 */
export function triggerOrigin(t) {
  // el() flattens nested lists (Node.append would print them)
  return el('span', {}, 'started by trigger ', el('a', { href: '/triggers', class: 'trigger-name', text: t.name }),
    t.kind === 'schedule'
      ? [' · scheduled at ', el('time', { datetime: t.scheduledAt, text: t.scheduledAt }), t.catchUp ? ' (caught up after downtime)' : '']
      : t.kind === 'manual' // "Run now" on /triggers
      ? [' · run now by ', el('span', { class: 'requested-by', text: t.requestedBy || 'someone' }),
        t.requestedAt ? [' at ', el('time', { datetime: t.requestedAt, text: t.requestedAt })] : '']
      : [' · event ', t.eventId ? el('code', { class: 'event-id', text: t.eventId }) : '(no event id)',
        t.receivedAt ? [' received at ', el('time', { datetime: t.receivedAt, text: t.receivedAt })] : '']);
}

/**
 * The conversation of run {@code runId}. {@code may(role)} says what the caller may do;
 * {@code act(button, action)} runs a button's action and reports its errors; {@code failed(e)}
 * reports a failed load; {@code me} is the caller (GET /api/me), whose own messages need no "from";
 * {@code go(path)} navigates. A run that continues an earlier one (a follow-up: run.continues)
 * shows the earlier runs' conversations above it, read-only ({@code continuedIn}: the run that
 * continues this one). Returns { node, start, dispose }.
 */
export function conversation(runId, { may, act, failed, me, go, continuedIn, depth = 0 }) {
  const readOnly = !!continuedIn;
  const thread = el('ol', { id: readOnly ? null : 'chat', class: 'chat', 'aria-label': readOnly ? 'Earlier run ' + runId : 'Conversation',
    'aria-live': readOnly ? null : 'polite', 'data-run-id': runId });
  // One message that changes as the run goes, kept last until the run ends.
  const progress = el('li', { class: 'msg baton progress', 'data-kind': 'progress' });
  const composer = el('div');
  const earlier = el('div', { class: 'earlier-runs' });
  const linkBack = el('p', { class: 'hint run-link continues', hidden: true });
  const node = el(readOnly ? 'div' : 'section', { class: readOnly ? 'conversation earlier' : 'card conversation', 'data-run-id': runId },
    // every view has an <h1> (screen readers jump to it); the conversation's is for them only
    readOnly ? null : el('h1', { class: 'visually-hidden', text: 'Conversation' }),
    earlier,
    el('p', { class: 'hint' }, 'Run ', el('code', { text: runId }), ' · ', runLink(runId, 'Open the plan and its graph'),
      readOnly ? null : [' · ', el('a', { href: '/', text: 'New goal' })]),
    linkBack, thread,
    readOnly ? el('p', { class: 'hint run-link continued-in' }, 'Continued in run ',
      el('a', { href: '/?run=' + encodeURIComponent(continuedIn), text: continuedIn }), ' ↓') : null,
    composer);
  const chain = []; // the earlier runs' conversations, to dispose with this one
  let composerMode = null;
  let frame = 0;
  let run = null;
  const pending = [];
  const planned = new Set(); // task ids of earlier plan versions, to say what a replan added
  let answer = null; // the answer's view (follow.js), made by the first of RunSucceeded and its pieces
  const answerBlock = () => answer || (answer = answerView());

  const say = (role, kind, seq, ...content) => el('li', { class: 'msg ' + role, 'data-role': role, 'data-kind': kind, 'data-seq': seq },
    el('div', { class: 'bubble' }, content));

  /** The message an event adds to the conversation, or null for the events that are progress only. */
  function messageOf(e) {
    const d = e.data || {};
    switch (e.type) {
      case 'RunCreated': {
        const hasInput = d.input && Object.keys(d.input).length;
        const trigger = d.options && d.options.trigger;
        return say('user', 'goal', e.seq, el('p', { class: 'text', text: d.goal || '(no goal: a plan was given)' }),
          hasInput ? el('pre', { text: json(d.input) }) : null,
          trigger ? el('p', { class: 'hint trigger-origin' }, triggerOrigin(trigger)) : null);
      }
      case 'PlanProposed':
        if (!d.needsApproval) return null; // PlanAccepted follows at once and says it
        return say('baton', 'plan-proposed', e.seq, el('p', { text: 'I have a plan of ' + taskCount(d.plan) + ' from ' + sourceText(d.source)
          + '. It waits for your approval before anything runs: ' }, runLink(runId, 'review and edit it'), '.'));
      case 'PlanAccepted': {
        const tasks = (d.plan && d.plan.tasks) || [];
        const added = tasks.filter(t => !planned.has(t.id));
        tasks.forEach(t => planned.add(t.id));
        const list = el('ul', { class: 'plan-tasks' }, (d.version > 1 ? added : tasks).slice(0, 12).map(t =>
          el('li', {}, runLink(runId, t.title || t.id, t.id))));
        const more = (d.version > 1 ? added : tasks).length > 12 ? el('p', { class: 'hint', text: '…and more.' }) : null;
        return say('baton', d.version > 1 ? 'replanned' : 'plan', e.seq,
          el('p', { text: d.version > 1
            ? 'New plan (version ' + d.version + '): ' + taskCount(d.plan) + ', ' + added.length + ' new:'
            : 'Running a plan of ' + taskCount(d.plan) + ':' }), list, more);
      }
      case 'UserMessage':
        return say('user', 'message', e.seq, el('p', { class: 'text', text: d.text }), d.by && d.by !== (me && me.name) ? el('p', { class: 'hint', text: 'from ' + d.by }) : null);
      case 'ReplanStarted':
        return say('baton', 'replanning', e.seq, el('p', { text: d.trigger === 'message'
          ? 'Replanning the unfinished part to take your message into account…'
          : 'Replanning: ' + (d.reason || 'a task failed') + '…' }));
      case 'ReplanFailed':
        return say('baton', 'replan-failed', e.seq, el('p', { class: 'error', text: 'I could not replan (' + (d.error ? d.error.code + ': ' + d.error.message : '') + '); the plan goes on as it was.' }));
      case 'ApprovalRequested':
        return say('baton', 'approval', e.seq, el('p', { text: '“' + (d.title || d.taskId) + '” waits for a person\'s approval' + (d.tool ? ' (' + d.tool + ')' : '') + ': ' },
          runLink(runId, 'decide', d.taskId), '.'));
      case 'TaskAttemptFailed':
        if (d.retryAt) return null;
        return say('baton', 'task-failed', e.seq, el('p', { class: 'error', text: 'Task ' + d.taskId + ' failed: ' + (d.error ? d.error.code + ': ' + d.error.message : '') }));
      case 'RunReopened':
        return say('baton', 'reopened', e.seq, el('p', { text: 'The run was reopened' + (d.by ? ' by ' + d.by : '') + '.' }));
      case 'RunCancelled':
        return say('baton', 'cancelled', e.seq, el('p', { text: 'The run was cancelled' + (d.by ? ' by ' + d.by : '') + (d.reason ? ': ' + d.reason : '.') }));
      case 'RunFailed':
        return say('baton', 'failed', e.seq, el('p', { class: 'error', text: 'The run failed: ' + (d.error ? d.error.code + ': ' + d.error.message : '') }),
          // Edit and retry: the goal and its input come back editable on "/"; the new run leaves this one as it is.
          !readOnly && may('operator') && go ? el('div', { class: 'actions' }, el('button', { type: 'button', class: 'retry-goal', text: 'Edit and retry',
            onclick: () => go('/?retry=' + encodeURIComponent(runId)) })) : null);
      case 'RunSucceeded':
        return answerMessage(e, d);
      case 'AnswerWritten':
        answerBlock().written(d.answer);
        return null;
      case 'AnswerFailed':
        answerBlock().failed('The answer could not be written: ' + (d.error ? d.error.message : ''));
        return null;
      default:
        return null;
    }
  }

  function answerMessage(e, d) {
    const r = d.result || {};
    const parts = [];
    if (d.answering || typeof r.answer === 'string' || r.answerError) {
      // The answer follows the success (streamed as Markdown); older runs have it in the result.
      const a = answerBlock();
      if (typeof r.answer === 'string') a.written(r.answer);
      if (r.answerError) a.failed(r.answerError);
      parts.push(a.node);
    } else parts.push(el('p', { text: 'Done.' }));
    const outputs = Object.assign({}, r);
    delete outputs.answer;
    delete outputs.answerError;
    if (Object.keys(outputs).length) parts.push(el('details', {}, el('summary', { text: 'Task outputs' }), el('pre', { text: json(outputs) })));
    return say('baton', 'answer', e.seq, parts);
  }

  function renderProgress() {
    if (!run) return;
    const tasks = (run.plan && run.plan.tasks) || [];
    const count = (pred) => tasks.filter(pred).length;
    const parts = [];
    if (run.status === 'PLANNING') parts.push('Planning…');
    else if (run.status === 'REPLANNING') parts.push('Replanning…');
    if (tasks.length) {
      parts.push(count(t => DONE.has(t.status)) + ' of ' + tasks.length + ' tasks done');
      const running = count(t => t.status === 'RUNNING');
      const waiting = count(t => t.status === 'WAITING_APPROVAL');
      const failedTasks = count(t => t.status === 'FAILED');
      if (running) parts.push(running + ' running');
      if (waiting) parts.push(waiting + ' waiting for approval');
      if (failedTasks) parts.push(failedTasks + ' failed');
    }
    const tokens = run.usage ? run.usage.promptTokens + run.usage.completionTokens : 0;
    if (tokens) parts.push(tokens + ' tokens');
    if (FINISHED.has(run.status)) parts.push('took ' + duration(run.createdAt, run.updatedAt));
    progress.dataset.status = run.status;
    clear(progress).append(el('div', { class: 'bubble' }, el('p', { class: 'hint', text: parts.join(' · ') })));
    if (progress.parentNode !== thread || thread.lastChild !== progress) thread.append(progress);
  }

  // The reply box stays when the run ends: while it runs, a reply is a message to it (the unfinished
  // part is replanned); after, a reply starts a new run that continues this one (POST /api/runs with
  // "continues"), with the same input, and the chat moves to it.
  function renderComposer() {
    const mode = readOnly || !run || !may('operator') ? null : FINISHED.has(run.status) ? 'follow-up' : 'message';
    if (mode === composerMode) return;
    composerMode = mode;
    clear(composer);
    if (mode === 'message') {
      composer.append(messageForm(runId, { label: 'Reply to Baton (the unfinished part is replanned)', formClass: 'composer', act, autocomplete: 'off' }));
    } else if (mode === 'follow-up') {
      composer.append(messageForm(runId, { label: 'Follow up (starts a new run that continues this one)', formClass: 'composer follow-up', act,
        autocomplete: 'off', send: async (text) => {
          // a follow-up typed in the chat is a chat goal too: answered unless BATON_ANSWER_CHAT_GOALS is false
          const body = { goal: text.trim(), continues: runId, options: { chat: true } };
          if (run.input && Object.keys(run.input).length) body.input = run.input;
          const next = await post('/api/runs', body);
          if (go) go('/?run=' + encodeURIComponent(next.id));
        } }));
    }
  }

  /** The earlier run this one continues: a link, and its conversation above this one (a few runs back at most). */
  function renderLinkBack() {
    if (!run || !run.continues || !linkBack.hidden) return;
    linkBack.hidden = false;
    linkBack.append('Continues run ', el('a', { href: '/?run=' + encodeURIComponent(run.continues), text: run.continues }), ' ↑');
    if (depth >= EARLIER_RUNS) return;
    const before = conversation(run.continues, { may, act, failed: () => {}, me, go, continuedIn: runId, depth: depth + 1 });
    chain.push(before);
    earlier.append(before.node);
    before.start().catch(() => {});
  }

  const schedule = () => {
    if (frame) return;
    frame = requestAnimationFrame(() => {
      frame = 0;
      const fragment = document.createDocumentFragment();
      for (const e of pending.splice(0)) {
        const msg = messageOf(e);
        if (msg) fragment.append(msg);
      }
      thread.insertBefore(fragment, progress.parentNode === thread ? progress : null);
      renderProgress();
      renderLinkBack();
      renderComposer();
      node.dataset.runStatus = run ? run.status : '';
    });
  };

  const follower = followRun(runId, {
    onEvent: (e) => { pending.push(e); schedule(); },
    onDelta: (e) => answerBlock().piece(e.data && e.data.text, e.data && e.data.index),
    onRun: (r) => { run = r; schedule(); },
    onError: failed
  });
  return {
    node,
    start: async () => { await follower.refresh(); follower.listen(); },
    dispose: () => { if (frame) cancelAnimationFrame(frame); follower.stop(); chain.forEach(c => c.dispose()); }
  };
}
