// The console's calls to /admin/api: JSON, the session cookie (sent by the browser), and the
// X-Tapgate-Admin header every state-changing call needs (admin/api.ts: no cross-site request has it).
export class ApiError extends Error {
  constructor(status, body) {
    super(body?.error ?? `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

/** `path` below /admin/api (e.g. "rp/servers"); `query` an object; `body` JSON. */
export async function api(method, path, { query, body } = {}) {
  const qs = query ? `?${new URLSearchParams(Object.entries(query).filter(([, v]) => v !== undefined && v !== null && v !== ''))}` : '';
  const res = await fetch(`/admin/api/${path}${qs}`, {
    method,
    headers: { 'X-Tapgate-Admin': '1', ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
    body: body !== undefined ? JSON.stringify(body) : undefined,
    credentials: 'same-origin',
  });
  const data = (res.headers.get('content-type') ?? '').startsWith('application/json') ? await res.json() : null;
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

/** A relying-party operation through the console: `path` as the REST API names it, e.g. "servers/{sid}/users". */
export const rp = (method, path, options) => api(method, `rp/${path}`, options);
