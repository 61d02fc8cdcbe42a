// Issue 12, item 3: a crafted enrol QR or `tapgate:` link must never kill a Node app using the SDK.
// Each crafted input runs in a child Node process (helpers/crafted-input-child.js) through the
// public API; the child counts unhandledRejection / uncaughtException events. Before the fix the
// core accepted URLs a browser's URL parser refuses (`http://127.0.0.1:99999`, `http://[::1`,
// `http://h%zz`, `https://h:1:2`, …), the fetch failed, and the request runner's error path threw
// from a second `new URL()`: an unhandled rejection. Now the core refuses such a QR as
// QR_PARSE_ERROR (32), and a transport that fails in any odd way is a typed NETWORK_ERROR.
const { spawn } = require('node:child_process');
const http = require('node:http');
const net = require('node:net');
const path = require('node:path');

const CHILD = path.join(__dirname, 'helpers', 'crafted-input-child.js');

function runChild(cases) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CHILD, JSON.stringify({ cases })], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code, signal) => {
      const lines = out.split('\n').filter(Boolean).map((l) => JSON.parse(l));
      resolve({ code, signal, stderr: err, lines });
    });
  });
}

/** An enrol QR payload (docs/protocol.md §2) naming `url` as the device API. */
function enrolQr(url) {
  const u = Buffer.from(url, 'latin1');
  return Buffer.concat([Buffer.from([1, 2]), Buffer.alloc(16, 1), Buffer.alloc(16, 2), Buffer.alloc(32, 3), Buffer.from([u.length]), u]);
}

// Core-accepted before the fix, refused by WHATWG URL parsing (the report's four first).
const BROWSER_INVALID = [
  'http://127.0.0.1:99999', 'http://[::1', 'http://h%zz', 'https://h:1:2',
  'http://', 'http://:80/', 'http://h:65536/', 'http://h:80a/', 'http://[::1]x/', 'http://[1::2::3]/',
  'http://[::1%25eth0]/', 'http://1.2.3.4.5/', 'http://256.0.0.1/', 'http://foo.123/', 'http://a%b/', 'http://xn--zz/',
];
// Browser-valid but refused by the core's rules (userinfo, fragment, repaired forms, spaces).
const POLICY_REFUSED = ['http://u:p@h/', 'http://h/#frag', 'http:///h/', 'http://h\\x', 'http://a b/', 'HTTP://h/'];

test('crafted enrol QRs and links with bad device API URLs are QR_PARSE_ERROR, and never crash the app', async () => {
  const cases = [];
  for (const url of [...BROWSER_INVALID, ...POLICY_REFUSED]) {
    const bytes = enrolQr(url);
    cases.push({ name: `bytes ${url}`, bytes: bytes.toString('base64') });
    cases.push({ name: `tapgate: ${url}`, link: `tapgate:${bytes.toString('base64url')}` });
    cases.push({ name: `https# ${url}`, link: `https://example.com/enrol#${bytes.toString('base64url')}` });
  }
  const run = await runChild(cases);
  expect(run.lines.find((l) => l.phase === 'failed')).toBeUndefined();
  expect(run.lines.at(-1)).toEqual({ phase: 'done' });
  expect(run.code).toBe(0);
  const results = run.lines.filter((l) => l.phase === 'case');
  expect(results).toHaveLength(cases.length);
  for (const r of results) {
    expect({ name: r.name, crashes: r.crashes }).toEqual({ name: r.name, crashes: [] });
    expect({ name: r.name, startError: r.startError, state: r.state })
      .toEqual({ name: r.name, startError: { code: 'QR_PARSE_ERROR', numericCode: 32, kind: 'remote' }, state: 'ERROR' });
  }
});

describe('a transport that fails oddly is a typed network error', () => {
  let garbage;
  let truncated;
  beforeAll(async () => {
    // Answers that make Node's own fetch reject: bytes that are no HTTP, and a body cut short.
    garbage = net.createServer((s) => s.end('THIS IS NOT HTTP\r\n\r\n', () => s.destroy()));
    truncated = http.createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
      res.write('{"body":"');
      setTimeout(() => res.socket.destroy(), 20);
    });
    await Promise.all([garbage, truncated].map((s) => new Promise((r) => s.listen(0, '127.0.0.1', r))));
  });
  afterAll(async () => {
    truncated.closeAllConnections();
    await Promise.all([garbage, truncated].map((s) => new Promise((r) => s.close(r))));
  });

  test('odd rejections, odd answers and broken servers end the session as NETWORK_ERROR, no crash', async () => {
    const at = (server) => `http://127.0.0.1:${server.address().port}/device`;
    const valid = enrolQr('http://127.0.0.1:9/device').toString('base64');
    const cases = [
      ...['rejectsWithASymbol', 'rejectsWithAHostileObject', 'rejectsWithNull', 'throwsSynchronously', 'answersNoStatus',
        'answersANonTextBody', 'bodyRejects', 'answersNothing'].map((fetch) => ({ name: fetch, fetch, bytes: valid })),
      { name: 'server answers no HTTP', bytes: enrolQr(at(garbage)).toString('base64') },
      { name: 'server cuts the body short', bytes: enrolQr(at(truncated)).toString('base64') },
    ];
    const run = await runChild(cases);
    expect(run.lines.find((l) => l.phase === 'failed')).toBeUndefined();
    expect(run.code).toBe(0);
    const results = run.lines.filter((l) => l.phase === 'case');
    expect(results).toHaveLength(cases.length);
    for (const r of results) {
      expect({ name: r.name, crashes: r.crashes, startError: r.startError, state: r.state, error: r.error }).toEqual({
        name: r.name, crashes: [], startError: null, state: 'ERROR', error: { code: 'NETWORK_ERROR', numericCode: 2, kind: 'network' },
      });
    }
  });
});
