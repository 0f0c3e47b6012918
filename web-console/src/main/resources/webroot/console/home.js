// The home view on "/": the box for a new goal (with the playbooks to start from, each opening its
// input form), and the recent runs; with ?retry=<id>, that failed run's goal back for editing; with
// ?run=<id>, that run's conversation (chat.js).
import { get, post, ApiError } from './api.js';
import { el, clear } from './dom.js';
import { schemaForm, inputErrors } from './schema-form.js';
import { conversation } from './chat.js';

/**
 * Renders the home view into {@code view}. {@code may}, {@code act}, {@code failed}, {@code go} and
 * {@code me} are app.js's; {@code runTable(runs)} draws the recent runs; {@code onDispose(fn)} sets
 * what leaving the view undoes.
 */
export async function homeView({ view, may, act, failed, go, me, runTable, onDispose }) {
  const chatRun = new URLSearchParams(location.search).get('run');
  if (chatRun) {
    const chat = conversation(chatRun, { may, act, failed, me, go });
    view.append(chat.node);
    onDispose(chat.dispose);
    await chat.start();
    return;
  }
  const goal = el('textarea', { id: 'goal', rows: 3, required: true, placeholder: 'What should be done?' });
  const input = el('textarea', { id: 'input', rows: 3, placeholder: '{"key": "value"}', spellcheck: 'false' });
  const inputLabel = el('label', { for: 'input', text: 'Input (JSON object)' });
  const plan = el('textarea', { id: 'plan', rows: 8, placeholder: '{"tasks": [{"id": "hello", "tool": "echo", "args": {"text": "hello"}}]}', spellcheck: 'false' });
  const planApproval = el('input', { id: 'plan-approval', type: 'checkbox' });
  const formError = el('p', { class: 'error', role: 'alert' });
  const modelInfo = el('div', { class: 'model-info' });
  const retryNote = el('div');
  // The input form of the playbook chosen (a suggestion, or the playbook a failed run used): see schema-form.js
  const playbookBox = el('div', { class: 'playbook-input', 'aria-live': 'polite' });
  let chosen = null; // { playbook, form }
  let continues = null; // a retried follow-up keeps its link
  let playbooks = null;
  const loadPlaybooks = async () => playbooks || (playbooks = await get('/api/playbooks'));

  /** Shows the input form of playbook {@code p} (null: none, back to free JSON input), filled with {@code values}. */
  const choosePlaybook = (p, values) => {
    clear(playbookBox);
    chosen = null;
    input.hidden = inputLabel.hidden = !!p;
    if (!p) return;
    const sf = schemaForm(p.input || {}, { values, legend: 'Input for the playbook “' + p.name + '”' });
    chosen = { playbook: p, form: sf };
    playbookBox.append(el('section', { class: 'schema-card', 'data-playbook': p.name },
      p.description ? el('p', { class: 'hint', text: p.description }) : null,
      sf.node,
      el('p', { class: 'hint' }, 'Fields marked * are required. ',
        el('button', { type: 'button', class: 'link', text: 'Do not use this playbook', onclick: () => choosePlaybook(null) }))));
  };

  const form = el('form', { class: 'card', id: 'start-run', novalidate: true },
    el('h1', { text: 'What should Baton do?' }),
    retryNote,
    modelInfo,
    el('label', { for: 'goal', text: 'Goal' }), goal,
    el('p', { class: 'field-error', id: 'goal-error', hidden: true }),
    playbookBox,
    el('details', {}, el('summary', { text: 'Input and plan (optional JSON)' }),
      inputLabel, input,
      el('label', { for: 'plan', text: 'Plan (JSON; runs as given, no planner)' }), plan),
    el('p', {}, planApproval, el('label', { for: 'plan-approval', class: 'inline', text: ' Let me approve the plan before it runs' })),
    formError,
    el('button', { type: 'submit', text: 'Start run' }));
  const goalError = form.querySelector('#goal-error');
  form.addEventListener('input', () => { formError.textContent = ''; });
  goal.setAttribute('aria-describedby', 'goal-error');
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    formError.textContent = '';
    goalError.hidden = true;
    goal.removeAttribute('aria-invalid');
    const body = { goal: goal.value.trim() };
    let problems = false;
    if (!body.goal) {
      goalError.textContent = 'Say in words what the run is for.';
      goalError.hidden = false;
      goal.setAttribute('aria-invalid', 'true');
      problems = true;
    }
    if (chosen) {
      const { value, errors } = chosen.form.read();
      if (errors.size) problems = true;
      else body.input = value;
    }
    if (problems) {
      formError.textContent = 'Nothing was sent: some fields need attention.';
      if (!body.goal) goal.focus(); else chosen.form.focusFirstError();
      return;
    }
    try {
      if (!chosen && input.value.trim()) body.input = JSON.parse(input.value);
      if (plan.value.trim()) body.plan = JSON.parse(plan.value);
    } catch (e) {
      formError.textContent = 'Not valid JSON: ' + e.message;
      return;
    }
    // A goal typed here is a chat goal: the server writes it an answer unless BATON_ANSWER_CHAT_GOALS is false.
    const options = { chat: true };
    if (planApproval.checked) options.planApproval = true;
    if (chosen && !body.plan) options.playbook = chosen.playbook.name;
    body.options = options;
    if (continues) body.continues = continues;
    const button = form.querySelector('button[type=submit]');
    button.disabled = true;
    try {
      const run = await post('/api/runs', body);
      go('/?run=' + encodeURIComponent(run.id)); // the conversation
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) failed(e);
      else {
        // A refused request leaves everything as typed: fix what it says and start again.
        formError.textContent = e.message;
        if (chosen && e.code === 'input_invalid') formError.textContent = chosen.form.showErrors(inputErrors(e.message).errors).join(' ') || e.message;
      }
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
    await loadPlaybooks();
    if (playbooks.length) {
      // A suggestion fills the goal and opens its playbook's input form: the run starts with what it needs.
      modelInfo.append(el('p', { text: 'Playbooks:' }), el('ul', { class: 'playbooks' }, playbooks.map(p =>
        el('li', {}, el('strong', { text: p.name }), ' — ', p.description || '', ' ',
          p.goals && p.goals.length ? el('button', { type: 'button', class: 'link', text: 'Use “' + p.goals[0] + '”',
            onclick: () => { goal.value = p.goals[0]; choosePlaybook(p); goal.focus(); } }) : null))));
    }
  } else {
    modelInfo.append(el('p', { class: 'hint', text: 'Model: ' + health.model.name }));
  }
  recent.append(runTable(runs.runs));
  const retry = new URLSearchParams(location.search).get('retry');
  if (retry && may('operator')) await prefill(retry);

  /**
   * Edit and retry: the goal, input and options of run {@code runId} (one that failed) come back
   * editable, with the fields its error names marked; starting makes a new run, the failed one stays.
   */
  async function prefill(runId) {
    const old = await get('/api/runs/' + encodeURIComponent(runId));
    goal.value = old.goal || '';
    const opts = old.options || {};
    planApproval.checked = opts.planApproval === true;
    continues = old.continues || null;
    const failure = old.error || null;
    const parsed = failure && failure.code === 'input_invalid' ? inputErrors(failure.message) : { playbook: null, errors: new Map() };
    const source = old.plan && old.plan.source && old.plan.source.startsWith('playbook:') ? old.plan.source.slice('playbook:'.length) : null;
    const name = opts.playbook || source || parsed.playbook;
    const p = name ? (await loadPlaybooks()).find(x => x.name === name) : null;
    const given = old.input && Object.keys(old.input).length ? old.input : null;
    if (p) {
      choosePlaybook(p, given || {});
      const rest = chosen.form.showErrors(parsed.errors);
      if (rest.length) formError.textContent = rest.join(' ');
    } else if (given) {
      input.value = JSON.stringify(given, null, 2);
      input.closest('details').open = true;
    }
    clear(retryNote).append(el('div', { class: 'retry-note', 'data-retry-of': old.id },
      el('p', {}, 'Editing the goal of run ', el('a', { href: '/?run=' + encodeURIComponent(old.id), text: old.id }),
        ' (' + old.status + '). Starting makes a new run; that one stays in the history.'),
      failure ? el('p', { class: 'error', text: failure.code + ': ' + failure.message }) : null,
      continues ? el('p', { class: 'hint' }, 'The new run continues run ', el('a', { href: '/?run=' + encodeURIComponent(continues), text: continues }), ' as that one did.') : null));
    goal.focus();
  }
}
