// A small fetch wrapper for the pbvote API: adds the bearer token, parses JSON and
// RFC 9457 problem details (application/problem+json) into ApiError. An error answer that is
// not problem details (a proxy's HTML "502 Bad Gateway" page, say) is never shown: the reader
// gets a plain message chosen by its status instead.

// The only text shown from here (translate with the pages).
export const API_TEXT = {
  failed: 'Something went wrong (error {status}). Please try again.',
  server: 'Something went wrong on our side (error {status}). Please try again in a minute.',
  busy: 'The service is busy or restarting. Please try again in a minute.',
  tooMany: 'Too many tries. Please wait a minute and try again.',
  network: 'We could not reach the server. Check your connection and try again.',
  timeout: 'The server took too long to answer. Check your connection and try again.',
};

/** A problem for an error answer that is not problem details: a plain message by status. */
function plainProblem(status) {
  if (status === 502 || status === 503 || status === 504) return { type: 'unavailable', detail: API_TEXT.busy };
  if (status === 429) return { type: 'rate-limited', detail: API_TEXT.tooMany };
  if (status >= 500) return { type: 'unknown', detail: API_TEXT.server.replace('{status}', status) };
  return { type: 'unknown', detail: API_TEXT.failed.replace('{status}', status) };
}

const TOKEN_KEY = 'pbvote.token';
const USER_KEY = 'pbvote.user';
export const API = '/api/v1';

export class ApiError extends Error {
  constructor(status, problem = {}) {
    super(problem.detail || problem.title || API_TEXT.failed.replace('{status}', status));
    this.name = 'ApiError';
    this.status = status;
    this.problem = problem;
    // "urn:pbvote:problem:invalid-field" → "invalid-field"
    this.type = String(problem.type || (status === 0 ? 'network' : 'unknown')).replace(/^urn:pbvote:problem:/, '');
    // Types made here, not by the server: network, timeout, unavailable (502/503/504), unknown.
    this.field = problem.field || null;
    this.detail = problem.detail || problem.title || '';
  }
}

export function getToken() {
  try { return sessionStorage.getItem(TOKEN_KEY); } catch { return null; }
}

export function getUser() {
  try { return JSON.parse(sessionStorage.getItem(USER_KEY) || 'null'); } catch { return null; }
}

export function saveSession(token, user) {
  sessionStorage.setItem(TOKEN_KEY, token);
  sessionStorage.setItem(USER_KEY, JSON.stringify(user || null));
}

export function clearSession() {
  sessionStorage.removeItem(TOKEN_KEY);
  sessionStorage.removeItem(USER_KEY);
}

// Known-device tokens, one per e-mail address, kept in localStorage so they outlive the tab and
// signing out: sent with the next sign-in to that account, a token lets this browser in even
// while strangers' wrong passwords have reached the account's limit. It is no sign-in by itself.
const DEVICES_KEY = 'pbvote.devices';

function deviceTokens() {
  try {
    const all = JSON.parse(localStorage.getItem(DEVICES_KEY) || '{}');
    return all && typeof all === 'object' && !Array.isArray(all) ? all : {};
  } catch { return {}; }
}

/** The device token this browser was given for `email` at its last sign-in, or null. */
export function getDeviceToken(email) {
  const token = deviceTokens()[String(email).trim().toLowerCase()];
  return typeof token === 'string' ? token : null;
}

/** Keep (or, with null, forget) the device token for `email`. */
export function saveDeviceToken(email, token) {
  const all = deviceTokens();
  const key = String(email).trim().toLowerCase();
  if (token) all[key] = token; else delete all[key];
  try { localStorage.setItem(DEVICES_KEY, JSON.stringify(all)); } catch { /* blocked or full: the next sign-in is from a new device */ }
}

/**
 * Call the API. `path` is relative to /api/v1 (e.g. "/consultations").
 * Options: method, body (sent as JSON), auth (default true: send the token if we have one),
 * raw (return the Response text instead of parsing JSON), headers, timeout (milliseconds;
 * 0 = wait as long as the browser does).
 * Resolves with the parsed JSON (null for 204); rejects with ApiError.
 */
export async function api(path, { method = 'GET', body, auth = true, raw = false, headers = {}, timeout = 0 } = {}) {
  const h = { Accept: 'application/json, application/problem+json', ...headers };
  if (body !== undefined) h['Content-Type'] = 'application/json';
  const token = auth ? getToken() : null;
  if (token) h.Authorization = `Bearer ${token}`;
  const controller = timeout > 0 ? new AbortController() : null;
  let timedOut = false;
  const timer = controller ? setTimeout(() => { timedOut = true; controller.abort(); }, timeout) : null;
  let res;
  try {
    res = await fetch(API + path, {
      method,
      headers: h,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
      signal: controller ? controller.signal : undefined,
    });
  } catch (e) {
    clearTimeout(timer);
    if (timedOut) throw new ApiError(0, { type: 'timeout', detail: API_TEXT.timeout });
    throw new ApiError(0, { type: 'network', detail: API_TEXT.network });
  }
  clearTimeout(timer);
  if (res.ok) {
    if (res.status === 204) return null;
    if (raw) return res.text();
    const text = await res.text();
    if (!text) return null;
    try { return JSON.parse(text); } catch { return text; }
  }
  let problem = null;
  const text = await res.text().catch(() => '');
  if (/^application\/problem\+json\b/i.test(res.headers.get('Content-Type') || '')) {
    try { problem = JSON.parse(text); } catch { problem = null; }
  }
  if (typeof problem !== 'object' || problem === null || Array.isArray(problem)) problem = plainProblem(res.status);
  if (res.status === 401 && token) clearSession();
  const err = new ApiError(res.status, problem);
  if (res.status === 429) err.retryAfter = res.headers.get('Retry-After');
  throw err;
}

/** Read the `?name=` parameter of the page address. */
export function param(name) {
  return new URLSearchParams(location.search).get(name);
}
