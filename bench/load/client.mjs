#!/usr/bin/env node
// A load client process (forked by bench/load/driver.mjs, or by a test): `slots` simulated
// devices, one enrolled account each, logging in in a closed loop (each slot starts its next
// login when its last one ended) against a Tapgate server over keep-alive connections (raw-http.mjs: one per slot and origin).
// IPC, parent → client:
//   {type:'init', rpUrl, serverId, apiKey, slots, verify, userPrefix}  → {type:'ready', enrolled}
//   {type:'run', active, limit?}  the first `active` slots loop (the others idle once their
//                                 current login ends); with `limit`, stop after that many logins
//                                 and answer {type:'done', …stats}
//   {type:'collect'}              → {type:'stats', ok, failed, errors, latencies, cpuUs, draining}:
//                                 counts and latencies (ms, Float64Array) of the active slots since
//                                 the last collect, this process's CPU time (user+system µs) so
//                                 far, and how many inactive slots still finish a login
//   {type:'stop'}                 ends the loops and exits
// Any failure in init answers {type:'error', message}.
import { derivePinSeed, loadDevice } from './device.mjs';
import { connection } from './raw-http.mjs';

const send = (msg) => process.send(msg);
const state = {
  devices: [],
  running: [],     // slot i has a loop running
  active: 0,
  limit: Infinity, // logins left to start in a limited run
  ok: 0,
  failed: 0,
  errors: {},      // error code → count
  latencies: [],
};

const pause = (ms) => new Promise((r) => setTimeout(r, ms));

async function init({ rpUrl, serverId, apiKey, slots, verify = true, userPrefix = `load-${process.pid}` }) {
  // One Argon2id per process, not per account: it is the device's cost, which this bench leaves
  // out; each account still proves a PIN key to the server as a real enrolment does.
  const pinSeed = derivePinSeed('2580');
  for (let i = 0; i < slots; i++) {
    const d = loadDevice({ connect: connection, rpUrl, serverId, apiKey, verify });
    await d.enrol(`${userPrefix}-${i}`, pinSeed);
    state.devices.push(d);
    state.running.push(false);
  }
  return slots;
}

function record(err) {
  state.failed++;
  const code = err?.code ?? 'UNKNOWN';
  state.errors[code] = (state.errors[code] ?? 0) + 1;
  if (state.failed <= 3) process.stderr.write(`load client ${process.pid}: ${err?.message ?? err}\n`);
}

function stats(type) {
  const draining = state.running.filter((r, i) => r && i >= state.active).length;
  const msg = { type, ok: state.ok, failed: state.failed, errors: state.errors, latencies: Float64Array.from(state.latencies), cpuUs: cpuUs(), draining };
  state.ok = 0;
  state.failed = 0;
  state.errors = {};
  state.latencies = [];
  return msg;
}

function cpuUs() {
  const u = process.cpuUsage();
  return u.user + u.system;
}

let onLimitReached = null;

async function loop(i) {
  state.running[i] = true;
  const device = state.devices[i];
  while (i < state.active && state.limit > 0) {
    state.limit--;
    const t0 = performance.now();
    try {
      await device.login();
      // A slot above the current step finishing a login it began in an earlier step is not
      // counted: its latency belongs to that step's load.
      if (i < state.active) {
        state.latencies.push(performance.now() - t0);
        state.ok++;
      }
    } catch (err) {
      if (i < state.active) record(err);
      await pause(5); // a failing server must not turn the closed loop into a busy loop
    }
  }
  state.running[i] = false;
  if (state.limit <= 0 && !state.running.includes(true)) onLimitReached?.();
}

function run({ active, limit }) {
  state.active = Math.min(active, state.devices.length);
  state.limit = limit ?? Infinity;
  if (limit !== undefined) onLimitReached = () => { onLimitReached = null; send(stats('done')); };
  for (let i = 0; i < state.active; i++) if (!state.running[i]) loop(i);
}

process.on('message', (msg) => {
  switch (msg.type) {
    case 'init':
      init(msg).then((enrolled) => send({ type: 'ready', enrolled }), (err) => send({ type: 'error', message: err.message ?? String(err), code: err.code }));
      break;
    case 'run':
      run(msg);
      break;
    case 'collect':
      send(stats('stats'));
      break;
    case 'stop':
      state.active = 0;
      for (const d of state.devices) d.close();
      process.disconnect();
      break;
    default:
      process.stderr.write(`load client: unknown message ${JSON.stringify(msg.type)}\n`);
  }
});
process.on('disconnect', () => process.exit(0));
