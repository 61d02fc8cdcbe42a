// The relying-party API's models as the typed client sees them: field for field the schemas of
// server/src/openapi.ts (GET /openapi.json). models.ts checks answers against these at run time;
// tests/js/rp-client.test.js compares the two with the served document.

/** Every permission an API key can hold; `root` implies all others. */
export type ApiPermission = 'sessions' | 'accounts' | 'users' | 'servers' | 'audit' | 'createserver' | 'root';
/** The permissions that can be held on one server (`createserver` is global only). */
export type ServerPermission = Exclude<ApiPermission, 'createserver'>;

export interface Result {
  result: true;
}

/** GET /servers/{sid}/vash: the fingerprint of the current signing key (XXXX-XXXX-XXXX-XXXX). */
export interface Vash {
  vash: string;
}

export interface DeleteResult {
  result: true;
  /** Accounts deleted. */
  deleted: number;
}

/** provokeLogin, provokeLoginOnAccount. */
export interface PushResult {
  result: true;
  /** Number matching: the number to show the user (the device asks for it), else null. */
  matchcode: string | null;
}

export interface ProvokeResult {
  result: true;
  /** As PushResult's (null when nothing was pushed). */
  matchcode: string | null;
  /** Accounts the login was pushed to. */
  pushed: number;
  accountids: number[];
}

/** One permission of an API key; `server` null: on every server. */
export interface Permission {
  acl: ApiPermission;
  server: string | null;
}

export interface ApiKey {
  /** The key's id only: the key itself is shown once, by createApiKey. */
  apikey: string;
  id: string;
  description: string | null;
  role: string;
  /** ms since the epoch */
  created: number;
  permissions: Permission[];
}

/** createApiKey's answer: `apikey` is the key itself (for X-apikey), shown only now. */
export type ApiKeyCreated = ApiKey;

export interface ApiKeyList {
  apikeys: ApiKey[];
  totalnumber: number;
}

/** A role's (API key's) permission on one server. */
export interface RolePermission {
  acl: ServerPermission;
  role: string;
  server: string;
}

export interface PermissionList {
  permissions: RolePermission[];
}

/** A role an account can hold (Tapgate extension); `admin` signs in to the admin console. */
export type AccountRole = 'admin';

export interface RoleGrant {
  accountid: number;
  role: AccountRole;
  userid: string | null;
  /** ms since the epoch */
  granted: number;
}

export interface RoleList {
  roles: RoleGrant[];
  totalnumber: number;
}

/** An account's roles after a grant or revoke. */
export interface AccountRoles {
  accountid: number;
  roles: AccountRole[];
}

/** A virtual server. */
export interface Server {
  /** base64url of the 16-byte server id */
  serverid: string;
  /** base64url of the Ed25519 signing key */
  serverpk: string;
  serverName: string;
  /** seconds, 0..86400; 0: one-shot logins */
  pingTime: number;
  /** minutes a login may skip the second factor, -1..1440; -1: once verified, never asked again */
  pinTimeout: number;
  /** minutes a transaction's approval may skip it, 0..1440 */
  pinTransTimeout: number;
  /** 1..10 */
  pinAttemptLimit: number;
  /** an https URL or a data:image/…;base64 URL */
  logo: string | null;
  /** origins an app-to-app link may send the user back to (https://rp.example); [] none */
  returnOrigins: string[];
  /** URL prefix that opens the relying party's app; https (http only on localhost). */
  appurl: string | null;
  /** The relying party's website. */
  siteurl: string | null;
  /** Store links of the relying party's apps. */
  appandroid: string | null;
  appios: string | null;
  /** Who runs the server, shown to the user. */
  owner: string | null;
  /** uniqueDisplayNames: the app refuses an enrolment whose account name it already holds (DISPLAY_NAME_EXISTS). */
  serverFlags: ServerFlag[];
  accountCount: number;
  /** Read-only: when an account of this server last logged in (ms), null before any. */
  lastLogin: number | null;
  /** During a key rotation's overlap: the previous key, still signing (sigPrev). */
  serverpkPrevious?: string | null;
  /** When that overlap ends (ms). */
  serverpkPreviousUntil?: number | null;
  /** rotateServerKey only: the accounts sent a rekey message. */
  rekeyed?: number;
}

export interface ServerList {
  servers: Server[];
  totalnumber: number;
}

/** createServer's body. */
export interface ServerCreate {
  serverName: string;
  pingTime?: number;
  pinTimeout?: number;
  pinTransTimeout?: number;
  pinAttemptLimit?: number;
  logo?: string | null;
  returnOrigins?: string[];
  appurl?: string | null;
  siteurl?: string | null;
  appandroid?: string | null;
  appios?: string | null;
  owner?: string | null;
  serverFlags?: ServerFlag[];
}

export type ServerFlag = 'uniqueDisplayNames';

