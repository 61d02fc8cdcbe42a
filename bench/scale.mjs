// Scale: N concurrent sessions in one Node process (one Authenticator, one enrolled account)
// against one bench server, each started from its own login QR and left waiting at the PIN
// prompt; then all stopped. Memory per session from RSS and JS heap deltas (after GC if exposed);
// events per second over the start phase and over the stop phase.
import { drive, enrol, relyingParty, sdk } from './lib.mjs';

const CMD = 'npm run bench -- --only=scale';
const EVENTS = ['statechange', 'confirmlogin', 'secondfactor', 'login', 'error', 'stop'];

const mem = () => {
  globalThis.gc?.();
  const m = process.memoryUsage();
  return { rss: m.rss, heap: m.heapUsed, ab: m.arrayBuffers };
};

export async function run(ctx) {
  const n = Number(process.env.BENCH_SCALE_N) || (ctx.quick ? 200 : 1000);
  const { Authenticator } = sdk();
  const rp = relyingParty(ctx.server);
  const auth = await Authenticator.create({});
  const rows = [];
  try {
    await enrol(auth, rp, 'scale-1');
    await rp.updateServer({ pinTimeout: 0 });
    const qrs = [];
    for (let i = 0; i < n; i += 50) qrs.push(...(await Promise.all(Array.from({ length: Math.min(50, n - i) }, () => rp.loginQr(rp.newNonce())))));
    let events = 0;
    const count = (s) => { for (const e of EVENTS) s.addEventListener(e, () => events++); };
    const before = mem();
    const t0 = performance.now();
    // Started in waves of 50 (1,000 start requests at once time out at the one server process
    // on a shared 2-core machine); every session stays open until the end.
    const sessions = [];
    for (let i = 0; i < n; i += 50) {
      sessions.push(...(await Promise.all(qrs.slice(i, i + 50).map(async (qr) => {
        const s = await auth.startSession(qr);
        count(s);
        await drive(s, { stopAtPrompt: true });
        return s;
      }))));
    }
    const t1 = performance.now();
    const startEvents = events;
    const during = mem();
    const live = sessions.filter((s) => s.pseudoState === 'WAIT_FOR_SECOND_FACTOR').length;
    events = 0;
    const t2 = performance.now();
    for (let i = 0; i < n; i += 50) {
      await Promise.all(sessions.slice(i, i + 50).map(async (s) => { await s.stopSession(); await s.finished; }));
    }
    const t3 = performance.now();
    const per = (k) => (during[k] - before[k]) / n / 1024;
    rows.push({ group: 'scale', measure: `${n} concurrent login sessions in one Node process, all waiting at the PIN prompt`, value: `${live}/${n} at the prompt after ${((t1 - t0) / 1000).toFixed(1)} s (1 start request each, started 50 at a time)`, command: CMD });
    rows.push({ group: 'scale', measure: 'memory per waiting session', value: `${per('rss').toFixed(1)} KiB RSS, ${per('heap').toFixed(1)} KiB JS heap${globalThis.gc ? ' (after GC)' : ''}; RSS ${(before.rss / 2 ** 20).toFixed(0)} → ${(during.rss / 2 ** 20).toFixed(0)} MiB`, command: CMD });
    rows.push({ group: 'scale', measure: 'events per second, starting (statechange, secondfactor; one account, so no confirmlogin)', value: `${Math.round(startEvents / ((t1 - t0) / 1000))} /s (${startEvents} events)`, command: CMD });
    rows.push({ group: 'scale', measure: 'events per second, stopping all, 50 at a time (statechange, stop; one abort request each)', value: `${Math.round(events / ((t3 - t2) / 1000))} /s (${events} events in ${((t3 - t2) / 1000).toFixed(1)} s)`, command: CMD });
  } finally {
    await auth.close();
  }
  return rows;
}
