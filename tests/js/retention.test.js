// Each test runs an in-process server of its own (its own clock and retention settings): useServers, not useServer.
// Retention (issue 12, item 6): rows that anyone who can load a login page adds (relying-party and
// QR sessions, transactions), and what devices and messages leave behind (messages, relay queue,
// PIN challenges, seen request nonces, tombstones of deleted accounts), are deleted once no longer
// needed. The server runs in process with a clock the test moves; every row is made through the
// HTTP API (device_nonces by the push-token call, plus seeded rows), and the row counts go back down.
const path = require('node:path');
const { randomBytes } = require('node:crypto');
const { TEST_DATABASE_URL } = require('./helpers/server-process');
const { useServers } = require('./helpers/fixture');
const { relyingParty } = require('./helpers/rp');
const { enrol, eventually } = require('./helpers/flows');

jest.setTimeout(60_000);

const fx = useServers();

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const TABLES = ['rp_sessions', 'qr_sessions', 'transactions', 'messages', 'relay_queue', 'pin_challenges', 'device_nonces', 'accounts'];

/**
 * The server in process on a real HTTP port (helpers/in-process.js: on the PostgreSQL run, on a
 * fresh database), and a second connection to its database for counting rows; closed after the test.
 */
async function startInProcess(clock, retention) {
  // The counting connection first, and device_nonces made before the server opens the database:
  // this connection is synchronous (SQLite), so it must not wait for a lock the server holds.
  let query;
  let closeDb;
  const inProcess = await fx.startInProcess(async ({ url, dir, databaseUrl }) => {
    if (databaseUrl) {
      const { Client } = require('pg');
      const client = new Client({ connectionString: databaseUrl });
      await client.connect();
      query = async (sql, args = []) => (await client.query(sql.replace(/\?/g, (() => { let i = 0; return () => `$${++i}`; })()), args)).rows;
      closeDb = () => client.end();
    } else {
      const sqlite = new (require('better-sqlite3'))(path.join(dir, 'tapgate.sqlite'));
      query = async (sql, args = []) => (/^\s*select/i.test(sql) ? sqlite.prepare(sql).all(...args) : (sqlite.prepare(sql).run(...args), []));
      closeDb = async () => sqlite.close();
    }
    await ensureDeviceNonces(query);
    return { dbPath: path.join(dir, 'tapgate.sqlite'), databaseUrl, publicUrl: url, now: () => clock.now, retention };
  });

  const counts = async () => {
    const out = {};
    for (const t of TABLES) out[t] = Number((await query(`SELECT COUNT(*) AS n FROM ${t}`))[0].n);
    return out;
  };
  let closed = false;
  return fx.closeLater({
    tapgate: inProcess.tapgate,
    server: inProcess.server,
    query,
    counts,
    async close() {
      if (closed) return;
      closed = true;
      await closeDb();
      await inProcess.close();
    },
  });
}

/** device_nonces is written by the replay protection of /v1/pushtoken and /v1/applogin; made here if missing. */
async function ensureDeviceNonces(query) {
  const blob = TEST_DATABASE_URL ? 'BYTEA' : 'BLOB';
  await query(`CREATE TABLE IF NOT EXISTS device_nonces (account BIGINT NOT NULL, nonce ${blob} NOT NULL, expires BIGINT NOT NULL, PRIMARY KEY (account, nonce))`);
}

async function seedDeviceNonces(env, rows) {
  for (const [account, expires] of rows) await env.query('INSERT INTO device_nonces (account, nonce, expires) VALUES (?, ?, ?)', [account, randomBytes(32), expires]);
}

