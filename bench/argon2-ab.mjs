#!/usr/bin/env node
// Argon2id A/B by hand (not part of `npm run bench`): wasm builds of bench/argon2-standalone.c
// against libsodium-wrappers-sumo's crypto_pwhash, same parameters (m = 64 MiB, t = 2, p = 1,
// "2580", zero salt), interleaved in rounds (order reversed every other round) so that a busy
// machine slows all of them alike. Per derivation: CPU ms of the process; the first of each
// process (heap growth) is dropped. Prints medians, spread, the ratio to sumo paired round by
// round, and the derived keys (which must agree).
//   node bench/argon2-ab.mjs 5 simd=/tmp/simd.js base=/tmp/a2.js      # rounds, name=built .js …
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { median, require } from './lib.mjs';

const [rounds = '5', ...builds] = process.argv.slice(2);
const sumo = join(tmpdir(), 'tapgate-argon2-sumo.cjs');
writeFileSync(sumo, `const sodium = require(${JSON.stringify(require.resolve('libsodium-wrappers-sumo'))});
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
sodium.ready.then(() => {
  const salt = new Uint8Array(sodium.crypto_pwhash_SALTBYTES);
  let key;
  for (let i = 0; i < 8; i++) {
    const t0 = cpu();
    key = sodium.crypto_pwhash(32, '2580', salt, sodium.crypto_pwhash_OPSLIMIT_INTERACTIVE, sodium.crypto_pwhash_MEMLIMIT_INTERACTIVE, sodium.crypto_pwhash_ALG_ARGON2ID13);
    console.log((cpu() - t0).toFixed(1) + ' ms');
  }
  console.log('key ' + sodium.to_hex(key));
});
`);
const variants = [...builds.map((b) => b.split('=')), ['sumo', sumo]];
const res = new Map(variants.map(([name]) => [name, { rounds: [], all: [], keys: new Set() }]));
for (let r = 0; r < Number(rounds); r++) {
  for (const [name, file] of r % 2 ? [...variants].reverse() : variants) {
    const out = execFileSync(process.execPath, ['--no-experimental-fetch', file], { encoding: 'utf8' });
    const ms = [...out.matchAll(/^([\d.]+) ms$/gm)].map((m) => Number(m[1])).slice(1);
    const x = res.get(name);
    x.rounds.push(median(ms));
    x.all.push(...ms);
    x.keys.add(/^key (\w+)$/m.exec(out)[1]);
  }
}
const ref = res.get('sumo');
for (const [name, x] of res) {
  const paired = x.rounds.map((m, i) => m / ref.rounds[i]);
  console.log(`${name}: median ${median(x.all).toFixed(0)} ms (min ${Math.min(...x.all).toFixed(0)}, max ${Math.max(...x.all).toFixed(0)}); ` +
    `÷ sumo per round ${paired.map((p) => p.toFixed(2)).join(' ')}, median ${median(paired).toFixed(3)}; key ${[...x.keys].join(' ')}`);
}
