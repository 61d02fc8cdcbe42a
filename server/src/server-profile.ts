// The server parameters that describe the relying party to the app (v2.2 Server `appurl`,
// `siteurl`, `appandroid`, `appios`, `owner`, `serverFlags`): validated here for createServer /
// updateServer, stored per virtual server, and announced in every start response (docs/protocol.md
// §5.1). The device refuses a start whose values break the same rules (src/wire.cpp), so what
// this module lets through never fails a device.
import { HttpError } from './http';

export interface ServerProfile {
  /** URL prefix that opens the relying party's own app. */
  appUrl: string | null;
  /** The relying party's website. */
  siteUrl: string | null;
  /** Store links of the relying party's app. */
  appAndroid: string | null;
  appIos: string | null;
  /** Who runs the server, as shown to the user. */
  owner: string | null;
  /** Flags from SERVER_FLAGS, each at most once, in SERVER_FLAGS order. */
  serverFlags: ServerFlag[];
}

/**
 * The closed set of server flags. uniqueDisplayNames: the app may not hold two accounts of one
 * display name; an enrolment that would add a second fails on the device with DISPLAY_NAME_EXISTS
 * (reference error 35).
 */
export const SERVER_FLAGS = ['uniqueDisplayNames'] as const;
export type ServerFlag = (typeof SERVER_FLAGS)[number];

export const EMPTY_PROFILE: ServerProfile = { appUrl: null, siteUrl: null, appAndroid: null, appIos: null, owner: null, serverFlags: [] };

const MAX_LINK_CHARS = 2000;
const MAX_OWNER_CHARS = 200;
/** The v2.2 (REST) field of each link, and its name in the device protocol. */
const LINKS = [
  ['appurl', 'appUrl'],
  ['siteurl', 'siteUrl'],
  ['appandroid', 'appAndroid'],
  ['appios', 'appIos'],
] as const;
export const PROFILE_FIELDS: readonly string[] = [...LINKS.map(([rest]) => rest), 'owner', 'serverFlags'];
const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** https:, or http: to this machine (a relying party in development); no credentials, no fragment. */
function linkParam(key: string, v: unknown): string | null {
  if (v === null) return null;
  if (typeof v !== 'string' || v.length === 0 || v.length > MAX_LINK_CHARS) {
    throw new HttpError(400, `${key} must be null or a URL of at most ${MAX_LINK_CHARS} characters`);
  }
  let url: URL | null = null;
  try {
    url = new URL(v);
  } catch {
    /* below */
  }
  const schemeOk = url && (url.protocol === 'https:' || (url.protocol === 'http:' && LOCAL_HOSTS.has(url.hostname) && v.startsWith(`http://${url.hostname}`)));
  // The device accepts printable ASCII only, without userinfo or fragment (src/url.hpp): the same here.
  if (!url || !schemeOk || url.username || url.password || v.includes('#') || /(^|\.)xn--/i.test(url.hostname) || !/^[\x21-\x7e]+$/.test(v) || !v.startsWith(`${url.protocol}//`)) {
    throw new HttpError(400, `${key} must be an https URL (http only on localhost)`);
  }
  return v;
}

function flagsParam(v: unknown): ServerFlag[] {
  if (!Array.isArray(v) || v.some((f) => typeof f !== 'string' || !(SERVER_FLAGS as readonly string[]).includes(f))) {
    throw new HttpError(400, `serverFlags must be an array of: ${SERVER_FLAGS.join(', ')}`);
  }
  return SERVER_FLAGS.filter((f) => v.includes(f));
}

/** The profile of a createServer / updateServer body over `base` (fields absent keep their value). */
export function profileParams(j: Record<string, unknown>, base: ServerProfile): ServerProfile {
  const next: ServerProfile = { ...base, serverFlags: [...base.serverFlags] };
  for (const [rest, field] of LINKS) if (j[rest] !== undefined) next[field] = linkParam(rest, j[rest]);
  if (j.owner !== undefined) {
    if (j.owner !== null && (typeof j.owner !== 'string' || j.owner.trim() === '' || j.owner.length > MAX_OWNER_CHARS)) {
      throw new HttpError(400, `owner must be null or a non-empty string of at most ${MAX_OWNER_CHARS} characters`);
    }
    next.owner = j.owner as string | null;
  }
  if (j.serverFlags !== undefined) next.serverFlags = flagsParam(j.serverFlags);
  return next;
}

/** The v2.2 Server model's profile fields. */
export function profileJson(p: ServerProfile) {
  return { appurl: p.appUrl, siteurl: p.siteUrl, appandroid: p.appAndroid, appios: p.appIos, owner: p.owner, serverFlags: p.serverFlags };
}

/** The profile as a start response announces it (§5.1): only what the server has. */
export function profileForDevice(p: ServerProfile): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [, field] of LINKS) if (p[field] !== null) out[field] = p[field];
  if (p.owner !== null) out.owner = p.owner;
  if (p.serverFlags.length) out.serverFlags = p.serverFlags;
  return out;
}

/** A stored server_flags column (comma-separated) as flags; anything no longer known is dropped. */
export function storedFlags(text: string | null): ServerFlag[] {
  const parts = (text ?? '').split(',');
  return SERVER_FLAGS.filter((f) => parts.includes(f));
}
