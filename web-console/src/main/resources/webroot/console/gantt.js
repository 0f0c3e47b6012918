// The run's timeline as a Gantt chart, from its events: one row per task, a bar per attempt
// (coloured by how it ended), and bars for the time a task waited: for a person's approval, or
// between a failed attempt and the next one. Plain DOM built with el(); bars are placed with
// CSSOM (element.style), which the console's CSP allows (it forbids style attributes in markup).
import { el, duration } from './dom.js';

/** One bar: {taskId, kind: attempt|wait|retry-wait|approval|fallback, attempt, start, end, outcome}. */
export function ganttBars(events, tasks) {
  const kinds = new Map((tasks || []).map(t => [t.id, t.kind || (t.wait ? 'wait' : t.agent ? 'agent' : 'tool')]));
  const bars = [];
  const open = new Map(); // taskId + '|' + lane -> bar not ended yet
  const begin = (taskId, lane, bar) => {
    end(taskId, lane, bar.start, 'superseded');
    const b = Object.assign({ taskId, end: null, outcome: null }, bar);
    open.set(taskId + '|' + lane, b);
    bars.push(b);
  };
  const end = (taskId, lane, at, outcome) => {
    const b = open.get(taskId + '|' + lane);
    if (!b) return;
    b.end = at;
    b.outcome = outcome;
    open.delete(taskId + '|' + lane);
  };
  for (const e of [...events].sort((a, b) => a.seq - b.seq)) {
    const id = e.taskId;
    const d = e.data || {};
    const at = Date.parse(e.at);
    switch (e.type) {
      case 'TaskStarted':
        end(id, 'wait', at, 'done');
        begin(id, 'run', { kind: kinds.get(id) === 'wait' ? 'wait' : 'attempt', attempt: d.attempt, start: at });
        break;
      case 'TaskSucceeded': end(id, 'run', at, 'succeeded'); break;
      case 'TaskAttemptFailed':
        end(id, 'run', at, d.retryAt ? 'retried' : 'failed');
        if (d.retryAt) begin(id, 'wait', { kind: 'retry-wait', attempt: d.attempt, start: at });
        break;
      case 'FallbackStarted':
        end(id, 'run', at, 'failed');
        begin(id, 'run', { kind: 'fallback', attempt: d.attempt, start: at });
        break;
      case 'FallbackSucceeded': end(id, 'run', at, 'succeeded'); break;
      case 'FallbackAttemptFailed': end(id, 'run', at, d.retryAt ? 'retried' : 'failed'); break;
      case 'ApprovalRequested': begin(id, 'approval', { kind: 'approval', start: at }); break;
      case 'ApprovalDecided': end(id, 'approval', at, String(d.decision).toLowerCase() === 'approve' ? 'approved' : 'rejected'); break;
      case 'ApprovalExpired': end(id, 'approval', at, 'expired'); break;
      case 'TaskCancelled':
      case 'TaskSkipped':
        for (const lane of ['run', 'wait', 'approval']) end(id, lane, at, 'cancelled');
        break;
      default:
    }
  }
  return bars;
}

/**
 * The chart. {@code events}: the run's events; {@code tasks}: the plan's tasks (their order and titles);
 * {@code until}: the chart's right edge (the run's last event, or now while it runs).
 */
export function gantt(events, tasks, until) {
  const bars = ganttBars(events, tasks);
  const first = events.length ? Math.min(...events.map(e => Date.parse(e.at))) : until;
  const last = Math.max(until, ...bars.map(b => b.end || until));
  const span = Math.max(last - first, 1);
  const pct = (t) => ((t - first) / span * 100);
  const rows = new Map((tasks || []).map(t => [t.id, { title: t.title || t.id, bars: [] }]));
  for (const b of bars) {
    if (!rows.has(b.taskId)) rows.set(b.taskId, { title: b.taskId + ' (no longer in the plan)', bars: [] });
    rows.get(b.taskId).bars.push(b);
  }
  const iso = (t) => new Date(t).toISOString();
  const axis = el('div', { class: 'gantt-track gantt-axis', 'aria-hidden': 'true' });
  for (const f of [0, 0.25, 0.5, 0.75, 1]) {
    const tick = el('span', { class: 'gantt-tick', text: f === 0 ? '0 s' : duration(iso(first), iso(first + span * f)) });
    tick.style.left = (f * 100) + '%';
    axis.append(tick);
  }
  const body = [...rows].map(([taskId, row]) => el('div', { class: 'gantt-row', 'data-gantt-task': taskId },
    el('div', { class: 'gantt-label', title: row.title, text: row.title }),
    el('div', { class: 'gantt-track' }, row.bars.map(b => {
      const endAt = b.end === null ? until : b.end;
      const outcome = b.outcome || (b.kind === 'approval' ? 'waiting' : 'running');
      const what = b.kind === 'approval' ? 'waiting for approval' : b.kind === 'retry-wait' ? 'waiting to retry after attempt ' + b.attempt
        : b.kind === 'wait' ? 'waiting (wait task)' : (b.kind === 'fallback' ? 'fallback attempt ' : 'attempt ') + b.attempt;
      const bar = el('span', { class: 'gantt-bar kind-' + b.kind + ' outcome-' + outcome, 'data-kind': b.kind, 'data-outcome': outcome,
        'data-attempt': b.attempt, title: what + ': ' + outcome + ', ' + duration(iso(b.start), iso(endAt)) });
      bar.style.left = pct(b.start) + '%';
      bar.style.width = Math.max(pct(endAt) - pct(b.start), 0.4) + '%';
      return bar;
    }))));
  const legend = el('p', { class: 'gantt-legend hint' }, ['succeeded', 'failed', 'retried', 'running', 'approval', 'retry-wait', 'wait'].map(k =>
    el('span', { class: 'gantt-key key-' + k, text: k === 'retry-wait' ? 'waiting to retry' : k === 'approval' ? 'waiting for approval' : k })));
  return el('div', { class: 'gantt', role: 'group', 'aria-label': 'Gantt chart of the attempts and waits' },
    legend, el('div', { class: 'gantt-row gantt-head' }, el('div', { class: 'gantt-label', text: 'Task' }), axis), body);
}
