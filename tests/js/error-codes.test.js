// One contract across languages: the error codes of the C++ table (src/error.hpp) are the ones the
// TypeScript union offers (js/src/errors.ts), the server's numbered device errors
// (server/src/device-api.ts) carry the C++ numbers, and the core reads each of them back as the
// same code (src/wire.cpp errorFromServerCode). Read from the sources, so any side drifting fails here.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..');
const read = (p) => fs.readFileSync(path.join(ROOT, p), 'utf8');

/** name -> { num, kind } of the X-macro table. */
const cpp = new Map([...read('src/error.hpp').matchAll(/^\s*X\((\w+), (\d+), (\w+)\)/gm)].map(([, name, num, kind]) => [name, { num: Number(num), kind: kind.toLowerCase() }]));
const tsSource = read('js/src/errors.ts');
const union = tsSource.slice(tsSource.indexOf('export type TapgateErrorCode'), tsSource.indexOf(';', tsSource.indexOf('export type TapgateErrorCode')));
const ts = new Set([...union.matchAll(/'([A-Z_]+)'/g)].map((m) => m[1]));
const server = new Map([...read('server/src/device-api.ts').matchAll(/^export const ERR_(\w+) = (\d+);/gm)].map(([, name, num]) => [name, Number(num)]));
const wireSource = read('src/wire.cpp');
const fromServer = wireSource.slice(wireSource.indexOf('ErrorCode errorFromServerCode('), wireSource.indexOf('default:', wireSource.indexOf('ErrorCode errorFromServerCode(')));
const mapped = new Map([...fromServer.matchAll(/case (\d+): return ErrorCode::(\w+);/g)].map(([, num, name]) => [Number(num), name]));

test('the tables were found', () => {
  expect(cpp.size).toBeGreaterThan(20);
  expect(ts.size).toBeGreaterThan(20);
  expect(server.size).toBeGreaterThan(3);
  expect(mapped.size).toBeGreaterThan(3);
});

test('every C++ code is in the TypeScript union; the union\'s others are raised by the JS layer itself', () => {
  expect([...cpp.keys()].filter((name) => !ts.has(name))).toEqual([]);
  const jsSources = fs.readdirSync(path.join(ROOT, 'js', 'src')).filter((f) => f.endsWith('.ts')).map((f) => read(`js/src/${f}`)).join('\n');
  for (const name of [...ts].filter((n) => !cpp.has(n))) {
    // A JS-only code must be made somewhere outside its own declaration in the union.
    const uses = jsSources.split(`'${name}'`).length - 1;
    expect({ name, uses: uses > 1 }).toEqual({ name, uses: true });
  }
});

test('the server\'s numbered device errors carry the C++ numbers and are read back as the same codes', () => {
  for (const [name, num] of server) {
    expect({ name, known: cpp.has(name) }).toEqual({ name, known: true });
    expect({ name, num }).toEqual({ name, num: cpp.get(name).num });
    expect({ name, readBackAs: mapped.get(num) }).toEqual({ name, readBackAs: name });
  }
});
