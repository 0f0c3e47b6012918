// Following one run live: its event stream (resumed with Last-Event-ID after a drop) and its
// state, refetched as events arrive. Shared by the chat and the run view.
import { get, post, eventSource, EVENT_TYPES } from './api.js';
import { el, FINISHED } from './dom.js';

const END_TYPES = new Set(['RunSucceeded', 'RunFailed', 'RunCancelled', 'CompensationFailed']);

/**
 * Follows run {@code runId}: {@code onEvent(event)} once per event, in order, from the first, none
 * skipped (a gap in the seqs reopens the stream from the last one delivered);
 * {@code onRun(run)} with the run as GET returns it, after events (coalesced: at most one GET in
 * flight and one queued, however many events arrive meanwhile); {@code onError(e)} when a GET fails.
 * Returns { refresh, listen, stop }: refresh() settles once a fetch begun after the call is applied;
 * listen() reopens the stream after it ended (a retry reopens a finished run).
 */
export function followRun(runId, { onEvent, onRun, onError }) {
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
      finished = FINISHED.has(run.status);
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
      if (END_TYPES.has(event.type)) stopListening();
    };
    for (const type of EVENT_TYPES) source.addEventListener(type, handle);
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
