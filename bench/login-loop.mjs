// One function that runs in Node and, serialised by page.evaluate, in Chromium: enrol one account,
// then log in with each QR through a fetch that adds `rttMs` of simulated round trip. Returns per
// login: startSession → confirmlogin, setPinBiometric → login, and when the login request left
// (so the Argon2id derivation, which runs between the PIN and that request, can be separated).
// Self-contained (no imports, no closures) because it is shipped to the browser as source text.
export async function loginLoop({ importPath, enrolQr, loginQrs, rttMs, pin }) {
  const { Authenticator } = await import(importPath);
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  const log = [];
  const delaying = async (url, init) => {
    const path = new URL(url).pathname;
    log.push({ path, t: performance.now() });
    if (rttMs) await sleep(rttMs / 2);
    const res = await fetch(url, init);
    const body = await res.arrayBuffer();
    if (rttMs) await sleep(rttMs / 2);
    return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
  };
  const next = (target, name) => new Promise((resolve, reject) => {
    target.addEventListener(name, (e) => resolve(e.detail), { once: true });
    target.addEventListener('error', (e) => reject(new Error(JSON.stringify(e.detail))), { once: true });
  });
  let state = null;
  const auth = await Authenticator.create({ fetch: delaying, storage: { load: async () => state, save: async (s) => { state = s; } } });
  const bytes = (a) => new Uint8Array(a);
  const e = await auth.startSession(bytes(enrolQr));
  await next(e, 'confirmenrol');
  await e.setAccount();
  await e.setPinBiometric({ pin });
  await e.finished;
  const out = [];
  for (const qr of loginQrs) {
    const t0 = performance.now();
    const s = await auth.startSession(bytes(qr));
    // One account: straight to the PIN prompt (`secondfactor`); several: `confirmlogin` first.
    const first = await new Promise((resolve) => {
      s.addEventListener('confirmlogin', (ev) => resolve({ name: 'confirmlogin', detail: ev.detail }), { once: true });
      s.addEventListener('secondfactor', (ev) => resolve({ name: 'secondfactor', detail: ev.detail }), { once: true });
    });
    const t1 = performance.now();
    if (first.name === 'confirmlogin') {
      const prompt = next(s, 'secondfactor');
      await s.setAccount(first.detail.accounts[0]);
      await prompt;
    }
    const loginEvent = next(s, 'login');
    const before = log.length;
    const t2 = performance.now();
    await s.setPinBiometric({ pin });
    await loginEvent;
    const t3 = performance.now();
    const sent = log.slice(before).find((r) => r.path.endsWith('/login'));
    out.push({ first: first.name, start: t1 - t0, pin: t3 - t2, argon2: sent.t - t2, afterSend: t3 - sent.t, requests: log.length - before });
    await s.finished;
  }
  await auth.close();
  return out;
}
