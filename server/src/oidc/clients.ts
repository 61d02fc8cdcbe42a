// The relying-party API's client registry: /servers/{sid}/oidc/clients. A client belongs to one
// virtual server (its users are that server's accounts); the server makes its id and, for the
// secret-based methods, its secret, shown once in the answer to the registration.
import type * as http from 'node:http';
import type Provider from 'oidc-provider';
import { randomBytes, toB64u } from '../crypto';
import type { ServerRecord } from '../db';
import { HttpError, parseJsonObject, readRawBody, sendJson } from '../http';
import { SqlOidcAdapter, type OidcStorage } from './adapter';

/** The metadata a relying party may set; everything else is the server's. */
const REGISTRABLE = [
  'client_name', 'redirect_uris', 'post_logout_redirect_uris', 'grant_types', 'response_types', 'token_endpoint_auth_method',
  'token_endpoint_auth_signing_alg', 'jwks', 'backchannel_logout_uri', 'backchannel_logout_session_required',
  'backchannel_token_delivery_mode', 'backchannel_client_notification_endpoint', 'id_token_signed_response_alg', 'scope',
  'logo_uri', 'client_uri', 'policy_uri', 'tos_uri', 'contacts',
] as const;
const SECRET_METHODS = new Set(['client_secret_basic', 'client_secret_post', 'client_secret_jwt']);

export class OidcClientRegistry {
  readonly #clients: SqlOidcAdapter;

  constructor(private readonly provider: Provider, storage: OidcStorage) {
    this.#clients = new SqlOidcAdapter('Client', storage);
  }

  async handle(req: http.IncomingMessage, res: http.ServerResponse, server: ServerRecord, clientId: string | null, method: string): Promise<void> {
    if (clientId === null) {
      if (method === 'POST') return sendJson(req, res, 200, await this.register(server, parseJsonObject(await readRawBody(req))));
      const clients = await this.#clients.listOwnedBy(server.id);
      return sendJson(req, res, 200, { clients: clients.map(publicMetadata).sort((a, b) => String(a.client_id).localeCompare(String(b.client_id))) });
    }
    const stored = await this.#clients.find(clientId);
    if (!stored || stored.tapgate_server !== toB64u(server.id)) throw new HttpError(404, 'unknown client');
    if (method === 'DELETE') {
      await this.#clients.destroy(clientId);
      return sendJson(req, res, 200, { result: true });
    }
    sendJson(req, res, 200, publicMetadata(stored));
  }

  private async register(server: ServerRecord, body: Record<string, unknown>): Promise<Record<string, unknown>> {
    for (const key of Object.keys(body)) {
      if (!(REGISTRABLE as readonly string[]).includes(key)) throw new HttpError(400, `unknown or read-only field "${key.slice(0, 40)}"`);
    }
    const method = typeof body.token_endpoint_auth_method === 'string' ? body.token_endpoint_auth_method : 'client_secret_basic';
    const metadata: Record<string, unknown> = {
      ...body,
      token_endpoint_auth_method: method,
      client_id: toB64u(randomBytes(16)),
      ...(SECRET_METHODS.has(method) ? { client_secret: toB64u(randomBytes(32)) } : {}),
      tapgate_server: toB64u(server.id),
      client_id_issued_at: Math.floor(Date.now() / 1000),
    };
    try {
      await this.provider.Client.validate(metadata as Parameters<Provider['Client']['validate']>[0]);
    } catch (err) {
      const e = err as { error_description?: string; message?: string };
      throw new HttpError(400, `invalid client metadata: ${e.error_description ?? e.message ?? 'rejected'}`);
    }
    await this.#clients.upsert(String(metadata.client_id), metadata);
    return metadata;
  }
}

/** A client's metadata without its secret. */
function publicMetadata(stored: Record<string, unknown>): Record<string, unknown> {
  const { client_secret: _secret, ...rest } = stored;
  return rest;
}
