// The reference server in the test's own process (createTapgateServer from @tapgate/server) on a
// real HTTP port, for suites that move its clock, count its statements or look at its internals.
// On the PostgreSQL run (TAPGATE_TEST_DATABASE_URL) it gets a fresh database of its own, dropped
// again by close(); unhandled paths are answered 404.
'use strict';
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const { TEST_DATABASE_URL, createTestDatabase, dropTestDatabase } = require('./server-process');

/**
 * `makeOptions({url, dir, databaseUrl})` (may be async) returns createTapgateServer's options:
 * `url` is the HTTP port's origin, `dir` a fresh temporary directory (removed by close()) and
 * `databaseUrl` the fresh PostgreSQL database, or undefined on SQLite (or with `testDatabase: false`).
 * Resolves with {tapgate, url, dir, databaseUrl, server: {url, serverId, rootApiKey}, close()}.
 */
async function startInProcess(makeOptions, { testDatabase = Boolean(TEST_DATABASE_URL) } = {}) {
  const { createTapgateServer } = require('@tapgate/server');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tapgate-in-process-'));
  const db = testDatabase ? await createTestDatabase() : null;
  let tapgate = null;
  const httpServer = http.createServer((req, res) => {
    tapgate.handle(req, res).then((handled) => {
      if (!handled) res.writeHead(404).end();
    });
  });
  await new Promise((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${httpServer.address().port}`;
  let closed = false;
  async function close() {
    if (closed) return;
    closed = true;
    httpServer.closeAllConnections();
    await new Promise((resolve) => httpServer.close(resolve));
    await tapgate?.close();
    if (db) await dropTestDatabase(db.name);
    fs.rmSync(dir, { recursive: true, force: true });
  }
  try {
    tapgate = await createTapgateServer(await makeOptions({ url, dir, databaseUrl: db?.url }));
  } catch (err) {
    await close().catch(() => {});
    throw err;
  }
  return {
    tapgate,
    url,
    dir,
    databaseUrl: db?.url ?? null,
    server: { url, serverId: tapgate.serverId, rootApiKey: tapgate.rootApiKey },
    close,
  };
}

module.exports = { startInProcess };
