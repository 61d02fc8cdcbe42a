// The SQL drivers under the Store (server/src/sql/): SQLite always, PostgreSQL when
// TAPGATE_TEST_DATABASE_URL names a cluster (scripts/test.sh). The same statements, with `?`
// placeholders, give the same answers on both: numbers for BIGINT and COUNT(*), Buffers for
// bytes; a transaction found by async context, joined when nested, rolled back on a throw, its
// afterCommit hooks run only on commit; and on PostgreSQL a NOTIFY sent in a transaction arrives
// at a LISTEN connection only when it commits.
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { SqliteDriver } = require('@tapgate/server/dist/sql/sqlite');
const { PgDriver } = require('@tapgate/server/dist/sql/postgres');
const { TEST_DATABASE_URL, createTestDatabase, dropTestDatabase } = require('./helpers/server-process');

const dialects = [['sqlite', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tapgate-sql-'));
  return { driver: new SqliteDriver(path.join(dir, 'db.sqlite')), done: async () => fs.rmSync(dir, { recursive: true, force: true }) };
}]];
if (TEST_DATABASE_URL) {
  dialects.push(['postgres', async () => {
    const db = await createTestDatabase();
    return { driver: await PgDriver.connect(db.url), done: () => dropTestDatabase(db.name) };
  }]);
}

