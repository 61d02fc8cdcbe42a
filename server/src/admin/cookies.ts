// The console's two cookies: the pending sign-in (its secret names the relying-party session the
// login QR is on) and the signed-in session. Both HttpOnly, SameSite=Strict, Path=/admin, Secure
// when the public address is https; their values are 32 random bytes, stored only as digests.
import type * as http from 'node:http';
import { fromB64u, hash, utf8 } from '../crypto';
import { header } from '../http';

export const SESSION_COOKIE = 'tapgate_admin';
export const LOGIN_COOKIE = 'tapgate_admin_login';
export const COOKIE_BYTES = 32;

/** The 32 bytes of cookie `name`, or null when it is absent or not 32 bytes of base64url. */
export function cookieSecret(req: http.IncomingMessage, name: string): Uint8Array | null {
  for (const part of (header(req, 'cookie') ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at < 0 || part.slice(0, at).trim() !== name) continue;
    const bytes = fromB64u(part.slice(at + 1).trim());
    return bytes && bytes.length === COOKIE_BYTES ? bytes : null;
  }
  return null;
}

/** What the database keeps of a cookie: its domain-separated digest. */
export function secretDigest(purpose: 'session' | 'login', secret: Uint8Array): Uint8Array {
  return hash(utf8(`tapgate/admin/${purpose}`), secret);
}

/** A Set-Cookie value; `maxAgeS` 0 deletes the cookie. */
export function cookie(name: string, value: string, o: { maxAgeS: number; secure: boolean }): string {
  return `${name}=${value}; Path=/admin; Max-Age=${o.maxAgeS}; HttpOnly; SameSite=Strict${o.secure ? '; Secure' : ''}`;
}

export function addCookie(res: http.ServerResponse, value: string): void {
  const prev = res.getHeader('Set-Cookie');
  res.setHeader('Set-Cookie', [...(Array.isArray(prev) ? prev : prev === undefined ? [] : [String(prev)]), value]);
}
