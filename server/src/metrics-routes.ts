// The `route` label of a request's metrics: the route pattern it matched, never the raw path, so
// no server id, nonce, account id, key id or push token becomes a label (nor a label per guess).
// Patterns are the OpenAPI document's templates for the relying-party API, the device API's own
// paths, and fixed names for the rest; a path no route has is `unmatched`.
import { DeviceApi } from './device-api';
import { templateOf } from './openapi';
import { RP_SERVER_ROUTES, RP_TOP_ROUTES } from './rp-api';

export const UNMATCHED_ROUTE = 'unmatched';

/** The first of `paths` (rp-route.ts form: `a/:param/b`) that `parts` fit. */
function patternOf(paths: readonly string[], parts: string[]): string | null {
  for (const path of paths) {
    const pattern = path === '' ? [] : path.split('/');
    if (pattern.length === parts.length && pattern.every((p, i) => p.startsWith(':') || p === parts[i])) return path;
  }
  return null;
}

/** The route pattern of a path the server handles (index.ts decides which it handles). */
export function routeLabel(pathname: string): string {
  if (pathname.startsWith('/device/')) {
    const sub = pathname.slice('/device'.length);
    return DeviceApi.PATHS.includes(sub) ? pathname : `/device/${UNMATCHED_ROUTE}`;
  }
  if (pathname.startsWith('/relay/v1/')) return '/relay/v1/{token}';
  if (pathname === '/oidc' || pathname.startsWith('/oidc/')) return '/oidc/*';
  const parts = pathname.split('/').filter((s) => s !== '');
  if (parts[0] === 'servers' || parts[0] === 'apikeys') {
    if (parts[0] === 'apikeys' || parts.length === 1) {
      const top = patternOf(RP_TOP_ROUTES, parts);
      return top === null ? UNMATCHED_ROUTE : templateOf({ path: top }, true);
    }
    const route = patternOf(RP_SERVER_ROUTES, parts.slice(2));
    return route === null ? `/servers/{sid}/${UNMATCHED_ROUTE}` : templateOf({ path: route });
  }
  // The operations endpoints, /metrics and the VAPID key: fixed paths, their own patterns.
  return pathname;
}
