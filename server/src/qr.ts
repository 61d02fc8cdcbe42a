// Binary QR payloads of protocol.md §2: building and parsing.
export const QR_VERSION = 0x01;
export const QR_TYPE_LOGIN = 0x01;
export const QR_TYPE_ENROL = 0x02;
export const SERVER_ID_BYTES = 16;
export const SESSION_ID_BYTES = 16;
const HEADER = 2 + SERVER_ID_BYTES + SESSION_ID_BYTES; // 34: a whole login payload
const KEY_END = HEADER + 32;

export type QrKind = 'login' | 'enrol';

export interface QrPayload {
  kind: QrKind;
  serverId: Uint8Array;
  sessionId: Uint8Array;
  serverPk?: Uint8Array; // enrol only
  url?: string; // enrol only
}

/** Printable ASCII (no spaces or controls), http:// or https://, 1..255 bytes. */
export function isDeviceUrl(url: string): boolean {
  if (url.length < 1 || url.length > 255) return false;
  if (!url.startsWith('http://') && !url.startsWith('https://')) return false;
  for (let i = 0; i < url.length; i++) {
    const c = url.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f) return false;
  }
  return true;
}

export function buildLoginQr(serverId: Uint8Array, sessionId: Uint8Array): Uint8Array {
  const out = new Uint8Array(HEADER);
  out[0] = QR_VERSION;
  out[1] = QR_TYPE_LOGIN;
  out.set(serverId, 2);
  out.set(sessionId, 2 + SERVER_ID_BYTES);
  return out;
}

export function buildEnrolQr(serverId: Uint8Array, sessionId: Uint8Array, serverPk: Uint8Array, url: string): Uint8Array {
  if (!isDeviceUrl(url)) throw new Error('device URL must be 1..255 printable ASCII bytes starting with http(s)://');
  if (serverPk.length !== 32) throw new Error('server public key must be 32 bytes');
  const urlBytes = Buffer.from(url, 'ascii');
  const out = new Uint8Array(KEY_END + 1 + urlBytes.length);
  out[0] = QR_VERSION;
  out[1] = QR_TYPE_ENROL;
  out.set(serverId, 2);
  out.set(sessionId, 2 + SERVER_ID_BYTES);
  out.set(serverPk, HEADER);
  out[KEY_END] = urlBytes.length;
  out.set(urlBytes, KEY_END + 1);
  return out;
}

/** Parses per §2; null for anything the device would reject (errors 32 and 33 alike). */
export function parseQr(raw: Uint8Array): QrPayload | null {
  if (raw.length < HEADER || raw[0] !== QR_VERSION) return null;
  const serverId = raw.slice(2, 2 + SERVER_ID_BYTES);
  const sessionId = raw.slice(2 + SERVER_ID_BYTES, HEADER);
  if (raw[1] === QR_TYPE_LOGIN) {
    return raw.length === HEADER ? { kind: 'login', serverId, sessionId } : null;
  }
  if (raw[1] !== QR_TYPE_ENROL || raw.length < KEY_END + 1) return null;
  const len = raw[KEY_END];
  if (len === 0 || raw.length !== KEY_END + 1 + len) return null;
  const url = Buffer.from(raw.slice(KEY_END + 1)).toString('latin1');
  if (!isDeviceUrl(url)) return null;
  return { kind: 'enrol', serverId, sessionId, serverPk: raw.slice(HEADER, KEY_END), url };
}