test('a moved clock brings every table back down, each at its rule, and keeps what is still needed', async () => {
  const clock = { now: Date.now() };
  const env = await startInProcess(clock, { intervalMs: 0, sessionMs: HOUR, loginMs: 3 * HOUR, transactionMs: 2 * HOUR, batchSize: 2 });
  const auth = await fx.authenticator();
  const leaver = await fx.authenticator();
  try {
    const rp = relyingParty(env.server);
    const base = await env.counts();
    // A device that stays (a one-shot login: its session and QR session are its login's) and one that leaves.
    const { nonce: loginNonce } = await enrol(auth, rp, { userid: 'stays' });
    await enrol(leaver, rp, { userid: 'leaves' });
    await auth.updatePushToken('retention-relay-token');
    // Anyone who can load a login page: sessions that are never used.
    for (let i = 0; i < 5; i++) await rp.loginQr(rp.newNonce());
    // Transactions for the signed-in user (a transaction needs one): QR sessions on the login's session.
    for (let i = 0; i < 3; i++) await rp.createTransaction(loginNonce, { amount: `EUR ${i}`, beneficiary: 'B', description: 'D' });
    await rp.sendMessage(auth.accounts[0].accountId, 'kept for 10 minutes');  // a message and a relay payload
    const challenge = await fetch(`${env.server.url}/device/v1/pincheck/challenge`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ v: 1, accountId: auth.accounts[0].accountId }),
    });
    expect(challenge.status).toBe(200);
    await rp.deleteAccount(leaver.accounts[0].accountId);  // a tombstone, and its deletion message
    await seedDeviceNonces(env, [[auth.accounts[0].accountId, clock.now + 5 * MINUTE], [auth.accounts[0].accountId, clock.now + 5 * MINUTE]]);

    const made = await env.counts();
    expect(made).toMatchObject({
      rp_sessions: base.rp_sessions + 2 + 5, qr_sessions: base.qr_sessions + 2 + 5 + 3 * 2, transactions: 3,  // a pushed transaction: a shown and a pushed QR session
      messages: 2 + 3, relay_queue: 1 + 3, pin_challenges: 1, device_nonces: 1 + 2, accounts: 2,  // + the transactions' pushes; the push token's nonce + 2 seeded
    });

    // Nothing has lapsed yet: a sweep deletes nothing.
    clock.now += MINUTE;
    expect(Object.values(await env.tapgate.sweep()).every((n) => n === 0)).toBe(true);
    expect(await env.counts()).toEqual(made);

    // Messages expire after 10 minutes; with them the relay payload, the challenge, the nonces and the tombstone go.
    clock.now += 10 * MINUTE;
    const report = await env.tapgate.sweep();
    expect(report).toMatchObject({ messages: 5, relay_queue: 4, pin_challenges: 1, device_nonces: 3, account_tombstones: 1 });
    expect(await env.counts()).toMatchObject({ ...made, messages: 0, relay_queue: 0, pin_challenges: 0, device_nonces: 0, accounts: 1 });

    // An hour on: the sessions nobody logged in to (and their QR sessions) are gone; the login stays.
    clock.now += HOUR;
    await env.tapgate.sweep();
    expect(await env.counts()).toMatchObject({ rp_sessions: base.rp_sessions + 1, qr_sessions: base.qr_sessions + 1, transactions: 3, accounts: 1 });
    expect((await rp.loginStatus(loginNonce)).loggedin).toBe(true);

    // Two hours after they were made, the transactions; three after it happened, the one-shot login.
    clock.now += HOUR;
    expect((await env.tapgate.sweep()).transactions).toBe(3);
    clock.now += HOUR;
    await env.tapgate.sweep();
    expect(await env.counts()).toEqual({ ...base, accounts: 1, device_nonces: 0 });
    expect((await rp.loginStatus(loginNonce)).loggedin).toBe(false);

    // The live account still works after all that.
    expect((await rp.accounts()).accounts.map((a) => a.userid)).toEqual(['stays']);
  } finally {
    await auth.close();
    await leaver.close();
    await env.close();
  }
});

test('the sweeper runs at start and on its timer, without a call', async () => {
  const clock = { now: Date.now() };
  const env = await startInProcess(clock, { intervalMs: 100, sessionMs: HOUR });
  try {
    const rp = relyingParty(env.server);
    for (let i = 0; i < 4; i++) await rp.loginQr(rp.newNonce());
    expect((await env.counts()).rp_sessions).toBe(4);
    clock.now += 2 * HOUR;
    await eventually(async () => (await env.counts()).rp_sessions === 0, 5_000, 50);
    expect((await env.counts()).qr_sessions).toBe(0);
  } finally {
    await env.close();
  }
});
