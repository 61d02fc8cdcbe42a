// Server: logins per second and p50/p99 latency at fixed arrival rates (open loop) against the
// bench server (its own process), driven by a device simulator built on the Node SDK, on each
// storage backend: SQLite (the bench server), PostgreSQL (a throwaway cluster from Debian's
// package, fsync on like SQLite's, started by scripts/pg-cluster.sh), and PostgreSQL with two
// instances (device calls to one, relying-party calls to the other). Each arrival is a whole QR
// login: the relying party fetches a login QR (REST), the device starts the session, confirms the
// account and logs in (2 device requests). The server's pinTimeout is set so the second factor is
// skipped after the first PIN: the simulator then spends no Argon2id per login and the server,
// not the device's PIN derivation, is measured. Simulator, server(s) and PostgreSQL share the
// machine's 2 cores.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { drive, enrol, median, percentile, relyingParty, require, root, sdk, sleep, startBenchServer } from './lib.mjs';

const CMD = 'npm run bench -- --only=server';
const ROOT_KEY = 'bench-root-key';

async function login(auth, rp) {
  const t0 = performance.now();
  const s = await auth.startSession(await rp.loginQr(rp.newNonce()));
  await drive(s);
  await s.finished;
  return performance.now() - t0;
}

/** One row per arrival rate, relying-party calls to `rpServer` (QR codes name its device URL). */
async function measure(rpServer, backend, rates, seconds) {
  const { Authenticator } = sdk();
  const rp = relyingParty(rpServer);
  const rows = [];
  let auth;
  try {
    for (const rate of rates) {
      // A fresh device per rate: every login adds a history item and the whole state is
      // serialised on every change, so one device's cost grows with its history.
      await auth?.close();
      auth = await Authenticator.create({});
      await rp.updateServer({ pinTimeout: 0 });
      await enrol(auth, rp, `load-${rate}`);
      await rp.updateServer({ pinTimeout: 1440 });  // minutes: the longest window the server takes
      await login(auth, rp); // warm
      const total = rate * seconds;
      const lat = [];
      let failed = 0;
      const t0 = performance.now();
      const all = [];
      for (let i = 0; i < total; i++) {
        const at = t0 + (i * 1000) / rate;
        const wait = at - performance.now();
        if (wait > 0) await sleep(wait);
        all.push(login(auth, rp).then((ms) => lat.push(ms), () => failed++));
      }
      await Promise.all(all);
      const took = (performance.now() - t0) / 1000;
      rows.push({ group: 'server', measure: `${backend}: QR logins offered at ${rate}/s for ${seconds} s`, value: `${(lat.length / took).toFixed(1)} logins/s completed, p50 ${median(lat).toFixed(0)} ms, p99 ${percentile(lat, 99).toFixed(0)} ms${failed ? `, **${failed} failed**` : ''}`, command: CMD });
    }
  } finally {
    await rp.updateServer({ pinTimeout: 0 }).catch(() => {});
    await auth?.close();
  }
  return rows;
}

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

export async function run(ctx) {
  const rates = ctx.quick ? [10, 30] : [10, 20, 30, 40];
  const seconds = ctx.quick ? 3 : 5;
  const rows = await measure(ctx.server, 'SQLite', rates, seconds);
  if (!hasPostgres()) {
    rows.push({ group: 'server', measure: 'PostgreSQL runs', value: 'skipped: no PostgreSQL server binaries (Debian: apt-get install postgresql)', command: CMD });
    return rows;
  }
  const dir = join(root, 'build', 'pg-bench');
  const cluster = (...args) => execFileSync('bash', [join(root, 'scripts', 'pg-cluster.sh'), ...args], { encoding: 'utf8' }).trim();
  const servers = [];
  try {
    const admin = cluster('start', dir, '--durable');
    const single = await startBenchServer({ TAPGATE_DATABASE_URL: await createDatabase(admin, 'bench_one'), TAPGATE_ROOT_API_KEY: ROOT_KEY });
    servers.push(single);
    rows.push(...(await measure(single, 'PostgreSQL', rates, seconds)));
    await single.stop();

    // Two instances on one database: the QR codes (from B) name A, so device calls go to A.
    const env = { TAPGATE_DATABASE_URL: await createDatabase(admin, 'bench_two'), TAPGATE_ROOT_API_KEY: ROOT_KEY, TAPGATE_KEY: randomBytes(32).toString('base64url') };
    const a = await startBenchServer(env);
    servers.push(a);
    const b = await startBenchServer({ ...env, TAPGATE_PUBLIC_URL: a.url });
    servers.push(b);
    rows.push(...(await measure(b, 'PostgreSQL, 2 instances (device → A, relying party → B)', rates, seconds)));
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
