// The OpenAPI 3.1 description of the relying-party REST API (rp-api.ts), the status channel and the
// operations endpoints, written by hand as a typed object and served at GET /openapi.json.
// tests/js/openapi.test.js calls every operation against a real server and checks the answers
// against these schemas, and checks that every route rp-api.ts accepts is described here.

import { RP_ROUTES, SERVER_PARAM_RANGES, TOP_ROUTES } from './rp-api';
import { SERVER_FLAGS } from './server-profile';
import type { Route } from './rp-route';

/** The subset of JSON Schema this document uses (and the test's checker understands). */
export interface Schema {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean' | 'null' | Array<'string' | 'integer' | 'boolean' | 'null'>;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean;
  items?: Schema;
  enum?: unknown[];
  const?: unknown;
  minimum?: number;
  maximum?: number;
  maxLength?: number;
  $ref?: string;
  description?: string;
  format?: string;
}

/** The server's links, owner and flags (server-profile.ts), writable like the parameters. */
const LINK_SCHEMA: Schema = { type: ['string', 'null'], maxLength: 2000, description: 'an https URL (http only on localhost); null clears' };
const SERVER_PROFILE_SCHEMAS: Record<string, Schema> = {
  appurl: { ...LINK_SCHEMA, description: 'URL prefix that opens the relying party\'s app; https (http only on localhost); null clears' },
  siteurl: { ...LINK_SCHEMA, description: 'the relying party\'s website' },
  appandroid: { ...LINK_SCHEMA, description: 'store link of the relying party\'s Android app' },
  appios: { ...LINK_SCHEMA, description: 'store link of the relying party\'s iOS app' },
  owner: { type: ['string', 'null'], maxLength: 200, description: 'who runs the server, shown to the user; null clears' },
  serverFlags: { type: 'array', items: { enum: [...SERVER_FLAGS] }, description: 'uniqueDisplayNames: the app refuses an enrolment whose account name it already holds (DISPLAY_NAME_EXISTS, 35)' },
};

/** pingTime (s), pinTimeout and pinTransTimeout (min), pinAttemptLimit with the ranges rp-api.ts enforces. */
const SERVER_PARAM_SCHEMAS: Record<string, Schema> = Object.fromEntries(
  Object.entries(SERVER_PARAM_RANGES).map(([key, [minimum, maximum]]) => [key, { type: 'integer', minimum, maximum }]),
);

interface MediaType {
  schema: Schema;
}
interface Response {
  description: string;
  headers?: Record<string, { description: string; schema: Schema }>;
  content?: Record<string, MediaType>;
}
interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required?: boolean;
  description?: string;
  schema: Schema;
}
interface Operation {
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  security?: Array<Record<string, string[]>>;
  parameters?: Array<Parameter | { $ref: string }>;
  requestBody?: { required: boolean; content: Record<string, MediaType> };
  responses: Record<string, Response | { $ref: string }>;
  /** Who may call it, from the route table (rp-route.ts): any of these permissions, on the server or globally. */
  'x-permission'?: { anyOf: string[]; scope: 'server' | 'global' };
}
type Method = 'get' | 'put' | 'post' | 'delete';
export interface OpenApiDocument {
  openapi: '3.1.0';
  info: { title: string; version: string; description: string };
  paths: Record<string, { parameters?: Array<{ $ref: string }> } & Partial<Record<Method, Operation>>>;
  components: {
    schemas: Record<string, Schema>;
    parameters: Record<string, Parameter>;
    responses: Record<string, Response>;
    securitySchemes: Record<string, { type: 'apiKey'; in: 'header'; name: string; description: string } | { type: 'http'; scheme: 'bearer'; description: string }>;
  };
}

const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: Schema) => ({ 'application/json': { schema } });
const ok = (description: string, schema: Schema): Response => ({ description, content: json(schema) });
const responseRef = (name: string) => ({ $ref: `#/components/responses/${name}` });
const param = (name: string) => ({ $ref: `#/components/parameters/${name}` });
const nullable = (t: 'string' | 'integer'): Schema => ({ type: [t, 'null'] });

/** The errors every authenticated call can answer. */
const common = { '401': responseRef('Unauthorized'), '403': responseRef('Forbidden'), '404': responseRef('NotFound'), '405': responseRef('MethodNotAllowed'), '429': responseRef('RateLimited') };
const withNonce = { ...common, '400': responseRef('BadRequest') };
const rp = { tags: ['relying party'], security: [{ apiKey: [] }] };

