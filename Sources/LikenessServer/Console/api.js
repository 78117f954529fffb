// The console's only way to the server: the public /v1 API with the logged-in user's token.
// The token lives in sessionStorage (gone when the tab closes), never in a URL.
const KEY = 'likeness.session';

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export const session = {
  load() {
    try { return JSON.parse(sessionStorage.getItem(KEY)) || null; } catch { return null; }
  },
  save(value) { sessionStorage.setItem(KEY, JSON.stringify(value)); },
  clear() { sessionStorage.removeItem(KEY); },
};

let onUnauthorized = () => {};
export function whenUnauthorized(handler) { onUnauthorized = handler; }

// method, path, and one of: json (a body object), form (a FormData); query (an object).
export async function api(method, path, { json, form, query, anonymous } = {}) {
  const headers = {};
  const current = session.load();
  if (current && !anonymous) headers.Authorization = `Bearer ${current.token}`;
  let body;
  if (json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(json);
  } else if (form !== undefined) {
    body = form;
  }
  let url = path;
  if (query) {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '') params.set(k, v);
    const text = params.toString();
    if (text) url += `?${text}`;
  }
  let response;
  try {
    response = await fetch(url, { method, headers, body });
  } catch (e) {
    throw new ApiError(0, 'network', `the server did not answer (${e.message})`);
  }
  const text = await response.text();
  let data = null;
  if (text) {
    try { data = JSON.parse(text); } catch { data = text; }
  }
  if (!response.ok) {
    const error = data && data.error ? data.error : { code: `http_${response.status}`, message: response.statusText };
    if (response.status === 401 && current && !anonymous) onUnauthorized();
    throw new ApiError(response.status, error.code, error.message);
  }
  return data;
}

// An image the API serves behind the token (a face crop): fetched with the token, shown from
// a blob: URL, since an <img src> cannot send an Authorization header.
export async function apiImage(path) {
  const current = session.load();
  const response = await fetch(path, { headers: current ? { Authorization: `Bearer ${current.token}` } : {} });
  if (!response.ok) throw new ApiError(response.status, `http_${response.status}`, response.statusText);
  return URL.createObjectURL(await response.blob());
}

// Roles, weakest first: the page shows a control only to roles that may use it (the API
// refuses the others anyway).
const RANK = { viewer: 0, operator: 1, admin: 2 };
export function can(role) {
  const current = session.load();
  return !!current && RANK[current.role] >= RANK[role];
}
