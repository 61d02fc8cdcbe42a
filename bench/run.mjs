#!/usr/bin/env node
// `npm run bench`: sizes of what an authenticator downloads, and HTTP round trips per flow,
// measured against a real reference-server process. Prints a Markdown table.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const { Authenticator, LocalPushRelay } = require('@tapgate/authenticator/node');
const { startServer } = require('../tests/js/helpers/server-process.js');
const { relyingParty, nextEvent } = require('../tests/js/helpers/rp.js');

const rows = [];
const row = (what, value, how) => rows.push(`| ${what} | ${value} | \`${how}\` |`);

// Sizes
const wasmDir = join(root, 'js', 'dist', 'wasm');
for (const [label, files] of [
  ['core for browsers (.wasm + ES module glue)', ['tapgate_core.web.wasm', 'tapgate_core.web.mjs']],
  ['core for Node (.wasm + CommonJS glue)', ['tapgate_core.wasm', 'tapgate_core.js']],
  ['QR reader (zxing_reader.wasm, loaded on first scan)', ['zxing_reader.wasm']],
]) {
  const raw = files.reduce((n, f) => n + readFileSync(join(wasmDir, f)).length, 0);
  const gz = files.reduce((n, f) => n + gzipSync(readFileSync(join(wasmDir, f)), { level: 9 }).length, 0);
  row(label, `${(raw / 1024).toFixed(1)} KiB raw, ${(gz / 1024).toFixed(1)} KiB gzip -9`, `gzip -9 ${files.join(' ')}`);
}

// Round trips: count every request the authenticator makes.
const server = await startServer();
try {
  const rp = relyingParty(server);
  let requests = [];
  const counting = (url, init) => {
    requests.push(new URL(url).pathname);
    return fetch(url, init);
  };
  const auth = await Authenticator.create({ fetch: counting });
  const measure = async (label, flow) => {
    requests = [];
    const t0 = performance.now();
    await flow();
    const ms = performance.now() - t0;
    row(label, `${requests.length} requests (${requests.map((p) => p.replace('/device/v1/', '')).join(', ')}), ${ms.toFixed(0)} ms on loopback`, 'bench/run.mjs');
  };
  const enrol = async (userid) => {
    const s = await auth.startSession(await rp.enrolQr(rp.newNonce(), { userid }));
    await nextEvent(s, 'confirmenrol');
    await s.setAccount();
    await s.setPinBiometric({ pin: '2580' });
    await s.finished;
  };
  await measure('first enrolment (sets the PIN)', () => enrol('bench-1'));
  await measure('later enrolment (verifies the PIN)', () => enrol('bench-2'));
  const nonce = rp.newNonce();
  await measure('login, right PIN', async () => {
    const s = await auth.startSession(await rp.loginQr(nonce));
    const { accounts } = await nextEvent(s, 'confirmlogin');
    await s.setAccount(accounts[0]);
    await s.setPinBiometric({ pin: '2580' });
    await s.finished;
  });
  // Push login: the device's requests once the push is in (the relay's polling is the push
  // provider's part, not the device protocol's, and is not counted).
  const relay = await LocalPushRelay.connect(auth, { url: `${server.url}/relay/v1`, intervalMs: 50, fetch: (u) => fetch(u) });
  await measure('push login (provokeLogin), once the push arrived', async () => {
    const pushed = nextEvent(auth, 'session');
    await fetch(`${server.url}/servers/${server.serverId}/sessions/provokelogin`, { method: 'POST', headers: { 'X-apikey': server.rootApiKey, 'X-nonce': nonce } });
    const { session } = await pushed;
    await nextEvent(session, 'secondfactor');  // one candidate (the addressed account): no confirmation
    await session.setPinBiometric({ pin: '2580' });
    await session.finished;
  });
  relay.close();
  const single = await Authenticator.create({ fetch: counting });
  const singleEnrol = await single.startSession(await rp.enrolQr(rp.newNonce(), { userid: 'bench-app' }));
  await nextEvent(singleEnrol, 'confirmenrol');
  await singleEnrol.setAccount();
  await singleEnrol.setPinBiometric({ pin: '2580' });
  await fetch(`${server.url}/servers/${server.serverId}/`, { method: 'PUT', headers: { 'X-apikey': server.rootApiKey, 'content-type': 'application/json' }, body: '{"pingTime":60}' });
  await measure('AppLogin', async () => {
    const s = await single.startAppLogin();
    await nextEvent(s, 'secondfactor');
    await s.setPinBiometric({ pin: '2580' });
  });
  await single.close();
  await auth.close();
} finally {
  await server.stop();
}

const out = ['| measure | value | command |', '|---|---|---|', ...rows].join('\n');
console.log(`Measured ${new Date().toISOString().slice(0, 10)} on ${execFileSync('uname', ['-m']).toString().trim()}, Node ${process.version}:\n\n${out}`);
