// AppLogin tokens (session.getToken()): the ACTIVE AppLogin's web nonce exchanged at the server's
// OpenID provider for a JWT access token (RFC 9068) and an ID token, with RFC 8693 token exchange
// as a public client. The token endpoint comes from the issuer's discovery document. Requests go
// through the Authenticator's transport (Node's own client, fetch in browsers and Capacitor).
import { describe, misuse, networkError, originOf, remoteFault, tokenRefused, type TapgateError } from './errors.js';
import type { FetchLike, GetTokenOptions, TokenResult } from './types.js';

const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
const WEB_NONCE_TOKEN_TYPE = 'urn:tapgate:params:oauth:token-type:web-nonce';
const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
/** The reference server mounts its device API and its provider side by side under its public URL. */
const DEVICE_API_SUFFIX = '/device';
const OIDC_SUFFIX = '/oidc';
/** RFC 6749 §5.2: an `error` value is printable ASCII without `"` and `\`. */
const OAUTH_ERROR_CODE = /^[\x20\x21\x23-\x5B\x5D-\x7E]{1,100}$/;
const MAX_DESCRIPTION_CHARS = 200;

interface HttpAnswer {
  status: number;
  body: string;
}

/** The issuer of a server's provider, from the device API's base URL the account was enrolled with. */
export function defaultIssuer(serverUrl: string): string {
  if (!serverUrl.endsWith(DEVICE_API_SUFFIX)) throw misuse('INVALID_ARGUMENT', 'the server\'s provider is not known: pass options.issuer');
  return serverUrl.slice(0, -DEVICE_API_SUFFIX.length) + OIDC_SUFFIX;
}

export class AppTokenClient {
  /** Token endpoints by issuer, once discovered (a failed discovery is asked again next time). */
  readonly #tokenEndpoints = new Map<string, string>();

  constructor(
    private readonly transport: FetchLike,
    private readonly requestTimeoutMs: number,
    private readonly now: () => number,
  ) {}

