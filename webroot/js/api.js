// The one way the app talks to the server: JSON in and out, problem+json errors,
// and the CSRF double-submit token on every state-changing request.

const CSRF_COOKIE = 'XSRF-TOKEN';
const CSRF_HEADER = 'X-XSRF-TOKEN';
const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export class ApiError extends Error {
  constructor(status, problem, retryAfter) {
    super(problem.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
    this.code = problem.code || codeForStatus(status);
    this.retryAfterSeconds = parseRetryAfter(retryAfter);
  }
}

function codeForStatus(status) {
  if (status === 0) return 'network';
  if (status === 401) return 'not_signed_in';
  if (status === 429) return 'too_many_requests';
  if (status === 503) return 'overloaded';
  if (status >= 500) return 'server_error';
  return 'unknown';
}

function parseRetryAfter(value) {
  if (!value) return null;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const when = Date.parse(value);
  return Number.isNaN(when) ? null : Math.max(0, Math.round((when - Date.now()) / 1000));
}

function readCookie(name) {
  for (const part of document.cookie.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) {
      return decodeURIComponent(part.slice(eq + 1).trim());
    }
  }
  return null;
}

async function send(method, path, body) {
  const headers = { Accept: 'application/json, application/problem+json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (UNSAFE.has(method)) {
    // Read the cookie now, not earlier: the token changes at sign-in and after state changes.
    const token = readCookie(CSRF_COOKIE);
    if (token) headers[CSRF_HEADER] = token;
  }
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      cache: 'no-store',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, {}, null);
  }
  const data = await readBody(response);
  if (response.ok) return data;
  throw new ApiError(response.status, data && typeof data === 'object' ? data : {}, response.headers.get('Retry-After'));
}

async function readBody(response) {
  if (response.status === 204) return null;
  const type = response.headers.get('Content-Type') || '';
  if (!type.includes('json')) return null;
  try {
    return await response.json();
  } catch {
    return null;
  }
}

// Any GET hands out a fresh token cookie; the app's own page is one that always exists.
function refreshCsrfToken() {
  return fetch('/', { credentials: 'same-origin', cache: 'no-store' }).catch(() => null);
}

function isCsrfRefusal(error) {
  return error.status === 403 && (!error.problem.code || /csrf|xsrf/i.test(error.problem.code));
}

// Unsafe requests run one at a time: each may rotate the token the next one must send.
let unsafeQueue = Promise.resolve();

function sendUnsafe(method, path, body) {
  const run = unsafeQueue.then(async () => {
    if (!readCookie(CSRF_COOKIE)) await refreshCsrfToken();
    try {
      return await send(method, path, body);
    } catch (error) {
      // A refused token (e.g. the session timed out and took it along) is safe to retry once:
      // the server did nothing with the request.
      if (!isCsrfRefusal(error)) throw error;
      await refreshCsrfToken();
      return send(method, path, body);
    }
  });
  unsafeQueue = run.catch(() => undefined);
  return run;
}

export const api = {
  get: (path) => send('GET', path),
  post: (path, body = {}) => sendUnsafe('POST', path, body),
  put: (path, body = {}) => sendUnsafe('PUT', path, body),
  delete: (path, body) => sendUnsafe('DELETE', path, body),
};
