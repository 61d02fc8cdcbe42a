// Small relying-party REST calls of the tests that talk to the v2.2 API with other keys than root.

/** A new API key made by `rootKey` with the query `query` (e.g. `permissions=sessions&serverid=…`). */
async function apiKey(url, rootKey, query) {
  const res = await fetch(`${url}/apikeys/?${query}`, { method: 'POST', headers: { 'X-apikey': rootKey } });
  if (res.status !== 200) throw new Error(`POST /apikeys ${res.status}`);
  return (await res.json()).apikey;
}

/** GET with an API key: `{ status, body }` (body null when it is not JSON). */
async function rpGet(url, path, key) {
  const res = await fetch(`${url}${path}`, { headers: { 'X-apikey': key } });
  const text = await res.text();
  let body = null;
  try { body = JSON.parse(text); } catch { /* an error page */ }
  return { status: res.status, body };
}

module.exports = { apiKey, rpGet };
