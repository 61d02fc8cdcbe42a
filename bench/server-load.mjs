// Server: the saturation point of the reference server (server/dist/main.js, default settings,
// its own process), found by the load generator of bench/load/: cheap client processes speaking
// the real protocol in a closed loop, swept over the number of logins in flight. Each login is a
// whole QR login: the relying party fetches a login QR (REST), the device sends /v1/start and
// /v1/login; the server's pinTimeout is set long so the login skips the second factor (no
// Argon2id in the clients: the server, not the device, is measured). Rows, all in one run on the
// same machine: the floor (a bare node:http server answering the same requests with canned
// answers, bench/load/floor.mjs), SQLite in one process, SQLite with 2 cluster workers (when the
// server has TAPGATE_WORKERS), PostgreSQL (a throwaway cluster from Debian's package, fsync on,
// scripts/pg-cluster.sh) with one instance and with two (device calls to A, relying-party calls
// to B). The server's CPU per login is read from /proc for its process tree (and PostgreSQL's
// postmaster with its backends); clients and server share the machine's cores.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { require, root } from './lib.mjs';
import { sweep } from './load/driver.mjs';
import { treeCpuMs } from './load/proc-cpu.mjs';
import { startFloor, startReference, updateServer } from './load/servers.mjs';

const CMD = 'npm run bench -- --only=server';

const hasPostgres = () => existsSync('/usr/lib/postgresql') && readdirSync('/usr/lib/postgresql').some((v) => existsSync(`/usr/lib/postgresql/${v}/bin/initdb`));

async function createDatabase(adminUrl, name) {
  const { Client } = require('pg');
  const c = new Client({ connectionString: adminUrl });
  await c.connect();
  try {
    await c.query(`CREATE DATABASE "${name}"`);
  } finally {
    await c.end();
  }
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  return u.toString();
}

const fmt = (x, digits = 0) => (Number.isFinite(x) ? x.toFixed(digits) : '–');

/** One table row: the sweep's saturation step, and the floor's figure beside it when given. */
function row(label, r, floor) {
  const s = r.saturation;
  const vsFloor = floor ? `; ${fmt((100 * s.loginsPerSec) / floor.saturation.loginsPerSec)} % of the floor's logins/s, ${fmt(s.serverCpuMsPerLogin / floor.saturation.serverCpuMsPerLogin, 1)}× its CPU/login` : '';
  const steps = r.steps.map((x) => `${x.inFlight}: ${fmt(x.loginsPerSec)}`).join(', ');
  return {
    group: 'server',
    measure: `${label}: saturation (closed loop, logins/s by logins in flight: ${steps})`,
    value: `**${fmt(s.loginsPerSec)} logins/s** at ${s.inFlight} in flight, p50 ${fmt(s.p50, 1)} ms, p99 ${fmt(s.p99, 1)} ms; ` +
      `server ${fmt(s.serverCpuMsPerLogin, 2)} ms CPU/login${s.dbCpuMsPerLogin ? ` (of which PostgreSQL ${fmt(s.dbCpuMsPerLogin, 2)})` : ''} (${fmt(s.serverBusy * 100)} % of a core, its processes runnable but waiting for a CPU ${fmt(s.serverRunqueueWait * 100)} % of the time, summed), clients ${fmt(s.clientCpuMsPerLogin, 2)} ms CPU/login ` +
      `(the server's CPU alone allows ${fmt(1000 / s.serverCpuMsPerLogin)} logins/s per core); other processes took ${fmt(s.othersBusy * 100)} % of the machine` +
      `${s.failed ? `, **${s.failed} failed** ${JSON.stringify(s.errors)}` : ''}${vsFloor}`,
    command: CMD,
  };
}

const skipped = (measure, why) => ({ group: 'server', measure, value: `skipped: ${why}`, command: CMD });