/** updateServer's body: what to change (read-only fields of Server may be sent back unchanged). */
export type ServerUpdate = Partial<ServerCreate> & Partial<Pick<Server, 'serverid' | 'serverpk' | 'accountCount' | 'lastLogin' | 'serverpkPrevious' | 'serverpkPreviousUntil'>>;

/** The state of one relying-party session (nonce). */
export interface LoginStatus {
  loggedin: boolean;
  userid: string | null;
  accountid: number | null;
  /** base64url Ed25519 key of the account logged in */
  pk: string | null;
  canprovoke: boolean;
  /** base64url of the latest login QR payload */
  loginqrdata: string | null;
  /** base64url id of the latest QR session */
  hsid: string | null;
  scanned: boolean;
  cancelled: boolean;
  userinput: string | null;
  matchcode: string | null;
}

export interface Account {
  id: number;
  userid: string | null;
  blocked: boolean;
  /** not reported by Tapgate devices yet: null */
  clientVersion: string | null;
  created: number;
  description: string | null;
  lastlogin: number | null;
  /** when a push login was last provoked on the account */
  lastprovoke: number | null;
  pinfailures: number;
  /** how the device gets pushes (Tapgate extension); null: it only pulls */
  push: 'webpush' | 'fcm' | 'apns' | 'relay' | null;
}

export interface AccountList {
  accounts: Account[];
  totalnumber: number;
}

export interface User {
  userid: string;
  numberaccounts: number;
  lastlogin: number | null;
}

export interface UserList {
  users: User[];
  totalnumber: number;
}

/** createTransaction's body: each text at most 200 characters (`benificiary` is the v2.2 spelling). */
export type TransactionRequest = { amount: string; description: string } & ({ beneficiary: string } | { benificiary: string });

export interface TransactionCreated {
  tid: string;
  /** base64url of the transaction's QR payload */
  qrdata: string;
  /** whether the account logged in on the session was sent a push */
  pushed: boolean;
}

export interface Transaction {
  tid: string;
  tstatus: 'PENDING' | 'SIGNED' | 'REJECTED';
  amount: string;
  beneficiary: string;
  benificiary: string;
  description: string;
  /** the JSON the device signed */
  text: string;
  /** base64url of H("tapgate/v1/rp-session" ‖ server id ‖ nonce), under the signature */
  rpsession: string;
  /** base64url of the Ed25519 signing input; verify it against the key of the account you expect */
  signeddata: string;
  signature: string | null;
  accountid: number | null;
  pk: string | null;
  /** rp: createTransaction; app: started by the app (its details empty, `text` = clientadditionaldata) */
  origin: 'rp' | 'app';
  /** origin app: the app's data (at most 4096 bytes) */
  clientadditionaldata: string | null;
  /** origin app: the factor the approval required */
  secondfactor: 'ANY' | 'PIN' | 'BIOMETRIC' | null;
  /** origin app: the account that started it, the only one that may sign it */
  creator: number | null;
  /** ms since the epoch */
  created: number;
}

/** listAppTransactions: the transactions the app started, newest first. */
export interface TransactionList {
  transactions: Transaction[];
}

/** sendMessage's body: a note for the device; `data` a string → string map. */
export interface MessageRequest {
  text: string;
  data?: Record<string, string>;
}

export interface Health {
  status: 'ok';
}

export interface Ready {
  status: 'ready';
}

/** The parts of GET /openapi.json the client names; the rest passes through as served. */
export interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, unknown>;
  components: Record<string, unknown>;
}

/** What the device shows: while confirming (announceinfo) and once logged in (sessioninfo). */
export interface UserContext {
  announceinfo?: SessionInfo | null;
  sessioninfo?: SessionInfo | null;
}

export interface SessionInfo {
  info?: Record<string, string>;
  ip?: string;
  logo?: string;
  useragent?: string;
}

export type SortDirection = 'asc' | 'desc';
/** `col`, `col:asc` or `col:desc`. */
export type SortKey<Column extends string> = Column | `${Column}:${SortDirection}`;

/** The paging, sorting and filtering every list takes (docs/server-api.md §5, "Lists"). */
export interface ListQuery<Column extends string, FilterAttribute extends string> {
  /** page size, default and maximum 1000 */
  limit?: number;
  /** offset of the first item */
  marker?: number;
  /** at most 5; the list's id breaks ties */
  sort?: SortKey<Column> | SortKey<Column>[];
  /** attr=value each, all must hold; `userid: ''` lists accounts without a user */
  filter?: Partial<Record<FilterAttribute, string | number | boolean>>;
}

export type AccountSortColumn = 'id' | 'userid' | 'blocked' | 'created' | 'description' | 'lastlogin' | 'lastprovoke';
export type AccountListQuery = ListQuery<AccountSortColumn, 'userid' | 'blocked' | 'description'>;
export type UserAccountListQuery = ListQuery<AccountSortColumn, 'blocked' | 'description'>;
export type UserListQuery = ListQuery<'userid' | 'numberaccounts' | 'lastlogin', 'userid' | 'numberaccounts'> & {
  /** a case-insensitive substring of the userid */
  search?: string;
};

