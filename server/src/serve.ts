// Runs the reference server on node:http in this process (the CLI, main.ts; a cluster's workers).
// stdout carries JSON lines only: the `listening` line (printed by the primary in a cluster), then
// one access-log line per request; stderr carries human-readable notes.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { CLUSTER_PORT_ENV, type WorkerLink } from './cluster';
import type { CliConfig } from './config';
import { createTapgateServer, keepDeviceConnectionsAlive, type TapgateServer } from './index';
import { logLine, logRequest } from './request-log';
import { isPostgresUrl, redactDatabaseUrl } from './sql/postgres';
import type { RateLimit, RateLimitName } from './rate-limit';

export function fail(message: string): never {
  process.stderr.write(`tapgate-server: ${message}\n`);
  process.exit(1);
}

/**
 * Serves `config` on node:http in this process: alone (the default), or as worker `worker.index`
 * of a cluster, whose primary prints the `listening` line and relays between the workers.
 */
export async function serve(config: CliConfig, worker?: { link: WorkerLink; index: number }): Promise<void> {
  const { port, host, dataDir } = config;
  // The first worker speaks for all on stderr and sweeps on the timer (the others sweep at start only).
  const speaks = !worker || worker.index === 0;

  let tapgate: TapgateServer | null = null;
  let inFlight = 0;
  let onIdle: (() => void) | null = null;
  const server = http.createServer((req, res) => {
    if (config.accessLog) logRequest(req, res);
    // In-flight count for the graceful shutdown; status streams are ended by drain(), so they count too.
    inFlight++;
    let counted = true;
    const settle = () => {
      if (!counted) return;
      counted = false;
      inFlight--;
      if (inFlight === 0) onIdle?.();
    };
    res.once('finish', settle);
    res.once('close', settle);
    if (!tapgate) {
      res.statusCode = 503;
      res.end();
      return;
    }
    tapgate
      .handle(req, res)
      .then((handled) => {
        if (!handled && !res.headersSent) {
          res.statusCode = 404;
          res.setHeader('Content-Type', 'application/json; charset=utf-8');
          res.end(JSON.stringify({ error: 'not found' }));
        }
      })
      .catch(() => {
        if (!res.headersSent) res.statusCode = 500;
        res.end();
      });
  });
  keepDeviceConnectionsAlive(server);
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });

  const listen = () =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    }).catch((err: Error) => fail(`cannot listen on ${host}:${port}: ${err.message}`));
  // A worker that replaces one that died knows the cluster's port already: it starts first and
  // listens once ready, so the primary hands it no connection it would answer 503. Every other
  // start listens first (port 0 is only known then); nobody knows the port before the listening line.
  const knownPort = worker ? Number(process.env[CLUSTER_PORT_ENV]) || null : null;
  if (!knownPort) await listen();
  const actualPort = knownPort ?? (server.address() as AddressInfo).port;
  // The address it listens on, not "localhost": clients then never try ::1 first and fall back.
  const reachable = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  const url = `http://${reachable.includes(':') ? `[${reachable}]` : reachable}:${actualPort}`;
  const publicUrl = config.publicUrl || url;
  const keyFromEnv = !!process.env.TAPGATE_ROOT_API_KEY;
  try {
    tapgate = await createTapgateServer({
      dataDir,
      databaseUrl: config.databaseUrl,
      keyFile: config.keyFile,
      key: config.key,
      keyOverlapMs: config.keyOverlapMs,
      pushLimits: config.pushLimits,
      pushCodeMatch: config.pushCodeMatch,
      oidc: config.oidc,
      publicUrl,
      webPush: { subject: config.webPushSubject, allowHttp: config.webPushAllowHttp, allowHosts: config.webPushAllowHosts },
      rateLimits: { rp: config.rpRateLimit, device: config.deviceRateLimit, account: config.accountRateLimit },
      deviceOrigins: config.deviceOrigins,
      retention: speaks ? config.retention : { ...config.retention, intervalMs: 0 },
      // On PostgreSQL the buckets are in the database, shared with every instance, workers or not.
      ...(worker ? { relay: worker.link } : {}),
      ...(worker && !isPostgresUrl(config.databaseUrl) ? { rateLimiter: (name: RateLimitName, limit: RateLimit) => worker.link.rateLimiter(name, limit) } : {}),
      ...config.push,
    });
  } catch (err) {
    server.close();
    fail(`cannot start: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (knownPort) await listen();

  // Graceful shutdown: not ready, no new connections, status streams ended, requests in flight
  // finish (up to the grace period), then the database closes and the process exits 0.
  // Handlers first: a supervisor may send SIGTERM as soon as it reads the listening line.
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    const started = Date.now();
    if (speaks) process.stderr.write(`tapgate-server: ${signal}, draining (${inFlight} in flight, grace ${config.shutdownGraceMs} ms)\n`);
    logLine('info', 'shutting down', { signal, inFlight, graceMs: config.shutdownGraceMs });
    tapgate?.drain();
    server.close();
    server.closeIdleConnections();
    let finished = false;
    const finish = (reason: string) => {
      if (finished) return;
      finished = true;
      clearTimeout(graceTimer);
      server.closeAllConnections();
      const exit = () => {
        logLine('info', 'stopped', { reason, inFlight, durationMs: Date.now() - started });
        if (speaks) process.stderr.write(`tapgate-server: stopped (${reason})\n`);
        process.exit(0);
      };
      (tapgate?.close() ?? Promise.resolve()).then(exit, exit);
    };
    const graceTimer = setTimeout(() => finish('grace period over'), config.shutdownGraceMs);
    // Keep-alive sockets that become idle after their last response close at once.
    onIdle = () => {
      server.closeIdleConnections();
      finish('all requests done');
    };
    if (inFlight === 0) onIdle();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  // A worker whose primary is gone (killed) has nobody to take its rate-limit tokens from: it stops too.
  if (worker) process.on('disconnect', () => stop('primary gone'));

  if (worker) {
    worker.link.listening(actualPort, url, tapgate.serverId);
    return;
  }

  // The root key is printed only when the server generated it: the operator has no other way to
  // learn it, while a key given in the environment must not end up in logs.
  process.stdout.write(
    `${JSON.stringify({ event: 'listening', port: actualPort, url, serverId: tapgate.serverId, workers: 1, ...(keyFromEnv || !tapgate.rootApiKey ? {} : { rootApiKey: tapgate.rootApiKey }) })}\n`,
  );
  process.stderr.write(`tapgate-server: listening on ${host}:${actualPort}, device API at ${publicUrl}/device\n`);
  process.stderr.write(
    `tapgate-server: storage ${config.databaseUrl ? `PostgreSQL at ${redactDatabaseUrl(config.databaseUrl)}` : `SQLite in ${dataDir}`}\n`,
  );
}