/** Sweeps a reference server (after setting its pinTimeout); `dbRoots`: the database's pids, counted with it. */
async function measureReference(servers, rpServer, opts, dbRoots) {
  await updateServer(rpServer, { pinTimeout: 1440 });  // minutes: the longest window the server takes
  return sweep({ ...rpServer, cpuRoots: servers.map((s) => s.pid), dbRoots }, opts);
}

/** The postmaster's pid of a cluster started by scripts/pg-cluster.sh in `dir`. */
function postmasterPid(dir) {
  const run = readFileSync(join(dir, 'cluster-dir'), 'utf8').trim();
  return Number(readFileSync(join(run, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
}

async function postgresRows(opts, floor) {
  if (!hasPostgres()) return [skipped('PostgreSQL runs', 'no PostgreSQL server binaries (Debian: apt-get install postgresql)')];
  const rows = [];
  const dir = join(root, 'build', 'pg-bench');
  const cluster = (...args) => execFileSync('bash', [join(root, 'scripts', 'pg-cluster.sh'), ...args], { encoding: 'utf8' }).trim();
  const servers = [];
  try {
    const admin = cluster('start', dir, '--durable');
    const postmaster = postmasterPid(dir);
    const single = await startReference({ env: { TAPGATE_DATABASE_URL: await createDatabase(admin, 'bench_one') } });
    servers.push(single);
    rows.push(row('PostgreSQL, 1 instance (CPU: server + PostgreSQL)', await measureReference([single], single, opts, [postmaster]), floor));
    await single.stop();

    // Two instances on one database: the QR codes (from B) name A, so device calls go to A.
    const env = { TAPGATE_DATABASE_URL: await createDatabase(admin, 'bench_two'), TAPGATE_KEY: randomBytes(32).toString('base64url') };
    const a = await startReference({ env });
    servers.push(a);
    const b = await startReference({ env: { ...env, TAPGATE_ROOT_API_KEY: a.apiKey, TAPGATE_PUBLIC_URL: a.url } });
    servers.push(b);
    rows.push(row('PostgreSQL, 2 instances (device → A, relying party → B; CPU: both + PostgreSQL)', await measureReference([a, b], b, opts, [postmaster]), floor));
  } finally {
    for (const s of servers) await s.stop().catch(() => {});
    try {
      cluster('stop', dir);
    } catch {
      // already gone
    }
  }
  return rows;
}

/** SQLite with cluster workers, when the server has them (it reports them, or runs child processes). */
async function workersRow(workers, opts, floor) {
  const label = `SQLite, ${workers} workers (TAPGATE_WORKERS=${workers})`;
  const server = await startReference({ workers });
  try {
    const processes = treeCpuMs([server.pid]).pids;
    if (server.workers !== workers && processes <= 1) return skipped(label, 'this server ignores TAPGATE_WORKERS (one process, no `workers` in its listening line)');
    return row(label, await measureReference([server], server, opts), floor);
  } finally {
    await server.stop();
  }
}

export async function run(ctx) {
  const opts = ctx.quick
    ? { steps: [4, 16, 48], stepSeconds: 2, warmSeconds: 1 }
    : { steps: [1, 4, 16, 32, 64], stepSeconds: 3, warmSeconds: 2 };
  const rows = [];
  const floorServer = await startFloor();
  let floor;
  try {
    floor = await sweep({ ...floorServer, cpuRoots: [floorServer.pid] }, { ...opts, verify: false });
  } finally {
    await floorServer.stop();
  }
  rows.push(row('Floor: bare node:http, canned answers of the same shape (bench/load/floor.mjs)', floor));
  const sqlite = await startReference();
  try {
    rows.push(row('SQLite, 1 process (server/dist/main.js defaults, access log on)', await measureReference([sqlite], sqlite, opts), floor));
  } finally {
    await sqlite.stop();
  }
  rows.push(await workersRow(2, opts, floor));
  rows.push(...(await postgresRows(opts, floor)));
  return rows;
}
