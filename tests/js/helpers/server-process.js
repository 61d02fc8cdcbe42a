// Starts the reference server (server/dist/main.js) as a child process for tests.
// startServer({env, dataDir, script, args, timeoutMs})
//   → {url, port, serverId, rootApiKey, dataDir, proc, exited, output(), stop(), kill(), pause(), resume()}
// stop(): SIGTERM and await exit (a clean shutdown); kill(): SIGKILL and await exit (a crash);
// pause()/resume(): SIGSTOP/SIGCONT (a server that is unreachable: connections hang, nothing answers).
// Any script works that prints the {"event":"listening",...} JSON line of server/dist/main.js.
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
const MAIN = path.join(REPO_ROOT, 'server', 'dist', 'main.js');

/**
 * @param {{env?: Record<string,string>, dataDir?: string, script?: string, args?: string[], timeoutMs?: number}} [options]
 *   script defaults to server/dist/main.js (run with node, cwd = repository root);
 *   env is merged over process.env (PORT defaults to 0); without TAPGATE_DATA_DIR (in env or
 *   dataDir) a temporary directory is made and removed again by stop().
 */
function startServer(options = {}) {
  const timeoutMs = options.timeoutMs ?? 20000;
  const script = options.script ?? MAIN;
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
  const proc = spawn(process.execPath, [script, ...(options.args || [])], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
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
    return exited;
  }

  async function kill() {
    if (running()) proc.kill('SIGKILL');
    const result = await exited;
    if (ownDir) fs.rmSync(ownDir, { recursive: true, force: true });
    return result;
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

module.exports = { startServer, REPO_ROOT };