export interface ServerListQuery {
  limit?: number;
  marker?: number;
}

export interface CreateApiKeyQuery {
  description?: string;
  permissions?: ApiPermission[];
  /** the server the permissions are on; none: every server */
  serverid?: string;
}

/** The QR image instead of the raw payload: a PNG of `s` pixels (32..2048). */
export interface QrImageQuery {
  img?: 'png';
  s?: number;
}

export interface EnrolQrQuery extends QrImageQuery {
  userid?: string;
  /** the account's display name on the device */
  name?: string;
  usercontext?: UserContext;
  secondfactor?: 'required';
}

export interface LoginQrQuery extends QrImageQuery {
  usercontext?: UserContext;
  secondfactor?: 'required';
  /** the device asks the user to pick the matchcode shown on the page */
  codematch?: boolean;
}

/** provokeLogin and its account and user variants. */
export interface ProvokeLoginOptions {
  usercontext?: UserContext;
  secondfactor?: 'required';
  /** Number matching: the device asks the user for `matchcode` of the answer (default: the server's pushCodeMatch). */
  codematch?: boolean;
}

/** The status channel's events (docs/server-api.md §1); `status` first on every (re)connection. */
export type SessionEvent =
  | { event: 'status'; status: LoginStatus }
  | { event: 'qr' | 'scanned' | 'cancelled'; hsid: string | null }
  | { event: 'loggedin' | 'loggedout' | 'registered'; hsid: string | null; userid: string | null; accountid: number | null }
  | { event: 'canprovoke'; hsid: null; accountid: number };

export type SessionEventName = SessionEvent['event'];

/** Per call: a signal to cancel it, and a timeout other than the client's. */
export interface CallOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
}

/** Client metadata a relying party may set at registration (docs/oidc.md). */
export interface OidcClientMetadata {
  redirect_uris: string[];
  client_name?: string;
  post_logout_redirect_uris?: string[];
  grant_types?: string[];
  response_types?: ['code'];
  token_endpoint_auth_method?: 'client_secret_basic' | 'client_secret_post' | 'client_secret_jwt' | 'private_key_jwt' | 'none';
  token_endpoint_auth_signing_alg?: string;
  /** The public keys of private_key_jwt, inline (a jwks_uri is refused: the server would fetch it). */
  jwks?: { keys: Record<string, unknown>[] };
  backchannel_logout_uri?: string;
  backchannel_logout_session_required?: boolean;
  backchannel_token_delivery_mode?: 'poll' | 'ping';
  backchannel_client_notification_endpoint?: string;
  id_token_signed_response_alg?: string;
  scope?: string;
  logo_uri?: string;
  client_uri?: string;
  policy_uri?: string;
  tos_uri?: string;
  contacts?: string[];
}

/** A registered OpenID Connect client; `client_secret` only in the answer to its registration. */
export interface OidcClient extends OidcClientMetadata {
  client_id: string;
  client_secret?: string;
  token_endpoint_auth_method: NonNullable<OidcClientMetadata['token_endpoint_auth_method']>;
  /** The virtual server (serverid) it belongs to. */
  tapgate_server: string;
  [extra: string]: unknown;
}

export interface OidcClientList {
  clients: OidcClient[];
}

/** Who made an audited action: a stored key (its id), the root key, an administrator signed in to the admin console (the account id), a device whose account key proved it (the account id), or nobody proven. */
export interface AuditActor {
  kind: 'apikey' | 'admin' | 'console' | 'device' | 'anonymous';
  id: string | null;
}

/** One entry of the audit log (docs/server-api.md §10). */
export interface AuditEntry {
  id: number;
  /** ms since the epoch */
  time: number;
  /** The virtual server; null: none (API keys, unauthenticated calls, rate limits). */
  server: string | null;
  actor: AuditActor;
  /** `rp.<operationId>` or a security event (device.pinFailed, device.pinBlocked, device.proofRefused, device.replay, …). */
  action: string;
  account: number | null;
  /** The QR session (hsid) a device request named. */
  session: string | null;
  outcome: 'ok' | 'refused' | 'failed';
  /** The client address as the server saw it. */
  ip: string | null;
  /** Small and never secret: the HTTP status, path and named query parameters, an error code, attemptsLeft … */
  detail: Record<string, string | number | boolean | null>;
}

export interface AuditList {
  entries: AuditEntry[];
  /** `before` of the next page; null: this was the last. */
  next: number | null;
}

/** listAudit's paging and filters (all must hold). */
export interface AuditQuery {
  /** Page size (default 100, at most 1000). */
  limit?: number;
  /** Entries older than this id: the previous page's `next`. */
  before?: number;
  /** Any of these actions. */
  action?: string | string[];
  account?: number;
  outcome?: AuditEntry['outcome'];
  /** Times in ms since the epoch, inclusive. */
  since?: number;
  until?: number;
}
