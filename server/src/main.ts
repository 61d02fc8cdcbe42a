#!/usr/bin/env node
// CLI: runs the reference server on node:http. Env: PORT (default 8080, 0 = any free port),
// HOST (default 127.0.0.1), TAPGATE_PUBLIC_URL, TAPGATE_DATA_DIR (default ./data), TAPGATE_ROOT_API_KEY,
// TAPGATE_WEBPUSH_SUBJECT (VAPID contact), TAPGATE_WEBPUSH_ALLOW_HTTP=1 (let Web Push reach http:
// endpoints: a local stand-in push service in development and tests; never in production).
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTapgateServer, keepDeviceConnectionsAlive, type TapgateServer } from './index';

function fail(message: string): never {
  process.stderr.write(`tapgate-server: ${message}\n`);
  process.exit(1);
}

async function main(): Promise<void> {
  const portText = process.env.PORT ?? '8080';
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65535) fail(`invalid PORT ${JSON.stringify(portText)}`);
  const host = process.env.HOST || '127.0.0.1';
  const dataDir = process.env.TAPGATE_DATA_DIR || './data';

  let tapgate: TapgateServer | null = null;
  const server = http.createServer((req, res) => {
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

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  }).catch((err: Error) => fail(`cannot listen on ${host}:${port}: ${err.message}`));

  const actualPort = (server.address() as AddressInfo).port;
  // The address it listens on, not "localhost": clients then never try ::1 first and fall back.
  const reachable = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  const url = `http://${reachable.includes(':') ? `[${reachable}]` : reachable}:${actualPort}`;
  const publicUrl = process.env.TAPGATE_PUBLIC_URL || url;
  try {
    const allowHttp = process.env.TAPGATE_WEBPUSH_ALLOW_HTTP === '1';
    tapgate = await createTapgateServer({
      dataDir,
      publicUrl,
      webPush: {
        subject: process.env.TAPGATE_WEBPUSH_SUBJECT || undefined,
        allowEndpoint: (url) => url.protocol === 'https:' || (allowHttp && url.protocol === 'http:'),
      },
    });
  } catch (err) {
    server.close();
    fail(`cannot start: ${err instanceof Error ? err.message : String(err)}`);
  }

  // Handlers first: a supervisor may send SIGTERM as soon as it reads the listening line.
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`tapgate-server: ${signal}, closing\n`);
    server.close(() => {
      tapgate?.close();
      process.exit(0);
    });
    server.closeAllConnections();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));

  process.stdout.write(
    `${JSON.stringify({ event: 'listening', port: actualPort, url, serverId: tapgate.serverId, rootApiKey: tapgate.rootApiKey })}\n`,
  );
  process.stderr.write(`tapgate-server: listening on ${host}:${actualPort}, device API at ${publicUrl}/device\n`);
}

main().catch((err) => fail(err instanceof Error ? err.message : String(err)));
