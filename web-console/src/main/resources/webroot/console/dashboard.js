// The live dashboard (/dashboard): throughput, error rates, where time goes (the slowest tools and
// agents) and where people are needed (the approvals that waited longest). It polls
// GET /api/metrics/summary (the JSON twin of /metrics); rates are differences between polls.
// Every name and title comes from plans, tools or people: it goes into the page as text only.
import { get } from './api.js';
import { el, clear, deadline } from './dom.js';

const POLL_MS = 2000;
/** Rates are taken over the polls of the last minute. */
const WINDOW_MS = 60000;

function seconds(s) {
  if (s === undefined || s === null || isNaN(s)) return '—';
  if (s < 0.001) return (s * 1e6).toFixed(0) + ' µs';
  if (s < 1) return (s * 1000).toFixed(s < 0.01 ? 2 : 0) + ' ms';
  if (s < 120) return s.toFixed(1) + ' s';
  if (s < 7200) return Math.floor(s / 60) + ' min ' + Math.round(s % 60) + ' s';
  return Math.floor(s / 3600) + ' h ' + Math.round((s % 3600) / 60) + ' min';
}

function percent(part, whole) {
  return whole > 0 ? (100 * part / whole).toFixed(1) + ' %' : '—';
}

function tile(label, value, name) {
  return el('div', { class: 'tile', 'data-metric': name }, el('div', { class: 'tile-value', text: value }), el('div', { class: 'tile-label', text: label }));
}

/** A table in a box that scrolls sideways on a narrow screen; the box can take the focus, so a keyboard scrolls it too. */
function table(caption, head, rows, empty) {
  if (!rows.length) return el('p', { class: 'hint', text: empty });
  return el('div', { class: 'table-scroll', tabindex: '0', role: 'region', 'aria-label': caption },
    el('table', { class: 'runs' }, el('caption', { class: 'hint', text: caption }),
      el('thead', {}, el('tr', {}, head.map(h => el('th', { scope: 'col', text: h })))),
      el('tbody', {}, rows)));
}

