import type { TapgateErrorInfo } from './errors.js';

export type SessionState = 'STARTING' | 'READY_FOR_USER_INTERACTION' | 'USER_INTERACTION' | 'ACTIVE' | 'DONE' | 'ERROR';
export type PseudoState = 'WAIT_FOR_CONFIRMATION' | 'WAIT_FOR_SECOND_FACTOR' | 'NONE';
export type HistoryStatus =
  | 'NONE'
  | 'LOGGED_IN'
  | 'LOGGED_IN_ONE_SHOT'
  | 'LOGGED_OUT'
  | 'ABORTED'
  | 'ERROR'
  | 'DELETED';

export interface Account {
  /** The server's id for this account: LoginStatus `accountid`. */
  accountId: number;
  /** base64url server id. */
  serverId: string;
  serverName: string;
  /** The server's logo (an https: or data: image URL), or null when it has none. */
  serverLogo: string | null;
  /** Display name of the account. */
  name: string;
  userId: string | null;
  /** base64url Ed25519 account key: LoginStatus `pk`. */
  publicKey: string;
  /** A biometric key is enrolled beside the PIN. */
  biometric: boolean;
  created: number;
  /** Server clock (ms): this account's last login as its server recorded it; null before the first. */
  lastLogin: number | null;
  /** The account's server as last announced (refreshed by every session; a change fires `accountupdate`). */
  server: ServerProfile;
}

/** What the app may show or open of a server (its parameters, docs/protocol.md §5.1); null: the server has none. */
export interface ServerProfile {
  /** base64url server id. */
  id: string;
  name: string;
  logo: string | null;
  /** URL prefix that opens the relying party's own app. */
  appUrl: string | null;
  /** The relying party's website. */
  siteUrl: string | null;
  /** Store links of the relying party's app. */
  appAndroid: string | null;
  appIos: string | null;
  /** Who runs the server. */
  owner: string | null;
  /** The server flags this SDK knows (`uniqueDisplayNames`: enrolling a second account of one name is DISPLAY_NAME_EXISTS). */
  serverFlags: ServerFlag[];
}

export type ServerFlag = 'uniqueDisplayNames';

export interface HistoryItem {
  session: string;
  kind: 'login' | 'enrol' | 'applogin' | 'transaction';
  historyStatus: HistoryStatus;
  serverId: string;
  serverName: string;
  account: Account | null;
  accountId: number | null;
  /** The account's name when the item was written (kept after the account is deleted). */
  accountName: string;
  started: number;
  ended: number;
}

export type InfoBlock = Record<string, unknown> | null;

export interface SessionSnapshot {
  id: number;
  state: SessionState;
  pseudoState: PseudoState;
  historyStatus: HistoryStatus;
  isRegistration: boolean;
  isAppLogin: boolean;
  announceInfo: InfoBlock;
  transaction: Transaction | AppTransaction | null;
  sessionInfo: InfoBlock;
  /** `serverUrl`: the device API's base URL, where getToken finds the server's provider. */
  appLogin: { webNonce: string; serverId: string; serverUrl: string } | null;
  candidateAccounts: Account[];
  account: Account | null;
  serverId: string | null;
  serverName: string;
  /** The server's logo (an https: or data: image URL) once the server answered, else null. */
  serverLogo: string | null;
  error: TapgateErrorInfo | null;
  /** App-to-app: the URL to open (the link's return URL with `tapgate_status`), once returned. */
  returnUrl: string | null;
  started: number;
  ended: number | null;
}

export type SecondFactorType = 'PIN' | 'BIOMETRIC';
/**
 * BIOMETRIC_FAIL: the provider refused (cancelled, not recognised). BIOMETRICS_REMOVED (a login's
 * verdict only): the server did not know the key of the secret the provider released, i.e. the
 * platform's biometric set changed; the biometric is now off for that account (`accountupdate`),
 * and the verdict is a new prompt for the PIN.
 */
export type SecondFactorResult = 'SUCCESS' | 'PIN_FAIL' | 'PIN_BLOCKED' | 'BIOMETRIC_FAIL' | 'BIOMETRICS_REMOVED';

/** How a change of the second factor (changePin, addBiometric) ended, in the terms of `secondfactor`. */
export interface SecondFactorChangeResult {
  result: SecondFactorResult;
  /** With PIN_FAIL: attempts left before the server blocks the PIN. */
  attemptsLeft?: number;
}

export interface ChangePinInput {
  /** The current PIN … */
  pin?: string;
  /** … or the biometric instead (unless `disallowPinChangeWithBiometric`). */
  biometric?: boolean;
  newPin: string;
}

export interface SecondFactorDetail {
  context: 'FIRST_SET' | 'VERIFY';
  allowed: SecondFactorType[];
  result?: SecondFactorResult;
  attemptsLeft?: number;
}

export interface StateChangeDetail {
  state: SessionState;
  pseudoState: PseudoState;
  historyStatus: HistoryStatus;
}

export interface Transaction {
  tid: string;
  amount: string;
  beneficiary: string;
  description: string;
}

/** The second factor a transaction the app starts requires: `ANY` is the PIN or the biometric. */
export type RequiredSecondFactor = 'ANY' | 'PIN' | 'BIOMETRIC';

/** `Authenticator.startTransaction` options (the reference's Transaction). */
export interface AppTransactionOptions {
  /** What the relying party reads back with the signed transaction; at most 4096 UTF-8 bytes. */
  clientAdditionalData?: string;
  /** Default `ANY`. */
  secondFactor?: RequiredSecondFactor;
}

