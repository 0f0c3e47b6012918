// The /triggers view: the schedules and event triggers (GET /api/triggers) with their state,
// when they fire in words, next and last firing (a link to the run it started), the run going
// now, queued firings and their runs counted as they ended; for operators a form that creates a
// trigger (its schedule previewed as it is typed: words and next five times, or the parser's
// message), Run now, Pause/Resume and Delete.
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
      + ' Runs are counted by how they ended, from the journal; firings since the server started.'
      + (may('operator') ? '' : ' Pausing, resuming and deleting need the operator role. So do creating a trigger and running one now.') }),
    body));
  if (may('operator')) view.append(createForm({ notify, created: () => refresh(true) }));

  const rows = new Map();
  const tbody = el('tbody');
  const table = el('table', { class: 'runs triggers' },
    el('thead', {}, el('tr', {}, ['Trigger', 'When', 'State', 'Next firing', 'Last firing', 'Running now', 'Queued', 'Runs', 'Actions']
      .map(h => el('th', { scope: 'col', text: h })))), tbody);
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
      const text = node.dataset.next ? nextText(node.dataset.at) : relative(node.dataset.at);
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
      const runNow = el('button', { type: 'button', class: 'run-now', text: 'Run now', 'aria-label': 'Run now ' + name });
      runNow.addEventListener('click', () => run(runNow, async () => {
        const started = await post(path + '/run');
        notify('Started run ' + started.runId + ' of the trigger “' + name + '”.', 'ok');
        await refresh(true);
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
      tr.append(el('td', { class: 'actions-cell' }, el('div', { class: 'actions' }, runNow, toggle, remove)));
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
      clear(nextCell).append(...next(t));
      clear(lastCell).append(...(t.lastFiredAt ? when(t.lastFiredAt) : ['never']),
        t.lastRunId ? el('div', {}, el('a', { class: 'last-run', href: '/runs/' + encodeURIComponent(t.lastRunId), text: t.lastRunId })) : '');
      clear(runningCell).append(t.runningRunId
        ? el('a', { class: 'running-run', href: '/runs/' + encodeURIComponent(t.runningRunId), text: t.runningRunId }) : '—');
      queuedCell.textContent = String(t.queued || 0);
      // The runs as they ended (not whether a firing was accepted); the firings that started no run below.
      const r = t.runs || {};
      const f = t.firings || {};
      const n = (what, value, title, label) => el('span', { class: 'n', title }, el('span', { class: what + (what === 'failed' && value ? ' error' : ''),
        text: String(value || 0) }), ' ' + (label || what));
      clear(firingsCell).append(n('started', r.started, 'runs its firings started'), ' · ', n('running', r.running, 'still going'),
        ' · ', n('succeeded', r.succeeded, 'ended SUCCEEDED'), ' · ', n('failed', r.failed, 'ended FAILED'),
        r.cancelled ? [' · ', n('cancelled', r.cancelled, 'ended CANCELLED')] : [],
        el('div', { class: 'hint' }, n('skipped', f.skipped, 'firings skipped by the overlap policy'), ' · ',
          n('unstarted', f.failed, 'firings that could not start a run (e.g. its playbook is gone)', 'could not start')));
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
  const refresh = (after) => {
    if (inflight && after) return inflight.then(() => refresh()); // an action's effect: a list asked for after it
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

/**
 * What the trigger waits for: "every 1 s"; a cron schedule in words ("at 09:00 on weekdays", from the
 * server) over its expression and zone; or "event".
 */
function kindOf(t) {
  if (t.schedule) {
    const s = t.schedule;
    if (s.cron) {
      return [el('span', { class: 'spec words', title: s.cron, text: t.description || s.cron }),
        el('div', { class: 'hint' }, 'cron ', el('code', { class: 'cron', text: s.cron }), ' (' + (s.timeZone || 'UTC') + ')'),
        el('div', { class: 'hint', text: 'catch-up ' + s.catchUp + ' · overlap ' + s.overlap })];
    }
    return [el('span', { class: 'spec', title: s.every, text: 'every ' + interval(s.every) }),
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

/**
 * The next firing, truthfully: "paused"; "due now" when its time has come (the server says so, or the
 * time passed since the list came), with what it waits for (queued behind the running run); else
 * when, both ways. Never a next firing "10 s ago".
 */
function next(t) {
  if (t.paused) return [el('span', { class: 'paused-next', text: 'paused' })];
  if (!t.nextFireAt) return [t.kind === 'event' ? 'on each event' : '—'];
  const why = t.queued ? el('div', { class: 'hint queued-why', text: t.queued + ' queued behind the running run' }) : '';
  if (t.due) {
    return [el('time', { datetime: t.nextFireAt, class: 'due', text: 'due now' }),
      el('div', { class: 'hint abs', text: 'since ' + new Date(t.nextFireAt).toLocaleString() }), why];
  }
  return [el('time', { datetime: t.nextFireAt, 'data-at': t.nextFireAt, 'data-next': '1', text: nextText(t.nextFireAt) }),
    el('div', { class: 'hint abs', text: new Date(t.nextFireAt).toLocaleString() }), why];
}

/** A next firing's time relative to now: "in 4 s", or "due now" once it has come (until the next poll says more). */
function nextText(iso) {
  return Date.parse(iso) <= Date.now() ? 'due now' : relative(iso);
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

// ---- creating a trigger

/** How long typing pauses before the schedule is previewed. */
const PREVIEW_DELAY_MS = 250;

/**
 * The form that creates a trigger (operators): name, goal, a schedule (cron in a time zone, or an
 * interval) or an event, what it runs (a playbook, or a plan as JSON) with its input. The schedule
 * is checked as it is typed (POST /api/triggers/preview): its words and next five times, or the
 * parser's message. The server checks the whole definition again on create; its refusal is shown
 * and nothing is created.
 */
function createForm({ notify, created }) {
  let seq = 0;
  let timer = 0;
  const field = (label, input, hint) => {
    input.id = input.id || 'trigger-' + label.toLowerCase().replace(/[^a-z]+/g, '-').replace(/-$/, '');
    return el('div', { class: 'field' }, el('label', { for: input.id, text: label }), input,
      hint ? el('div', { class: 'hint', text: hint }) : '');
  };
  const choice = (values, selected) => el('select', {}, values.map(([value, text]) => el('option', { value, selected: value === selected, text })));

  const name = el('input', { type: 'text', id: 'trigger-name', required: true, maxlength: 100, autocomplete: 'off',
    pattern: '[A-Za-z0-9][A-Za-z0-9._\\-]*', placeholder: 'nightly-report' });
  const goal = el('input', { type: 'text', id: 'trigger-goal', required: true, placeholder: 'write the nightly report' });
  const kind = choice([['cron', 'Schedule: cron expression'], ['every', 'Schedule: every interval'], ['event', 'Event (webhook)']], 'cron');
  kind.id = 'trigger-kind';
  const cron = el('input', { type: 'text', id: 'trigger-cron', autocomplete: 'off', spellcheck: 'false', value: '0 0 9 * * MON-FRI' });
  const zone = el('input', { type: 'text', id: 'trigger-zone', autocomplete: 'off', spellcheck: 'false', value: localZone() });
  const every = el('input', { type: 'text', id: 'trigger-every', autocomplete: 'off', spellcheck: 'false', value: 'PT5M' });
  const overlap = choice([['allow', 'allow'], ['skip', 'skip'], ['queue', 'queue']], 'allow');
  overlap.id = 'trigger-overlap';
  const catchUp = choice([['skip', 'skip'], ['latest', 'latest'], ['all', 'all']], 'skip');
  catchUp.id = 'trigger-catch-up';
  const secret = el('input', { type: 'password', id: 'trigger-secret', autocomplete: 'new-password' });
  const runs = choice([['plan', 'A plan (JSON)'], ['playbook', 'A playbook']], 'plan');
  runs.id = 'trigger-runs';
  const playbook = el('select', { id: 'trigger-playbook' });
  const plan = el('textarea', { id: 'trigger-plan', rows: 5, spellcheck: 'false' });
  plan.value = '{"tasks": [{"id": "say", "tool": "echo", "args": {"text": "hello"}}]}';
  const input = el('textarea', { id: 'trigger-input', rows: 2, spellcheck: 'false' });
  input.value = '{}';

  const preview = el('div', { id: 'trigger-preview', class: 'preview', 'aria-live': 'polite' });
  const problem = el('p', { class: 'error form-error', role: 'alert', hidden: true });
  const submit = el('button', { type: 'submit', text: 'Create trigger' });

  const cronFields = el('div', { class: 'row' }, field('Cron expression', cron,
    'six fields: second minute hour day-of-month month day-of-week, e.g. 0 */5 * * * *'), field('Time zone', zone));
  const everyFields = el('div', { class: 'row' }, field('Every', every, 'an ISO-8601 duration, at least PT1S: PT30S, PT5M, PT1H'));
  const scheduleFields = el('div', {}, cronFields, everyFields, preview,
    el('div', { class: 'row' }, field('Overlap', overlap, 'a firing while the previous run still goes'), field('Catch-up', catchUp, 'firings missed while the server was down')));
  const eventFields = el('div', {}, field('Secret', secret, 'optional, 16+ characters: events must then be signed with it (Standard Webhooks); without one, events need an operator\'s token'));
  const planField = field('Plan (JSON)', plan);
  const playbookField = field('Playbook', playbook);

  const form = el('form', { id: 'trigger-form', class: 'trigger-form', novalidate: true },
    el('div', { class: 'row' }, field('Name', name, 'letters, digits, . _ -'), field('Goal', goal)),
    field('Starts runs', kind),
    scheduleFields, eventFields,
    field('Each run runs', runs), planField, playbookField,
    field('Input (JSON)', input),
    problem, submit);
  const section = el('details', { id: 'new-trigger', class: 'card new-trigger' },
    el('summary', {}, el('h2', { class: 'summary-title', text: 'New trigger' })), form);

  function shown() {
    const k = kind.value;
    scheduleFields.hidden = k === 'event';
    cronFields.hidden = k !== 'cron';
    everyFields.hidden = k !== 'every';
    eventFields.hidden = k !== 'event';
    planField.hidden = runs.value !== 'plan';
    playbookField.hidden = runs.value !== 'playbook';
  }

  function schedule() {
    return kind.value === 'cron' ? { cron: cron.value.trim(), timeZone: zone.value.trim() || 'UTC' } : { every: every.value.trim() };
  }

  /** Asks for the preview of the schedule as it is now; an answer to an older question is dropped. */
  async function check() {
    clearTimeout(timer);
    if (kind.value === 'event') { clear(preview); return; }
    const asked = ++seq;
    const s = schedule();
    if (!(s.cron || s.every)) { clear(preview); return; }
    try {
      const answer = await post('/api/triggers/preview', s);
      if (asked !== seq) return;
      clear(preview).append(el('p', { class: 'words' }, el('strong', { text: answer.description }),
          answer.timeZone ? ' (' + answer.timeZone + ')' : ''),
        answer.next.length ? el('p', { class: 'hint', text: 'Next ' + answer.next.length + ' times, in your local time:' }) : '',
        el('ol', { class: 'next-times' }, answer.next.map(at => el('li', {},
          el('time', { datetime: at, title: at, text: new Date(at).toLocaleString() })))));
      preview.dataset.state = 'ok';
    } catch (e) {
      if (asked !== seq) return;
      clear(preview).append(el('p', { class: 'error preview-error', text: e.message }));
      preview.dataset.state = 'error';
    }
  }
  const later = () => { problem.hidden = true; clearTimeout(timer); timer = setTimeout(check, PREVIEW_DELAY_MS); };
  for (const node of [cron, zone, every]) node.addEventListener('input', later);
  kind.addEventListener('change', () => { shown(); check(); });
  runs.addEventListener('change', shown);

  function definition() {
    const body = { name: name.value.trim(), goal: goal.value.trim() };
    if (kind.value === 'event') {
      body.event = secret.value ? { secret: secret.value } : {};
    } else {
      body.schedule = Object.assign(schedule(), { overlap: overlap.value, catchUp: catchUp.value });
    }
    if (runs.value === 'playbook') body.playbook = playbook.value;
    else body.plan = parsed(plan.value, 'the plan');
    const given = input.value.trim();
    if (given) body.input = parsed(given, 'the input');
    return body;
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    problem.hidden = true;
    submit.disabled = true;
    try {
      const made = await post('/api/triggers', definition());
      notify('Created the trigger “' + made.name + '”' + (made.description ? ': ' + made.description : '') + '.', 'ok');
      name.value = '';
      goal.value = '';
      created();
    } catch (e) {
      problem.textContent = e.message;
      problem.hidden = false;
    } finally {
      submit.disabled = false;
    }
  });

  // The playbooks to choose from, once the form is first opened.
  section.addEventListener('toggle', async () => {
    if (!section.open || playbook.dataset.loaded) return;
    playbook.dataset.loaded = '1';
    try {
      const list = await get('/api/playbooks');
      playbook.append(...list.map(p => el('option', { value: p.name, text: p.name + (p.description ? ' — ' + p.description : '') })));
      if (!list.length) playbook.append(el('option', { value: '', text: '(no playbooks)' }));
    } catch (e) {
      playbook.append(el('option', { value: '', text: '(could not load the playbooks)' }));
    }
    check();
  });
  shown();
  return section;
}

/** JSON typed into the form, or an error that says which box holds what. */
function parsed(text, what) {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(what + ' is not JSON: ' + e.message);
  }
}

/** The browser's time zone, the one a person thinks in (UTC if it cannot tell). */
function localZone() {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch (e) {
    return 'UTC';
  }
}
