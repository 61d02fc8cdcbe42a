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
  | 'SINGLE_ACCOUNT'
  | 'ENROL_QR_EXPIRED'
  | 'SERVER_AUTHENTICATION_FAILED'
  | 'SERVER_AUTHENTICATION_ERROR'
  | 'SERVER_AUTHENTICATION_TIMEOUT'
  | 'SERVER_UNKNOWN_ERROR'
  | 'SESSION_NOT_FOUND'
  | 'PIN_BLOCKED'
  | 'BAD_RESPONSE'
  | 'NETWORK_ERROR'
  | 'SESSION_TIMEOUT'
  | 'STATE_CORRUPT'
  | 'PUSH_REJECTED'
  | 'PUSH_EXPIRED'
  | 'PUSH_REPLAYED'
  | 'APPLOGIN_NOT_CONTINUOUS'
  | 'CODE_MISMATCH'
  | 'ACCOUNT_NOT_ALLOWED'
  | 'STORAGE_UNAVAILABLE'
  | 'UNSUPPORTED'
  | 'CAMERA_UNAVAILABLE'
  | 'CAMERA_DENIED';

export interface TapgateErrorInfo {
  code: TapgateErrorCode;
  numericCode: number;
  kind: TapgateErrorKind;
  message: string;
}

export class TapgateError extends Error implements TapgateErrorInfo {
  readonly code: TapgateErrorCode;
  readonly numericCode: number;
  readonly kind: TapgateErrorKind;

  constructor(info: TapgateErrorInfo) {
    super(info.message);
    this.name = 'TapgateError';
    this.code = info.code;
    this.numericCode = info.numericCode;
    this.kind = info.kind;
  }

  toJSON(): TapgateErrorInfo {
    return { code: this.code, numericCode: this.numericCode, kind: this.kind, message: this.message };
  }
}

export function storageError(code: 'STATE_CORRUPT' | 'STORAGE_UNAVAILABLE', message: string): TapgateError {
  return new TapgateError({ code, numericCode: 0, kind: 'storage', message });
}

export function deviceError(code: 'CAMERA_UNAVAILABLE' | 'CAMERA_DENIED', message: string): TapgateError {
  return new TapgateError({ code, numericCode: 0, kind: 'device', message });
}

export function misuse(code: 'INVALID_ARGUMENT' | 'UNSUPPORTED', message: string): TapgateError {
  return new TapgateError({ code, numericCode: 0, kind: 'misuse', message });
}
