// A relying party talking to the reference server's REST API (the v2.2-style calls), as a test would.
const { randomBytes } = require('node:crypto');

function relyingParty(server) {
  const base = `${server.url}/servers/${server.serverId}`;
  const headers = (nonce) => ({ 'X-apikey': server.rootApiKey, ...(nonce ? { 'X-nonce': nonce } : {}) });
  const bytes = async (res) => {
    if (!res.ok) throw new Error(`HTTP ${res.status}: ${await res.text()}`);
    return new Uint8Array(await res.arrayBuffer());
  };
  const json = async (res) => {
    if (!res.ok) throw new Error(`HTTP ${res.status}: ${await res.text()}`);
    return res.json();
  };
  return {
    newNonce: () => randomBytes(16).toString('base64url'),
    enrolQr: async (nonce, { userid, name } = {}) => {
      const q = new URLSearchParams({ ...(userid ? { userid } : {}), ...(name ? { name } : {}) });
      return bytes(await fetch(`${base}/sessions/qr/enrol?${q}`, { headers: headers(nonce) }));
    },
    loginQr: async (nonce, usercontext, extra = {}) => {
      const q = new URLSearchParams({ ...(usercontext ? { usercontext: JSON.stringify(usercontext) } : {}), ...extra });
      return bytes(await fetch(`${base}/sessions/qr/login?${q}`, { headers: headers(nonce) }));
    },
    provokeLogin: async (nonce, usercontext) =>
      fetch(`${base}/sessions/provokelogin`, {
        method: 'POST',
        headers: { ...headers(nonce), 'content-type': 'application/json' },
        body: usercontext ? JSON.stringify(usercontext) : '',
      }),
    deleteAccount: async (accountId) => json(await fetch(`${base}/accounts/${accountId}/`, { method: 'DELETE', headers: headers() })),
    sendMessage: async (accountId, text, data) =>
      json(await fetch(`${base}/accounts/${accountId}/messages`, {
        method: 'POST',
        headers: { ...headers(), 'content-type': 'application/json' },
        body: JSON.stringify({ text, ...(data ? { data } : {}) }),
      })),
    createTransaction: async (nonce, details) =>
      json(await fetch(`${base}/sessions/transactions`, {
        method: 'POST',
        headers: { ...headers(nonce), 'content-type': 'application/json' },
        body: JSON.stringify(details),
      })),
    transaction: async (tid) => json(await fetch(`${base}/transactions/${tid}`, { headers: headers() })),
    logout: async (nonce) => json(await fetch(`${base}/sessions/logout`, { method: 'POST', headers: headers(nonce) })),
    registerUser: async (nonce, userid) =>
      json(await fetch(`${base}/sessions/registeruser?userid=${encodeURIComponent(userid)}`, { method: 'POST', headers: headers(nonce) })),
    loginStatus: async (nonce) => json(await fetch(`${base}/sessions/`, { headers: headers(nonce) })),
    accounts: async () => json(await fetch(`${base}/accounts/`, { headers: headers() })),
    server: async () => json(await fetch(`${base}/`, { headers: headers() })),
    updateServer: async (params) =>
      json(await fetch(`${base}/`, { method: 'PUT', headers: { ...headers(), 'content-type': 'application/json' }, body: JSON.stringify(params) })),
  };
}

/** Resolves with the detail of the next `name` event on `target` (optionally the first matching `filter`). */
function nextEvent(target, name, filter = () => true, timeoutMs = 20_000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      target.removeEventListener(name, on);
      reject(new Error(`no '${name}' event within ${timeoutMs} ms`));
    }, timeoutMs);
    function on(e) {
      if (!filter(e.detail)) return;
      clearTimeout(timer);
      target.removeEventListener(name, on);
      resolve(e.detail);
    }
    target.addEventListener(name, on);
  });
}

/** Waits until the session reaches a pseudo-state (or is already in it). */
async function reach(session, pseudoState) {
  if (session.pseudoState === pseudoState) return;
  await nextEvent(session, 'statechange', (d) => d.pseudoState === pseudoState || d.state === 'DONE' || d.state === 'ERROR');
  if (session.pseudoState !== pseudoState) {
    throw new Error(`session ended in ${session.state} (${session.error?.code}) instead of reaching ${pseudoState}`);
  }
}

module.exports = { relyingParty, nextEvent, reach };