/** A transaction the app started (`session.transaction`): what the device signs. */
export interface AppTransaction {
  tid: string;
  clientAdditionalData: string;
  secondFactor: RequiredSecondFactor;
}

export interface ConfirmLoginDetail {
  accounts: Account[];
  /** Present for a transaction: show all of it before the user confirms. */
  transaction?: Transaction;
  /**
   * Present with code matching: the number of digits of the code the login page shows, which the
   * user types (one try: a guess wins once in 10^codeLength).
   */
  codeLength?: number;
}

export interface ConfirmEnrolDetail {
  server: { id: string; name: string; url: string; logo: string | null };
  /** Fingerprint of the server key to compare with the one the relying party shows. */
  visualHash: string;
  userId: string | null;
  name: string;
  existingAccounts: Account[];
}

/**
 * Authenticator event `serverkey`: a server rotated its signing key and the app now pins the new
 * one (a `rekey` message, signed by the key it had, arrived by push or pull).
 */
export interface ServerKeyDetail {
  serverId: string;
  serverName: string;
  /** The new Ed25519 public key (base64url). */
  publicKey: string;
  /** Fingerprint of the new key, as ConfirmEnrolDetail.visualHash shows it. */
  visualHash: string;
}

export interface LoginDetail {
  historyStatus: HistoryStatus;
  sessionInfo: InfoBlock;
}

export interface Config {
  /** Unfinished sessions end as DONE/ABORTED after this long (ms or "30s", "5m"). Default 5m. */
  sessionTimeout?: number | string;
  automaticallySelectSingleAccountWhenSecondFactorNeeded?: boolean;
  singleAccount?: boolean;
  expiryHistoryItems?: number | string;
  /** Never skip the second factor, even within the server's pinTimeout. */
  alwaysRequireSecondFactor?: boolean;
  /**
   * Sessions from a QR code, link or push stop at READY_FOR_USER_INTERACTION (event
   * `readyforuserinteraction`) until the app calls `session.startUserInteraction()`; their
   * sessionTimeout keeps running. An AppLogin is not held. Default false.
   */
  manuallyStartUserInteraction?: boolean;
  /** Time the user has to supply an asked second factor; the session is ABORTED after it. */
  secondFactorUserInputTimeout?: number | string;
  /** An ACTIVE AppLogin logs out after this long without user activity (0 = never). */
  appLoginInactivityTimeout?: number | string;
  /** An ACTIVE AppLogin logs out after this long in all (0 = never). */
  timeoutAppLogin?: number | string;
  /** Never offer or accept the biometric. */
  biometricsDisabled?: boolean;
  /** After this many biometric verifications in a row, the PIN is asked (0 = no limit). */
  maxNumberSecondFactorWithoutPIN?: number;
  /** This long after the last PIN, the PIN is asked instead of the biometric (0 = no limit). */
  maxTimeSecondFactorWithoutPIN?: number | string;
  /** Once a server reports the PIN blocked, no second factor (the biometric included) is accepted. */
  blockSecondFactorOnPINBlocked?: boolean;
  /** A PIN change must be authorised by the old PIN, never by the biometric. */
  disallowPinChangeWithBiometric?: boolean;
}

/**
 * The platform's biometric: releases a 32-byte secret after user verification (WebAuthn PRF in
 * browsers, a Keychain/Keystore plugin in Capacitor, TestBiometricProvider in Node tests). The
 * same secret must come back every time; the core derives each account's biometric key from it.
 */
export interface BiometricProvider {
  isAvailable(): boolean | Promise<boolean>;
  /** The secret, or null when the user cancelled or was not recognised. */
  secret(purpose: 'enrol' | 'verify'): Promise<Uint8Array | null>;
}

/** Where the engine's encrypted state lives. Implementations must write atomically. */
export interface StateStorage {
  load(): Promise<string | null>;
  save(state: string): Promise<void>;
}

/** The transport: the core's POSTs, and getToken's discovery GET (the one request without a body). */
export type FetchLike = (input: string, init: { method: string; headers: Record<string, string>; body?: string; signal?: AbortSignal }) => Promise<{ status: number; text(): Promise<string> }>;

/** session.getToken's options. */
export interface GetTokenOptions {
  /** The app's public client at the server's provider (`token_endpoint_auth_method: 'none'`). */
  clientId: string;
  /** Scopes besides `openid` (which is always granted), space-separated. */
  scope?: string;
  /** The provider's issuer. Default: the account's server public URL + '/oidc'. */
  issuer?: string;
  /** Aborting rejects with `signal.reason`. */
  signal?: AbortSignal;
}

/** What the provider issued for an AppLogin: a JWT access token for the app's backend, an ID token. */
export interface TokenResult {
  /** A JWT (RFC 9068, `typ` at+jwt) whose audience is the client id. */
  accessToken: string;
  idToken: string;
  /** 'Bearer'. */
  tokenType: string;
  /** Seconds the access token is valid for. */
  expiresIn: number;
  /** The granted scopes, space-separated. */
  scope: string;
  /** When the access token expires: ms since the epoch by the Authenticator's clock. */
  expiresAt: number;
}

/**
 * The `return` event of an app-to-app login (a link with `?return=`): open `url` to send the user
 * back. Comes once, when the login is in (approved) or the session ended (rejected: cancelled,
 * declined or timed out; error), and only for a return URL at an origin the server allows.
 */
export interface ReturnDetail {
  url: string;
  outcome: 'approved' | 'rejected' | 'error';
}
