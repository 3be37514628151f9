// A small fetch wrapper for the pbvote API: adds the bearer token, parses JSON and
// RFC 9457 problem details (application/problem+json) into ApiError.

// The only text shown from here (translate with the pages).
export const API_TEXT = {
  failed: 'The request failed ({status}).',
  network: 'We could not reach the server. Check your connection and try again.',
};

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

/**
 * Call the API. `path` is relative to /api/v1 (e.g. "/consultations").
 * Options: method, body (sent as JSON), auth (default true: send the token if we have one),
 * raw (return the Response text instead of parsing JSON), headers.
 * Resolves with the parsed JSON (null for 204); rejects with ApiError.
 */
export async function api(path, { method = 'GET', body, auth = true, raw = false, headers = {} } = {}) {
  const h = { Accept: 'application/json, application/problem+json', ...headers };
  if (body !== undefined) h['Content-Type'] = 'application/json';
  const token = auth ? getToken() : null;
  if (token) h.Authorization = `Bearer ${token}`;
  let res;
  try {
    res = await fetch(API + path, {
      method,
      headers: h,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
    });
  } catch (e) {
    throw new ApiError(0, { type: 'network', detail: API_TEXT.network });
  }
  if (res.ok) {
    if (res.status === 204) return null;
    if (raw) return res.text();
    const text = await res.text();
    if (!text) return null;
    try { return JSON.parse(text); } catch { return text; }
  }
  let problem = {};
  const text = await res.text().catch(() => '');
  try { problem = JSON.parse(text); } catch { problem = { detail: text.slice(0, 300) }; }
  if (typeof problem !== 'object' || problem === null) problem = {};
  if (res.status === 401 && token) clearSession();
  const err = new ApiError(res.status, problem);
  if (res.status === 429) err.retryAfter = res.headers.get('Retry-After');
  throw err;
}

/** Read the `?name=` parameter of the page address. */
export function param(name) {
  return new URLSearchParams(location.search).get(name);
}