  async exchange(webNonce: string, serverUrl: string, options: GetTokenOptions): Promise<TokenResult> {
    const { clientId, scope, signal } = options;
    if (typeof clientId !== 'string' || clientId === '') throw misuse('INVALID_ARGUMENT', 'getToken needs { clientId }');
    if (scope !== undefined && typeof scope !== 'string') throw misuse('INVALID_ARGUMENT', 'scope is a space-separated string');
    if (options.issuer !== undefined && typeof options.issuer !== 'string') throw misuse('INVALID_ARGUMENT', 'issuer is a URL string');
    const issuer = options.issuer ?? defaultIssuer(serverUrl);
    const tokenEndpoint = await this.#tokenEndpoint(issuer, signal);
    const form = new URLSearchParams({
      grant_type: TOKEN_EXCHANGE_GRANT,
      client_id: clientId,
      subject_token: webNonce,
      subject_token_type: WEB_NONCE_TOKEN_TYPE,
      ...(scope !== undefined ? { scope } : {}),
    });
    const answer = await this.#request(tokenEndpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: form.toString(),
    }, signal);
    return this.#tokenResult(answer, scope);
  }

  async #tokenEndpoint(issuer: string, signal: AbortSignal | undefined): Promise<string> {
    let endpoint = this.#tokenEndpoints.get(issuer);
    if (!endpoint) {
      endpoint = await this.#discover(issuer, signal);
      this.#tokenEndpoints.set(issuer, endpoint);
    }
    return endpoint;
  }

  async #discover(issuer: string, signal: AbortSignal | undefined): Promise<string> {
    let issuerUrl: URL;
    try {
      issuerUrl = new URL(issuer);
    } catch {
      throw misuse('INVALID_ARGUMENT', 'issuer is not a URL');
    }
    if (issuerUrl.protocol !== 'https:' && issuerUrl.protocol !== 'http:') throw misuse('INVALID_ARGUMENT', 'issuer is not an http(s) URL');
    const answer = await this.#request(`${issuer}/.well-known/openid-configuration`, { method: 'GET', headers: { accept: 'application/json' } }, signal);
    if (answer.status !== 200) throw remoteFault('SERVER_UNKNOWN_ERROR', `no OpenID provider at ${issuer} (HTTP ${answer.status})`);
    const doc = parseObject(answer.body);
    if (!doc) throw remoteFault('BAD_RESPONSE', 'the discovery document is not a JSON object');
    // OpenID Connect Discovery §4.3: the document must name the issuer it was fetched for.
    if (doc.issuer !== issuer) throw remoteFault('BAD_RESPONSE', `the discovery document names another issuer than ${issuer}`);
    const endpoint = typeof doc.token_endpoint === 'string' ? parseUrl(doc.token_endpoint) : null;
    // The web nonce is the login's bearer credential: it goes to the issuer's own origin only.
    if (!endpoint || endpoint.origin !== issuerUrl.origin) throw remoteFault('BAD_RESPONSE', 'the discovery document has no token endpoint on the issuer\'s origin');
    return endpoint.href;
  }

  #tokenResult(answer: HttpAnswer, requestedScope: string | undefined): TokenResult {
    const body = parseObject(answer.body);
    if (answer.status !== 200) {
      const refusal = answer.status >= 400 && answer.status < 500 ? oauthRefusal(body) : null;
      if (refusal) throw refusal;
      throw remoteFault('SERVER_UNKNOWN_ERROR', `the token endpoint answered HTTP ${answer.status}`);
    }
    if (!body) throw remoteFault('BAD_RESPONSE', 'the token response is not a JSON object');
    const { access_token: accessToken, id_token: idToken, token_type: tokenType, expires_in: expiresIn, issued_token_type: issuedType, scope } = body;
    const fault = (what: string) => remoteFault('BAD_RESPONSE', `the token response ${what}`);
    if (!isToken(accessToken)) throw fault('has no access_token');
    if (!isToken(idToken)) throw fault('has no id_token');
    if (typeof tokenType !== 'string' || tokenType.toLowerCase() !== 'bearer') throw fault('is not a Bearer token');
    if (typeof expiresIn !== 'number' || !Number.isInteger(expiresIn) || expiresIn <= 0) throw fault('has no valid expires_in');
    if (issuedType !== ACCESS_TOKEN_TYPE) throw fault('did not issue an access token');
    if (scope !== undefined && typeof scope !== 'string') throw fault('has a scope that is not a string');
    return {
      accessToken,
      idToken,
      tokenType,
      expiresIn,
      // RFC 8693 §2.2.1: a scope left out is the one asked for.
      scope: scope ?? requestedScope ?? '',
      expiresAt: this.now() + expiresIn * 1000,
    };
  }

  /** One request with the Authenticator's timeout; an abort by the caller rejects with its reason. */
  async #request(url: string, init: Omit<Parameters<FetchLike>[1], 'signal'>, signal: AbortSignal | undefined): Promise<HttpAnswer> {
    signal?.throwIfAborted();
    const controller = new AbortController();
    const onAbort = () => controller.abort(signal!.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(() => controller.abort(networkError(`no answer from ${originOf(url)} within ${this.requestTimeoutMs} ms`)), this.requestTimeoutMs);
    (timer as { unref?: () => void }).unref?.();
    try {
      const res = await this.transport(url, { ...init, signal: controller.signal });
      const body = await res.text();
      if (!Number.isInteger(res.status) || typeof body !== 'string') throw new Error('the answer is no HTTP response');
      return { status: res.status, body };
    } catch (err) {
      if (signal?.aborted) throw signal.reason;
      if (controller.signal.aborted) throw controller.signal.reason as TapgateError;
      throw networkError(`request to ${originOf(url)} failed: ${describe(err)}`);
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  }
}

function oauthRefusal(body: Record<string, unknown> | null): TapgateError | null {
  const error = body?.error;
  if (typeof error !== 'string' || !OAUTH_ERROR_CODE.test(error)) return null;
  const description = typeof body?.error_description === 'string' ? `: ${body.error_description.slice(0, MAX_DESCRIPTION_CHARS)}` : '';
  return tokenRefused(error, `the provider refused the token: ${error}${description}`);
}

function parseObject(text: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

function parseUrl(text: string): URL | null {
  try {
    return new URL(text);
  } catch {
    return null;
  }
}

function isToken(value: unknown): value is string {
  return typeof value === 'string' && value !== '';
}
