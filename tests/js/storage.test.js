// FileStorage under the faults a crash or a full disk leave behind, and how a failed save reaches
// the app: the key file is created whole or not at all, a torn key is regenerated only while no
// state could depend on it, concurrent first saves agree on one key, and a save that fails rejects
// session.finished and deleteAccount with a `storage` error besides the Authenticator's `error` event.
const fs = require('node:fs');
const path = require('node:path');
const { Authenticator, FileStorage, TapgateError } = require('@tapgate/authenticator/node');
const { useServer, useServers } = require('./helpers/fixture');
const { enrol, driveLogin } = require('./helpers/flows');
const { readStoredState, storedBytes } = require('./helpers/drive');

const fx = useServers();
const tempDir = () => fx.tempDir('tapgate-storage-');

describe('FileStorage key file', () => {
  test('an empty or short key file with no state is replaced by a whole key', async () => {
    for (const torn of [0, 1, 31]) {
      const dir = tempDir();
      fs.writeFileSync(path.join(dir, 'state.key'), Buffer.alloc(torn, 7));
      const store = new FileStorage(dir);
      expect(await store.load()).toBeNull();
      await store.save('{"first":true}');
      expect(fs.readFileSync(path.join(dir, 'state.key'))).toHaveLength(32);
      expect(fs.statSync(path.join(dir, 'state.key')).mode & 0o777).toBe(0o600);
      expect(await new FileStorage(dir).load()).toBe('{"first":true}');
      expect(fs.readdirSync(dir).sort()).toEqual(['state.bin', 'state.key']);  // no temporary files left
    }
  });

  test('a short key file beside a state file is STATE_CORRUPT and nothing is touched, on load and on save', async () => {
    const dir = tempDir();
    await new FileStorage(dir).save('{"account":"kept"}');
    const state = storedBytes(dir);
    fs.writeFileSync(path.join(dir, 'state.key'), fs.readFileSync(path.join(dir, 'state.key')).subarray(0, 16));
    const key = fs.readFileSync(path.join(dir, 'state.key'));
    await expect(new FileStorage(dir).load()).rejects.toMatchObject({ code: 'STATE_CORRUPT', kind: 'storage' });
    await expect(Authenticator.create({ storage: dir })).rejects.toMatchObject({ code: 'STATE_CORRUPT' });
    await expect(new FileStorage(dir).save('{"account":"gone"}')).rejects.toMatchObject({ code: 'STATE_CORRUPT' });
    expect(storedBytes(dir)).toEqual(state);
    expect(fs.readFileSync(path.join(dir, 'state.key'))).toEqual(key);
  });

  test('a missing key file beside a state file is STATE_CORRUPT on save too: the state is never re-keyed', async () => {
    const dir = tempDir();
    await new FileStorage(dir).save('{"account":"kept"}');
    const state = storedBytes(dir);
    fs.unlinkSync(path.join(dir, 'state.key'));
    await expect(new FileStorage(dir).save('{"account":"gone"}')).rejects.toMatchObject({ code: 'STATE_CORRUPT' });
    expect(storedBytes(dir)).toEqual(state);
    expect(fs.existsSync(path.join(dir, 'state.key'))).toBe(false);
  });

  test('first saves racing on a fresh folder agree on one key (no writer replaces another\'s key)', async () => {
    for (let round = 0; round < 10; round++) {
      const dir = path.join(tempDir(), 'store');  // not there yet: the first save makes it
      const stores = Array.from({ length: 4 }, () => new FileStorage(dir));
      await Promise.all(stores.map((s, i) => s.save(JSON.stringify({ writer: i }))));
      const loaded = JSON.parse(await new FileStorage(dir).load());
      expect([0, 1, 2, 3]).toContain(loaded.writer);
      // Every writer still encrypts under the key on disk.
      for (const [i, s] of stores.entries()) {
        await s.save(JSON.stringify({ writer: i, again: true }));
        expect(JSON.parse(await new FileStorage(dir).load())).toEqual({ writer: i, again: true });
      }
      expect(fs.readdirSync(dir).sort()).toEqual(['state.bin', 'state.key']);
    }
  });
});

describe('a failed save reaches the app', () => {
  const env = useServer();

  test('session.finished and deleteAccount reject with a storage error; the Authenticator emits error; the next good save stores everything', async () => {
    const dir = tempDir();
    const auth = await env.authenticator({ storage: dir });
    const errors = [];
    auth.addEventListener('error', (e) => errors.push(e.detail.error));
    await enrol(auth, env.rp, { userid: 'saved', finished: true });
    expect(errors).toEqual([]);
    const before = storedBytes(dir);

    // A non-empty folder where state.bin should go: every rename onto it fails (even for root).
    const statePath = path.join(dir, 'state.bin');
    fs.renameSync(statePath, `${statePath}.aside`);
    fs.mkdirSync(path.join(statePath, 'blocker'), { recursive: true });
    const second = await enrol(auth, env.rp, { userid: 'unsaved' });
    expect(second.verdict.result).toBe('SUCCESS');
    const failure = await second.session.finished.then(() => null, (err) => err);
    expect(failure).toBeInstanceOf(TapgateError);
    expect(failure).toMatchObject({ code: 'STORAGE_UNAVAILABLE', kind: 'storage' });
    expect(second.session.state).toBe('DONE');  // the session itself succeeded; only the save did not
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.every((e) => e instanceof TapgateError && e.kind === 'storage')).toBe(true);
    const doomed = auth.accounts.find((a) => a.userId === 'unsaved');
    await expect(auth.deleteAccount(doomed)).rejects.toMatchObject({ kind: 'storage' });

    // The disk recovers: the next save carries every change so far.
    fs.rmSync(statePath, { recursive: true });
    fs.renameSync(`${statePath}.aside`, statePath);
    expect(storedBytes(dir)).toEqual(before);
    const third = await driveLogin(auth, env.rp);
    await expect(third.session.finished).resolves.toBe(third.session);
    const stored = await readStoredState(dir);
    expect(stored.accounts.map((a) => a.userId)).toEqual(['saved']);  // 'unsaved' was enrolled, then deleted
    expect(fs.readdirSync(dir).sort()).toEqual(['state.bin', 'state.key']);
  });
});
