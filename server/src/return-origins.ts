// The `returnOrigins` server parameter: where an app-to-app link may send the user back after the
// login (docs/protocol.md §2). The device checks a link's return URL against this list, which the
// start response carries signed, so it must hold exactly what the device calls an origin.
import { HttpError } from './http';

/** As src/limits.hpp kMaxReturnOrigins. */
export const MAX_RETURN_ORIGINS = 16;

/** A list of at most 16 distinct http(s) origins, each as a browser serialises it (`https://rp.example`). */
export function returnOriginsParam(v: unknown): string[] {
  if (!Array.isArray(v) || v.length > MAX_RETURN_ORIGINS) {
    throw new HttpError(400, `returnOrigins must be an array of at most ${MAX_RETURN_ORIGINS} origins`);
  }
  for (const o of v) {
    if (!isWebOrigin(o)) throw new HttpError(400, 'returnOrigins: each entry must be an http(s) origin such as https://rp.example (lowercase, no path, no default port)');
  }
  if (new Set(v).size !== v.length) throw new HttpError(400, 'returnOrigins has duplicates');
  return v as string[];
}

function isWebOrigin(o: unknown): boolean {
  if (typeof o !== 'string' || o.length > 255 || !/^https?:\/\/[a-z0-9.\-_[\]:]+$/.test(o)) return false;
  try {
    const url = new URL(o);
    return url.origin === o && !/^xn--|\.xn--/.test(url.hostname);
  } catch {
    return false;
  }
}
