// The server runs in this process (its SQL driver is counted), through useServers, not useServer.
// What one complete QR login costs the database (issue 13): the relying party's QR fetch, the
// device's /v1/start and /v1/login (second factor skipped inside pinTimeout), counted at the SQL
// driver of a server running in this process. Each request is one transaction and reads its
// relying-party session at most once (the status channel's before/after pair comes from the rows
// the request read and the RETURNING of its writes). On PostgreSQL the login's unlocked read of
// the session is followed by the locking one (the account is locked in between, in the order every
// path takes), one statement more.
'use strict';
const { SqliteDriver } = require('@tapgate/server/dist/sql/sqlite');
const { PgDriver } = require('@tapgate/server/dist/sql/postgres');
const { TEST_DATABASE_URL } = require('./helpers/server-process');
const { useServers } = require('./helpers/fixture');
const { enrolRaw, loginRaw } = require('./helpers/raw-device');

jest.setTimeout(60_000);

/** Counts the statements and top-level transactions run through `Driver` while `work` runs. */
async function counted(Driver, work) {
  const statements = [];
  let transactions = 0;
  const saved = {};
  for (const m of ['all', 'get', 'run', 'transaction']) saved[m] = Driver.prototype[m];
  for (const m of ['all', 'get', 'run']) {
    Driver.prototype[m] = function (sql, params) {
      statements.push(sql.replace(/\s+/g, ' ').trim());
      return saved[m].call(this, sql, params);
    };
  }
  let depth = 0;
  Driver.prototype.transaction = async function (fn) {
    if (depth++ === 0) transactions++;
    try {
      return await saved.transaction.call(this, fn);
    } finally {
      depth--;
    }
  };
  try {
    await work();
  } finally {
    Object.assign(Driver.prototype, saved);
  }
  return { statements, transactions };
}

// [name, driver, statements expected, on a PostgreSQL database of its own]
const backends = [['SQLite', SqliteDriver, 12, false]];
if (TEST_DATABASE_URL) backends.push(['PostgreSQL', PgDriver, 13, true]);

describe.each(backends)('%s', (name, Driver, expected, testDatabase) => {
  const fx = useServers();
  let server;
  let account;
  beforeAll(async () => {
    const inProcess = await fx.startInProcess(({ url, dir, databaseUrl }) => ({
      ...(databaseUrl ? { databaseUrl } : { dataDir: dir }), publicUrl: url, rootApiKey: 'statements-root-key',
    }), { testDatabase });
    const { url } = inProcess;
    server = { ...inProcess.server, rootApiKey: 'statements-root-key' };
    account = await enrolRaw(server);
    const put = await fetch(`${url}/servers/${server.serverId}/`, {
      method: 'PUT',
      headers: { 'X-apikey': server.rootApiKey, 'content-type': 'application/json' },
      body: JSON.stringify({ pinTimeout: 60 }),
    });
    expect(put.status).toBe(200);
    expect((await loginRaw(server, account)).result).toBe('SUCCESS');  // caches warm
  });

  test(`a complete QR login runs ${expected} statements in 3 transactions, reading rp_sessions once per request`, async () => {
    let answer;
    const { statements, transactions } = await counted(Driver, async () => {
      answer = await loginRaw(server, account);
    });
    expect(answer.result).toBe('SUCCESS');
    expect(transactions).toBe(3);
    expect(statements).toHaveLength(expected);
    const sessionReads = statements.filter((s) => s.startsWith('SELECT * FROM rp_sessions'));
    expect(sessionReads).toHaveLength(expected - 10);  // start 1, login 1 (PostgreSQL: 2), the QR fetch none
    expect(statements.filter((s) => /FROM servers/.test(s))).toHaveLength(0);  // the cached server row
  });
});
