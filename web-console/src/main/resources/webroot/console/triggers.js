// The /triggers view: the schedules and event triggers (GET /api/triggers) with their state,
// next and last firing (a link to the run it started), the run going now, queued firings and
// counts; Pause/Resume and Delete for operators.
// Names, goals, specs and ids come from users: they go into the page as text only (dom.js).
import { get, post, api, token } from './api.js';
import { el, clear, age, placeAfter } from './dom.js';
import { isoMillis } from './tickets.js';

// Polled, like the dashboard: what changes here (next firing, counts, pause by someone else) is
// trigger state, which the run event stream does not carry.
const POLL_MS = 2000;

/**
 * Renders the view into ctx.view. ctx: { view, may(role), failed(error), notify(text, kind),
 * onDispose(fn) } from app.js.
 */
export async function triggersView(ctx) {
  const { view, may, failed, notify } = ctx;
  let gone = false;
  let timer = 0;
  // registered first: leaving the view while it still loads must stop it too
  ctx.onDispose(() => {
    gone = true;
    clearInterval(timer);
  });

  const body = el('div', { id: 'trigger-list' });
  const count = el('span', { class: 'count' });
  view.append(el('section', { class: 'card' },
    el('h1', {}, 'Triggers ', count),
    el('p', { class: 'hint', text: 'Schedules and webhooks that start runs by themselves. Updated every 2 s.'
      + (may('operator') ? '' : ' Pausing, resuming and deleting need the operator role.') }),
    body));

  const rows = new Map();
  const tbody = el('tbody');
  const table = el('table', { class: 'runs triggers' },
    el('thead', {}, el('tr', {}, ['Trigger', 'Kind', 'State', 'Next firing', 'Last firing', 'Running now', 'Queued', 'Firings', '']
      // the buttons' column is named for screen readers only
      .map(h => el('th', { scope: 'col' }, h || el('span', { class: 'visually-hidden', text: 'Actions' }))))), tbody);
  const empty = emptyState();

  function render(list) {
    count.textContent = list.length ? '(' + list.length + ')' : '';
    if (!list.length) { if (empty.parentNode !== body) clear(body).append(empty); }
    else if (table.parentNode !== body) clear(body).append(table);
    const names = new Set(list.map(t => t.name));
    for (const [name, row] of rows) if (!names.has(name)) { row.tr.remove(); rows.delete(name); }
    let prev = null;
    for (const t of list) {
      let row = rows.get(t.name);
      if (!row) { row = triggerRow(t.name); rows.set(t.name, row); }
      prev = placeAfter(tbody, prev, row.tr);
      row.update(t);
    }
    // relative times move on every poll even when nothing else changed; writing only the ones
    // that did spares a 1,000-row table a relayout per poll
    for (const node of tbody.querySelectorAll('[data-at]')) {
      const text = relative(node.dataset.at);
      if (node.textContent !== text) node.textContent = text;
    }
  }

  /** One trigger's row; its action buttons are built once, so keyboard focus survives the polls. */
  function triggerRow(name) {
    const tr = el('tr', { 'data-trigger': name });
    const cells = ['name', 'timing', 'state', 'next', 'last', 'running', 'queued', 'firings'].map(c => el('td', { class: c }));
    tr.append(...cells);
    let toggle = null;
    if (may('operator')) {
      const path = '/api/triggers/' + encodeURIComponent(name);
      toggle = el('button', { type: 'button', class: 'toggle' });
      toggle.addEventListener('click', () => run(toggle, async () => {
        const paused = tr.dataset.paused === 'true';
        const updated = await post(path + (paused ? '/resume' : '/pause'));
        epoch++;
        row.update(updated);
        notify((paused ? 'Resumed' : 'Paused') + ' the trigger “' + name + '”.', 'ok');
      }));
      const remove = el('button', { type: 'button', class: 'danger delete', text: 'Delete' });
      remove.addEventListener('click', () => {
        if (!confirm('Delete the trigger “' + name + '”? Runs it started go on.')) return;
        run(remove, async () => {
          await api('DELETE', path);
          epoch++;
          tr.remove();
          rows.delete(name);
          notify('Deleted the trigger “' + name + '”.', 'ok');
          await refresh();
        });
      });
      tr.append(el('td', { class: 'actions-cell' }, el('div', { class: 'actions' }, toggle, remove)));
    } else {
      tr.append(el('td'));
    }
    const row = { tr, update };

    function update(t) {
      const key = JSON.stringify(t);
      if (row.key === key) return; // unchanged: no DOM work (a write, even of the same text, costs a relayout)
      row.key = key;
      if (toggle) {
        toggle.textContent = t.paused ? 'Resume' : 'Pause';
        toggle.setAttribute('aria-label', (t.paused ? 'Resume ' : 'Pause ') + name);
      }
      tr.dataset.kind = t.kind;
      tr.dataset.paused = String(!!t.paused);
      const [nameCell, kindCell, stateCell, nextCell, lastCell, runningCell, queuedCell, firingsCell] = cells;
      clear(nameCell).append(el('strong', { class: 'name', text: t.name }),
        el('div', { class: 'hint goal', text: t.goal || '' }),
        el('div', { class: 'hint', text: t.playbook ? 'playbook ' + t.playbook : planSize(t.planTasks) }));
      clear(kindCell).append(...kindOf(t));
      clear(stateCell).append(el('span', { class: 'badge status-' + (t.paused ? 'paused' : 'active'), text: t.paused ? 'paused' : 'active' }));
      clear(nextCell).append(...(t.nextFireAt ? when(t.nextFireAt) : [t.kind === 'event' ? 'on each event' : '—']));
      clear(lastCell).append(...(t.lastFiredAt ? when(t.lastFiredAt) : ['never']),
        t.lastRunId ? el('div', {}, el('a', { class: 'last-run', href: '/runs/' + encodeURIComponent(t.lastRunId), text: t.lastRunId })) : '');
      clear(runningCell).append(t.runningRunId
        ? el('a', { class: 'running-run', href: '/runs/' + encodeURIComponent(t.runningRunId), text: t.runningRunId }) : '—');
      queuedCell.textContent = String(t.queued || 0);
      const f = t.firings || {};
      const n = (what, value, title) => el('span', { class: 'n', title }, el('span', { class: what + (what === 'failed' && value ? ' error' : ''),
        text: String(value || 0) }), ' ' + what);
      clear(firingsCell).append(n('started', f.started, 'runs started'), ' · ', n('skipped', f.skipped, 'skipped by the overlap policy'),
        ' · ', n('failed', f.failed, 'could not start their run'));
    }
    return row;
  }

  /** Runs a button's action with the button disabled; a failure is reported and the list reloaded. */
  async function run(button, action) {
    button.disabled = true;
    try {
      await action();
    } catch (e) {
      failed(e);
      refresh();
    } finally {
      button.disabled = false;
    }
  }

  // ---- loading: one request at a time; a poll that finds one in flight is skipped. A list
  // fetched before an action's answer is dropped (epoch), so a row does not flip back for a poll.
  let inflight = null;
  let epoch = 0;
  const refresh = () => {
    if (!inflight) {
      const asked = epoch;
      inflight = get('/api/triggers?view=summary').then(list => { if (!gone && asked === epoch) render(list); })
        .catch(e => { if (!gone) failed(e); })
        .finally(() => { inflight = null; });
    }
    return inflight;
  };

  render(await get('/api/triggers?view=summary'));
  if (gone) return;
  timer = setInterval(refresh, POLL_MS);
}

