#!/usr/bin/env node
// The cost of a shared rate-limit take on PostgreSQL (server/src/rate-limit-shared.ts): one upsert
// per limited request. Standalone (npm run bench has no PostgreSQL): on a fresh database of the
// cluster at TAPGATE_TEST_DATABASE_URL (bash scripts/pg-cluster.sh start build/pg-test prints one),
//   TAPGATE_TEST_DATABASE_URL=… node bench/rate-buckets.mjs
// prints the mean time of sequential takes over 10 keys, and the rate of concurrent takes on one
// key (they wait for each other's row lock: the most one caller's bucket can be drawn from).
import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';
import { root } from './lib.mjs';

const require = createRequire(import.meta.url);
const { Client } = require(`${root}/node_modules/pg`);
const { PgDriver } = require(`${root}/server/dist/sql/postgres.js`);
const { SharedTokenBuckets } = require(`${root}/server/dist/rate-limit-shared.js`);

const cluster = process.env.TAPGATE_TEST_DATABASE_URL;
if (!cluster) throw new Error('set TAPGATE_TEST_DATABASE_URL (bash scripts/pg-cluster.sh start build/pg-test)');
const name = `tapgate_bench_${randomBytes(6).toString('hex')}`;
const admin = new Client({ connectionString: cluster });
await admin.connect();
await admin.query(`CREATE DATABASE "${name}"`);
const url = new URL(cluster);
url.pathname = `/${name}`;
const driver = await PgDriver.connect(url.toString());
try {
  // A limit never reached: every take is the full statement (refill, take, row lock).
  const buckets = new SharedTokenBuckets(driver, 'rp', { ratePerSecond: 1e6, burst: 1e6 });
  for (let i = 0; i < 200; i++) await buckets.take(`k${i % 10}`);  // warm: connections, prepared statement
  const n = 2000;
  let t0 = performance.now();
  for (let i = 0; i < n; i++) await buckets.take(`k${i % 10}`);
  const sequentialMs = (performance.now() - t0) / n;
  t0 = performance.now();
  await Promise.all(Array.from({ length: n }, () => buckets.take('one-key')));
  const concurrentS = (performance.now() - t0) / 1000;
  console.log(`sequential take: ${sequentialMs.toFixed(3)} ms each (10 keys); ${n} concurrent takes on one key: ${(n / concurrentS).toFixed(0)}/s`);
} finally {
  await driver.close();
  await admin.query(`DROP DATABASE "${name}"`);
  await admin.end();
}
