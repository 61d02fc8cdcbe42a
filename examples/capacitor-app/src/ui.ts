// The app's own screens; a stand-in here so the example type-checks on its own.
import type { Session } from '@tapgate/authenticator';

export function showSession(session: Session): void {
  session.addEventListener('secondfactor', async (e) => {
    const detail = (e as CustomEvent<{ result?: string; allowed: string[] }>).detail;
    if (detail.result) return;
    const verdict = detail.allowed.includes('BIOMETRIC')
      ? await session.setPinBiometric({ biometric: true })
      : await session.setPinBiometric({ pin: prompt('PIN') ?? '' });
    toast(verdict.result ?? 'no verdict');
  });
}

export function toast(text: string): void {
  console.log(text);
}