/** What the trigger waits for: "every 1 s", "cron 0 0 9 * * MON-FRI (Europe/Berlin)", or "event". */
function kindOf(t) {
  if (t.schedule) {
    const s = t.schedule;
    const head = s.cron ? ['cron ', el('code', { text: s.cron }), ' (' + (s.timeZone || 'UTC') + ')']
      : [el('span', { title: s.every, text: 'every ' + interval(s.every) })];
    return [el('span', { class: 'spec' }, head),
      el('div', { class: 'hint', text: 'catch-up ' + s.catchUp + ' · overlap ' + s.overlap })];
  }
  const e = t.event || {};
  const fields = Object.keys(e.inputMapping || {});
  return [el('span', { class: 'spec', text: 'event' }),
    el('div', { class: 'hint', text: (e.hasSecret ? 'signed' : 'operator token') + (fields.length ? ' · maps ' + fields.join(', ') : '') })];
}

/** An ISO-8601 interval as a person reads it: "PT1S" → "1 s", "PT1H30M" → "1 h 30 min". */
function interval(iso) {
  const ms = isoMillis(iso);
  if (ms === null) return String(iso);
  const parts = [];
  let s = Math.round(ms / 1000);
  for (const [unit, size] of [['d', 86400], ['h', 3600], ['min', 60], ['s', 1]]) {
    if (s >= size) { parts.push(Math.floor(s / size) + ' ' + unit); s %= size; }
  }
  return parts.join(' ') || ms + ' ms';
}

function planSize(n) {
  return n ? 'plan of ' + n + ' task' + (n === 1 ? '' : 's') : '';
}

/** A time both ways: relative ("in 4 s", "2 min ago"; refreshed each poll) over the absolute local time. */
function when(iso) {
  return [el('time', { datetime: iso, 'data-at': iso, text: relative(iso) }),
    el('div', { class: 'hint abs', text: new Date(iso).toLocaleString() })];
}

function relative(iso) {
  const ms = Date.parse(iso) - Date.now();
  if (ms <= 0) return age(iso);
  const s = Math.ceil(ms / 1000);
  if (s < 60) return 'in ' + s + ' s';
  if (s < 3600) return 'in ' + Math.round(s / 60) + ' min';
  if (s < 86400) return 'in ' + Math.round(s / 3600) + ' h';
  return 'in ' + Math.round(s / 86400) + ' d';
}

/** No triggers yet: how to make one. */
function emptyState() {
  const auth = token() ? " -H \"Authorization: Bearer $BATON_TOKEN\"" : '';
  const example = 'curl -s ' + location.origin + '/api/triggers' + auth + " -H 'Content-Type: application/json' -d '{\n"
    + '  "name": "hourly-report", "goal": "write the hourly report",\n'
    + '  "schedule": {"cron": "0 0 * * * *", "timeZone": "UTC"},\n'
    + '  "plan": {"tasks": [{"id": "report", "tool": "echo", "args": {"text": "report"}}]}\n'
    + "}'";
  return el('div', { class: 'empty' },
    el('p', { text: 'No triggers yet. A trigger starts runs on a schedule (cron or every N) or when an event is posted to it. Create one with the API:' }),
    el('pre', { class: 'example', text: example }),
    el('p', { class: 'hint' }, 'Event triggers (webhooks, signed as Standard Webhooks with a secret), catch-up and overlap are described in ',
      el('code', { text: 'docs/triggers.md' }), ' (the Triggers section of the README). ',
      'The list as JSON: ', el('a', { href: '/api/triggers', text: '/api/triggers' }), '.'));
}
