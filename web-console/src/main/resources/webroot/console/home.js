// The home view on "/": the box for a new goal (with the playbooks to start from) and the recent
// runs, or, with ?run=<id>, that run's conversation (chat.js).
import { get, post, ApiError } from './api.js';
import { el } from './dom.js';
import { conversation } from './chat.js';

/**
 * Renders the home view into {@code view}. {@code may}, {@code act}, {@code failed}, {@code go} and
 * {@code me} are app.js's; {@code runTable(runs)} draws the recent runs; {@code onDispose(fn)} sets
 * what leaving the view undoes.
 */
export async function homeView({ view, may, act, failed, go, me, runTable, onDispose }) {
  const chatRun = new URLSearchParams(location.search).get('run');
  if (chatRun) {
    const chat = conversation(chatRun, { may, act, failed, me });
    view.append(chat.node);
    onDispose(chat.dispose);
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
    if (planApproval.checked) body.options = { planApproval: true };
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
