// Durability and the server-row cache (issue 13): SQLite runs synchronous=NORMAL, and the writes
// whose loss after a power cut would lose an account or weaken a limit (enrolment, a PIN failure,
// key rotation, deletion, …) are checkpointed (fsynced) before their transaction's commit resolves;
// a login's own writes are not. The Store caches server rows: a change through the relying-party
// API takes effect on the very next device call, and a change made elsewhere (another process on
// the database) once invalidateServer is called.
'use strict';
const path = require('node:path');
const { cryptoReady, randomBytes, signKeyPair } = require('@tapgate/server/dist/crypto');
const { Store } = require('@tapgate/server/dist/db');
const { SqliteDriver } = require('@tapgate/server/dist/sql/sqlite');
const { LocalKeyWrapper } = require('@tapgate/server/dist/server-keys');
const { useServer } = require('./helpers/fixture');
const { login } = require('./helpers/flows');

jest.setTimeout(60_000);

const env = useServer();  // for the last test; the others run the Store in process

describe('SQLite driver and Store (in process)', () => {
  let dir;
  let store;
  let server;
  beforeAll(async () => {
    await cryptoReady();
    dir = env.tempDir('tapgate-durable-');
    store = new Store(new SqliteDriver(path.join(dir, 'db.sqlite')));
    store.useKeys(new LocalKeyWrapper(randomBytes(32)), Date.now);
    const kp = signKeyPair();
    server = randomBytes(32);
    await store.insertServer(server, kp.publicKey, kp.secretKey, 'durable', Date.now());
  });
  afterAll(async () => {
    await store?.close();
  });

  test('the database runs WAL with synchronous=NORMAL', async () => {
    expect(await store.sql.get('PRAGMA journal_mode')).toEqual({ journal_mode: 'wal' });
    expect(await store.sql.get('PRAGMA synchronous')).toEqual({ synchronous: 1 });
  });

  test('durable() syncs once its transaction commits; a rolled-back or ordinary one does not', async () => {
    const sql = store.sql;
    const before = sql.durableSyncs;
    await sql.transaction(async () => {
      await sql.run('INSERT INTO settings (key, value) VALUES (?, ?)', ['plain', '1']);
    });
    expect(sql.durableSyncs).toBe(before);
    await sql.transaction(async () => {
      await sql.run('INSERT INTO settings (key, value) VALUES (?, ?)', ['durable', '1']);
      sql.durable();
      expect(sql.durableSyncs).toBe(before);  // not before the commit
    });
    expect(sql.durableSyncs).toBe(before + 1);
    await expect(sql.transaction(async () => {
      sql.durable();
      throw new Error('rolled back');
    })).rejects.toThrow('rolled back');
    expect(sql.durableSyncs).toBe(before + 1);
  });

  test('account-losing writes are durable, a login\'s are not', async () => {
    const sql = store.sql;
    const durably = async (work) => {
      const before = sql.durableSyncs;
      await store.transaction(work);
      return sql.durableSyncs - before;
    };
    let id;
    expect(await durably(async () => {
      id = await store.insertAccount({ server, userid: 'u', pk: randomBytes(32), boxPk: randomBytes(32), pinPk: randomBytes(32), now: Date.now(), description: null });
    })).toBe(1);
    expect(await durably(() => store.setPinFailures(id, 1))).toBe(1);  // a counted wrong PIN
    expect(await durably(() => store.setPinFailures(id, 0))).toBe(0);  // a reset may be lost: safe side
    expect(await durably(async () => {
      await store.accountLoggedIn(id, Date.now());
      await store.factorVerified(id, Date.now());
    })).toBe(0);
    expect(await durably(() => store.updateServer(server, { name: 'n', pingTime: 0, pinTimeout: 0, pinTransTimeout: 0, pinAttemptLimit: 3, logo: null }))).toBe(1);
    expect(await durably(() => store.setAccountBlocked(id, true, Date.now()))).toBe(1);
    expect(await durably(() => store.deleteAccount(id, Date.now()))).toBe(1);
  });

  test('server rows are cached: a change by another process shows after invalidateServer, a local one at once', async () => {
    expect((await store.getServer(server)).name).toBe('n');
    // As another process would: straight to the database, past this Store.
    await store.sql.run('UPDATE servers SET name = ? WHERE id = ?', ['elsewhere', Buffer.from(server)]);
    expect((await store.getServer(server)).name).toBe('n');
    store.invalidateServer(server);
    expect((await store.getServer(server)).name).toBe('elsewhere');
    await store.updateServer(server, { name: 'local', pingTime: 0, pinTimeout: 0, pinTransTimeout: 0, pinAttemptLimit: 3, logo: null });
    expect((await store.getServer(server)).name).toBe('local');
    // A change rolled back leaves no trace in the cache.
    await expect(store.transaction(async () => {
      await store.updateServer(server, { name: 'rolled-back', pingTime: 0, pinTimeout: 0, pinTransTimeout: 0, pinAttemptLimit: 3, logo: null });
      expect((await store.getServer(server)).name).toBe('rolled-back');
      throw new Error('undo');
    })).rejects.toThrow('undo');
    expect((await store.getServer(server)).name).toBe('local');
  });
});

test('a PIN attempt limit changed through the relying-party API counts on the next device call', async () => {
  const { rp } = env;
  const auth = await env.enrolled();
  await rp.updateServer({ pinAttemptLimit: 5 });
  expect((await login(auth, rp, { pin: '0000' })).verdict).toMatchObject({ result: 'PIN_FAIL', attemptsLeft: 4 });
  await rp.updateServer({ pinAttemptLimit: 3 });
  expect((await login(auth, rp, { pin: '0000' })).verdict).toMatchObject({ result: 'PIN_FAIL', attemptsLeft: 1 });
});
