// The run-time shapes of the answers (types.ts are their static side; each shape is typed with its
// interface, so the two cannot drift apart without a compile error). `MODEL_SHAPES` names them as
// openapi.ts's components.schemas does, for the test that compares them with the document.
import { arrayOf, boolean, integer, literal, nullable, object, oneOf, optional, string, type Shape } from './shapes';
import type * as T from './types';

const ACL = ['sessions', 'accounts', 'users', 'servers', 'audit', 'createserver', 'root'] as const;
const SERVER_ACL = ['sessions', 'accounts', 'users', 'servers', 'audit', 'root'] as const;

export const result: Shape<T.Result> = object({ result: literal(true) });
export const deleteResult: Shape<T.DeleteResult> = object({ result: literal(true), deleted: integer });
export const provokeResult: Shape<T.ProvokeResult> = object({ result: literal(true), pushed: integer, accountids: arrayOf(integer), matchcode: nullable(string) });
export const pushResult: Shape<T.PushResult> = object({ result: literal(true), matchcode: nullable(string) });

const permission: Shape<T.Permission> = object({ acl: oneOf(...ACL), server: nullable(string) });
export const apiKey: Shape<T.ApiKey> = object({
  apikey: string, id: string, description: nullable(string), role: string, created: integer, permissions: arrayOf(permission),
});
export const apiKeyList: Shape<T.ApiKeyList> = object({ apikeys: arrayOf(apiKey), totalnumber: integer });
export const permissionList: Shape<T.PermissionList> = object({
  permissions: arrayOf(object({ acl: oneOf(...SERVER_ACL), role: string, server: string })),
});

export const roleList: Shape<T.RoleList> = object({
  roles: arrayOf(object({ accountid: integer, role: oneOf('admin'), userid: nullable(string), granted: integer })),
  totalnumber: integer,
});
export const accountRoles: Shape<T.AccountRoles> = object({ accountid: integer, roles: arrayOf(oneOf('admin')) });

const serverFields = {
  serverid: string, serverpk: string, serverName: string, pingTime: integer, pinTimeout: integer, pinTransTimeout: integer, pinAttemptLimit: integer,
  logo: nullable(string), returnOrigins: arrayOf(string), appurl: nullable(string), siteurl: nullable(string), appandroid: nullable(string), appios: nullable(string),
  owner: nullable(string), serverFlags: arrayOf(oneOf('uniqueDisplayNames')), accountCount: integer, lastLogin: nullable(integer),
  serverpkPrevious: optional(nullable(string)), serverpkPreviousUntil: optional(nullable(integer)),
};
export const server: Shape<T.Server> = object({ ...serverFields, rekeyed: optional(integer) });
export const rotatedServer: Shape<T.Server & { rekeyed: number }> = object({ ...serverFields, rekeyed: integer });
export const vash: Shape<T.Vash> = object({ vash: string });
export const serverList: Shape<T.ServerList> = object({ servers: arrayOf(server), totalnumber: integer });

export const loginStatus: Shape<T.LoginStatus> = object({
  loggedin: boolean, userid: nullable(string), accountid: nullable(integer), pk: nullable(string), canprovoke: boolean,
  loginqrdata: nullable(string), hsid: nullable(string), scanned: boolean, cancelled: boolean,
  userinput: nullable(string), matchcode: nullable(string),
});

export const account: Shape<T.Account> = object({
  id: integer, userid: nullable(string), blocked: boolean, clientVersion: nullable(string), created: integer,
  description: nullable(string), lastlogin: nullable(integer), lastprovoke: nullable(integer), pinfailures: integer,
  push: oneOf('webpush', 'fcm', 'apns', 'relay', null),
});
export const accountList: Shape<T.AccountList> = object({ accounts: arrayOf(account), totalnumber: integer });
export const userList: Shape<T.UserList> = object({
  users: arrayOf(object({ userid: string, numberaccounts: integer, lastlogin: nullable(integer) })), totalnumber: integer,
});