/** Renders into {@code view}; returns the function that stops the polling. */
export async function dashboardView(view, onError) {
  const samples = [];
  const status = el('p', { class: 'hint', 'aria-live': 'polite' });
  const tiles = el('div', { class: 'tiles' });
  const time = el('div');
  const people = el('div');
  const models = el('div');
  const journal = el('div');
  const cluster = el('div');
  view.append(
    el('section', { class: 'card' }, el('h1', { text: 'Dashboard' }), status, tiles),
    el('section', { class: 'card' }, el('h2', { text: 'Where time goes' }), time),
    el('section', { class: 'card' }, el('h2', { text: 'Where people are needed' }), people),
    el('section', { class: 'card' }, el('h2', { text: 'Models' }), models),
    el('section', { class: 'card' }, el('h2', { text: 'Journal' }), journal),
    el('section', { class: 'card', 'aria-label': 'Cluster' }, el('h2', { text: 'Cluster' }), cluster));

  // GET /api/cluster: the nodes that share the journal, with the unfinished runs each owns.
  const renderCluster = (c) => {
    const rows = c.nodes.map(n => el('tr', { 'data-node': String(n.epoch) },
      el('td', {}, el('code', { text: n.id }), n.self ? ' (this node)' : ''),
      el('td', { text: String(n.epoch) }),
      el('td', { text: n.address || '—' }),
      el('td', { text: String(n.runs) }),
      el('td', { text: n.leaseUntil ? new Date(Date.parse(n.leaseUntil)).toLocaleTimeString() : '—' })));
    clear(cluster).append(table(c.nodes.length === 1 && c.node.epoch === 0 ? 'A single node: its journal is not shared'
      : c.nodes.length + ' nodes share the journal', ['node', 'epoch', 'address', 'unfinished runs', 'lease until'], rows,
      'No node holds a lease.'));
  };

  const render = (now) => {
    const t = Date.parse(now.at);
    while (samples.length > 1 && t - samples[0].t > WINDOW_MS) samples.shift();
    const first = samples[0];
    const span = first ? (t - first.t) / 1000 : 0;
    const finishedNow = Object.values(now.runs.finished).reduce((a, b) => a + b, 0);
    const rate = (f) => (first && span > 0 ? (f(now) - f(first.m)) / span : null);
    const runsPerMin = rate(m => Object.values(m.runs.finished).reduce((a, b) => a + b, 0));
    const tasksPerSec = rate(m => m.tasks.succeeded + m.tasks.failed);
    const failedRuns = first ? now.runs.finished.FAILED - first.m.runs.finished.FAILED : 0;
    const endedRuns = first ? finishedNow - Object.values(first.m.runs.finished).reduce((a, b) => a + b, 0) : 0;
    const failedTasks = first ? now.tasks.failed - first.m.tasks.failed : 0;
    const endedTasks = first ? now.tasks.succeeded + now.tasks.failed - first.m.tasks.succeeded - first.m.tasks.failed : 0;
    const retries = first ? now.tasks.retries - first.m.tasks.retries : 0;
    const fixed = (x, per) => (x === null ? '—' : (x * per).toFixed(1));
    status.textContent = first && span > 0 ? 'Rates over the last ' + Math.round(span) + ' s; updated ' + new Date(t).toLocaleTimeString()
      : 'Rates appear after the second update.';
    clear(tiles).append(
      tile('runs finished / min', fixed(runsPerMin, 60), 'runs-per-minute'),
      tile('tasks finished / s', fixed(tasksPerSec, 1), 'tasks-per-second'),
      tile('runs failed (window)', first ? percent(failedRuns, endedRuns) : '—', 'run-error-rate'),
      tile('tasks failed (window)', first ? percent(failedTasks, endedTasks) : '—', 'task-error-rate'),
      tile('retries (window)', first ? String(retries) : '—', 'retries'),
      tile('runs started (total)', String(now.runs.started), 'runs-started'),
      tile('calls in flight', String(now.tasks.callsInFlight), 'calls-in-flight'),
      tile('ready queue', String(now.tasks.readyQueueDepth), 'ready-queue'),
      tile('approvals waiting', String(now.approvals.waiting), 'approvals-waiting'),
      tile('oldest approval waits', now.approvals.waiting ? seconds(now.approvals.oldestWaitSeconds) : '—', 'oldest-approval'));

    const total = now.calls.reduce((a, c) => a + c.totalSeconds, 0);
    clear(time).append(table('Tools and agents by total time, since the server started', ['kind', 'name', 'calls', 'failed', 'mean', 'p95', 'total', 'share'],
      now.calls.map(c => el('tr', { 'data-call': c.kind + ':' + c.name },
        el('td', { class: 'kind', text: c.kind }),
        el('td', {}, el('code', { text: c.name })),
        el('td', { text: String(c.calls) }),
        el('td', { text: c.failures + (c.calls ? ' (' + percent(c.failures, c.calls) + ')' : '') }),
        el('td', { text: seconds(c.meanSeconds) }),
        el('td', { text: seconds(c.p95Seconds) }),
        el('td', { text: seconds(c.totalSeconds) }),
        el('td', {}, el('meter', { min: 0, max: 1, value: total > 0 ? c.totalSeconds / total : 0, title: percent(c.totalSeconds, total) })))),
      'No tool or agent has been called yet.'));

    clear(people).append(table('Approvals waiting, longest first', ['waiting', 'task', 'tool', 'run', 'expires'],
      now.approvals.oldest.map(a => el('tr', { 'data-approval': a.runId + '/' + a.taskId },
        el('td', { text: seconds(a.waitingSeconds) }),
        el('td', { text: a.title || a.taskId }),
        el('td', {}, a.tool ? el('code', { text: a.tool }) : ''),
        el('td', {}, el('a', { href: '/runs/' + encodeURIComponent(a.runId) + '?task=' + encodeURIComponent(a.taskId), text: a.runId })),
        el('td', a.expiresAt ? { text: deadline(a.expiresAt), title: a.expiresAt } : { text: 'never' }))),
      'Nobody is needed: no approval is waiting.'));

    clear(models).append(table('Model calls since the server started', ['model', 'purpose', 'calls', 'errors', 'prompt tokens', 'completion tokens'],
      now.models.map(m => el('tr', {}, el('td', {}, el('code', { text: m.model })), el('td', { text: m.purpose }),
        el('td', { text: String(m.calls) }), el('td', { text: String(m.errors) }),
        el('td', { text: String(m.promptTokens) }), el('td', { text: String(m.completionTokens) }))),
      'No model calls yet.'));

    clear(journal).append(el('p', { text: now.journal.events + ' events in ' + now.journal.batches + ' commits (mean '
      + now.journal.meanBatchSize.toFixed(1) + ' events each); commit p50 ' + seconds(now.journal.commitP50Seconds)
      + ', p99 ' + seconds(now.journal.commitP99Seconds) }),
      now.notifications ? el('p', { text: 'Notifications: ' + now.notifications.sent + ' sent, ' + now.notifications.pending
        + ' pending, ' + now.notifications.givenUp + ' given up' }) : '',
      el('p', { class: 'hint' }, 'Prometheus can scrape the same figures at ', el('a', { href: '/metrics', text: '/metrics' }), '.'));
    samples.push({ t, m: now });
  };

  render(await get('/api/metrics/summary'));
  renderCluster(await get('/api/cluster'));
  let stopped = false;
  const timer = setInterval(() => {
    get('/api/metrics/summary').then(m => { if (!stopped) render(m); }).catch(e => { if (!stopped) onError(e); });
    get('/api/cluster').then(c => { if (!stopped) renderCluster(c); }).catch(e => { if (!stopped) onError(e); });
  }, POLL_MS);
  return () => { stopped = true; clearInterval(timer); };
}
