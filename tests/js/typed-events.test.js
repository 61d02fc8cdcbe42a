// The SDK's events are typed for a strict TypeScript consumer: a consumer file (below) is compiled
// with `tsc --strict` against the built package's declarations. It reads each event's detail with
// no casts; the `@ts-expect-error` lines must be errors, so a map that let any detail through
// (an `any`) fails the compile as surely as a missing one.
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..');

const CONSUMER = `
import { Authenticator, LocalPushRelay, type Session } from '@tapgate/authenticator/node';

export async function consume(auth: Authenticator, session: Session, relay: LocalPushRelay): Promise<string[]> {
  const seen: string[] = [];
  session.addEventListener('secondfactor', (e) => { seen.push(e.detail.context, ...e.detail.allowed); });
  session.addEventListener('statechange', (e) => { seen.push(e.detail.state, e.detail.pseudoState, e.detail.historyStatus); });
  session.addEventListener('confirmlogin', (e) => { seen.push(String(e.detail.accounts.length), e.detail.transaction?.amount ?? ''); });
  session.addEventListener('confirmenrol', (e) => { seen.push(e.detail.visualHash, e.detail.server.url); });
  session.addEventListener('login', (e) => { seen.push(e.detail.historyStatus); });
  session.addEventListener('error', (e) => { seen.push(e.detail.error.code, e.detail.error.kind); });
  session.addEventListener('stop', (e) => { seen.push(e.detail.historyStatus); });
  auth.addEventListener('session', (e) => { seen.push(e.detail.session.state); });
  auth.addEventListener('accountupdate', (e) => { seen.push(e.detail.account.name); });
  auth.addEventListener('message', (e) => { seen.push(e.detail.message.text, e.detail.account.serverName); });
  auth.addEventListener('serverkey', (e) => { seen.push(e.detail.visualHash); });
  auth.addEventListener('error', (e) => { seen.push(e.detail.error.message); });
  relay.addEventListener('error', (e) => { seen.push(String(e.detail.error)); });
  // @ts-expect-error: a secondfactor detail has no such field
  session.addEventListener('secondfactor', (e) => { seen.push(e.detail.visualHash); });
  // @ts-expect-error: a state is not a number
  session.addEventListener('statechange', (e) => { const n: number = e.detail.state; seen.push(String(n)); });
  // Names the SDK does not dispatch still take plain listeners.
  session.addEventListener('custom', (e: Event) => { seen.push(e.type); });
  return seen;
}
`;

test('a strict TypeScript consumer reads every event detail without casts (tsc --strict)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tapgate-typed-events-'));
  try {
    fs.writeFileSync(path.join(dir, 'consumer.ts'), CONSUMER);
    fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({
      compilerOptions: {
        strict: true, noEmit: true, target: 'ES2022', module: 'Node16', moduleResolution: 'Node16', lib: ['ES2022', 'DOM'], types: [], skipLibCheck: false,
        // The package as an app would install it: its built declarations, through its exports.
        baseUrl: '.', paths: { '@tapgate/authenticator/node': [path.join(ROOT, 'js', 'dist', 'types', 'node.d.ts')] },
      },
      files: ['consumer.ts'],
    }));
    let output = '';
    try {
      execFileSync(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', dir], { encoding: 'utf8' });
    } catch (err) {
      output = `${err.stdout}${err.stderr}`;
    }
    expect(output).toBe('');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
