// Server: logins per second and p50/p99 latency at fixed arrival rates (open loop) against the
// bench server (SQLite, its own process), driven by a device simulator built on the Node SDK.
// Each arrival is a whole QR login: the relying party fetches a login QR (REST), the device
// starts the session, confirms the account and logs in (2 device requests). The server's
// pinTimeout is set so the second factor is skipped after the first PIN: the simulator then
// spends no Argon2id per login and the server, not the device's PIN derivation, is measured.
// Simulator and server share the machine's 2 cores.
import { drive, enrol, median, percentile, relyingParty, sdk, sleep } from './lib.mjs';

const CMD = 'npm run bench -- --only=server';

async function login(auth, rp) {
  const t0 = performance.now();
  const s = await auth.startSession(await rp.loginQr(rp.newNonce()));
  await drive(s);
  await s.finished;
  return performance.now() - t0;
}

export async function run(ctx) {
  const rates = ctx.quick ? [10, 30] : [10, 20, 30, 40];
  const seconds = ctx.quick ? 3 : 5;
  const { Authenticator } = sdk();
  const rp = relyingParty(ctx.server);
  const rows = [];
  let auth;
  try {
    for (const rate of rates) {
      // A fresh device per rate: every login adds a history item and the whole state is
      // serialised on every change, so one device's cost grows with its history.
      await auth?.close();
      auth = await Authenticator.create({});
      await rp.updateServer({ pinTimeout: 0 });
      await enrol(auth, rp, `load-${rate}`);
      await rp.updateServer({ pinTimeout: 3600 });
      await login(auth, rp); // warm
      const total = rate * seconds;
      const lat = [];
      let failed = 0;
      const t0 = performance.now();
      const all = [];
      for (let i = 0; i < total; i++) {
        const at = t0 + (i * 1000) / rate;
        const wait = at - performance.now();
        if (wait > 0) await sleep(wait);
        all.push(login(auth, rp).then((ms) => lat.push(ms), () => failed++));
      }
      await Promise.all(all);
      const took = (performance.now() - t0) / 1000;
      rows.push({ group: 'server', measure: `QR logins offered at ${rate}/s for ${seconds} s`, value: `${(lat.length / took).toFixed(1)} logins/s completed, p50 ${median(lat).toFixed(0)} ms, p99 ${percentile(lat, 99).toFixed(0)} ms${failed ? `, **${failed} failed**` : ''}`, command: CMD });
    }
  } finally {
    await rp.updateServer({ pinTimeout: 0 }).catch(() => {});
    await auth?.close();
  }
  return rows;
}
