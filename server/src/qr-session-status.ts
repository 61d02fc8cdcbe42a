// The status of a QR session, in one place: the device routes declare which statuses they accept
// and the signed error each other status gets (device-api.ts), instead of each re-checking flags.
import type { QrSessionRecord } from './db';

/**
 * `used`: it made its login or enrolment; `expired`: past its lifetime; `cancelled`: the device
 * that started it declined; `started`: a device started it (/v1/start, a login message, an
 * AppLogin); `fresh`: nobody has. The first that holds, in that order.
 */
export type QrSessionStatus = 'fresh' | 'started' | 'used' | 'cancelled' | 'expired';

export function qrSessionStatus(qs: Pick<QrSessionRecord, 'used' | 'cancelled' | 'started' | 'expires'>, now: number): QrSessionStatus {
  if (qs.used) return 'used';
  if (now > qs.expires) return 'expired';
  if (qs.cancelled) return 'cancelled';
  return qs.started ? 'started' : 'fresh';
}

/** What a route answers a QR session in each status: null accepts it, a number is the signed error code. */
export type StatusPolicy = Record<QrSessionStatus, number | null>;
