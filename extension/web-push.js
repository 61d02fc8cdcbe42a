// Web Push for the extension's worker: a subscription of its registration with the server's VAPID
// key, as the push token the server expects (`webpush:` + the subscription's JSON,
// docs/server-api.md §2). One subscription serves every account: it is made with the key of the
// server enrolled first, as a browser allows one key per registration.
export async function webPushToken(registration, serverUrl) {
  const existing = await registration.pushManager.getSubscription();
  if (existing) return `webpush:${JSON.stringify(existing.toJSON())}`;
  const res = await fetch(new URL('/webpush/v1/vapid', serverUrl));
  if (!res.ok) throw new Error(`no VAPID key (HTTP ${res.status})`);
  const { publicKey } = await res.json();
  const subscription = await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: publicKey });
  return `webpush:${JSON.stringify(subscription.toJSON())}`;
}