const documented: OpenApiDocument = {
  openapi: '3.1.0',
  info: {
    title: 'Tapgate reference server: relying-party API',
    version: '2.2-tapgate.1',
    description:
      'The relying-party REST API of @tapgate/server, after the reference v2.2 API (docs/server-api.md). ' +
      'Every /servers, /apikeys and /audit call needs X-apikey, and the key needs the permission the operation names ' +
      '(root: all); calls about one relying-party session name it by X-nonce. ' +
      'Lists take limit (default and maximum 1000), marker (offset), sort (col:asc|desc, comma-separated or repeated) ' +
      'and filter (attr=value, repeated: all must hold) and answer totalnumber. ' +
      'Errors are JSON objects { "error": "<message>", ... }.',
  },
  paths: {
    '/apikeys': {
      get: { ...rp, operationId: 'getApiKeys', summary: 'The API keys (ids only, never the keys); permission root',
        responses: { '200': ok('The keys', ref('ApiKeyList')), ...common } },
      post: { ...rp, operationId: 'createApiKey', summary: 'A new API key, shown this once; permission root',
        description: 'permissions: comma-separated among sessions, accounts, users, servers, audit, createserver, root; ' +
          'on the server serverid, or on every server without it (createserver is always global).',
        parameters: [param('description'), param('permissions'), param('serverid')],
        responses: { '200': ok('The key', ref('ApiKeyCreated')), '400': responseRef('BadRequest'), ...common } },
    },
    '/apikeys/{keyid}': {
      parameters: [param('keyid')],
      delete: { ...rp, operationId: 'deleteApiKey', summary: 'Revoke an API key; permission root', responses: { '200': ok('Deleted', ref('Result')), ...common } },
    },
    '/servers': {
      get: { ...rp, operationId: 'listServers', summary: 'The virtual servers (a key with servers on some servers only sees those)',
        parameters: [param('limit'), param('marker')],
        responses: { '200': ok('Servers, paged', ref('ServerList')), '400': responseRef('BadRequest'), ...common } },
      post: { ...rp, operationId: 'createServer', summary: 'A new virtual server with its own id and key pair; permission createserver',
        description: 'A non-root key that creates a server gets the root permission on it.',
        requestBody: { required: true, content: json(ref('ServerCreate')) },
        responses: { '200': ok('The new server', ref('Server')), '400': responseRef('BadRequest'), '413': responseRef('TooLarge'), ...common } },
    },
    '/servers/{sid}': {
      parameters: [param('sid')],
      get: { ...rp, operationId: 'getServer', summary: 'One virtual server; permission servers', responses: { '200': ok('The server', ref('Server')), ...common } },
      put: { ...rp, operationId: 'updateServer', summary: 'Change name, logo, ping time, PIN timeouts (logins, transactions) or PIN attempt limit; permission servers',
        description: 'Read-only fields of GET may be sent back unchanged; unknown fields are refused.',
        requestBody: { required: true, content: json(ref('ServerUpdate')) },
        responses: { '200': ok('The server after the change', ref('Server')), '400': responseRef('BadRequest'), '413': responseRef('TooLarge'), ...common } },
    },
    '/servers/{sid}/vash': {
      parameters: [param('sid')],
      get: { ...rp, operationId: 'getServerVash', summary: 'The visual hash of the current signing key, as the app shows it at enrolment; permission sessions or servers',
        description: 'docs/server-api.md §5, docs/protocol.md §1 (visual hash). The enrol page shows it for the user to compare with the app.',
        responses: { '200': ok('The fingerprint', ref('Vash')), ...common } },
    },
    '/servers/{sid}/keys/rotate': {
      parameters: [param('sid')],
      post: { ...rp, operationId: 'rotateServerKey', summary: 'A new signing key; the old one signs beside it until the overlap ends, devices get a rekey message; permission servers',
        description: 'docs/server-api.md §9. 409 while an earlier rotation\'s overlap runs.',
        responses: { '200': ok('The server after the rotation', ref('Server')), '409': responseRef('Conflict'), ...common } },
    },
    '/servers/{sid}/keys/retire': {
      parameters: [param('sid')],
      post: { ...rp, operationId: 'retireServerKey', summary: 'End the overlap of a key rotation now: the old key no longer signs; permission servers',
        responses: { '200': ok('The server after the retirement', ref('Server')), '409': responseRef('Conflict'), ...common } },
    },
    '/servers/{sid}/oidc/clients': {
      parameters: [param('sid')],
      get: { ...rp, operationId: 'listOidcClients', summary: 'The OpenID Connect clients of this server (without their secrets); permission servers',
        description: 'Only when the server runs its OpenID provider (docs/oidc.md); else 404.',
        responses: { '200': ok('Clients', ref('OidcClientList')), ...common } },
      post: { ...rp, operationId: 'createOidcClient', summary: 'Register an OpenID Connect client of this server; permission servers',
        description: 'The body is client metadata (OpenID Connect Dynamic Client Registration names): client_name, redirect_uris, grant_types, ' +
          'token_endpoint_auth_method (client_secret_basic by default, client_secret_post, private_key_jwt with jwks, none), post_logout_redirect_uris, ' +
          'backchannel_logout_uri, backchannel_token_delivery_mode and backchannel_client_notification_endpoint (CIBA). The server makes client_id ' +
          'and, for the secret methods, client_secret: this answer is the only one that shows it.',
        requestBody: { required: true, content: json(ref('OidcClientMetadata')) },
        responses: { '200': ok('The registered client, with its secret', ref('OidcClient')), '400': responseRef('BadRequest'), ...common } },
    },
    '/servers/{sid}/oidc/clients/{clientid}': {
      parameters: [param('sid'), param('clientid')],
      get: { ...rp, operationId: 'getOidcClient', summary: 'One OpenID Connect client (without its secret); permission servers',
        responses: { '200': ok('The client', ref('OidcClient')), ...common } },
      delete: { ...rp, operationId: 'deleteOidcClient', summary: 'Remove a client: its tokens stop working at once; permission servers',
        responses: { '200': ok('Removed', ref('Result')), ...common } },
    },
    '/servers/{sid}/permissions': {
      parameters: [param('sid')],
      get: { ...rp, operationId: 'getPermissions', summary: 'Every role\'s (API key\'s) permissions on this server; permission root (global)',
        responses: { '200': ok('Permissions', ref('PermissionList')), ...common } },
    },
    '/servers/{sid}/permissions/{roleid}': {
      parameters: [param('sid'), param('roleid')],
      get: { ...rp, operationId: 'getRolePermissions', summary: 'One role\'s (API key\'s) permissions on this server; permission root (global)',
        responses: { '200': ok('Permissions', ref('PermissionList')), ...common } },
      post: { ...rp, operationId: 'addRolePermissions', summary: 'Give the role permissions on this server; permission root (global)',
        parameters: [param('aclRequired')],
        responses: { '200': ok('Its permissions now', ref('PermissionList')), '400': responseRef('BadRequest'), ...common } },
      delete: { ...rp, operationId: 'deleteRolePermissions', summary: 'Take permissions (acl; all without it) on this server from the role; permission root (global)',
        parameters: [param('acl')],
        responses: { '200': ok('Its permissions now', ref('PermissionList')), '400': responseRef('BadRequest'), ...common } },
    },
    '/servers/{sid}/sessions': {
      parameters: [param('sid')],
      get: { ...rp, operationId: 'getLoginStatus', summary: 'LoginStatus of the relying-party session (X-nonce)', parameters: [param('nonce')],
        responses: { '200': ok('LoginStatus', ref('LoginStatus')), ...withNonce } },
    },
    '/servers/{sid}/sessions/events': {
      parameters: [param('sid')],
      get: { ...rp, operationId: 'statusChannel', summary: 'Status channel: server-sent events of the session',
        description: 'First a `status` event (LoginStatus), then `qr`, `scanned`, `cancelled`, `loggedin`, `loggedout`, `canprovoke`, `registered` ' +
          'events as the session changes (docs/server-api.md §1); `: alive` comments every 5 s.',
        parameters: [param('nonce')],
        responses: { '200': { description: 'An event stream', content: { 'text/event-stream': { schema: { type: 'string' } } } }, ...withNonce } },
    },
    '/servers/{sid}/sessions/qr/enrol': {
      parameters: [param('sid')],
      get: { ...rp, operationId: 'getEnrolQr', summary: 'A new enrolment QR session for the nonce',
        parameters: [param('nonce'), param('img'), param('s'), param('userid'), param('name'), param('usercontext'), param('secondfactor')],
        responses: { '200': responseRef('QrPayload'), ...withNonce } },
    },
    '/servers/{sid}/sessions/qr/login': {
      parameters: [param('sid')],
      get: { ...rp, operationId: 'getLoginQr', summary: 'A new login QR session for the nonce',
        parameters: [param('nonce'), param('img'), param('s'), param('usercontext'), param('secondfactor'), param('codematch')],
        responses: { '200': responseRef('QrPayload'), ...withNonce } },
    },
    '/servers/{sid}/sessions/logout': {
      parameters: [param('sid')],
      post: { ...rp, operationId: 'logout', summary: 'Log the session out (the device is told by push)', parameters: [param('nonce')],
        responses: { '200': ok('Done (also when nobody was logged in)', ref('Result')), ...withNonce } },
    },
    '/servers/{sid}/sessions/provokelogin': {
      parameters: [param('sid')],
      post: { ...rp, operationId: 'provokeLogin', summary: 'Push login to the account last logged in on the session',
        parameters: [param('nonce'), param('usercontext'), param('secondfactor'), param('codematch')],
        requestBody: { required: false, content: { 'text/plain': { schema: { type: 'string', description: 'usercontext JSON (instead of the query parameter)' } } } },
        responses: { '200': ok('Pushed', ref('PushResult')), '409': responseRef('Conflict'), '413': responseRef('TooLarge'), ...withNonce, '429': responseRef('PushLimited') } },
    },
    '/servers/{sid}/sessions/registeruser': {
      parameters: [param('sid')],
      post: { ...rp, operationId: 'registerUser', summary: 'The account logged in on the session belongs to userid from now on; permission users',
        parameters: [param('nonce'), param('useridRequired')],
        responses: { '200': ok('Registered', ref('Result')), '409': responseRef('Conflict'), ...withNonce } },
    },
    '/servers/{sid}/sessions/transactions': {
      parameters: [param('sid')],
      post: { ...rp, operationId: 'createTransaction', summary: 'A transaction for the device to show and sign',
        description: "Only the session's user (its accounts; or the account logged in, when it has no user id) can approve it; 409 when nobody has logged in on the session.",
        parameters: [param('nonce')],
        requestBody: { required: true, content: json(ref('TransactionRequest')) },
        responses: { '200': ok('Created', ref('TransactionCreated')), '409': responseRef('Conflict'), '413': responseRef('TooLarge'), ...withNonce } },
    },
    '/servers/{sid}/transactions': {
      parameters: [param('sid')],
      get: { ...rp, operationId: 'listAppTransactions', summary: 'The transactions the app started (create(transaction, account)), newest first',
        description: 'Each with the clientAdditionalData the app gave and the second factor its approval required; status=SIGNED lists the approved ones.',
        parameters: [param('limit'), param('txstatus')],
        responses: { '200': ok('The transactions', ref('TransactionList')), ...common } },
    },
    '/servers/{sid}/transactions/{tid}': {
      parameters: [param('sid'), param('tid')],
      get: { ...rp, operationId: 'getTransaction', summary: 'A transaction and its signature', responses: { '200': ok('The transaction', ref('Transaction')), ...common } },
    },
    '/servers/{sid}/accounts': {
      parameters: [param('sid')],
      get: { ...rp, operationId: 'listAccounts', summary: 'Accounts of the server (getAllAccounts); permission accounts',
        description: 'sort columns: id, userid, blocked, created, description, lastlogin, lastprovoke (NULLs first ascending; id breaks ties). ' +
          'filter attributes: userid (empty: accounts without a user), blocked (true|false), description.',
        parameters: [param('limit'), param('marker'), param('sort'), param('filter')],
        responses: { '200': ok('Accounts, paged', ref('AccountList')), '400': responseRef('BadRequest'), ...common } },
    },
    '/servers/{sid}/accounts/{accountid}': {
      parameters: [param('sid'), param('accountid')],
      get: { ...rp, operationId: 'getAccount', summary: 'One account; permission accounts', responses: { '200': ok('The account', ref('Account')), ...common } },
      put: { ...rp, operationId: 'updateAccount', summary: 'Block or unblock the account; permission accounts',
        description: 'A blocked account cannot log in (the device gets error 48) and is logged out of its sessions.',
        parameters: [param('blocked')],
        responses: { '200': ok('The account after the change', ref('Account')), '400': responseRef('BadRequest'), ...common } },
      delete: { ...rp, operationId: 'deleteAccount', summary: 'Delete the account (the device is told); permission accounts', responses: { '200': ok('Deleted', ref('Result')), ...common } },
    },
    '/servers/{sid}/accounts/{accountid}/user': {
      parameters: [param('sid'), param('accountid')],
      put: { ...rp, operationId: 'updateAccountUser', summary: 'Link the account to another user; permission accounts', parameters: [param('useridRequired')],
        responses: { '200': ok('The account after the change', ref('Account')), '400': responseRef('BadRequest'), ...common } },
    },
    '/servers/{sid}/accounts/{accountid}/provokelogin': {
      parameters: [param('sid'), param('accountid')],
      post: { ...rp, operationId: 'provokeLoginOnAccount', summary: 'Push a login on the session (X-nonce) to this account; permission sessions or accounts',
        parameters: [param('nonce'), param('usercontext'), param('secondfactor'), param('codematch')],
        requestBody: { required: false, content: { 'text/plain': { schema: { type: 'string', description: 'usercontext JSON (instead of the query parameter)' } } } },
        responses: { '200': ok('Pushed', ref('PushResult')), '409': responseRef('Conflict'), '413': responseRef('TooLarge'), ...withNonce, '429': responseRef('PushLimited') } },
    },
    '/servers/{sid}/users': {
      parameters: [param('sid')],
      get: { ...rp, operationId: 'getUsers', summary: 'Users: the live accounts grouped by userid; permission users',
        description: 'sort columns: userid, numberaccounts, lastlogin. filter attributes: userid, numberaccounts. ' +
          'search: a case-insensitive substring of the userid (% and _ match themselves).',
        parameters: [param('limit'), param('marker'), param('sort'), param('filter'), param('search')],
        responses: { '200': ok('Users, paged', ref('UserList')), '400': responseRef('BadRequest'), ...common } },
    },
    '/servers/{sid}/users/{userid}': {
      parameters: [param('sid'), param('useridPath')],
      delete: { ...rp, operationId: 'deleteUser', summary: 'Delete the user: all its accounts (each device is told); permission users',
        responses: { '200': ok('Deleted', ref('DeleteResult')), '400': responseRef('BadRequest'), ...common } },
    },
    '/servers/{sid}/users/{userid}/accounts': {
      parameters: [param('sid'), param('useridPath')],
      get: { ...rp, operationId: 'getUser', summary: "The user's accounts; permission sessions or users",
        description: 'sort as listAccounts; filter attributes: blocked, description.',
        parameters: [param('limit'), param('marker'), param('sort'), param('filter')],
        responses: { '200': ok('Accounts, paged', ref('AccountList')), '400': responseRef('BadRequest'), ...common } },
      delete: { ...rp, operationId: 'deleteUserAccounts', summary: "Delete all the user's accounts (each device is told); permission users",
        responses: { '200': ok('Deleted', ref('DeleteResult')), '400': responseRef('BadRequest'), ...common } },
    },
    '/servers/{sid}/users/{userid}/provokelogin': {
      parameters: [param('sid'), param('useridPath')],
      post: { ...rp, operationId: 'provokeLoginOnUser', summary: "Push a login on the session (X-nonce) to every unblocked account of the user with a push token; permission sessions or users",
        description: 'All get the same login; the first to complete it logs the session in.',
        parameters: [param('nonce'), param('usercontext'), param('secondfactor'), param('codematch')],
        requestBody: { required: false, content: { 'text/plain': { schema: { type: 'string', description: 'usercontext JSON (instead of the query parameter)' } } } },
        responses: { '200': ok('Pushed to `pushed` accounts', ref('ProvokeResult')), '413': responseRef('TooLarge'), ...withNonce, '429': responseRef('PushLimited') } },
    },
    '/servers/{sid}/accounts/{accountid}/unblockpin': {
      parameters: [param('sid'), param('accountid')],
      post: { ...rp, operationId: 'unblockPin', summary: 'Set the PIN failure count (pinfailures) back to 0, so a blocked PIN can be entered again (Tapgate extension); permission accounts',
        responses: { '200': ok('The account after the change', ref('Account')), ...common } },
    },
    '/servers/{sid}/roles': {
      parameters: [param('sid')],
      get: { ...rp, operationId: 'getRoles', summary: 'The roles held by accounts of this server (Tapgate extension; `admin` signs in to the admin console); permission root (global)',
        responses: { '200': ok('Roles', ref('RoleList')), ...common } },
    },
    '/servers/{sid}/accounts/{accountid}/roles/{role}': {
      parameters: [param('sid'), param('accountid'), param('role')],
      put: { ...rp, operationId: 'grantRole', summary: 'Grant the account a role (Tapgate extension); permission root (global)',
        responses: { '200': ok('The account\'s roles now', ref('AccountRoles')), '400': responseRef('BadRequest'), ...common } },
      delete: { ...rp, operationId: 'revokeRole', summary: 'Revoke a role of the account (revoking admin ends its console sessions); permission root (global)',
        responses: { '200': ok('The account\'s roles now', ref('AccountRoles')), '400': responseRef('BadRequest'), ...common } },
    },
    '/servers/{sid}/accounts/{accountid}/messages': {
      parameters: [param('sid'), param('accountid')],
      post: { ...rp, operationId: 'sendMessage', summary: 'A note to the device (Tapgate extension)',
        requestBody: { required: true, content: json(ref('MessageRequest')) },
        responses: { '200': ok('Sent', ref('Result')), '400': responseRef('BadRequest'), '413': responseRef('TooLarge'), ...common } },
    },
    '/servers/{sid}/audit': {
      parameters: [param('sid')],
      get: { ...rp, operationId: 'listAudit', summary: "The server's audit log, newest first; permission audit (Tapgate extension)",
        description: 'Its relying-party actions (every call but a read, and every call refused 401 or 403) and the security events of its devices ' +
          '(wrong and blocked PINs, refused proofs, replays, code mismatches, push-fatigue refusals); docs/server-api.md §10. ' +
          'Paged by before=<the previous page\'s next>; filters combine (all must hold).',
        parameters: [param('auditLimit'), param('auditBefore'), param('auditAction'), param('auditAccount'), param('auditOutcome'), param('auditSince'), param('auditUntil')],
        responses: { '200': ok('Entries, newest first', ref('AuditList')), '400': responseRef('BadRequest'), ...common } },
    },
    '/audit': {
      get: { ...rp, operationId: 'listGlobalAudit', summary: "Every server's audit log and the entries of no server (API keys, unauthenticated calls, rate limits); permission audit (global)",
        parameters: [param('auditServer'), param('auditLimit'), param('auditBefore'), param('auditAction'), param('auditAccount'), param('auditOutcome'), param('auditSince'), param('auditUntil')],
        responses: { '200': ok('Entries, newest first', ref('AuditList')), '400': responseRef('BadRequest'), ...common } },
    },
    '/healthz': {
      get: { tags: ['operations'], operationId: 'health', summary: 'The process answers', responses: { '200': ok('Alive', ref('Health')) } },
    },
    '/readyz': {
      get: { tags: ['operations'], operationId: 'ready', summary: 'The server can serve: not shutting down, database answers',
        responses: { '200': ok('Ready', ref('Ready')), '503': ok('Not ready', ref('NotReady')) } },
    },
    '/openapi.json': {
      get: { tags: ['operations'], operationId: 'openapi', summary: 'This document', responses: { '200': ok('OpenAPI 3.1', { type: 'object' }) } },
    },
    '/metrics': {
      get: { tags: ['operations'], operationId: 'metrics', summary: 'Prometheus metrics (text format); only when a metrics token is configured, else 404',
        security: [{ metricsToken: [] }],
        responses: {
          '200': { description: 'The Prometheus text exposition format 0.0.4', content: { 'text/plain': { schema: { type: 'string' } } } },
          '401': { description: 'Missing or wrong bearer token (WWW-Authenticate: Bearer)', content: json(ref('Error')) },
        } },
    },
  },
  components: {
    securitySchemes: {
      metricsToken: { type: 'http', scheme: 'bearer', description: 'The metrics token (TAPGATE_METRICS_TOKEN, option metricsToken); GET /metrics only.' },
      apiKey: { type: 'apiKey', in: 'header', name: 'X-apikey',
        description: 'The root API key (TAPGATE_ROOT_API_KEY or generated on first start), or a key made with POST /apikeys/.' },
    },
    parameters: {
      sid: { name: 'sid', in: 'path', required: true, description: 'base64url of the 16-byte server id', schema: { type: 'string' } },
      tid: { name: 'tid', in: 'path', required: true, description: 'transaction id', schema: { type: 'string' } },
      accountid: { name: 'accountid', in: 'path', required: true, schema: { type: 'string', description: 'decimal account id' } },
      nonce: { name: 'X-nonce', in: 'header', required: true, description: 'names the relying-party session', schema: { type: 'string', maxLength: 256 } },
      txstatus: { name: 'status', in: 'query', description: 'only transactions in this status', schema: { type: 'string', enum: ['PENDING', 'SIGNED', 'REJECTED'] } },
      limit: { name: 'limit', in: 'query', description: 'page size, default 1000', schema: { type: 'integer', minimum: 0, maximum: 1000 } },
      sort: { name: 'sort', in: 'query', description: 'col or col:asc or col:desc, comma-separated or repeated (at most 5)', schema: { type: 'string' } },
      filter: { name: 'filter', in: 'query', description: 'attr=value; repeat for several (all must hold; at most 10)', schema: { type: 'string' } },
      search: { name: 'search', in: 'query', description: 'case-insensitive substring of the userid', schema: { type: 'string', maxLength: 256 } },
      blocked: { name: 'blocked', in: 'query', required: true, schema: { type: 'string', enum: ['true', 'false'] } },
      useridRequired: { name: 'userid', in: 'query', required: true, schema: { type: 'string', maxLength: 256 } },
      useridPath: { name: 'userid', in: 'path', required: true, schema: { type: 'string', maxLength: 256 } },
      role: { name: 'role', in: 'path', required: true, description: 'a role of accounts', schema: { enum: ['admin'] } },
      roleid: { name: 'roleid', in: 'path', required: true, description: 'a role: the id of an API key', schema: { type: 'string' } },
      clientid: { name: 'clientid', in: 'path', required: true, description: 'an OpenID Connect client_id', schema: { type: 'string' } },
      aclRequired: { name: 'acl', in: 'query', required: true, description: 'comma-separated permissions (not createserver)', schema: { type: 'string' } },
      acl: { name: 'acl', in: 'query', description: 'comma-separated permissions; none: all', schema: { type: 'string' } },
      keyid: { name: 'keyid', in: 'path', required: true, description: 'the id of the key (its part before the dot)', schema: { type: 'string' } },
      description: { name: 'description', in: 'query', schema: { type: 'string', maxLength: 256 } },
      permissions: { name: 'permissions', in: 'query', description: 'comma-separated permissions', schema: { type: 'string' } },
      serverid: { name: 'serverid', in: 'query', description: 'the server the permissions are on (default: all)', schema: { type: 'string' } },
      auditLimit: { name: 'limit', in: 'query', description: 'page size, default 100', schema: { type: 'integer', minimum: 1, maximum: 1000 } },
      auditBefore: { name: 'before', in: 'query', description: 'entries older than this id: the previous page\'s next', schema: { type: 'integer', minimum: 1 } },
      auditAction: { name: 'action', in: 'query', description: 'actions, comma-separated or repeated (any of them): rp.<operationId> or a security event', schema: { type: 'string' } },
      auditAccount: { name: 'account', in: 'query', description: 'the account acted on', schema: { type: 'integer', minimum: 1 } },
      auditOutcome: { name: 'outcome', in: 'query', schema: { type: 'string', enum: ['ok', 'refused', 'failed'] } },
      auditSince: { name: 'since', in: 'query', description: 'from this time (ms since the epoch)', schema: { type: 'integer', minimum: 0 } },
      auditUntil: { name: 'until', in: 'query', description: 'up to this time (ms since the epoch)', schema: { type: 'integer', minimum: 0 } },
      auditServer: { name: 'serverid', in: 'query', description: 'only this server\'s entries', schema: { type: 'string' } },
      marker: { name: 'marker', in: 'query', description: 'offset of the first item', schema: { type: 'integer', minimum: 0, maximum: 2147483647 } },
      img: { name: 'img', in: 'query', description: '"png": a QR image instead of the raw payload', schema: { type: 'string', enum: ['png'] } },
      s: { name: 's', in: 'query', description: 'PNG width in pixels', schema: { type: 'integer', minimum: 32, maximum: 2048 } },
      userid: { name: 'userid', in: 'query', schema: { type: 'string', maxLength: 256 } },
      name: { name: 'name', in: 'query', schema: { type: 'string', maxLength: 256 } },
      usercontext: { name: 'usercontext', in: 'query', description: 'JSON { announceinfo?, sessioninfo? } shown on the device', schema: { type: 'string' } },
      secondfactor: { name: 'secondfactor', in: 'query', schema: { type: 'string', enum: ['required'] } },
      codematch: { name: 'codematch', in: 'query', description: 'the device asks the user to pick the matchcode', schema: { type: 'string', enum: ['true', 'false'] } },
    },
    responses: {
      BadRequest: { description: 'Invalid parameter, header or body', content: json(ref('Error')) },
      Unauthorized: { description: 'Missing or unknown X-apikey', content: json(ref('Error')) },
      Forbidden: { description: 'The API key lacks the permission (`required` lists the ones that would do)', content: json(ref('Forbidden')) },
      NotFound: { description: 'Unknown server, account, user, API key, transaction or route', content: json(ref('Error')) },
      MethodNotAllowed: { description: 'Method not allowed (Allow header lists the allowed ones)', content: json(ref('Error')) },
      Conflict: { description: 'provokelogin: no earlier login on the session (canprovoke is false), or the account is blocked; registeruser, transactions: nobody logged in; keys/rotate: an overlap still runs; keys/retire: no rotated-out key', content: json(ref('Error')) },
      TooLarge: { description: 'Request body over 64 KiB', content: json(ref('Error')) },
      RateLimited: {
        description: 'Too many requests for this API key',
        headers: { 'Retry-After': { description: 'seconds', schema: { type: 'integer' } } },
        content: json(ref('RateLimitError')),
      },
      PushLimited: {
        description: 'Too many requests for this API key, or push fatigue: the account already has its pending push logins, or its push logins of the window (PushLimitError, code PUSH_LIMIT)',
        headers: { 'Retry-After': { description: 'seconds', schema: { type: 'integer' } } },
        content: json(ref('PushLimitError')),
      },
      QrPayload: {
        description: 'The QR payload bytes, or a PNG with img=png',
        content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } }, 'image/png': { schema: { type: 'string', format: 'binary' } } },
      },
    },
    schemas: {
      Error: { type: 'object', required: ['error'], properties: { error: { type: 'string' } } },
      RateLimitError: { type: 'object', required: ['error', 'retryAfter'], properties: { error: { type: 'string' }, retryAfter: { type: 'integer', minimum: 1 } } },
      Forbidden: { type: 'object', required: ['error', 'required'], properties: { error: { type: 'string' }, required: { type: 'array', items: { type: 'string' } } } },
      Result: { type: 'object', required: ['result'], properties: { result: { const: true } }, additionalProperties: false },
      Vash: { type: 'object', required: ['vash'], additionalProperties: false,
        properties: { vash: { type: 'string', description: 'XXXX-XXXX-XXXX-XXXX: Crockford base32 of 80 bits of BLAKE2b("tapgate/v1/vash" || server id || public key)' } } },
      OidcClientMetadata: { type: 'object', required: ['redirect_uris'], description: 'Client metadata the relying party sets; other names are refused',
        properties: {
          client_name: { type: 'string' }, redirect_uris: { type: 'array', items: { type: 'string' } },
          post_logout_redirect_uris: { type: 'array', items: { type: 'string' } }, grant_types: { type: 'array', items: { type: 'string' } },
          token_endpoint_auth_method: { enum: ['client_secret_basic', 'client_secret_post', 'client_secret_jwt', 'private_key_jwt', 'none'] },
          backchannel_logout_uri: { type: 'string' }, backchannel_token_delivery_mode: { enum: ['poll', 'ping'] },
          backchannel_client_notification_endpoint: { type: 'string' },
        } },
      OidcClient: { type: 'object', required: ['client_id', 'redirect_uris', 'token_endpoint_auth_method', 'tapgate_server'],
        description: 'The stored metadata (the provider fills in defaults); client_secret only in the answer to the registration',
        properties: {
          client_id: { type: 'string' }, client_secret: { type: 'string' }, client_name: { type: 'string' },
          redirect_uris: { type: 'array', items: { type: 'string' } }, grant_types: { type: 'array', items: { type: 'string' } },
          token_endpoint_auth_method: { type: 'string' }, tapgate_server: { type: 'string', description: 'the virtual server (serverid)' },
        } },
      OidcClientList: { type: 'object', required: ['clients'], additionalProperties: false, properties: { clients: { type: 'array', items: ref('OidcClient') } } },
      DeleteResult: { type: 'object', required: ['result', 'deleted'], additionalProperties: false,
        properties: { result: { const: true }, deleted: { type: 'integer', minimum: 1, description: 'accounts deleted' } } },
      ProvokeResult: { type: 'object', required: ['result', 'pushed', 'accountids', 'matchcode'], additionalProperties: false,
        properties: { result: { const: true }, pushed: { type: 'integer', minimum: 0, description: 'accounts the login was pushed to' },
          accountids: { type: 'array', items: { type: 'integer' } }, matchcode: { ...nullable('string'), description: 'as PushResult (null when nothing was pushed)' } } },
      PushResult: { type: 'object', required: ['result', 'matchcode'], additionalProperties: false,
        properties: { result: { const: true }, matchcode: { ...nullable('string'), description: 'number matching (codematch): the number to show, which the device asks for; else null' } } },
      PushLimitError: { type: 'object', required: ['error', 'retryAfter'], description: 'RateLimitError, or with code PUSH_LIMIT the push-fatigue refusal',
        properties: { error: { type: 'string' }, code: { const: 'PUSH_LIMIT' }, accountid: { type: 'integer', description: 'the account over its limit' }, retryAfter: { type: 'integer', minimum: 1 } } },
      Permission: { type: 'object', required: ['acl', 'server'], additionalProperties: false,
        properties: { acl: { enum: ['sessions', 'accounts', 'users', 'servers', 'audit', 'createserver', 'root'] }, server: { type: ['string', 'null'], description: 'server id, null: every server' } } },
      ApiKey: {
        type: 'object', additionalProperties: false, required: ['apikey', 'id', 'description', 'role', 'created', 'permissions'],
        properties: {
          apikey: { type: 'string', description: 'the key id only (the key itself is shown once, by createApiKey)' }, id: { type: 'string' },
          description: nullable('string'), role: { type: 'string' }, created: { type: 'integer' }, permissions: { type: 'array', items: ref('Permission') },
        },
      },
      ApiKeyCreated: {
        type: 'object', additionalProperties: false, required: ['apikey', 'id', 'description', 'role', 'created', 'permissions'],
        properties: {
          apikey: { type: 'string', description: 'the key, for X-apikey: shown only now' }, id: { type: 'string' },
          description: nullable('string'), role: { type: 'string' }, created: { type: 'integer' }, permissions: { type: 'array', items: ref('Permission') },
        },
      },
      RoleList: { type: 'object', additionalProperties: false, required: ['roles', 'totalnumber'],
        properties: {
          roles: { type: 'array', items: { type: 'object', additionalProperties: false, required: ['accountid', 'role', 'userid', 'granted'],
            properties: { accountid: { type: 'integer' }, role: { enum: ['admin'] }, userid: nullable('string'), granted: { type: 'integer' } } } },
          totalnumber: { type: 'integer', minimum: 0 },
        } },
      AccountRoles: { type: 'object', additionalProperties: false, required: ['accountid', 'roles'],
        properties: { accountid: { type: 'integer' }, roles: { type: 'array', items: { enum: ['admin'] } } } },
      PermissionList: { type: 'object', additionalProperties: false, required: ['permissions'],
        properties: { permissions: { type: 'array', items: { type: 'object', additionalProperties: false, required: ['acl', 'role', 'server'],
          properties: { acl: { enum: ['sessions', 'accounts', 'users', 'servers', 'audit', 'root'] }, role: { type: 'string' }, server: { type: 'string' } } } } } },
      ApiKeyList: { type: 'object', additionalProperties: false, required: ['apikeys', 'totalnumber'],
        properties: { apikeys: { type: 'array', items: ref('ApiKey') }, totalnumber: { type: 'integer', minimum: 0 } } },
      UserList: { type: 'object', additionalProperties: false, required: ['users', 'totalnumber'],
        properties: {
          users: { type: 'array', items: { type: 'object', additionalProperties: false, required: ['userid', 'numberaccounts', 'lastlogin'],
            properties: { userid: { type: 'string' }, numberaccounts: { type: 'integer', minimum: 1 }, lastlogin: nullable('integer') } } },
          totalnumber: { type: 'integer', minimum: 0 },
        } },
      Server: {
        type: 'object',
        additionalProperties: false,
        required: ['serverid', 'serverpk', 'serverName', 'pingTime', 'pinTimeout', 'pinTransTimeout', 'pinAttemptLimit', 'logo', 'returnOrigins', 'accountCount',
          'appurl', 'siteurl', 'appandroid', 'appios', 'owner', 'serverFlags', 'lastLogin'],
        properties: {
          serverid: { type: 'string' }, serverpk: { type: 'string' }, serverName: { type: 'string' },
          logo: { type: ['string', 'null'], description: 'an https URL or a data:image/…;base64 URL' },
          returnOrigins: { type: 'array', items: { type: 'string', maxLength: 255 }, description: 'at most 16 distinct origins (https://rp.example) an app-to-app link may send the user back to; [] none' },
          ...SERVER_PARAM_SCHEMAS, ...SERVER_PROFILE_SCHEMAS, accountCount: { type: 'integer', minimum: 0 },
          lastLogin: { type: ['integer', 'null'], description: 'read-only: when an account of this server last logged in (ms); null before any' },
          serverpkPrevious: { type: ['string', 'null'], description: 'during a key rotation\'s overlap: the previous key, still signing (sigPrev)' },
          serverpkPreviousUntil: { type: ['integer', 'null'], description: 'when that overlap ends (ms)' },
          rekeyed: { type: 'integer', minimum: 0, description: 'keys/rotate only: the accounts sent a rekey message' },

        },
      },
      ServerUpdate: {
        type: 'object',
        properties: {
          serverName: { type: 'string', maxLength: 100 }, ...SERVER_PARAM_SCHEMAS, ...SERVER_PROFILE_SCHEMAS,
          logo: { type: ['string', 'null'], maxLength: 32768, description: 'an https URL or data:image/(png|jpeg|gif|webp|svg+xml);base64,…; null clears' },
          returnOrigins: { type: 'array', items: { type: 'string', maxLength: 255 }, description: 'at most 16 distinct origins (https://rp.example) an app-to-app link may send the user back to; [] none' },
        },
      },
      ServerCreate: {
        type: 'object',
        required: ['serverName'],
        properties: {
          serverName: { type: 'string', maxLength: 100 }, ...SERVER_PARAM_SCHEMAS, ...SERVER_PROFILE_SCHEMAS,
          logo: { type: ['string', 'null'], maxLength: 32768 },
          returnOrigins: { type: 'array', items: { type: 'string', maxLength: 255 }, description: 'at most 16 distinct origins (https://rp.example) an app-to-app link may send the user back to; [] none' },
        },
      },
      ServerList: { type: 'object', additionalProperties: false, required: ['servers', 'totalnumber'],
        properties: { servers: { type: 'array', items: ref('Server') }, totalnumber: { type: 'integer', minimum: 0 } } },
      LoginStatus: {
        type: 'object',
        additionalProperties: false,
        required: ['loggedin', 'userid', 'accountid', 'pk', 'canprovoke', 'loginqrdata', 'hsid', 'scanned', 'cancelled', 'userinput', 'matchcode'],
        properties: {
          loggedin: { type: 'boolean' }, userid: nullable('string'), accountid: nullable('integer'),
          pk: { type: ['string', 'null'], description: 'base64url Ed25519 account key' },
          canprovoke: { type: 'boolean' },
          loginqrdata: { type: ['string', 'null'], description: 'base64url of the latest login QR payload' },
          hsid: { type: ['string', 'null'], description: 'base64url id of the latest QR session' },
          scanned: { type: 'boolean' }, cancelled: { type: 'boolean' },
          userinput: nullable('string'), matchcode: nullable('string'),
        },
      },
      Account: {
        type: 'object',
        additionalProperties: false,
        required: ['id', 'userid', 'blocked', 'clientVersion', 'created', 'description', 'lastlogin', 'lastprovoke', 'pinfailures', 'push'],
        properties: {
          id: { type: 'integer' }, userid: nullable('string'), blocked: { type: 'boolean' },
          clientVersion: { type: ['string', 'null'], description: 'not reported by Tapgate devices yet: null' }, created: { type: 'integer' },
          description: nullable('string'), lastlogin: nullable('integer'),
          lastprovoke: { type: ['integer', 'null'], description: 'when a push login was last provoked on the account' },
          pinfailures: { type: 'integer', minimum: 0 },
          push: { enum: ['webpush', 'fcm', 'apns', 'relay', null], description: 'how the device gets pushes (Tapgate extension)' },
        },
      },
      AccountList: { type: 'object', additionalProperties: false, required: ['accounts', 'totalnumber'],
        properties: { accounts: { type: 'array', items: ref('Account') }, totalnumber: { type: 'integer', minimum: 0 } } },
      TransactionRequest: {
        type: 'object',
        required: ['amount', 'description'],
        description: 'beneficiary may also be spelt benificiary (v2.2); each at most 200 characters',
        properties: { amount: { type: 'string', maxLength: 200 }, beneficiary: { type: 'string', maxLength: 200 },
          benificiary: { type: 'string', maxLength: 200 }, description: { type: 'string', maxLength: 200 } },
      },
      TransactionCreated: { type: 'object', additionalProperties: false, required: ['tid', 'qrdata', 'pushed'],
        properties: { tid: { type: 'string' }, qrdata: { type: 'string' }, pushed: { type: 'boolean' } } },
      Transaction: {
        type: 'object',
        additionalProperties: false,
        required: ['tid', 'tstatus', 'amount', 'beneficiary', 'benificiary', 'description', 'text', 'rpsession', 'signeddata', 'signature', 'accountid', 'pk',
          'origin', 'clientadditionaldata', 'secondfactor', 'creator', 'created'],
        properties: {
          tid: { type: 'string' }, tstatus: { enum: ['PENDING', 'SIGNED', 'REJECTED'] },
          amount: { type: 'string' }, beneficiary: { type: 'string' }, benificiary: { type: 'string' }, description: { type: 'string' },
          text: { type: 'string', description: 'the JSON the device signed' },
          rpsession: { type: 'string', description: 'base64url of H("tapgate/v1/rp-session" ‖ server id ‖ nonce), under the signature' },
          signeddata: { type: 'string', description: 'base64url of the Ed25519 signing input ("tapgate/v1/transaction" ‖ H(tid) ‖ rpsession ‖ text); verify it against the key of the account you expect' },
          signature: nullable('string'), accountid: nullable('integer'), pk: nullable('string'),
          origin: { enum: ['rp', 'app'], description: 'rp: createTransaction; app: started by the app (details empty, text = clientadditionaldata)' },
          clientadditionaldata: { ...nullable('string'), description: "origin app: the app's data, at most 4096 bytes" },
          secondfactor: { enum: ['ANY', 'PIN', 'BIOMETRIC', null], description: 'origin app: the factor the approval required; null for a relying party\'s' },
          creator: { ...nullable('integer'), description: 'origin app: the account that started it, the only one that may sign it' },
          created: { type: 'integer', description: 'ms since the epoch' },
        },
      },
      TransactionList: { type: 'object', additionalProperties: false, required: ['transactions'],
        properties: { transactions: { type: 'array', items: ref('Transaction') } } },
      AuditEntry: {
        type: 'object', additionalProperties: false,
        required: ['id', 'time', 'server', 'actor', 'action', 'account', 'session', 'outcome', 'ip', 'detail'],
        properties: {
          id: { type: 'integer', minimum: 1 }, time: { type: 'integer', description: 'ms since the epoch' },
          server: { type: ['string', 'null'], description: 'the virtual server; null: none (API keys, unauthenticated calls, rate limits)' },
          actor: { type: 'object', additionalProperties: false, required: ['kind', 'id'],
            properties: { kind: { enum: ['apikey', 'admin', 'console', 'device', 'anonymous'] },
              id: { type: ['string', 'null'], description: 'apikey: the key id; device: the account id; else null' } } },
          action: { type: 'string', description: 'rp.<operationId>, or a security event: device.pinFailed, device.pinBlocked, device.proofRefused, device.replay, ' +
            'device.codeMismatch, device.accountNotAllowed, rateLimited, pushLimited, unauthenticated' },
          account: { type: ['integer', 'null'], description: 'the account acted on (for anonymous events: the one the request named)' },
          session: { type: ['string', 'null'], description: 'the QR session (hsid) a device request named' },
          outcome: { enum: ['ok', 'refused', 'failed'] },
          ip: { type: ['string', 'null'], description: 'the client address as the server sees it (the connection\'s peer)' },
          detail: { type: 'object', properties: {}, description: 'small, never secret: the HTTP status, path parameters, named query parameters, an error code, attemptsLeft …' },
        },
      },
      AuditList: { type: 'object', additionalProperties: false, required: ['entries', 'next'],
        properties: { entries: { type: 'array', items: ref('AuditEntry') }, next: { type: ['integer', 'null'], description: 'before= of the next page; null: no more' } } },
      MessageRequest: { type: 'object', required: ['text'],
        properties: { text: { type: 'string', maxLength: 2000 }, data: { type: 'object', description: 'string → string map' } } },
      Health: { type: 'object', required: ['status'], properties: { status: { const: 'ok' } } },
      Ready: { type: 'object', required: ['status'], properties: { status: { const: 'ready' } } },
      NotReady: { type: 'object', required: ['error', 'reason'], properties: { error: { type: 'string' }, reason: { type: 'string' } } },
    },
  },
};

