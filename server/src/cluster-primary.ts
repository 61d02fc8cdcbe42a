// The primary of the CLI's cluster (--workers N, cluster.ts for the messages). It does the first
// start (schema, migrations, the key file, the root key, the first server) once, so the workers
// never race to make them, then forks N workers that share the port (node:cluster; connections go
// to them round-robin). It owns the rate-limit buckets, rebroadcasts each worker's relay messages
// to the others, prints the one `listening` line once every worker listens, restarts a worker that
// dies, and on SIGTERM/SIGINT drains them all before it exits.
import cluster, { type Worker } from 'node:cluster';
import { CLUSTER_PORT_ENV, isClusterMessage, type ClusterMessage } from './cluster';
import type { CliConfig } from './config';
import { createTapgateServer } from './index';
import { TokenBuckets, type RateLimitName } from './rate-limit';
import { logLine } from './request-log';
import { fail } from './serve';

/** More restarts than this within RESTART_WINDOW_MS is a crash loop: the primary gives up. */
const MAX_RESTARTS = 10;
const RESTART_WINDOW_MS = 60_000;
/** The worker's index (0..N-1) in its environment: a restarted worker takes the place of the one that died. */
export const WORKER_INDEX_ENV = 'TAPGATE_WORKER_INDEX';

export async function runPrimary(config: CliConfig): Promise<void> {
  const n = config.workers;
  const keyFromEnv = !!process.env.TAPGATE_ROOT_API_KEY;
  let rootApiKey: string | null = null;
  try {
    // The first start, as a single server would do it; nothing is served (the URL is a stand-in:
    // nothing is built from it until a request comes, and none comes here).
    const first = await createTapgateServer({
      dataDir: config.dataDir,
      databaseUrl: config.databaseUrl,
      keyFile: config.keyFile,
      key: config.key,
      keyOverlapMs: config.keyOverlapMs,
      publicUrl: config.publicUrl || 'http://127.0.0.1',
      retention: { ...config.retention, intervalMs: 0 },
    });
    rootApiKey = first.rootApiKey;
    await first.close();
  } catch (err) {
    fail(`cannot start: ${err instanceof Error ? err.message : String(err)}`);
  }

  const buckets: Record<RateLimitName, TokenBuckets> = {
    rp: new TokenBuckets(config.rpRateLimit),
    device: new TokenBuckets(config.deviceRateLimit),
    account: new TokenBuckets(config.accountRateLimit),
  };
  const listening = new Set<number>();
  let announced = false;
  let stopping = false;
  const restarts: number[] = [];
  const workers = new Map<number, Worker>();  // by index
  let port: number | null = null;  // once every worker listens

  const fork = (index: number): void => {
    const worker = cluster.fork({ [WORKER_INDEX_ENV]: String(index), ...(port ? { [CLUSTER_PORT_ENV]: String(port) } : {}) });
    workers.set(index, worker);
    worker.on('message', (m: unknown) => {
      if (!isClusterMessage(m)) return;
      if (m.tapgate === 'relay') {
        for (const other of workers.values()) if (other !== worker && other.isConnected()) other.send(m);
      } else if (m.tapgate === 'take') {
        const reply: ClusterMessage = { tapgate: 'took', id: m.id, retryAfter: buckets[m.name].take(m.key) };
        if (worker.isConnected()) worker.send(reply);
      } else if (m.tapgate === 'listening') {
        listening.add(index);
        if (announced) {
          logLine('info', 'worker ready', { worker: index, pid: worker.process.pid });
          process.stderr.write(`tapgate-server: worker ${index} ready again\n`);
        }
        if (!announced && listening.size === n) {
          announced = true;
          port = m.port;
          process.stdout.write(
            `${JSON.stringify({ event: 'listening', port: m.port, url: m.url, serverId: m.serverId, workers: n, ...(keyFromEnv || !rootApiKey ? {} : { rootApiKey }) })}\n`,
          );
          process.stderr.write(`tapgate-server: ${n} workers listening on ${config.host}:${m.port}\n`);
        }
      }
    });
    worker.on('exit', (code, signal) => {
      if (workers.get(index) === worker) workers.delete(index);
      listening.delete(index);
      if (stopping) {
        if (workers.size === 0) {
          logLine('info', 'stopped', { workers: n });
          process.stderr.write('tapgate-server: all workers stopped\n');
          process.exit(0);
        }
        return;
      }
      const how = signal ? `signal ${signal}` : `code ${code}`;
      // A worker that fails before all listen is a start that failed (its own message is on stderr).
      if (!announced) fail(`worker ${index} exited at start (${how})`);
      const now = Date.now();
      while (restarts.length && now - restarts[0] > RESTART_WINDOW_MS) restarts.shift();
      restarts.push(now);
      logLine('error', 'worker exited', { worker: index, pid: worker.process.pid, code, signal, restarting: restarts.length <= MAX_RESTARTS });
      if (restarts.length > MAX_RESTARTS) {
        process.stderr.write(`tapgate-server: worker ${index} exited (${how}); ${MAX_RESTARTS} restarts within ${RESTART_WINDOW_MS / 1000} s, giving up\n`);
        stop('crash loop');
        return;
      }
      process.stderr.write(`tapgate-server: worker ${index} exited (${how}), restarting it\n`);
      fork(index);
    });
  };

  // Every worker drains as a single server does (serve.ts); the primary exits once all have.
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`tapgate-server: ${signal}, draining ${workers.size} workers\n`);
    logLine('info', 'shutting down', { signal, workers: workers.size });
    if (workers.size === 0) process.exit(0);
    for (const worker of workers.values()) worker.process.kill('SIGTERM');
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));

  for (let i = 0; i < n; i++) fork(i);
}
