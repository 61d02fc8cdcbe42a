#!/usr/bin/env node
// The load driver: forks `processes` load clients (client.mjs) with enough slots for the
// largest step, warms up, then sweeps the number of logins in flight (closed loop) and reports
// per step logins/s, p50/p99 latency, failures, the server's CPU ms per login (utime+stime from
// /proc of the server's process tree and any other `cpuRoots`, e.g. PostgreSQL's postmaster and
// its backends) and the clients' own CPU ms per login. Saturation = the step with the most logins/s.
//   node bench/load/driver.mjs [--target=sqlite|floor|both] [--workers=N] [--steps=1,4,16,32,64]
//                              [--seconds=3] [--processes=2] [--access-log=0|1] [--json]
// prints one line per step and the saturation of each target (--json: the results as JSON).
import { fork } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpus } from 'node:os';
import { machineBusyMs, treeCpuMs } from './proc-cpu.mjs';

const CLIENT = join(dirname(fileURLToPath(import.meta.url)), 'client.mjs');

export const DEFAULT_STEPS = [1, 4, 16, 32, 64];

export function percentile(sorted, p) {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** A forked client with request/answer over IPC (one outstanding request per answer type). */
function startClient() {
  const child = fork(CLIENT, [], { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const waiting = new Map();
  child.on('message', (msg) => {
    const w = waiting.get(msg.type) ?? (msg.type === 'error' ? [...waiting.values()][0] : null);
    if (!w) return;
    waiting.delete(msg.type);
    if (msg.type === 'error') {
      waiting.clear();
      w.reject(Object.assign(new Error(`load client: ${msg.message}`), { code: msg.code }));
    } else w.resolve(msg);
  });
  const exited = new Promise((r) => child.once('exit', r));
  child.once('exit', (code) => {
    for (const w of waiting.values()) w.reject(new Error(`load client exited (${code})`));
    waiting.clear();
  });
  const ask = (msg, answer) => new Promise((resolve, reject) => {
    waiting.set(answer, { resolve, reject });
    child.send(msg);
  });
  return {
    ask,
    tell: (msg) => child.send(msg),
    pid: child.pid,
    stop: async () => {
      if (child.connected) child.send({ type: 'stop' });
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Splits `total` in-flight logins over `n` clients as evenly as possible. */
const share = (total, n, i) => Math.floor(total / n) + (i < total % n ? 1 : 0);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Sweeps `steps` (logins in flight) against `target` = {url (relying-party API origin), serverId,
 * apiKey, cpuRoots: pids whose process trees are the server, dbRoots?: the database's (counted in
 * the server's CPU and reported apart)}. `verify` false for the floor.
 * Resolves {steps: [...], saturation, enrolSeconds}.
 */
export async function sweep(target, { steps = DEFAULT_STEPS, processes = 2, stepSeconds = 3, settleSeconds = 0.5, warmSeconds = 2, verify = true, log = () => {} } = {}) {
  const maxInFlight = Math.max(...steps);
  const slots = Math.ceil(maxInFlight / processes);
  const clients = [];
  try {
    for (let i = 0; i < processes; i++) clients.push(startClient());
    const t0 = performance.now();
    await Promise.all(clients.map((c, i) => c.ask({ type: 'init', rpUrl: target.url, serverId: target.serverId, apiKey: target.apiKey, slots, verify, userPrefix: `load-${Date.now()}-${i}` }, 'ready')));
    const enrolSeconds = (performance.now() - t0) / 1000;
    const setInFlight = (n) => clients.forEach((c, i) => c.tell({ type: 'run', active: share(n, processes, i) }));
    const collect = () => Promise.all(clients.map((c) => c.ask({ type: 'collect' }, 'stats')));

    // Warm-up: JIT in the server and the clients, caches, connections at the largest step.
    setInFlight(maxInFlight);
    await sleep(warmSeconds * 1000);
    const results = [];
    for (const inFlight of steps) {
      setInFlight(inFlight);
      // Wait out the logins that slots above this step still have in flight, then let it settle.
      const drainUntil = performance.now() + 30_000;
      while ((await collect()).some((s) => s.draining > 0) && performance.now() < drainUntil) await sleep(50);
      await sleep(settleSeconds * 1000);
      const before = await collect();
      const serverBefore = treeCpuMs(target.cpuRoots);
      const dbBefore = target.dbRoots ? treeCpuMs(target.dbRoots).ms : 0;
      const machineBefore = machineBusyMs();
      const w0 = performance.now();
      await sleep(stepSeconds * 1000);
      const after = await collect();
      const seconds = (performance.now() - w0) / 1000;
      const serverAfter = treeCpuMs(target.cpuRoots);
      const serverMs = serverAfter.ms - serverBefore.ms;
      const dbMs = target.dbRoots ? treeCpuMs(target.dbRoots).ms - dbBefore : 0;
      const machineMs = machineBusyMs() - machineBefore;
      const ok = after.reduce((a, s) => a + s.ok, 0);
      const failed = after.reduce((a, s) => a + s.failed, 0);
      const errors = {};
      for (const s of after) for (const [k, v] of Object.entries(s.errors)) errors[k] = (errors[k] ?? 0) + v;
      const lat = Float64Array.from(after.flatMap((s) => [...s.latencies])).sort();
      const clientMs = after.reduce((a, s, i) => a + (s.cpuUs - before[i].cpuUs) / 1000, 0);
      const step = {
        inFlight,
        seconds,
        ok,
        failed,
        errors,
        loginsPerSec: ok / seconds,
        p50: percentile(lat, 50),
        p99: percentile(lat, 99),
        serverCpuMsPerLogin: ok ? (serverMs + dbMs) / ok : NaN,
        dbCpuMsPerLogin: ok ? dbMs / ok : NaN,  // the database's part of it (0 without dbRoots)
        serverBusy: (serverMs + dbMs) / 1000 / seconds, // cores' worth of CPU the server (and database) used
        clientCpuMsPerLogin: ok ? clientMs / ok : NaN,
        // The share of the machine's cores busy with anything but this server and its clients
        // (other work on a shared machine): what the step's logins/s could not use.
        // How much of the step the server's main threads spent runnable but waiting for a CPU
        // (summed over its processes, so above 1 with several).
        serverRunqueueWait: (serverAfter.waitMs - serverBefore.waitMs) / 1000 / seconds,
        othersBusy: Math.max(0, machineMs - serverMs - dbMs - clientMs) / 1000 / seconds / cpus().length,
      };
      results.push(step);
      log(formatStep(step));
    }
    const saturation = results.reduce((best, s) => (s.loginsPerSec > best.loginsPerSec ? s : best), results[0]);
    return { steps: results, saturation, enrolSeconds };
  } finally {
    await Promise.all(clients.map((c) => c.stop()));
  }
}

export function formatStep(s) {
  return `${String(s.inFlight).padStart(3)} in flight: ${s.loginsPerSec.toFixed(0).padStart(5)} logins/s, p50 ${s.p50.toFixed(1)} ms, p99 ${s.p99.toFixed(1)} ms, ` +
    `server ${s.serverCpuMsPerLogin.toFixed(2)} ms CPU/login${s.dbCpuMsPerLogin ? ` (database ${s.dbCpuMsPerLogin.toFixed(2)})` : ''} (${(s.serverBusy * 100).toFixed(0)} % of a core, waiting for a CPU ${(s.serverRunqueueWait * 100).toFixed(0)} % of the time), client ${s.clientCpuMsPerLogin.toFixed(2)} ms CPU/login, others ${(s.othersBusy * 100).toFixed(0)} % of the machine` +
    `${s.failed ? `, ${s.failed} failed ${JSON.stringify(s.errors)}` : ''}`;
}

async function main() {
  const { startFloor, startReference, updateServer } = await import('./servers.mjs');
  const arg = (name, dflt) => process.argv.slice(2).find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? dflt;
  const which = arg('target', 'both');
  const opts = {
    steps: arg('steps', DEFAULT_STEPS.join(',')).split(',').map(Number),
    stepSeconds: Number(arg('seconds', 3)),
    processes: Number(arg('processes', 2)),
  };
  const json = process.argv.includes('--json');
  const say = json ? () => {} : (line) => console.log(line);
  opts.log = (line) => say(`  ${line}`);
  const results = [];
  const workers = Number(arg('workers', 0)) || undefined;
  const accessLog = arg('access-log', undefined);
  for (const name of which === 'both' ? ['sqlite', 'floor'] : [which]) {
    const server = name === 'floor' ? await startFloor() : await startReference({ workers, env: accessLog === undefined ? {} : { TAPGATE_ACCESS_LOG: accessLog } });
    try {
      if (name !== 'floor') await updateServer(server, { pinTimeout: 1440 });
      say(`${name}${workers ? ` (TAPGATE_WORKERS=${workers}, server reports ${server.workers})` : ''}:`);
      const r = await sweep({ ...server, cpuRoots: [server.pid] }, { ...opts, verify: name !== 'floor' });
      say(`  saturation: ${formatStep(r.saturation)}`);
      results.push({ target: name, ...r });
    } finally {
      await server.stop();
    }
  }
  if (json) console.log(JSON.stringify(results));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
