// Drives the demo's relying-party page and authenticator PWA (web-demo/) in tests.
'use strict';

/** Clicks "Show <kind> QR" on the relying-party page and returns the QR picture (PNG bytes). */
async function relyingPartyQr(rpPage, kind) {
  await rpPage.click(`#${kind}`);
  const img = rpPage.locator(`img[data-kind=${kind}]`);
  await img.waitFor({ timeout: 15_000 });
  const src = await img.getAttribute('src');
  return Buffer.from(src.split(',')[1], 'base64');
}

/** Resolves once the relying-party page says "Logged in as <user>". */
function relyingPartyLoggedIn(rpPage, user) {
  return rpPage.waitForFunction((u) => document.querySelector('#status').textContent === `Logged in as ${u}`, user, { timeout: 15_000 });
}

/** Types a PIN on the PWA's PIN pad, key by key, and presses OK. */
async function typePin(appPage, pin) {
  await appPage.waitForSelector('#pin-section:not(.hidden) #pin-pad [data-key="1"]:not([disabled])');
  for (const digit of pin) await appPage.click(`#pin-pad [data-key="${digit}"]`);
  await appPage.click('#pin-pad [data-key=ok]');
}

/** Resolves with the PWA's outcome line once it equals `text`. */
function outcome(appPage, text) {
  return appPage.waitForFunction((t) => document.querySelector('#outcome').textContent === t, text, { timeout: 20_000 });
}

/** Every record of every object store of an IndexedDB database, as the page sees them. */
function readIndexedDb(page, name) {
  return page.evaluate(async (dbName) => {
    const db = await new Promise((res, rej) => { const r = indexedDB.open(dbName); r.onsuccess = () => res(r.result); r.onerror = () => rej(r.error); });
    const out = {};
    for (const storeName of db.objectStoreNames) {
      const store = db.transaction(storeName).objectStore(storeName);
      const [keys, values] = await Promise.all([store.getAllKeys(), store.getAll()].map((r) => new Promise((res) => (r.onsuccess = () => res(r.result)))));
      out[storeName] = keys.map((key, i) => {
        const v = values[i];
        if (v instanceof CryptoKey) return { key, cryptoKey: { type: v.type, extractable: v.extractable, algorithm: v.algorithm.name, usages: v.usages } };
        const bytes = (x) => Array.from(x instanceof ArrayBuffer ? new Uint8Array(x) : new Uint8Array(x.buffer, x.byteOffset, x.byteLength));
        return { key, fields: Object.keys(v), iv: bytes(v.iv), data: bytes(v.data) };
      });
    }
    db.close();
    return out;
  }, name);
}

module.exports = { relyingPartyQr, relyingPartyLoggedIn, typePin, outcome, readIndexedDb };
