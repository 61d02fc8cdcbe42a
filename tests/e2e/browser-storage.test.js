// IndexedDbStorage and FallbackStorage in Chromium, under real browser conditions: two tabs making
// their first save at the same moment, and a profile that blocks site data (IndexedDB refused).
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { useDemo } = require('../js/helpers/fixture');
const { launchChromium, artifactPath } = require('./helpers/chromium');
const { relyingPartyLoggedIn, typePin, outcome, readIndexedDb } = require('./helpers/pwa');

let demo;
const site = useDemo();
beforeAll(async () => {
  demo = site.server;
}, 30_000);

const saveFrom = (page, name, state) => page.evaluate(async ([n, s]) => {
  const { IndexedDbStorage } = await import('/sdk/esm/index.js');
  try {
    await new IndexedDbStorage(n).save(s);
    return { saved: s };
  } catch (err) {
    return { code: err.code, kind: err.kind };
  }
}, [name, state]);

const loadFrom = (page, name) => page.evaluate(async (n) => {
  const { IndexedDbStorage } = await import('/sdk/esm/index.js');
  try {
    return { loaded: await new IndexedDbStorage(n).load() };
  } catch (err) {
    return { code: err.code };
  }
}, name);

test('first saves from two tabs at once: the key and the state land together, never mixed', async () => {
  const browser = await launchChromium();
  try {
    const tabs = [await browser.newPage(), await browser.newPage()];
    for (const tab of tabs) await tab.goto(`${demo.url}/style.css`);  // any page of the origin
    for (let round = 0; round < 6; round++) {
      const name = `race-${round}`;
      const results = await Promise.all(tabs.map((tab, i) => saveFrom(tab, name, `{"tab":${i}}`)));
      const saved = results.filter((r) => r.saved).map((r) => r.saved);
      // A save that lost the race to create the key fails whole, as a storage error.
      for (const r of results.filter((x) => !x.saved)) expect(r).toEqual({ code: 'STORAGE_UNAVAILABLE', kind: 'storage' });
      expect(saved.length).toBeGreaterThan(0);
      // Whatever the interleaving, the stored state decrypts with the stored key.
      const { loaded } = await loadFrom(tabs[0], name);
      expect(saved).toContain(loaded);
      const db = await readIndexedDb(tabs[1], name);
      expect(db.records.map((r) => r.key).sort()).toEqual(['key', 'state']);
    }
  } finally {
    await browser.close();
  }
}, 60_000);

test('site data blocked: a storage error, then the documented fallback to memory with a warning', async () => {
  // A real browser setting: "block sites from saving data" (cookies: block) refuses IndexedDB.
  const profileDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tapgate-blocked-'));
  fs.mkdirSync(path.join(profileDir, 'Default'));
  fs.writeFileSync(path.join(profileDir, 'Default', 'Preferences'), JSON.stringify({ profile: { default_content_setting_values: { cookies: 2 } } }));
  const blocked = await launchChromium({ profileDir, viewport: { width: 480, height: 900 } });
  const rp = await launchChromium();
  try {
    const app = await blocked.newPage();
    const errors = [];
    app.on('pageerror', (e) => errors.push(e.message));
    await app.goto(`${demo.url}/authenticator/`);
    await app.waitForSelector('body[data-ready=true]', { timeout: 30_000 });

    expect(await loadFrom(app, 'probe')).toEqual({ code: 'STORAGE_UNAVAILABLE' });
    const fallback = await app.evaluate(async () => {
      const { FallbackStorage, IndexedDbStorage } = await import('/sdk/esm/index.js');
      const storage = new FallbackStorage(new IndexedDbStorage('probe'));
      const events = [];
      storage.addEventListener('fallback', (e) => events.push({ code: e.detail.error.code, kind: e.detail.error.kind }));
      const before = await storage.load();
      await storage.save('{"kept":"in memory"}');
      return { before, after: await storage.load(), persistent: storage.persistent, events };
    });
    expect(fallback).toEqual({ before: null, after: '{"kept":"in memory"}', persistent: false, events: [{ code: 'STORAGE_UNAVAILABLE', kind: 'storage' }] });

    // The PWA says so, and still enrols (from a deep link: no camera in this browser).
    expect(await app.textContent('#storage-warning')).toContain('STORAGE_UNAVAILABLE');
    expect(await app.isVisible('#storage-warning')).toBe(true);
    const rpPage = await rp.newPage();
    await rpPage.goto(`${demo.url}/`);
    await rpPage.fill('#userid', 'bob-no-storage');
    await rpPage.click('#enrol');
    const link = await rpPage.locator('[data-link=enrol]').textContent({ timeout: 15_000 });
    await app.goto(`${demo.url}/authenticator/#${link}`);
    await app.waitForSelector('#confirm-enrol:not(.hidden)', { timeout: 30_000 });
    expect(new URL(app.url()).hash).toBe('');  // the link left the address bar
    await app.click('#accept-enrol');
    await typePin(app, '8642');
    await outcome(app, 'Enrolled and logged in.');
    await relyingPartyLoggedIn(rpPage, 'bob-no-storage');
    await app.screenshot({ path: artifactPath('pwa-storage-blocked.png') });
    expect(await app.textContent('#accounts')).toContain('bob-no-storage');
    // As documented: memory only, so a reload starts empty.
    await app.reload();
    await app.waitForSelector('body[data-ready=true]', { timeout: 30_000 });
    expect(await app.locator('#accounts li').count()).toBe(0);
    expect(errors).toEqual([]);
  } finally {
    await blocked.close();
    fs.rmSync(profileDir, { recursive: true, force: true });
    await rp.close();
  }
}, 90_000);
