// '@tapgate/authenticator/capacitor': wires an Authenticator to Capacitor's plugins. It imports no
// Capacitor package: the app passes its plugin objects in, and the structural types below are the
// parts of @capacitor/push-notifications, @capacitor/app and a biometric plugin that are used.
import type { Authenticator, PushPayload } from './authenticator.js';
import type { BiometricProvider } from './types.js';

export interface ListenerHandle {
  remove(): Promise<void>;
}

/** The part of `PushNotifications` (@capacitor/push-notifications) used here. */
export interface PushNotificationsLike {
  requestPermissions(): Promise<{ receive: string }>;
  register(): Promise<void>;
  addListener(event: 'registration', listener: (token: { value: string }) => void): Promise<ListenerHandle>;
  addListener(event: 'registrationError', listener: (error: { error: string }) => void): Promise<ListenerHandle>;
  addListener(event: 'pushNotificationReceived', listener: (notification: { data: unknown }) => void): Promise<ListenerHandle>;
  addListener(event: 'pushNotificationActionPerformed', listener: (action: { notification: { data: unknown } }) => void): Promise<ListenerHandle>;
}

/** The part of `App` (@capacitor/app) used here. */
export interface AppLike {
  addListener(event: 'appUrlOpen', listener: (event: { url: string }) => void): Promise<ListenerHandle>;
  addListener(event: 'resume', listener: () => void): Promise<ListenerHandle>;
}

export interface CapacitorBindingOptions {
  /** Push: the token goes to `updatePushToken`, each push's data to `processPush`. */
  pushNotifications?: PushNotificationsLike;
  /** Deep links (`appUrlOpen`) go to `startSession`; `resume` runs `retrieveMessages`. */
  app?: AppLike;
  /** Ask for the push permission and register at once. Default true. */
  registerForPush?: boolean;
  /** Which opened URLs are Tapgate links. Default: `tapgate:` links and https links with a fragment. */
  isTapgateLink?: (url: string) => boolean;
  /**
   * Put before the plugin's token when registering it, naming the server's sender: 'fcm:' for an
   * FCM token, 'apns:' for an APNs device token (docs/server-api.md §2). Default '' (the token as is).
   */
  pushTokenPrefix?: string;
}

/** What `bindCapacitor` returns: a handle to undo it, and the failures it could not hand to a caller. */
export interface CapacitorBinding extends EventTarget {
  /** Resolves when every listener is attached and, if asked for, push registration was requested. */
  readonly ready: Promise<void>;
  /** Removes every listener this binding attached. */
  remove(): Promise<void>;
}

