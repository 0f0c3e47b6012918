// Plan versions and what changed between two of them. A run's PlanProposed and PlanAccepted events carry each version's
// whole plan (version 1, then one more per replan or edited approval), so the console reads the
// versions from the run's event stream; nothing else is needed from the server.
// Items carry data-diff-task, not data-task-id: that attribute marks the task list (README, tests).
import { el, json } from './dom.js';

/**
 * [{version, tasks, at}] in version order, from the run's events: PlanProposed and PlanAccepted, the last
 * of a version winning (a plan approved with edits is accepted as the next version, never proposed).
 */
export function planVersions(events) {
  const byVersion = new Map();
  for (const e of [...events].sort((a, b) => a.seq - b.seq)) {
    if ((e.type !== 'PlanAccepted' && e.type !== 'PlanProposed') || !e.data || !e.data.plan) continue;
    byVersion.set(e.data.version, { version: e.data.version, tasks: e.data.plan.tasks || [], at: e.at });
  }
  return [...byVersion.values()].sort((a, b) => a.version - b.version);
}

const FIELDS = [['title', 'title'], ['tool', 'tool'], ['agent', 'agent'], ['args', 'arguments'], ['dependsOn', 'dependencies'],
  ['instruction', 'instruction'], ['wait', 'wait'], ['when', 'when']];

function value(task, field) {
  const v = task[field];
  if (field === 'dependsOn') return JSON.stringify([...(v || [])].sort());
  return v === undefined || v === null ? '' : JSON.stringify(v);
}

/** {added: [task], removed: [task], changed: [{task, fields: [{name, before, after}]}], kept: n}, by task id. */
export function diffPlans(before, after) {
  const old = new Map(before.map(t => [t.id, t]));
  const now = new Map(after.map(t => [t.id, t]));
  const result = { added: [], removed: [], changed: [], kept: 0 };
  for (const t of after) {
    const o = old.get(t.id);
    if (!o) { result.added.push(t); continue; }
    const fields = FIELDS.filter(([f]) => value(o, f) !== value(t, f)).map(([f, name]) => ({ name, before: o[f], after: t[f] }));
    if (fields.length) result.changed.push({ task: t, fields }); else result.kept++;
  }
  for (const t of before) if (!now.has(t.id)) result.removed.push(t);
  return result;
}

const show = (v) => v === undefined || v === null || v === '' ? '—' : typeof v === 'string' ? v : json(v);

function taskLine(t) {
  return [el('code', { text: t.id }), ' ', t.title || '', t.tool ? ' · tool ' + t.tool : t.agent ? ' · agent ' + t.agent : ''];
}

/** The diff between version {@code n - 1} and {@code n} of {@code versions}, as a list. */
export function planDiffView(versions, n) {
  const i = versions.findIndex(v => v.version === n);
  if (i < 1) return el('p', { class: 'hint', text: 'Version ' + n + ' is the first plan.' });
  const before = versions[i - 1];
  const d = diffPlans(before.tasks, versions[i].tasks);
  const section = (kind, title, items) => items.length ? el('div', { class: 'diff-' + kind },
    el('h3', { text: title + ' (' + items.length + ')' }), el('ul', {}, items)) : null;
  return el('div', { class: 'plan-diff', 'data-from': before.version, 'data-to': n },
    el('p', { class: 'hint', text: 'Version ' + before.version + ' → ' + n + ': ' + d.added.length + ' added, ' + d.removed.length + ' removed, '
      + d.changed.length + ' changed, ' + d.kept + ' unchanged.' }),
    section('added', 'Added', d.added.map(t => el('li', { class: 'added', 'data-diff-task': t.id }, '+ ', taskLine(t)))),
    section('removed', 'Removed', d.removed.map(t => el('li', { class: 'removed', 'data-diff-task': t.id }, '− ', taskLine(t)))),
    section('changed', 'Changed', d.changed.map(c => el('li', { class: 'changed', 'data-diff-task': c.task.id }, '~ ', taskLine(c.task),
      el('dl', {}, c.fields.map(f => [el('dt', { text: f.name }),
        el('dd', {}, el('del', { text: show(f.before) }), ' → ', el('ins', { text: show(f.after) }))]))))));
}
