// The provider's secrets: its token-signing keys (a JWKS), the keys its cookies are signed with,
// and the data key the adapter seals payloads with. Made on first start and stored in the
// settings table wrapped by the same KeyWrapper as the servers' signing keys (server-keys.ts),
// so a copy of the database alone signs nothing and opens nothing. Instances sharing a database
// settle on the first stored value.
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { fromB64u, randomBytes, toB64u, utf8 } from '../crypto';
import type { Store } from '../db';
import type { KeyWrapper } from '../server-keys';

export interface OidcSecrets {
  /** Private JWKs: RS256 (what every client accepts by default) and ES256. */
  jwks: { keys: Record<string, unknown>[] };
  cookieKeys: string[];
  dataKey: Uint8Array;
}

const SETTING = 'oidcSecrets';
/** Associated data of the wrapped secrets: a wrapped server key put here does not open. */
const CONTEXT = utf8('tapgate-oidc-secrets-v1');

function signingKey(kind: 'rsa' | 'ec'): Record<string, unknown> {
  const { privateKey } = kind === 'rsa'
    ? generateKeyPairSync('rsa', { modulusLength: 2048 })
    : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { ...privateKey.export({ format: 'jwk' }), kid: randomUUID(), use: 'sig', alg: kind === 'rsa' ? 'RS256' : 'ES256' };
}

function fresh(): OidcSecrets {
  return {
    jwks: { keys: [signingKey('rsa'), signingKey('ec')] },
    cookieKeys: [toB64u(randomBytes(32))],
    dataKey: randomBytes(32),
  };
}

export async function oidcSecrets(store: Store, wrapper: KeyWrapper): Promise<OidcSecrets> {
  const candidate = fresh();
  const clear = utf8(JSON.stringify({ ...candidate, dataKey: toB64u(candidate.dataKey) }));
  const stored = await store.settingOnce(SETTING, toB64u(await wrapper.wrap(clear, CONTEXT)));
  const wrapped = fromB64u(stored);
  if (!wrapped) throw new Error(`the setting ${SETTING} is not base64url`);
  const opened = JSON.parse(Buffer.from(await wrapper.unwrap(wrapped, CONTEXT)).toString('utf8')) as OidcSecrets & { dataKey: string };
  const dataKey = fromB64u(opened.dataKey);
  if (!dataKey || dataKey.length !== 32) throw new Error(`the setting ${SETTING} holds no 32-byte data key`);
  return { jwks: opened.jwks, cookieKeys: opened.cookieKeys, dataKey };
}
