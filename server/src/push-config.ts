// The CLI's FCM and APNs settings (config.ts takes them into SETTINGS): file paths, ids and URL
// overrides, checked at start so a wrong key or a missing setting stops the server with a message
// naming the setting (never a key's content).
import { readFileSync } from 'node:fs';
import { checkApnsOptions, type ApnsOptions } from './apns';
import { parseServiceAccount, type FcmOptions } from './fcm';

export const PUSH_SETTINGS = {
  fcmServiceAccount: { flag: 'fcm-service-account', env: 'TAPGATE_FCM_SERVICE_ACCOUNT' },
  fcmApiUrl: { flag: 'fcm-api-url', env: 'TAPGATE_FCM_API_URL' },
  fcmTokenUrl: { flag: 'fcm-token-url', env: 'TAPGATE_FCM_TOKEN_URL' },
  apnsKey: { flag: 'apns-key', env: 'TAPGATE_APNS_KEY' },
  apnsKeyId: { flag: 'apns-key-id', env: 'TAPGATE_APNS_KEY_ID' },
  apnsTeamId: { flag: 'apns-team-id', env: 'TAPGATE_APNS_TEAM_ID' },
  apnsTopic: { flag: 'apns-topic', env: 'TAPGATE_APNS_TOPIC' },
  apnsUrl: { flag: 'apns-url', env: 'TAPGATE_APNS_URL' },
  apnsPushType: { flag: 'apns-push-type', env: 'TAPGATE_APNS_PUSH_TYPE' },
} as const;

export interface PushConfig {
  fcm?: FcmOptions;
  apns?: ApnsOptions;
}

type Get = (key: keyof typeof PUSH_SETTINGS) => string | undefined;

function readSetting(path: string, env: string, fail: (m: string) => Error): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw fail(`cannot read ${env} ${JSON.stringify(path)}: ${(err as NodeJS.ErrnoException).code ?? 'unreadable'}`);
  }
}

function url(get: Get, key: keyof typeof PUSH_SETTINGS, fail: (m: string) => Error): string | undefined {
  const v = get(key);
  if (v === undefined) return undefined;
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw fail(`invalid ${PUSH_SETTINGS[key].env} ${JSON.stringify(v)}: an http(s) URL`);
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw fail(`invalid ${PUSH_SETTINGS[key].env} ${JSON.stringify(v)}: an http(s) URL`);
  return v;
}

/** FCM when a service account is given; APNs when its key is given (then key id, team id and topic are required). */
export function loadPushConfig(get: Get, fail: (message: string) => Error): PushConfig {
  const out: PushConfig = {};
  const fcmUrls = { apiBase: url(get, 'fcmApiUrl', fail), tokenUrl: url(get, 'fcmTokenUrl', fail) };
  const accountPath = get('fcmServiceAccount');
  if (accountPath !== undefined) {
    const text = readSetting(accountPath, PUSH_SETTINGS.fcmServiceAccount.env, fail);
    try {
      out.fcm = { serviceAccount: parseServiceAccount(text), ...dropUndefined(fcmUrls) };
    } catch (err) {
      throw fail(`invalid ${PUSH_SETTINGS.fcmServiceAccount.env} ${JSON.stringify(accountPath)}: ${(err as Error).message}`);
    }
  } else if (fcmUrls.apiBase || fcmUrls.tokenUrl) {
    throw fail(`${PUSH_SETTINGS.fcmApiUrl.env}/${PUSH_SETTINGS.fcmTokenUrl.env} need ${PUSH_SETTINGS.fcmServiceAccount.env}`);
  }

  const keyPath = get('apnsKey');
  const apnsRest = (['apnsKeyId', 'apnsTeamId', 'apnsTopic', 'apnsUrl', 'apnsPushType'] as const).filter((k) => get(k) !== undefined);
  if (keyPath === undefined) {
    if (apnsRest.length) throw fail(`${apnsRest.map((k) => PUSH_SETTINGS[k].env).join(', ')} need ${PUSH_SETTINGS.apnsKey.env}`);
    return out;
  }
  for (const k of ['apnsKeyId', 'apnsTeamId', 'apnsTopic'] as const) {
    if (get(k) === undefined) throw fail(`${PUSH_SETTINGS.apnsKey.env} needs ${PUSH_SETTINGS[k].env} too`);
  }
  const pushType = get('apnsPushType');
  if (pushType !== undefined && pushType !== 'alert' && pushType !== 'background') {
    throw fail(`invalid ${PUSH_SETTINGS.apnsPushType.env} ${JSON.stringify(pushType)}: alert or background`);
  }
  const apnsUrl = url(get, 'apnsUrl', fail);
  const apns: ApnsOptions = {
    key: readSetting(keyPath, PUSH_SETTINGS.apnsKey.env, fail),
    keyId: get('apnsKeyId')!,
    teamId: get('apnsTeamId')!,
    topic: get('apnsTopic')!,
    ...(apnsUrl ? { url: apnsUrl } : {}),
    ...(pushType ? { pushType } : {}),
  };
  try {
    checkApnsOptions(apns);
  } catch (err) {
    throw fail(`invalid APNs settings: ${(err as Error).message}`);
  }
  out.apns = apns;
  return out;
}

function dropUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