describe.each(dialects)('%s', (dialect, open) => {
  let driver;
  let done;
  beforeAll(async () => {
    ({ driver, done } = await open());
  });
  afterAll(async () => {
    await driver?.close();
    await done?.();
  });

  test('placeholders, numbers and bytes', async () => {
    expect(driver.dialect).toBe(dialect);
    const t = 1_732_700_000_123;  // ms: more than 32 bits
    await driver.run('INSERT INTO settings (key, value) VALUES (?, ?)', ['k1', 'v1']);
    expect(await driver.get('SELECT value FROM settings WHERE key = ?', ['k1'])).toEqual({ value: 'v1' });
    const id = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
    await driver.run('INSERT INTO pin_challenges (challenge, account, expires) VALUES (?, ?, ?)', [id, 7, t]);
    const row = await driver.get('SELECT challenge, account, expires FROM pin_challenges WHERE challenge = ?', [id]);
    expect(Buffer.isBuffer(row.challenge)).toBe(true);
    expect(row).toEqual({ challenge: id, account: 7, expires: t });
    const count = await driver.get('SELECT COUNT(*) AS n FROM pin_challenges WHERE expires > ?', [0]);
    expect(count.n).toBe(1);
    expect(await driver.run('DELETE FROM pin_challenges WHERE challenge = ?', [id])).toBe(1);
    expect(await driver.get('SELECT * FROM pin_challenges WHERE challenge = ?', [id])).toBeUndefined();
  });

  test('transactions: found by context, nested ones join, a throw rolls back, hooks run after commit only', async () => {
    const heard = [];
    await driver.transaction(async () => {
      await driver.run('INSERT INTO settings (key, value) VALUES (?, ?)', ['t1', 'a']);
      driver.afterCommit(() => heard.push('outer'));
      await driver.transaction(async () => {
        await driver.run('UPDATE settings SET value = ? WHERE key = ?', ['b', 't1']);
        driver.afterCommit(() => heard.push('inner'));
      });
      expect(heard).toEqual([]);
    });
    expect(heard).toEqual(['outer', 'inner']);
    expect((await driver.get('SELECT value FROM settings WHERE key = ?', ['t1'])).value).toBe('b');

    await expect(
      driver.transaction(async () => {
        await driver.run('UPDATE settings SET value = ? WHERE key = ?', ['lost', 't1']);
        driver.afterCommit(() => heard.push('never'));
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect((await driver.get('SELECT value FROM settings WHERE key = ?', ['t1'])).value).toBe('b');
    expect(heard).toEqual(['outer', 'inner']);
  });

  test('concurrent transactions each see the others\' committed increments (no lost update)', async () => {
    await driver.run('INSERT INTO settings (key, value) VALUES (?, ?)', ['counter', '0']);
    const forUpdate = dialect === 'postgres' ? ' FOR UPDATE' : '';
    await Promise.all(
      Array.from({ length: 12 }, () =>
        driver.transaction(async () => {
          const { value } = await driver.get(`SELECT value FROM settings WHERE key = ?${forUpdate}`, ['counter']);
          await new Promise((r) => setTimeout(r, 2));
          await driver.run('UPDATE settings SET value = ? WHERE key = ?', [String(Number(value) + 1), 'counter']);
        }),
      ),
    );
    expect((await driver.get('SELECT value FROM settings WHERE key = ?', ['counter'])).value).toBe('12');
  });

  (dialect === 'postgres' ? test : test.skip)('a deadlock victim is run again: both transactions complete', async () => {
    await driver.run('INSERT INTO settings (key, value) VALUES (?, ?), (?, ?)', ['lockA', '0', 'lockB', '0']);
    let runs = 0;
    let bothHoldTheirFirstLock;
    const barrier = new Promise((resolve) => (bothHoldTheirFirstLock = resolve));
    let holding = 0;
    // Each locks one row, waits until the other holds its row, then wants the other's: a deadlock.
    const crossing = (first, second) =>
      driver.transaction(async () => {
        runs += 1;
        await driver.run('UPDATE settings SET value = value || ? WHERE key = ?', ['x', first]);
        if (++holding === 2) bothHoldTheirFirstLock();
        await barrier;
        await driver.run('UPDATE settings SET value = value || ? WHERE key = ?', ['x', second]);
      });
    await Promise.all([crossing('lockA', 'lockB'), crossing('lockB', 'lockA')]);
    expect(runs).toBe(3);  // the victim ran twice
    expect((await driver.get('SELECT value FROM settings WHERE key = ?', ['lockA'])).value).toBe('0xx');
    expect((await driver.get('SELECT value FROM settings WHERE key = ?', ['lockB'])).value).toBe('0xx');
  });

  (dialect === 'postgres' ? test : test.skip)('transactions run with synchronous_commit off; a durable one commits, with its NOTIFYs, in the same round trip', async () => {
    // The suite's throwaway cluster runs with synchronous_commit off for speed; a driver whose
    // connections start with it on (as a production cluster's do) shows what the driver changes.
    const db = await createTestDatabase();
    const strict = await PgDriver.connect(`${db.url}${db.url.includes('?') ? '&' : '?'}options=${encodeURIComponent('-c synchronous_commit=on')}`);
    try {
      const setting = () => strict.get("SELECT current_setting('synchronous_commit') AS s");
      expect((await setting()).s).toBe('on');  // outside a transaction: the session's, durable
      let strictInside;
      await strict.transaction(async () => {
        strictInside = (await setting()).s;
      });
      expect(strictInside).toBe('off');
    } finally {
      await strict.close();
      await dropTestDatabase(db.name);
    }
    const setting = () => driver.get("SELECT current_setting('synchronous_commit') AS s");
    let inside;
    await driver.transaction(async () => {
      inside = (await setting()).s;
    });
    expect(inside).toBe('off');
    const got = [];
    const stop = await driver.listen('tapgate_test_durable', (p) => got.push(p));
    try {
      await driver.transaction(async () => {
        await driver.run('INSERT INTO settings (key, value) VALUES (?, ?)', ['durable-pg', "it's"]);
        await driver.notify('tapgate_test_durable', "quote ' and \\ backslash");
        driver.durable();
      });
      expect((await driver.get('SELECT value FROM settings WHERE key = ?', ['durable-pg'])).value).toBe("it's");
      const deadline = Date.now() + 5000;
      while (got.length < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(got).toEqual(["quote ' and \\ backslash"]);
    } finally {
      await stop();
    }
  });

  (dialect === 'postgres' ? test : test.skip)('NOTIFY in a transaction reaches LISTEN at commit, not before, never on rollback', async () => {
    const got = [];
    const stop = await driver.listen('tapgate_test_channel', (p) => got.push(p));
    try {
      let sentBeforeCommit;
      await driver.transaction(async () => {
        await driver.notify('tapgate_test_channel', 'one');
        await new Promise((r) => setTimeout(r, 100));
        sentBeforeCommit = got.length;
      });
      await expect(
        driver.transaction(async () => {
          await driver.notify('tapgate_test_channel', 'rolled back');
          throw new Error('no');
        }),
      ).rejects.toThrow('no');
      await driver.notify('tapgate_test_channel', 'two');
      const deadline = Date.now() + 5000;
      while (got.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(sentBeforeCommit).toBe(0);
      expect(got).toEqual(['one', 'two']);
    } finally {
      await stop();
    }
  });
});