export const transactionCreated: Shape<T.TransactionCreated> = object({ tid: string, qrdata: string, pushed: boolean });
export const transaction: Shape<T.Transaction> = object({
  tid: string, tstatus: oneOf('PENDING', 'SIGNED', 'REJECTED'), amount: string, beneficiary: string, benificiary: string,
  description: string, text: string, rpsession: string, signeddata: string,
  signature: nullable(string), accountid: nullable(integer), pk: nullable(string),
  origin: oneOf('rp', 'app'), clientadditionaldata: nullable(string), secondfactor: oneOf('ANY', 'PIN', 'BIOMETRIC', null),
  creator: nullable(integer), created: integer,
});
export const transactionList: Shape<T.TransactionList> = object({ transactions: arrayOf(transaction) });

export const health: Shape<T.Health> = object({ status: literal('ok') });
export const ready: Shape<T.Ready> = object({ status: literal('ready') });
export const openApiDocument: Shape<T.OpenApiDocument> = object({
  openapi: string, info: object({ title: string, version: string }), paths: object({}), components: object({}),
});

export const oidcClient = object({
  client_id: string,
  client_secret: optional(string),
  client_name: optional(string),
  redirect_uris: arrayOf(string),
  grant_types: optional(arrayOf(string)),
  token_endpoint_auth_method: string,
  tapgate_server: string,
}) as unknown as Shape<T.OidcClient>;
export const oidcClientList: Shape<T.OidcClientList> = object({ clients: arrayOf(oidcClient) });

export const auditEntry: Shape<T.AuditEntry> = object({
  id: integer, time: integer, server: nullable(string),
  actor: object({ kind: oneOf('apikey', 'admin', 'console', 'device', 'anonymous'), id: nullable(string) }),
  action: string, account: nullable(integer), session: nullable(string), outcome: oneOf('ok', 'refused', 'failed'), ip: nullable(string),
  detail: object({}) as unknown as Shape<T.AuditEntry['detail']>,
});
export const auditList: Shape<T.AuditList> = object({ entries: arrayOf(auditEntry), next: nullable(integer) });

/** The data of each status-channel event but `status` (whose data is a LoginStatus). */
export const statusEventData = {
  qr: object({ event: literal('qr'), hsid: nullable(string) }),
  scanned: object({ event: literal('scanned'), hsid: nullable(string) }),
  cancelled: object({ event: literal('cancelled'), hsid: nullable(string) }),
  loggedin: object({ event: literal('loggedin'), hsid: nullable(string), userid: nullable(string), accountid: nullable(integer) }),
  loggedout: object({ event: literal('loggedout'), hsid: nullable(string), userid: nullable(string), accountid: nullable(integer) }),
  registered: object({ event: literal('registered'), hsid: nullable(string), userid: nullable(string), accountid: nullable(integer) }),
  canprovoke: object({ event: literal('canprovoke'), hsid: literal(null), accountid: integer }),
} satisfies Record<Exclude<T.SessionEventName, 'status'>, Shape<T.SessionEvent>>;

/** The shapes under their openapi.ts component names. */
export const MODEL_SHAPES: Record<string, Shape<unknown>> = {
  Result: result, DeleteResult: deleteResult, ProvokeResult: provokeResult, PushResult: pushResult, Permission: permission, ApiKey: apiKey,
  ApiKeyCreated: apiKey, ApiKeyList: apiKeyList, PermissionList: permissionList, RoleList: roleList, AccountRoles: accountRoles, Server: server, ServerList: serverList, Vash: vash,
  LoginStatus: loginStatus, Account: account, AccountList: accountList, UserList: userList,
  TransactionCreated: transactionCreated, Transaction: transaction, TransactionList: transactionList, Health: health, Ready: ready,
  OidcClient: oidcClient, OidcClientList: oidcClientList, AuditEntry: auditEntry, AuditList: auditList,
};
