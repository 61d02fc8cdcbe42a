#!/usr/bin/env node
// `npm run bench`: every figure, as a Markdown table, also written into docs/performance.md
// between the `bench:begin` / `bench:end` markers. One file per figure group:
//   size.mjs        core .wasm + glue, raw and gzip -9, against libsodium.js
//   cold-start.mjs  import + Authenticator.create, empty and 100 accounts / 1,000 history items, Node + Chromium
//   round-trips.mjs requests per flow
//   latency.mjs     50 ms simulated RTT: startSession → confirmlogin, setPinBiometric → login; Argon2id per PIN
//   scale.mjs       1,000 concurrent sessions in one process: memory per session, events/s
//   server-load.mjs saturation logins/s, p50/p99, server CPU/login (bench/load/ load generator) vs a bare node:http floor
//   qr.mjs          scanQr on 640×480 frames
// Options: --quick (fewer runs, smaller N), --only=size,latency,… (groups), --no-browser,
//          --no-readme (print only; docs/performance.md is left alone). Needs a build (node scripts/build.mjs) and /usr/bin/chromium.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { root, startBenchServer } from './lib.mjs';

const args = process.argv.slice(2);
const only = args.find((a) => a.startsWith('--only='))?.slice(7).split(',');
const ctx = { quick: args.includes('--quick'), noBrowser: args.includes('--no-browser') };
const GROUPS = [
  ['size', './size.mjs'],
  ['cold-start', './cold-start.mjs'],
  ['round-trips', './round-trips.mjs'],
  ['latency', './latency.mjs'],
  ['scale', './scale.mjs'],
  ['server', './server-load.mjs'],
  ['qr', './qr.mjs'],
  ['sdk', './sdk-cpu.mjs'],
];

const rows = [];
const started = performance.now();
const server = await startBenchServer();
ctx.server = server;
try {
  for (const [name, file] of GROUPS) {
    if (only && !only.includes(name)) continue;
    const t0 = performance.now();
    process.stderr.write(`[bench] ${name} …`);
    try {
      const mod = await import(file);
      rows.push(...(await mod.run(ctx)));
      process.stderr.write(` ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
    } catch (err) {
      process.stderr.write(` failed: ${err.stack ?? err}\n`);
      rows.push({ group: name, measure: '(failed)', value: String(err.message ?? err).split('\n')[0], command: `npm run bench -- --only=${name}` });
    }
  }
} finally {
  await server.stop();
}

const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const header = `Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on ${execFileSync('uname', ['-m']).toString().trim()} ` +
  `(${cpus().length} cores, ${cpus()[0]?.model?.trim()}), Node ${process.version}, load average at the end ${load}` +
  `${ctx.quick ? ', `--quick`' : ''}; bench wall time ${((performance.now() - started) / 1000).toFixed(0)} s.`;
const table = ['| group | measure | value | command |', '|---|---|---|---|',
  ...rows.map((r) => `| ${r.group} | ${r.measure} | ${r.value} | \`${r.command}\` |`)].join('\n');
const section = `${header}\n\n${table}\n`;
console.log(section);

if (!args.includes('--no-readme') && !only) {
  const readme = join(root, 'docs', 'performance.md');
  const text = readFileSync(readme, 'utf8');
  const begin = '<!-- bench:begin (written by `npm run bench`) -->';
  const end = '<!-- bench:end -->';
  const a = text.indexOf(begin);
  const b = text.indexOf(end);
  if (a < 0 || b < a) {
    console.error('docs/performance.md has no bench markers: not updated');
  } else {
    writeFileSync(readme, `${text.slice(0, a + begin.length)}\n${section}${text.slice(b)}`);
    console.error('[bench] docs/performance.md updated');
  }
}