/** The path template of a route (`:id` is `{accountid}` in the document); `top`: not under /servers/{sid}. */
export function templateOf(route: Pick<Route<unknown>, 'path'>, top = false): string {
  const parts = route.path === '' ? [] : route.path.split('/').map((p) => (p === ':id' ? '{accountid}' : p.startsWith(':') ? `{${p.slice(1)}}` : p));
  return top ? `/${parts.join('/')}` : ['/servers/{sid}', ...parts].join('/');
}

/**
 * The document, checked against the route tables when this module loads: every route is documented
 * at its path and method under its operationId, no operation of the API is missing from the
 * tables, and each operation's permission is the table's (`x-permission`; none: any valid key). A
 * route added without its documentation (or the reverse) stops the server from starting, not only a test.
 */
function withRouteTables(doc: OpenApiDocument): OpenApiDocument {
  const inTables = new Set<string>();
  const routes = [...RP_ROUTES.map((r) => ({ r, template: templateOf(r) })), ...TOP_ROUTES.map((r) => ({ r, template: templateOf(r, true) }))];
  for (const { r: route, template } of routes) {
    const operation = doc.paths[template]?.[route.method.toLowerCase() as Method];
    if (!operation || operation.operationId !== route.id) throw new Error(`openapi.ts: ${route.method} ${template} (${route.id}) is not documented`);
    if (route.permission) operation['x-permission'] = { anyOf: [...route.permission.acls], scope: route.permission.global ? 'global' : 'server' };
    inTables.add(`${route.method.toLowerCase()} ${template}`);
  }
  for (const [template, item] of Object.entries(doc.paths)) {
    if (!/^\/(servers|apikeys|audit)(\/|$)/.test(template)) continue;
    for (const method of ['get', 'put', 'post', 'delete'] as const) {
      if (item[method] && !inTables.has(`${method} ${template}`)) throw new Error(`openapi.ts: ${method.toUpperCase()} ${template} has no route`);
    }
  }
  return doc;
}

export const openApiDocument: OpenApiDocument = withRouteTables(documented);
