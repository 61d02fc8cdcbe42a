// Cold start: loading the package, compiling and instantiating the core's wasm and
// Authenticator.create, with an empty store and with 100 accounts + 1,000 history items.
// Node: a fresh process per run. Chromium: a fresh browser (fresh profile, so no cached
// compiled wasm) per run, the page importing the browser package from the bench server.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildStore } from './store.mjs';
import { launchChromium, median, root, summary } from './lib.mjs';

const CMD = 'npm run bench -- --only=cold-start';

const CHILD = `
const t0 = performance.now();
const { Authenticator } = require(${JSON.stringify(join(root, 'js'))});
const fs = require('node:fs');
const blob = process.argv[1] ? fs.readFileSync(process.argv[1], 'utf8') : null;
const t1 = performance.now();
Authenticator.create({ storage: { load: async () => blob, save: async () => {} } }).then(async (auth) => {
  const t2 = performance.now();
  const n = auth.accounts.length, h = auth.history.length;
  await auth.close();
  console.log(JSON.stringify({ total: t2 - t0, create: t2 - t1, accounts: n, history: h, rss: process.memoryUsage().rss }));
});`;

export async function nodeColdStart(stateFile, runs) {
  const out = [];
  for (let i = 0; i < runs; i++) {
    out.push(JSON.parse(execFileSync(process.execPath, ['-e', CHILD, stateFile ?? ''], { encoding: 'utf8' })));
  }
  return out;
}

export async function chromiumColdStart(server, state, runs) {
  const out = [];
  for (let i = 0; i < runs; i++) {
    const browser = await launchChromium();
    try {
      const page = browser.pages()[0] ?? (await browser.newPage());
      await page.goto(`${server.url}/bench/`);
      out.push(await page.evaluate(async (blob) => {
        const t0 = performance.now();
        const { Authenticator } = await import('/sdk/esm/index.js');
        const t1 = performance.now();
        const auth = await Authenticator.create({ storage: { load: async () => blob, save: async () => {} } });
        const t2 = performance.now();
        const r = { total: t2 - t0, create: t2 - t1, accounts: auth.accounts.length, history: auth.history.length };
        await auth.close();
        return r;
      }, state));
    } finally {
      await browser.close();
    }
  }
  return out;
}

export async function run(ctx) {
  const runs = ctx.quick ? 3 : 5;
  const { state, enrolMs } = await buildStore(ctx.server);
  const dir = mkdtempSync(join(tmpdir(), 'tapgate-bench-'));
  const file = join(dir, 'state.json');
  writeFileSync(file, state);
  const rows = [];
  const add = (where, label, rs) => {
    const n = rs[0];
    rows.push({ group: 'cold start', measure: `${where}, ${label} (${n.accounts} accounts, ${n.history} history items): import + \`Authenticator.create\``, value: summary(rs.map((r) => r.total)), command: CMD });
  };
  try {
    add('Node', 'empty store', await nodeColdStart(null, runs));
    add('Node', 'large store', await nodeColdStart(file, runs));
    if (!ctx.noBrowser) {
      add('Chromium', 'empty store', await chromiumColdStart(ctx.server, null, runs));
      add('Chromium', 'large store', await chromiumColdStart(ctx.server, state, runs));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  rows.push({ group: 'cold start', measure: 'one real enrolment (first account, sets the PIN: one Argon2id derivation), for scale: the large store\'s 100 accounts are copies of it (bench/store.mjs)', value: `${Math.round(enrolMs)} ms`, command: CMD });
  return rows;
}
export { median };
