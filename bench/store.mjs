// A stored state with 100 accounts and 1,000 history items, for the cold-start figures.
// Fast path: enrolling 100 accounts costs 100+ Argon2id derivations (PIN verified, new PIN key:
// two per later enrolment, seconds each on a busy 2-core machine). Instead one real enrolment
// against the bench server gives a valid state; its account is then repeated with fresh Ed25519
// and X25519 key pairs (node:crypto), new ids and salts, and its history item repeated with new
// session ids. Opening it costs what opening 100 enrolled accounts costs (parse, decode, check);
// the server does not know the copies, and a cold start never contacts it.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { enrol, relyingParty, sdk, stringStorage } from './lib.mjs';

const b64u = (b) => Buffer.from(b).toString('base64url');
function ed25519() {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const d = Buffer.from(privateKey.export({ format: 'jwk' }).d, 'base64url');
  const x = Buffer.from(publicKey.export({ format: 'jwk' }).x, 'base64url');
  return { sk: b64u(Buffer.concat([d, x])), pk: b64u(x) };
}
function x25519() {
  const { privateKey, publicKey } = generateKeyPairSync('x25519');
  return { sk: privateKey.export({ format: 'jwk' }).d, pk: publicKey.export({ format: 'jwk' }).x };
}

/** { state, enrolMs } — state: the JSON blob with `accounts` accounts and `history` items. */
export async function buildStore(server, { accounts = 100, history = 1000 } = {}) {
  const rp = relyingParty(server);
  const storage = stringStorage();
  const { Authenticator } = sdk();
  const auth = await Authenticator.create({ storage });
  const t0 = performance.now();
  await enrol(auth, rp, 'store-0');
  const enrolMs = performance.now() - t0;
  await auth.close();
  const state = JSON.parse(storage.state);
  const [acc] = state.accounts;
  const [item] = state.history;
  state.accounts = [];
  for (let i = 0; i < accounts; i++) {
    const sign = ed25519();
    const box = x25519();
    const salt = b64u(randomBytes(16));
    state.accounts.push({ ...acc, accountId: acc.accountId + 1000 + i, name: `user-${i}@example.com`, userId: `user-${i}`,
      signSk: sign.sk, signPk: sign.pk, boxSk: box.sk, boxPk: box.pk, pinSalt: salt, bioSalt: salt, created: acc.created + i });
  }
  state.history = [];
  for (let i = 0; i < history; i++) {
    const a = state.accounts[i % accounts];
    state.history.push({ ...item, kind: i < accounts ? 'enrol' : 'login', accountId: a.accountId, accountName: a.name,
      session: b64u(randomBytes(16)), started: item.started + i * 1000, ended: item.ended + i * 1000 });
  }
  return { state: JSON.stringify(state), enrolMs };
}
