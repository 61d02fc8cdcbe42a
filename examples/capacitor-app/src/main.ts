// A Capacitor app's start-up code with Tapgate (type-checked by tests/js/capacitor.test.js; no
// native build). Push tokens and pushes, deep links and the fingerprint/face prompt come from
// Capacitor plugins; everything else is the same SDK as in a browser.
import { App } from '@capacitor/app';
import { PushNotifications } from '@capacitor/push-notifications';
import { NativeBiometric } from '@capgo/capacitor-native-biometric';
import { Authenticator, type Session, type TapgateError } from '@tapgate/authenticator';
import { bindCapacitor, capacitorBiometric } from '@tapgate/authenticator/capacitor';
import { showSession, toast } from './ui';

export async function startTapgate(): Promise<Authenticator> {
  const auth = await Authenticator.create({
    storage: 'tapgate',                                        // IndexedDB inside the WebView
    biometric: capacitorBiometric(NativeBiometric, { reason: 'Confirm your login' }),
    config: { sessionTimeout: '2m' },
  });

  // Sessions started by a push login or a deep link arrive here, like any other session.
  auth.addEventListener('session', (e) => showSession((e as CustomEvent<{ session: Session }>).detail.session));

  const capacitor = bindCapacitor(auth, { pushNotifications: PushNotifications, app: App });
  capacitor.addEventListener('error', (e) => {
    const { error, source } = (e as CustomEvent<{ error: TapgateError | Error; source: string }>).detail;
    if (source === 'push' && 'kind' in error && error.kind === 'security') return;  // not for us, forged or stale
    toast(`${source}: ${error.message}`);
  });
  await capacitor.ready;
  return auth;
}