const defaultIsTapgateLink = (url: string) => /^tapgate:/i.test(url) || (/^https:\/\//i.test(url) && url.includes('#'));

/** A data map from a push provider: FCM/APNs put custom keys in `data`; our payload is its `tapgate` key. */
function pushPayloadOf(data: unknown): PushPayload | null {
  if (data && typeof data === 'object' && typeof (data as { tapgate?: unknown }).tapgate === 'string') {
    return { tapgate: (data as { tapgate: string }).tapgate };
  }
  return null;  // somebody else's push: not ours to handle
}

/**
 * Connects an Authenticator to Capacitor. New sessions (from a push login or a deep link) appear
 * as the Authenticator's `session` event, as they do without Capacitor. Failures that have no
 * caller to go to — a push that is not for this device, a bad link, a refused registration —
 * are dispatched on the returned binding as `error` events, `detail: { error, source }`, where
 * `source` is 'registration' | 'push' | 'link' | 'resume'.
 */
export function bindCapacitor(auth: Authenticator, options: CapacitorBindingOptions): CapacitorBinding {
  const binding = new EventTarget() as CapacitorBinding;
  const handles: ListenerHandle[] = [];
  const fail = (source: string) => (error: unknown) => {
    binding.dispatchEvent(new CustomEvent('error', { detail: { error, source } }));
  };
  const isTapgateLink = options.isTapgateLink ?? defaultIsTapgateLink;
  const onPush = (data: unknown) => {
    const payload = pushPayloadOf(data);
    if (payload) auth.processPush(payload).catch(fail('push'));
  };

  const attach = async () => {
    const { pushNotifications: push, app } = options;
    if (push) {
      handles.push(
        await push.addListener('registration', (token) => void auth.updatePushToken(`${options.pushTokenPrefix ?? ''}${token.value}`).catch(fail('registration'))),
        await push.addListener('registrationError', (e) => fail('registration')(new Error(`push registration failed: ${e.error}`))),
        await push.addListener('pushNotificationReceived', (n) => onPush(n.data)),
        // A push that arrived while the app was in the background: the user tapped its notification.
        await push.addListener('pushNotificationActionPerformed', (a) => onPush(a.notification.data)),
      );
      if (options.registerForPush ?? true) {
        const permission = await push.requestPermissions();
        if (permission.receive === 'granted') await push.register();
        else fail('registration')(new Error(`push permission ${permission.receive}`));
      }
    }
    if (app) {
      handles.push(
        await app.addListener('appUrlOpen', ({ url }) => {
          // An app's own isTapgateLink may throw too: inside the promise, it is an `error` event.
          Promise.resolve().then(() => (isTapgateLink(url) ? auth.startSession(url) : null)).catch(fail('link'));
        }),
        // Pushes are best effort: whatever the device missed while away is pulled on resume.
        await app.addListener('resume', () => void auth.retrieveMessages().catch(fail('resume'))),
      );
    }
  };

  const ready = attach();
  // `ready` rejects for whoever awaits it; an app that doesn't still hears of it, as an `error` event.
  ready.catch(fail('registration'));
  Object.defineProperty(binding, 'ready', { value: ready });
  binding.remove = async () => {
    await binding.ready.catch(() => {});
    await Promise.all(handles.splice(0).map((h) => h.remove()));
  };
  return binding;
}

/** The part of a native biometric plugin used here; `@capgo/capacitor-native-biometric`'s `NativeBiometric` has this shape. */
export interface BiometricPluginLike {
  isAvailable(): Promise<{ isAvailable: boolean }>;
  verifyIdentity(options?: { reason?: string; title?: string }): Promise<void>;
  getCredentials(options: { server: string }): Promise<{ username: string; password: string }>;
  setCredentials(options: { server: string; username: string; password: string }): Promise<void>;
}

export interface BiometricOptions {
  /** Keychain/Keystore entry name under which the secret is kept. Default 'tapgate.biometric'. */
  server?: string;
  /** Shown by the system prompt. */
  reason?: string;
  title?: string;
}

/**
 * A BiometricProvider over a native biometric plugin. On enrolment it makes a random 32-byte
 * secret and keeps it in the platform's secure store (Keychain / Keystore) through the plugin;
 * every later use shows the system prompt and reads the same secret back. A cancelled or failed
 * prompt gives `null` (the core then reports BIOMETRIC_FAIL), never an exception.
 */
export function capacitorBiometric(plugin: BiometricPluginLike, options: BiometricOptions = {}): BiometricProvider {
  const server = options.server ?? 'tapgate.biometric';
  const prompt = { reason: options.reason ?? 'Confirm the login', title: options.title ?? 'Tapgate' };
  const read = async (): Promise<Uint8Array | null> => {
    try {
      const { password } = await plugin.getCredentials({ server });
      const bytes = fromBase64Url(password);
      return bytes.length === 32 ? bytes : null;
    } catch {
      return null;  // nothing stored yet
    }
  };
  return {
    isAvailable: async () => (await plugin.isAvailable().catch(() => ({ isAvailable: false }))).isAvailable,
    secret: async (purpose) => {
      try {
        await plugin.verifyIdentity(prompt);
      } catch {
        return null;  // cancelled, or not recognised
      }
      const existing = await read();
      if (existing || purpose === 'verify') return existing;
      const secret = crypto.getRandomValues(new Uint8Array(32));
      await plugin.setCredentials({ server, username: 'tapgate', password: toBase64Url(secret) });
      return secret;
    },
  };
}

function toBase64Url(bytes: Uint8Array): string {
  let text = '';
  for (const b of bytes) text += String.fromCharCode(b);
  return btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64Url(text: string): Uint8Array {
  const bin = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}
