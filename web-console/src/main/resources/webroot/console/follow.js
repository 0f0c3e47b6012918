// Following one run live: its event stream (resumed with Last-Event-ID after a drop) and its
// state, refetched as events arrive. Shared by the chat and the run view.
import { get, post, eventSource, EVENT_TYPES } from './api.js';
import { el, clear, FINISHED } from './dom.js';
import { markdown } from './markdown.js';

const END_TYPES = new Set(['RunFailed', 'RunCancelled', 'CompensationFailed', 'AnswerWritten', 'AnswerFailed']);

/** Whether the server ends a run's stream after {@code event}: the run's end, or its answer's end when it asked for one. */
function endsStream(event) {
  if (event.type === 'RunSucceeded') return !(event.data && event.data.answering);
  return END_TYPES.has(event.type);
}

/** Whether a run as GET returns it will send no more events: finished, and no answer being written. */
function settled(run) {
  return FINISHED.has(run.status) && run.answerStatus !== 'WRITING';
}

/**
 * Follows run {@code runId}: {@code onEvent(event)} once per event, in order, from the first, none
 * skipped (a gap in the seqs reopens the stream from the last one delivered);
 * {@code onRun(run)} with the run as GET returns it, after events (coalesced: at most one GET in
 * flight and one queued, however many events arrive meanwhile); {@code onError(e)} when a GET fails;
 * {@code onDelta(event)} for each AnswerDelta (a piece of the run's answer as a model writes it: not
 * journaled, no seq, so a reconnect may miss some; the AnswerWritten event after them has the whole text).
 * Returns { refresh, listen, stop }: refresh() settles once a fetch begun after the call is applied;
 * listen() reopens the stream after it ended (a retry reopens a finished run).
 */
export function followRun(runId, { onEvent, onRun, onError, onDelta }) {
  let lastSeq = 0; // every event up to this seq was delivered (a run's seqs are 1, 2, 3, ...)
  let gapAsked = 0; // the seq a stream was reopened for, once: a gap it does not fill is accepted
  let source = null;
  let gone = false;
  let finished = false;
  let inflight = null;
  let queued = null;
  let fetchedSeq = -1; // the run's lastSeq in the last GET applied: events up to it are in it already
  let retryDelay = 1000; // before reopening a stream the server refused; doubles up to 15 s

  const load = async () => {
    try {
      const run = await get('/api/runs/' + encodeURIComponent(runId));
      if (gone) return;
      finished = settled(run);
      if (typeof run.lastSeq === 'number') fetchedSeq = Math.max(fetchedSeq, run.lastSeq);
      onRun(run);
      if (!finished) listen();
    } catch (e) {
      if (!gone) onError(e);
    }
  };
  const refresh = () => {
    if (!inflight) {
      inflight = load().finally(() => { inflight = null; });
      return inflight;
    }
    if (!queued) queued = inflight.then(() => { queued = null; return refresh(); });
    return queued;
  };
  const stopListening = () => {
    if (source) source.close();
    source = null;
  };
  const listen = () => {
    if (source || gone) return;
    source = eventSource('/api/runs/' + encodeURIComponent(runId) + '/events' + (lastSeq ? '?lastEventId=' + lastSeq : ''));
    const handle = (msg) => {
      let event;
      try { event = JSON.parse(msg.data); } catch (e) { return; }
      if (event.type === 'AnswerDelta') { // news only: no seq, nothing to refetch
        if (onDelta) onDelta(event);
        return;
      }
      if (event.seq > lastSeq + 1 && gapAsked !== lastSeq + 1) {
        // An event is missing (a stream cut and resumed past it, say): read again from the last
        // one delivered, so that the conversation and the timeline have every event, in order.
        gapAsked = lastSeq + 1;
        stopListening();
        listen();
        return;
      }
      if (event.seq > lastSeq) {
        lastSeq = event.seq;
        onEvent(event);
      }
      // Opening a big run replays hundreds of events the first GET already holds: no refetch for them.
      if (event.seq > fetchedSeq) refresh();
      // The server ends the stream after the event that ends the run; a retry opens a new one.
      if (endsStream(event)) stopListening();
    };
    for (const type of EVENT_TYPES) source.addEventListener(type, handle);
    source.addEventListener('AnswerDelta', handle);
    const mine = source;
    mine.addEventListener('open', () => { retryDelay = 1000; });
    // EventSource reconnects by itself (sending Last-Event-ID) after a dropped connection, unless
    // the run has finished. A stream the server refused (429 over a cap, 503 while its journal is
    // away) the browser closes for good: open it again later, from the last event delivered.
    mine.addEventListener('error', () => {
      if (finished) { stopListening(); return; }
      if (mine !== source || mine.readyState !== EventSource.CLOSED) return;
      stopListening();
      setTimeout(() => { if (!gone && !finished) listen(); }, retryDelay);
      retryDelay = Math.min(retryDelay * 2, 15000);
    });
  };
  return {
    refresh,
    listen,
    stop: () => { gone = true; stopListening(); }
  };
}

