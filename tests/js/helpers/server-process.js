// Starts the reference server (server/dist/main.js) as a child process for tests.
// startServer({env, dataDir, script, command, cwd, args, timeoutMs})
//   → {url, port, serverId, rootApiKey, dataDir, proc, exited, output(), stop(), kill(), pause(), resume()}
// stop(): SIGTERM and await exit (a clean shutdown); kill(): SIGKILL and await exit (a crash);
// pause()/resume(): SIGSTOP/SIGCONT (a server that is unreachable: connections hang, nothing answers).
// Any script works that prints the {"event":"listening",...} JSON line of server/dist/main.js.
//
// PostgreSQL: with env TAPGATE_TEST_DATABASE_URL (a postgres:// URL of a cluster the tests may
// create databases in; scripts/test.sh starts one), each server gets a fresh database of its own
// instead of SQLite (dropped again by stop()/kill()), unless options.env sets TAPGATE_DATABASE_URL.
// A server started with an explicit dataDir gets the database named after that dir, so a restart
// on the same dataDir finds its data again. The server object's databaseUrl names it (null on SQLite).
'use strict';
const { spawn } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
const MAIN = path.join(REPO_ROOT, 'server', 'dist', 'main.js');

/**
 * @param {{env?: Record<string,string>, dataDir?: string, script?: string, args?: string[], timeoutMs?: number}} [options]
 *   script defaults to server/dist/main.js (run with node, cwd = repository root); command: an
 *   executable run as it is instead (an installed bin, node_modules/.bin/tapgate-server), in cwd;
 *   env is merged over process.env (PORT defaults to 0); without TAPGATE_DATA_DIR (in env or
 *   dataDir) a temporary directory is made and removed again by stop().
 */
const TEST_DATABASE_URL = process.env.TAPGATE_TEST_DATABASE_URL || null;

/** Runs `fn` with a client on the cluster's maintenance database. */
async function withAdmin(fn) {
  const { Client } = require('pg');
  const client = new Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** The URL of database `name` on the test cluster. */
function databaseUrlOf(name) {
  const u = new URL(TEST_DATABASE_URL);
  u.pathname = `/${name}`;
  return u.toString();
}

/** Creates a database on the test cluster (a fresh random one unless named); resolves with its URL and name. */
async function createTestDatabase(name = `tapgate_t${crypto.randomBytes(8).toString('hex')}`) {
  if (!TEST_DATABASE_URL) throw new Error('TAPGATE_TEST_DATABASE_URL is not set');
  await withAdmin(async (c) => {
    try {
      await c.query(`CREATE DATABASE "${name}"`);
    } catch (err) {
      if (err.code !== '42P04') throw err;  // exists: a restart on the same dataDir
    }
  });
  return { name, url: databaseUrlOf(name) };
}

async function dropTestDatabase(name) {
  await withAdmin((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
}

async function startServer(options = {}) {
  const given = options.env?.TAPGATE_DATABASE_URL;
  if (!TEST_DATABASE_URL || given) return startProcess(options, given || null, null);
  const dataDir = options.dataDir ?? options.env?.TAPGATE_DATA_DIR;
  const db = dataDir
    ? await createTestDatabase(`tapgate_d${crypto.createHash('sha256').update(path.resolve(dataDir)).digest('hex').slice(0, 16)}`)
    : await createTestDatabase();
  const own = dataDir ? null : db.name;
  try {
    const server = await startProcess({ ...options, env: { ...options.env, TAPGATE_DATABASE_URL: db.url } }, db.url, own);
    return server;
  } catch (err) {
    if (own) await dropTestDatabase(own).catch(() => {});
    throw err;
  }
}

function startProcess(options, databaseUrl, ownDatabase) {
  const timeoutMs = options.timeoutMs ?? 20000;
  const script = options.command ?? options.script ?? MAIN;
  if (!fs.existsSync(script)) {
    return Promise.reject(new Error(`${script} is missing: build it first (npx tsc -p server)`));
  }
  const env = { ...process.env, PORT: '0', ...(options.env || {}) };
  let ownDir = null;
  if (options.dataDir) env.TAPGATE_DATA_DIR = options.dataDir;
  if (!env.TAPGATE_DATA_DIR) {
    ownDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tapgate-server-test-'));
    env.TAPGATE_DATA_DIR = ownDir;
  }
  const [file, argv] = options.command ? [options.command, options.args || []] : [process.execPath, [script, ...(options.args || [])]];
  const proc = spawn(file, argv, { cwd: options.cwd ?? REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const exited = new Promise((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal })));

  const running = () => proc.exitCode === null && proc.signalCode === null;

  async function stop() {
    if (running()) {
      proc.kill('SIGCONT'); // in case it was paused
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    if (ownDir) fs.rmSync(ownDir, { recursive: true, force: true });
    await dropOwnDatabase();
    return exited;
  }

  async function kill() {
    if (running()) proc.kill('SIGKILL');
    const result = await exited;
    if (ownDir) fs.rmSync(ownDir, { recursive: true, force: true });
    await dropOwnDatabase();
    return result;
  }

  let dropped = false;
  async function dropOwnDatabase() {
    if (!ownDatabase || dropped) return;
    dropped = true;
    await dropTestDatabase(ownDatabase).catch(() => {});
  }

  async function pause() {
    if (running()) proc.kill('SIGSTOP');
  }

  async function resume() {
    if (running()) proc.kill('SIGCONT');
  }

  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (fn, value) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn(value);
    };
    const timer = setTimeout(() => {
      stop().finally(() =>
        settle(reject, new Error(`server did not report listening within ${timeoutMs} ms; stderr:\n${stderr}`)),
      );
    }, timeoutMs);
    proc.stderr.setEncoding('utf8');
    proc.stderr.on('data', (d) => {
      stderr += d;
    });
    proc.stdout.setEncoding('utf8');
    proc.stdout.on('data', (d) => {
      stdout += d;
      for (const line of stdout.split('\n').slice(0, -1)) {
        let msg;
        try {
          msg = JSON.parse(line);
        } catch {
          continue;
        }
        if (msg && msg.event === 'listening') {
          settle(resolve, {
            url: msg.url,
            port: msg.port,
            serverId: msg.serverId,
            rootApiKey: msg.rootApiKey ?? env.TAPGATE_ROOT_API_KEY,  // printed only when generated
            dataDir: env.TAPGATE_DATA_DIR,
            databaseUrl,
            proc,
            exited,
            output: () => ({ stdout, stderr }),
            stop,
            kill,
            pause,
            resume,
          });
        }
      }
    });
    proc.once('exit', (code, signal) => {
      if (ownDir) fs.rmSync(ownDir, { recursive: true, force: true });
      settle(reject, new Error(`server exited (code ${code}, signal ${signal}) before listening; stderr:\n${stderr}`));
    });
  });
}

module.exports = { startServer, REPO_ROOT, TEST_DATABASE_URL, createTestDatabase, dropTestDatabase };
