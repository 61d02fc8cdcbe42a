// UserContext of the relying-party API: {announceinfo: SessionInfo, sessioninfo: SessionInfo},
// SessionInfo = {info: {k: v}, ip?, logo?, useragent?}. Validated here, passed to the device as given.
import { HttpError } from './http';

export const MAX_USER_CONTEXT_CHARS = 8 * 1024;

export interface UserContext {
  announceinfo: Record<string, unknown> | null;
  sessioninfo: Record<string, unknown> | null;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function sessionInfo(v: unknown, name: string): Record<string, unknown> | null {
  if (v === undefined || v === null) return null;
  if (!isPlainObject(v)) throw new HttpError(400, `usercontext.${name} must be an object`);
  if (v.info !== undefined && v.info !== null) {
    if (!isPlainObject(v.info)) throw new HttpError(400, `usercontext.${name}.info must be an object`);
    for (const [k, val] of Object.entries(v.info)) {
      if (typeof val !== 'string') throw new HttpError(400, `usercontext.${name}.info.${k} must be a string`);
    }
  }
  for (const key of ['ip', 'logo', 'useragent']) {
    if (v[key] !== undefined && v[key] !== null && typeof v[key] !== 'string') {
      throw new HttpError(400, `usercontext.${name}.${key} must be a string`);
    }
  }
  return v;
}

/** Parses the `usercontext` query text; an absent or empty one is an empty context. */
export function parseUserContext(text: string | null): UserContext {
  if (text === null || text === '') return { announceinfo: null, sessioninfo: null };
  if (text.length > MAX_USER_CONTEXT_CHARS) throw new HttpError(400, 'usercontext too long');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new HttpError(400, 'usercontext is not valid JSON');
  }
  if (!isPlainObject(value)) throw new HttpError(400, 'usercontext must be a JSON object');
  return {
    announceinfo: sessionInfo(value.announceinfo, 'announceinfo'),
    sessioninfo: sessionInfo(value.sessioninfo, 'sessioninfo'),
  };
}

/** The stored context (JSON text written by this server) back as an object; never throws. */
export function storedUserContext(text: string | null): UserContext {
  if (!text) return { announceinfo: null, sessioninfo: null };
  try {
    const v = JSON.parse(text) as Partial<UserContext>;
    return { announceinfo: v.announceinfo ?? null, sessioninfo: v.sessioninfo ?? null };
  } catch {
    return { announceinfo: null, sessioninfo: null };
  }
}

/** A map of display strings (message data); anything else is a 400. */
export function parseStringMap(v: unknown, name: string): Record<string, string> {
  if (!isPlainObject(v)) throw new HttpError(400, `${name} must be an object`);
  for (const [k, val] of Object.entries(v)) {
    if (typeof val !== 'string') throw new HttpError(400, `${name}.${k} must be a string`);
  }
  return v as Record<string, string>;
}