/**
 * The form that sends a run a follow-up message (POST /api/runs/{id}/messages); the chat and the
 * run view each show one. {@code act} runs the request with the button disabled and errors shown.
 * {@code send(text)}, when given, sends the text some other way (the chat's follow-up after a run
 * ended starts a new run); the text is kept if sending fails.
 */
export function messageForm(runId, { label, formClass, act, autocomplete, send }) {
  const text = el('input', { id: 'message', type: 'text', required: true, autocomplete: autocomplete || 'on' });
  const form = el('form', { class: formClass }, el('label', { for: 'message', text: label }), text,
    el('button', { type: 'submit', text: 'Send' }));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    act(form.querySelector('button'), async () => {
      if (send) await send(text.value);
      else await post('/api/runs/' + encodeURIComponent(runId) + '/messages', { text: text.value });
      text.value = '';
    });
  });
  return form;
}

/**
 * A run's answer as it arrives, as safe Markdown (markdown.js): {@code piece(text, index)} adds a
 * piece that streamed (AnswerDelta; one missed, as when the page opened mid-answer, shows "Writing
 * the answer…" until the whole text comes), {@code written(text)} sets the whole answer (AnswerWritten, or the
 * run's result.answer), {@code failed(message)} says why there is none. Rendering waits for the next
 * frame, so a burst of pieces costs one render. The node carries {@code data-answer-status}:
 * WRITING, WRITTEN or FAILED. Shared by the chat and the run view.
 */
export function answerView() {
  const body = el('div', { class: 'answer-text' });
  const node = el('div', { class: 'answer', 'data-answer-status': 'WRITING', 'aria-busy': 'true' }, body);
  let text = '';
  let final = false;
  let frame = 0;
  let next = 0; // the index of the piece expected next
  let gap = false; // a piece was missed (the page opened mid-answer): wait for the whole text
  const render = () => {
    frame = 0;
    clear(body).append(gap && !final ? el('p', { class: 'hint', text: 'Writing the answer…' }) : markdown(text));
  };
  const later = () => { if (!frame) frame = requestAnimationFrame(render); };
  return {
    node,
    piece(more, index) {
      if (final || !more) return;
      if (typeof index === 'number') {
        if (index !== next) gap = true;
        next = index + 1;
      }
      text += more;
      later();
    },
    written(whole) {
      final = true;
      text = whole || '';
      node.dataset.answerStatus = 'WRITTEN';
      node.removeAttribute('aria-busy');
      later();
    },
    failed(message) {
      final = true;
      node.dataset.answerStatus = 'FAILED';
      node.removeAttribute('aria-busy');
      if (!text) body.remove();
      node.append(el('p', { class: 'error answer-error', text: message }));
    },
    get status() { return node.dataset.answerStatus; }
  };
}

/**
 * The run's answer for the run view, from the run as GET returns it: the Markdown once written,
 * "Writing the answer…" while a model writes it, the reason when it failed; null when the run
 * asked for none.
 */
export function runAnswer(run) {
  const r = run.result || {};
  if (!run.answerStatus && typeof r.answer !== 'string' && !r.answerError) return null;
  const view = answerView();
  if (typeof r.answer === 'string') view.written(r.answer);
  else if (run.answerStatus === 'FAILED' || r.answerError) view.failed(r.answerError || 'The answer could not be written.');
  else view.node.append(el('p', { class: 'hint', text: 'Writing the answer…' }));
  return view.node;
}
