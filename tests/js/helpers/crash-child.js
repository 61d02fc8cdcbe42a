// Child process of tests/js/crash.test.js: opens a file-backed Authenticator, runs one enrolment or
// login from the QR it is given (drive.js answers every prompt), and reports each step on stdout as
// a JSON line. The parent SIGKILLs it at a random moment; or, with `killAfter`, it SIGKILLs itself
// `killDelayMs` after the answer to that request arrived (0: before the engine even sees it).
'use strict';
const { Authenticator } = require('@tapgate/authenticator/node');
const { drive } = require('./drive');

const opts = JSON.parse(process.argv[2]);
const say = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);

async function transport(url, init) {
  const p = new URL(url).pathname.replace(/^\/device/, '');
  say({ phase: 'send', path: p });
  const res = await fetch(url, init);
  const text = await res.text();
  say({ phase: 'answer', path: p, status: res.status });
  if (opts.killAfter === p) {
    if (opts.killDelayMs === 0) process.kill(process.pid, 'SIGKILL');
    setTimeout(() => process.kill(process.pid, 'SIGKILL'), opts.killDelayMs);
  }
  return { status: res.status, text: async () => text };
}

(async () => {
  const auth = await Authenticator.create({ storage: opts.storeDir, fetch: transport, requestTimeout: 10_000 });
  say({ phase: 'open', accounts: auth.accounts.length });
  const { session } = await drive(auth, Buffer.from(opts.qr, 'base64'));
  say({ phase: 'done', state: session.state, historyStatus: session.historyStatus, error: session.error?.code ?? null, accounts: auth.accounts });
  await auth.close();
})().catch((err) => {
  say({ phase: 'failed', message: String(err?.stack ?? err) });
  process.exitCode = 1;
});
