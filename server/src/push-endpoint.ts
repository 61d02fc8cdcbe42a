// The guard against server-side request forgery through Web Push: a subscription's endpoint comes
// from the device, so before the server POSTs there it must be an https URL on a public host. The
// name is checked when the device registers the token (IP literals and names that are local by
// definition) and again at every send, after DNS resolution, on the very address the connection
// then uses (a pinned lookup: a second resolution cannot swap in an internal address). Redirects
// are not followed. Hosts an operator lists (a private push service, a test's stand-in) skip the
// address checks.
import * as dns from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import { isPublicAddress } from './public-address';

export interface PushEndpointPolicy {
  /** Also allow http: endpoints (a local stand-in push service in tests; never in production). */
  allowHttp?: boolean;
  /** Host names or IP addresses trusted as push services whatever they resolve to. */
  allowHosts?: readonly string[];
  /** A further filter of the host's own (e.g. only the browser vendors' push services). */
  allowEndpoint?: (url: URL) => boolean;
}

/** Names that resolve to the local machine or network by definition, never to a push service. */
const LOCAL_NAME = /(^|\.)(localhost|local|internal|localdomain|home\.arpa)$/;

/** The URL's host without IPv6 brackets, lower case. */
function bareHost(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
}

function normaliseHost(host: string): string {
  return host.trim().replace(/^\[(.*)\]$/, '$1').toLowerCase();
}

export function isAllowListed(url: URL, policy: PushEndpointPolicy): boolean {
  const host = bareHost(url);
  return (policy.allowHosts ?? []).some((h) => normaliseHost(h) === host);
}

/**
 * Why the server will not POST to `endpoint` (a sentence for the device's 400 or the failure
 * report), or null if it may try: the check that needs no DNS.
 */
export function endpointRefusal(endpoint: string, policy: PushEndpointPolicy): string | null {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return 'the push endpoint is not a URL';
  }
  if (url.protocol !== 'https:' && !(policy.allowHttp && url.protocol === 'http:')) {
    return `push endpoint not allowed: ${url.origin}`;
  }
  if (url.username || url.password) return 'the push endpoint must not carry credentials';
  if (policy.allowEndpoint && !policy.allowEndpoint(url)) return `push endpoint not allowed: ${url.origin}`;
  if (isAllowListed(url, policy)) return null;
  const host = bareHost(url);
  if (isIP(host)) return isPublicAddress(host) ? null : `push endpoint not allowed: ${host} is not a public address`;
  if (!host.includes('.') || LOCAL_NAME.test(host.replace(/\.$/, ''))) return `push endpoint not allowed: ${host} is not a public host name`;
  return null;
}

export class PushAddressError extends Error {
  readonly code = 'ERR_PUSH_ADDRESS_REFUSED';
}

/**
 * A `lookup` for http(s).request that resolves the name, refuses it if any address it has is not
 * public, and hands the connection exactly the addresses it checked.
 */
export const publicOnlyLookup: LookupFunction = (hostname, options, callback) => {
  dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return callback(err, '', 0);
    const refused = addresses.find((a) => !isPublicAddress(a.address));
    if (refused || addresses.length === 0) {
      return callback(new PushAddressError(`push endpoint not allowed: ${hostname} resolves to ${refused?.address ?? 'nothing'}, not a public address`), '', 0);
    }
    if (options.all) return (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, addresses);
    callback(null, addresses[0].address, addresses[0].family);
  });
};
