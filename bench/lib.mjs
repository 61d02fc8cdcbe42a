// Shared helpers for the bench groups (bench/*.mjs). Each group exports
//   run(ctx) → rows: { group, measure, value, command }
// and bench/run.mjs prints them and writes the table into docs/performance.md.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const require = createRequire(import.meta.url);
export const { startServer } = require('../tests/js/helpers/server-process.js');
export const { relyingParty, nextEvent } = require('../tests/js/helpers/rp.js');
/** Chromium through playwright, loaded on first use: Node-only groups (--no-browser) never pay for it. */
export const launchChromium = (...args) => require('../tests/e2e/helpers/chromium.js').launchChromium(...args);
export const sdk = () => require('@tapgate/authenticator/node');

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
export function percentile(xs, p) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}
export const ms = (x) => (x >= 100 ? `${x.toFixed(0)} ms` : `${x.toFixed(1)} ms`);
export const kib = (bytes) => `${(bytes / 1024).toFixed(1)} KiB`;
/** "median 12.3 ms (n=5, 11.9–14.0)" */
export const summary = (xs, fmt = ms) => `${fmt(median(xs))} (median of ${xs.length}, ${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))})`;

/** The bench server (bench/server.mjs): reference server + /sdk/ + /bench/ on one origin. */
export function startBenchServer(env = {}) {
  return startServer({ script: join(root, 'bench', 'server.mjs'), env });
}

/**
 * A fetch that adds a simulated network round trip: half of `rttMs` before the request reaches
 * the server and half before the response reaches the caller. Counts requests in `.requests`.
 */
export function delayingFetch(rttMs, base = fetch) {
  const f = async (url, init) => {
    f.requests.push(new URL(url).pathname);
    if (rttMs) await sleep(rttMs / 2);
    const res = await base(url, init);
    const body = await res.arrayBuffer();
    if (rttMs) await sleep(rttMs / 2);
    return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
  };
  f.requests = [];
  return f;
}

/** Enrols one account on `auth` (PIN 2580) through the relying party's enrol QR. */
export async function enrol(auth, rp, userid, pin = '2580') {
  const s = await auth.startSession(await rp.enrolQr(rp.newNonce(), { userid }));
  await nextEvent(s, 'confirmenrol');
  await s.setAccount();
  await s.setPinBiometric({ pin });
  await s.finished;
  if (s.historyStatus !== 'LOGGED_IN' && s.historyStatus !== 'LOGGED_IN_ONE_SHOT') throw new Error(`enrolment ended ${s.state}/${s.historyStatus}`);
  return s;
}

/** A StateStorage over a string (plaintext: the measurements leave encryption out). */
export function stringStorage(initial = null) {
  let state = initial;
  return { load: async () => state, save: async (s) => { state = s; }, get state() { return state; } };
}

/**
 * Drives a login session the way a user would: confirms the first account if asked
 * (`confirmlogin`; with one account the engine skips it), and at a PIN prompt either enters
 * `pin` or, with `stopAtPrompt`, resolves there. Resolves 'login' | 'prompt'; rejects on `error`.
 */
export function drive(s, { pin = '2580', stopAtPrompt = false } = {}) {
  return new Promise((resolve, reject) => {
    s.addEventListener('confirmlogin', (e) => { s.setAccount(e.detail.accounts[0]).catch(reject); }, { once: true });
    s.addEventListener('secondfactor', (e) => {
      if (e.detail.result) return;
      if (stopAtPrompt) resolve('prompt');
      else s.setPinBiometric({ pin }).catch(reject);
    });
    s.addEventListener('login', () => resolve('login'), { once: true });
    s.addEventListener('error', (e) => reject(new Error(JSON.stringify(e.detail))), { once: true });
  });
}
