// What the provider's parts share: the provider, the server's store and relying-party API, the
// adapter's storage (data key) and the resolved options.
import type Provider from 'oidc-provider';
import type { Account, KoaContextWithOIDC } from 'oidc-provider';
import type { ObservedStore } from '../observed-store';
import type { RpApi } from '../rp-api';
import type { RpStatusChannel } from '../rp-status-channel';
import { SqlOidcAdapter, type OidcStorage } from './adapter';

export interface OidcOptions {
  /** The `acr` of every Tapgate login (default "urn:tapgate:acr:device-key"). */
  acr?: string;
  /** How long the login page waits for the device before the interaction fails with login_required (default 300). */
  loginTimeoutSeconds?: number;
  /** The longest a CIBA request waits for the user (default 300; a client may ask for less with requested_expiry). */
  cibaTimeoutSeconds?: number;
  /** Access and ID token lifetime (default 3600). */
  accessTokenTtlSeconds?: number;
  /** Always ask the device for the PIN or biometric, even within the server's pinTimeout (default true). */
  requireSecondFactor?: boolean;
  /**
   * Host names the provider may call back (CIBA ping, back-channel logout) although they resolve
   * to loopback or private addresses, which it refuses otherwise (SSRF); e.g. a client on the same host.
   */
  callbackHosts?: string[];
}

export type ResolvedOidcOptions = Required<OidcOptions>;

export function resolveOidcOptions(o: OidcOptions = {}): ResolvedOidcOptions {
  return {
    acr: o.acr ?? 'urn:tapgate:acr:device-key',
    loginTimeoutSeconds: o.loginTimeoutSeconds ?? 300,
    cibaTimeoutSeconds: o.cibaTimeoutSeconds ?? 300,
    accessTokenTtlSeconds: o.accessTokenTtlSeconds ?? 3600,
    requireSecondFactor: o.requireSecondFactor ?? true,
    callbackHosts: o.callbackHosts ?? [],
  };
}

export interface OidcRuntime {
  provider: Provider;
  store: ObservedStore;
  rp: RpApi;
  statusChannel: RpStatusChannel;
  storage: OidcStorage;
  options: ResolvedOidcOptions;
  /** The scopes the provider knows (others are dropped from grants). */
  scopes: Set<string>;
  /** The public URL's origin: the only one the interaction forms accept posts from. */
  publicOrigin: string;
  /** Rows of Tapgate's own: CIBA requests per nonce, OIDC sessions per login nonce and back. */
  links: SqlOidcAdapter;
  findAccount(ctx: KoaContextWithOIDC | undefined, sub: string, token?: { clientId?: string }): Promise<Account | undefined>;
  /** The server's clock (relying-party session liveness); oidc-provider itself reads Date.now. */
  now(): number;
}
