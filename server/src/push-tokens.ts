// Which sender carries an account's pushes is read off its push token's form:
//   "webpush:" + PushSubscription JSON  → Web Push          (web-push.ts)
//   "fcm:" + FCM registration token     → FCM HTTP v1       (fcm.ts)
//   "apns:" + hex device token          → APNs over HTTP/2  (apns.ts)
//   anything else                       → the local relay   (push.ts, GET /relay/v1/{token})
// A prefixed token whose sender is not configured is not pushed (a failure is reported); its
// messages wait for the app's retrieveMessages, as they do for any lost push.
import { APNS_TOKEN_PREFIX, ApnsSender, type ApnsOptions } from './apns';
import { FCM_TOKEN_PREFIX, FcmSender, type FcmOptions } from './fcm';
import type { PushOutcome, PushSender } from './push';
import { WEB_PUSH_TOKEN_PREFIX } from './web-push';

export type PushKind = 'webpush' | 'fcm' | 'apns' | 'relay';

/** The sender a token is for (the `push` field of the relying-party account JSON). */
export function pushKindOf(token: string): PushKind {
  if (token.startsWith(WEB_PUSH_TOKEN_PREFIX)) return 'webpush';
  if (token.startsWith(FCM_TOKEN_PREFIX)) return 'fcm';
  if (token.startsWith(APNS_TOKEN_PREFIX)) return 'apns';
  return 'relay';
}

export interface PushSenders {
  webpush?: PushSender;
  fcm?: PushSender;
  apns?: PushSender;
  relay: PushSender;
}

/** Routes each push to the sender its token's form names (see the table above). */
export class TokenPushRouter implements PushSender {
  constructor(
    private readonly senders: PushSenders,
    private readonly onFailure: (error: Error) => void = (err) => process.stderr.write(`tapgate-server: ${err.message}\n`),
    /** Told of each push no sender is configured for (the server's metrics). */
    private readonly onOutcome: (kind: PushKind, outcome: PushOutcome) => void = () => {},
  ) {}

  send(token: string, payload: string): void | Promise<void> {
    const kind = pushKindOf(token);
    const sender = this.senders[kind];
    if (sender) return sender.send(token, payload);
    this.onOutcome(kind, 'unconfigured');
    this.onFailure(new Error(`push: no ${kind} sender is configured; the message waits for the app to pull it`));
  }
}

/** The FCM and APNs senders of the server options, wired to forget gone tokens. */
export function nativePushSenders(
  opts: { fcm?: FcmOptions; apns?: ApnsOptions },
  onGone: (token: string) => void,
  onOutcome?: (kind: 'fcm' | 'apns', outcome: PushOutcome) => void,
): { fcm?: FcmSender; apns?: ApnsSender } {
  const observe = (kind: 'fcm' | 'apns') => (onOutcome ? { onOutcome: (outcome: PushOutcome) => onOutcome(kind, outcome) } : {});
  return {
    ...(opts.fcm ? { fcm: new FcmSender({ onGone, ...opts.fcm, ...observe('fcm') }) } : {}),
    ...(opts.apns ? { apns: new ApnsSender({ onGone, ...opts.apns, ...observe('apns') }) } : {}),
  };
}
