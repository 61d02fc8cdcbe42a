// The processes the load driver measures: the reference server's CLI (server/dist/main.js,
// SQLite or PostgreSQL, optionally with cluster workers) and the floor (floor.mjs). Each runs in
// its own process with stdout going to a file rather than a pipe, so the access log costs the
// bench process nothing; the driver reads the `listening` line from that file.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, openSync, closeSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
export const MAIN = join(root, 'server', 'dist', 'main.js');
export const FLOOR = join(here, 'floor.mjs');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts `script` and resolves once it printed its listening line:
 * {url, serverId, apiKey, pid, listening (the parsed line), stop()}.
 */
export async function startProcess(script, { env = {}, args = [], timeoutMs = 30_000 } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'tapgate-load-'));
  const apiKey = env.TAPGATE_ROOT_API_KEY ?? randomBytes(18).toString('base64url');
  const fullEnv = { ...process.env, PORT: '0', TAPGATE_DATA_DIR: join(dir, 'data'), TAPGATE_ROOT_API_KEY: apiKey, ...env };
  for (const k of Object.keys(fullEnv)) if (fullEnv[k] === undefined) delete fullEnv[k];  // env {X: undefined} unsets X
  const outFile = join(dir, 'stdout');
  const out = openSync(outFile, 'w');
  const proc = spawn(process.execPath, [script, ...args], { cwd: root, env: fullEnv, stdio: ['ignore', out, 'pipe'] });
  closeSync(out);
  let stderr = '';
  proc.stderr.setEncoding('utf8');
  proc.stderr.on('data', (d) => { if (stderr.length < 64 * 1024) stderr += d; });
  const exited = new Promise((r) => proc.once('exit', (code, signal) => r({ code, signal })));
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const line = readFileSync(outFile, 'utf8').split('\n').find((l) => l.includes('"listening"'));
    if (line) {
      const listening = JSON.parse(line);
      return { url: listening.url, serverId: listening.serverId, apiKey, pid: proc.pid, listening, stderr: () => stderr, stop };
    }
    if (proc.exitCode !== null || proc.signalCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`${script} did not report listening (exit ${proc.exitCode ?? proc.signalCode}); stderr:\n${stderr}`);
    }
    await sleep(50);
  }
}

/**
 * The reference server. `workers` (cluster mode, if the server has it) goes in as
 * TAPGATE_WORKERS; `supportsWorkers` says whether the server reported running them.
 */
export async function startReference({ env = {}, workers } = {}) {
  // Without `workers`, TAPGATE_WORKERS is unset even if the bench's own environment has it.
  const s = await startProcess(MAIN, { env: { ...env, TAPGATE_WORKERS: workers ? String(workers) : undefined } });
  s.workers = Number(s.listening.workers ?? 1);
  return s;
}

export const startFloor = () => startProcess(FLOOR);

/** PUT /servers/{sid}/ on the relying-party API (e.g. {pinTimeout: 1440}). */
export async function updateServer(server, params) {
  const res = await fetch(`${server.url}/servers/${server.serverId}/`, {
    method: 'PUT',
    headers: { 'X-apikey': server.apiKey, 'content-type': 'application/json' },
    body: JSON.stringify(params),
  });
  if (!res.ok) throw new Error(`PUT /servers/${server.serverId}/: HTTP ${res.status} ${await res.text()}`);
}
