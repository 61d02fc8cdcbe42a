/** Who is at fault: the app (misuse), the server (remote), the transport (network), an attacker
 *  or corrupted data (security), local persistence (storage), or the device: no camera, permission
 *  refused (device). */
export type TapgateErrorKind = 'misuse' | 'remote' | 'network' | 'security' | 'storage' | 'device';

/** Stable string codes; `numericCode` keeps the reference's numbers where one exists. */
export type TapgateErrorCode =
  | 'WRONG_STATE'
  | 'INVALID_ARGUMENT'
  | 'UNKNOWN_SESSION'
  | 'UNKNOWN_ACCOUNT'
  | 'QR_PARSE_ERROR'
  | 'QR_UNKNOWN_TYPE'
  | 'NO_ACCOUNTS_FOR_SERVER'
  | 'DISPLAY_NAME_EXISTS'
  | 'SINGLE_ACCOUNT'
  | 'ENROL_QR_EXPIRED'
  | 'SERVER_AUTHENTICATION_FAILED'
  | 'SERVER_AUTHENTICATION_ERROR'
  | 'SERVER_AUTHENTICATION_TIMEOUT'
  | 'SERVER_UNKNOWN_ERROR'
  | 'SESSION_NOT_FOUND'
  | 'PIN_BLOCKED'
  | 'SERVER_PARAMETERS_NO_RESULT'
  | 'BAD_RESPONSE'
  | 'NETWORK_ERROR'
  | 'SESSION_TIMEOUT'
  | 'STATE_CORRUPT'
  | 'PUSH_REJECTED'
  | 'PUSH_EXPIRED'
  | 'PUSH_REPLAYED'
  | 'APPLOGIN_NOT_CONTINUOUS'
  | 'CODE_MISMATCH'
  | 'TOKEN_REFUSED'
  | 'ACCOUNT_NOT_ALLOWED'
  | 'STORAGE_UNAVAILABLE'
  | 'UNSUPPORTED'
  | 'CAMERA_UNAVAILABLE'
  | 'CAMERA_DENIED'
  | 'RETURN_URL_NOT_ALLOWED';

export interface TapgateErrorInfo {
  code: TapgateErrorCode;
  numericCode: number;
  kind: TapgateErrorKind;
  message: string;
  /** With TOKEN_REFUSED: the provider's OAuth `error` (invalid_grant, invalid_client, …). */
  oauthError?: string;
}

export class TapgateError extends Error implements TapgateErrorInfo {
  readonly code: TapgateErrorCode;
  readonly numericCode: number;
  readonly kind: TapgateErrorKind;
  readonly oauthError?: string;

  constructor(info: TapgateErrorInfo) {
    super(info.message);
    this.name = 'TapgateError';
    this.code = info.code;
    this.numericCode = info.numericCode;
    this.kind = info.kind;
    if (info.oauthError !== undefined) this.oauthError = info.oauthError;
  }

  toJSON(): TapgateErrorInfo {
    const info: TapgateErrorInfo = { code: this.code, numericCode: this.numericCode, kind: this.kind, message: this.message };
    if (this.oauthError !== undefined) info.oauthError = this.oauthError;
    return info;
  }
}

export function storageError(code: 'STATE_CORRUPT' | 'STORAGE_UNAVAILABLE', message: string): TapgateError {
  return new TapgateError({ code, numericCode: 0, kind: 'storage', message });
}

export function deviceError(code: 'CAMERA_UNAVAILABLE' | 'CAMERA_DENIED', message: string): TapgateError {
  return new TapgateError({ code, numericCode: 0, kind: 'device', message });
}

export function misuse(code: 'WRONG_STATE' | 'INVALID_ARGUMENT' | 'UNSUPPORTED', message: string): TapgateError {
  return new TapgateError({ code, numericCode: 0, kind: 'misuse', message });
}

export function networkError(message: string): TapgateError {
  return new TapgateError({ code: 'NETWORK_ERROR', numericCode: 2, kind: 'network', message });
}

/** What a server answered that the SDK cannot use, named like the core's codes for the same faults. */
export function remoteFault(code: 'SERVER_UNKNOWN_ERROR' | 'BAD_RESPONSE', message: string): TapgateError {
  return code === 'BAD_RESPONSE'
    ? new TapgateError({ code, numericCode: 67, kind: 'security', message })
    : new TapgateError({ code, numericCode: 51, kind: 'remote', message });
}

/** The OpenID provider refused a token request with an OAuth error (RFC 6749 §5.2). */
export function tokenRefused(oauthError: string, message: string): TapgateError {
  return new TapgateError({ code: 'TOKEN_REFUSED', numericCode: 0, kind: 'remote', message, oauthError });
}

/** A thrown value as text; reading it must not throw again (a getter, a Symbol, a hostile toString). */
export function describe(err: unknown): string {
  try {
    const message = (err as Error | null)?.message ?? err;
    return String(message);
  } catch {
    return 'unknown error';
  }
}

/** The origin of a request URL for messages; the core validates URLs, but this must never throw. */
export function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return 'an unparsable URL';
  }
}
