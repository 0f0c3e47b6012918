// The API client: JSON over fetch, with the bearer token (if the server wants one) from sessionStorage.
const TOKEN_KEY = 'baton.token';

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function setToken(value) {
  if (value) sessionStorage.setItem(TOKEN_KEY, value);
  else sessionStorage.removeItem(TOKEN_KEY);
}

export async function api(method, path, body) {
  const headers = { 'Accept': 'application/json' };
  const t = token();
  if (t) headers['Authorization'] = 'Bearer ' + t;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch (e) { json = null; }
  if (!response.ok) {
    const err = json && json.error ? json.error : {};
    throw new ApiError(response.status, err.code || 'http_' + response.status, err.message || response.statusText);
  }
  return json;
}

export const get = (path) => api('GET', path);
export const post = (path, body) => api('POST', path, body === undefined ? {} : body);

/** An EventSource on an event stream; EventSource cannot send headers, so the token goes as a parameter. */
export function eventSource(path) {
  const t = token();
  return new EventSource(t ? path + (path.includes('?') ? '&' : '?') + 'access_token=' + encodeURIComponent(t) : path);
}

/** Every event type the server sends (the SSE "event:" field); EventSource needs a listener per type. */
export const EVENT_TYPES = ['RunCreated', 'PlanProposed', 'PlanAccepted', 'RunSucceeded', 'RunFailed', 'RunCancelled',
  'RunReopened', 'ReplanStarted', 'ReplanFailed', 'ModelUsed', 'UserMessage', 'TaskReady', 'ApprovalRequested',
  'ApprovalDecided', 'ApprovalExpired', 'ApprovalEscalated', 'TaskStarted', 'TaskSucceeded', 'TaskAttemptFailed',
  'TaskSkipped', 'TaskCancelled', 'TaskRetryRequested', 'AgentModelCalled', 'AgentToolCalled',
  'FallbackStarted', 'FallbackSucceeded', 'FallbackAttemptFailed', 'RunUnwinding', 'CompensationStarted',
  'CompensationSucceeded', 'CompensationAttemptFailed', 'CompensationFailed', 'CompensationRetryRequested',
  'AnswerWritten', 'AnswerFailed', 'message'];
