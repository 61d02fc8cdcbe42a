// The events of the SDK's EventTargets, typed: `addEventListener('secondfactor', (e) => e.detail.context)`
// type-checks in a strict TypeScript consumer (tests/js/typed-events.test.js compiles one). Every
// event is a CustomEvent; its detail is the one docs/api.md §4 documents.
import type { Session } from './session.js';
import type { TapgateError, TapgateErrorInfo } from './errors.js';
import type {
  Account, ConfirmEnrolDetail, ConfirmLoginDetail, HistoryStatus, LoginDetail, ReturnDetail, SecondFactorDetail, ServerKeyDetail, StateChangeDetail,
} from './types.js';

export interface SessionEventMap {
  statechange: CustomEvent<StateChangeDetail>;
  /** manuallyStartUserInteraction: the session is held until `session.startUserInteraction()`. */
  readyforuserinteraction: CustomEvent<Record<string, never>>;
  confirmenrol: CustomEvent<ConfirmEnrolDetail>;
  confirmlogin: CustomEvent<ConfirmLoginDetail>;
  secondfactor: CustomEvent<SecondFactorDetail>;
  login: CustomEvent<LoginDetail>;
  error: CustomEvent<{ error: TapgateErrorInfo }>;
  stop: CustomEvent<{ historyStatus: HistoryStatus }>;
  /** App-to-app: open `detail.url` now (after `stop`, or once a continuous login is in). */
  return: CustomEvent<ReturnDetail>;
}

/** A server's note to an account (the `message` kind), by push or pull. */
export interface MessageDetail {
  account: Account;
  message: { id: string; time: number; text: string; data: unknown };
}

export interface AuthenticatorEventMap {
  session: CustomEvent<{ session: Session }>;
  accountupdate: CustomEvent<{ account: Account }>;
  accountdeleted: CustomEvent<{ account: Account }>;
  message: CustomEvent<MessageDetail>;
  serverkey: CustomEvent<ServerKeyDetail>;
  error: CustomEvent<{ error: TapgateError }>;
}

export interface PushRelayEventMap {
  /** A message could not be fetched or processed; `error` is what was thrown. */
  error: CustomEvent<{ error: unknown }>;
}

type Listener<E> = ((event: E) => void) | { handleEvent(event: E): void };

/** An EventTarget whose known event names give their listeners the event's own type. */
export class TypedEventTarget<Events extends { [K in keyof Events]: Event }> extends EventTarget {
  override addEventListener<K extends keyof Events & string>(type: K, listener: Listener<Events[K]> | null, options?: boolean | AddEventListenerOptions): void;
  override addEventListener(type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | AddEventListenerOptions): void;
  override addEventListener(type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | AddEventListenerOptions): void {
    super.addEventListener(type, listener, options);
  }

  override removeEventListener<K extends keyof Events & string>(type: K, listener: Listener<Events[K]> | null, options?: boolean | EventListenerOptions): void;
  override removeEventListener(type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | EventListenerOptions): void;
  override removeEventListener(type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | EventListenerOptions): void {
    super.removeEventListener(type, listener, options);
  }
}
