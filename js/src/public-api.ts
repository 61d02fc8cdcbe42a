// What both entry points ('.' for browsers, './node') export besides their platform's storage.
export { Authenticator } from './authenticator.js';
export type { AuthenticatorOptions, PushPayload, TimerFunctions } from './authenticator.js';
export { TapgateError } from './errors.js';
export type { TapgateErrorCode, TapgateErrorKind, TapgateErrorInfo } from './errors.js';
export { Session } from './session.js';
export type { PinBiometricInput } from './session.js';
export { MemoryStorage } from './memory-storage.js';
export { LocalPushRelay } from './push-relay.js';
export type { PushRelayOptions } from './push-relay.js';
export * from './types.js';
export type { SessionEventMap, AuthenticatorEventMap, PushRelayEventMap, MessageDetail } from './events.js';
export { TypedEventTarget } from './events.js';
