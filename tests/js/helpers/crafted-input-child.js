// Child process of tests/js/crafted-input.test.js: a plain Node app using the SDK, fed crafted
// input through the public API. It counts every unhandledRejection and uncaughtException (the
// crash of issue 12, item 3, was an unhandled rejection that ended the process) and reports, as
// one JSON line per case, how each case ended. The parent checks the typed errors and the counts.
'use strict';
const { Authenticator } = require('@tapgate/authenticator/node');
const { withTimeout } = require('./drive');

const opts = JSON.parse(process.argv[2]);
const say = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);
const crashes = [];
process.on('unhandledRejection', (reason) => crashes.push({ type: 'unhandledRejection', reason: String(reason?.stack ?? reason) }));
process.on('uncaughtException', (err) => crashes.push({ type: 'uncaughtException', reason: String(err?.stack ?? err) }));

const errorOf = (e) => (e ? { code: e.code, numericCode: e.numericCode, kind: e.kind } : null);

/** Starts a session from `input` and waits until it is final (or 10 s). */
async function run(auth, input) {
  let session;
  let startError = null;
  try {
    session = await auth.startSession(input);
  } catch (err) {
    startError = errorOf(err);
    session = err.session;
  }
  if (session) await withTimeout(session.finished, 10_000, 'session').catch(() => {});
  // Give anything the SDK left running a chance to fail where nobody listens.
  await new Promise((r) => setTimeout(r, 50));
  return { startError, state: session?.state ?? null, error: errorOf(session?.error) };
}

/** Transports that fail the way no well-behaved fetch does. */
const oddFetches = {
  rejectsWithASymbol: async () => { throw Symbol('odd'); },
  rejectsWithAHostileObject: async () => { throw { get message() { throw new Error('getter'); }, toString() { throw new Error('toString'); } }; },
  rejectsWithNull: async () => { throw null; },
  throwsSynchronously: () => { throw new Error('sync'); },
  answersNoStatus: async () => ({ status: 'teapot', text: async () => '{}' }),
  answersANonTextBody: async () => ({ status: 200, text: async () => ({ not: 'text' }) }),
  bodyRejects: async () => ({ status: 200, text: async () => { throw new TypeError('terminated'); } }),
  answersNothing: async () => undefined,
};

(async () => {
  for (const c of opts.cases) {
    const fetch = c.fetch ? oddFetches[c.fetch] : undefined;
    const auth = await Authenticator.create({ requestTimeout: 5000, ...(fetch ? { fetch } : {}) });
    const input = c.bytes ? Buffer.from(c.bytes, 'base64') : c.link;
    const outcome = await run(auth, input);
    await auth.close();
    say({ phase: 'case', name: c.name, ...outcome, crashes: crashes.splice(0) });
  }
  say({ phase: 'done' });
})().catch((err) => {
  say({ phase: 'failed', message: String(err?.stack ?? err) });
  process.exitCode = 1;
});
