// The pushes that did not reach their push service, as the senders report them (their onFailure),
// kept in this process's memory for the admin console: the last MAX_PUSH_FAILURES, newest first.
// Each instance keeps its own; the messages stay stored for the app's retrieveMessages either way.
// Senders' errors carry no token, key or payload (push-common.ts), so neither does this list.
import { PushDeliveryError } from './push-common';

export const MAX_PUSH_FAILURES = 200;

export interface PushFailure {
  time: number;
  /** Which sender reported it: a push service, or the router that found no sender for the token. */
  sender: 'webpush' | 'fcm' | 'apns' | 'router';
  message: string;
  /** The push service's HTTP status and error code, when it answered. */
  status: number | null;
  reason: string | null;
}

export class PushFailureLog {
  readonly #entries: PushFailure[] = [];

  constructor(private readonly now: () => number) {}

  /**
   * An onFailure for `sender`: records the error, then calls `given`, or (none given) writes the
   * line on stderr the sender would have written.
   */
  reporter(sender: PushFailure['sender'], given?: (err: Error) => void): (err: Error) => void {
    return (err) => {
      this.record(sender, err);
      if (given) given(err);
      else process.stderr.write(`tapgate-server: ${sender === 'webpush' ? 'web push: ' : ''}${err.message}\n`);
    };
  }

  record(sender: PushFailure['sender'], err: Error): void {
    const status = (err as { status?: unknown }).status;
    this.#entries.unshift({
      time: this.now(),
      sender,
      message: err.message,
      status: typeof status === 'number' ? status : null,
      reason: err instanceof PushDeliveryError ? err.reason ?? null : null,
    });
    if (this.#entries.length > MAX_PUSH_FAILURES) this.#entries.length = MAX_PUSH_FAILURES;
  }

  list(): readonly PushFailure[] {
    return this.#entries;
  }
}
