// The session pane the PWA and the extension popup share: it renders a session's events (the
// confirmations, the PIN prompt and its verdicts, the outcome) into the page's elements, found by
// id, and hands the user's answers back to the session. Every decision is the core's.
import { PinPad } from './pin-pad.js';

const $ = (id) => document.getElementById(id);
const show = (id, on) => $(id).classList.toggle('hidden', !on);
const PROMPTS = ['confirm-enrol', 'confirm-login', 'pin-section'];

export class SessionView {
  #current;
  #attached = new WeakSet();
  #pinPad;
  #onChange;
  #offersBiometric = false;  // the current prompt allows 'BIOMETRIC'
  #context;

  /** `onChange` runs whenever the lists beside the pane (accounts, history) may have changed. */
  constructor({ onChange = () => {} } = {}) {
    this.#onChange = onChange;
    this.#pinPad = new PinPad($('pin-pad'), {
      onSubmit: async (pin) => {
        this.#pinPad.disabled = true;
        $('pin-result').textContent = '';
        try {
          // At FIRST_SET the biometric is set beside the PIN when the user keeps the box ticked.
          const biometric = this.#offersBiometric && this.#context === 'FIRST_SET' && $('also-biometric').checked;
          await this.#current.setPinBiometric(biometric ? { pin, biometric } : { pin });
        } catch (err) {
          this.report(err);
        } finally {
          this.#pinPad.disabled = false;
        }
      },
      onCancel: () => this.#current?.inputCancel().catch((err) => this.report(err)),
    });
    $('use-biometric').addEventListener('click', async () => {
      $('use-biometric').disabled = true;
      $('pin-result').textContent = '';
      try {
        await this.#current.setPinBiometric({ biometric: true });
      } catch (err) {
        this.report(err);
      } finally {
        $('use-biometric').disabled = false;
      }
    });
    $('accept-enrol').addEventListener('click', () => this.#current.setAccount().catch((err) => this.report(err)));
    for (const b of document.querySelectorAll('[data-stop]')) {
      b.addEventListener('click', () => this.#current.stopSession().catch((err) => this.report(err)));
    }
  }

  /** Shows an error the way both apps do: message, then the stable code. */
  report(err) {
    $('scan-error').textContent = `${err.message}${err.code ? ` (${err.code}${err.numericCode ? ` ${err.numericCode}` : ''})` : ''}`;
  }

  /**
   * Follows a session: listeners once per session (a scan and the Authenticator's `session` event
   * may both name it); the pane shows the latest one, and any session's end updates the lists.
   */
  attach(session) {
    if (this.#attached.has(session)) return;
    this.#attached.add(session);
    this.#current = session;
    show('session', true);
    for (const id of PROMPTS) show(id, false);
    $('outcome').textContent = '';
    $('pin-result').textContent = '';
    const renderState = () => {
      if (session === this.#current) $('state').textContent = `${session.state}${session.pseudoState !== 'NONE' ? ` / ${session.pseudoState}` : ''}`;
      if (session.state === 'ACTIVE') this.#renderOutcome(session);  // a continuous login lasts: say so now
      this.#onChange();
    };
    renderState();
    session.addEventListener('statechange', renderState);
    session.addEventListener('confirmenrol', (e) => this.#confirmEnrol(e.detail));
    session.addEventListener('confirmlogin', (e) => this.#confirmLogin(session, e.detail));
    session.addEventListener('secondfactor', (e) => this.#secondFactor(session, e.detail));
    session.addEventListener('stop', () => {
      // `finished` rejects when the session's final state could not be saved.
      session.finished.then(this.#onChange, (err) => {
        this.report(err);
        this.#onChange();
      });
      this.#renderOutcome(session);
    });
    // App-to-app (a link with ?return=): back to the page that sent the user here. A final
    // session's history is saved first, so leaving the page cannot cut that write short.
    session.addEventListener('return', (e) => {
      const go = () => location.assign(e.detail.url);
      if (session.state === 'DONE' || session.state === 'ERROR') session.finished.then(go, go);
      else go();
    });
  }

  #confirmEnrol(detail) {
    $('enrol-server').textContent = detail.server.name;
    $('enrol-user').textContent = detail.name || detail.userId || 'a new account';
    $('vash').textContent = detail.visualHash;
    show('confirm-enrol', true);
  }

  #confirmLogin(session, detail) {
    $('login-origin').textContent = session.announceInfo?.info?.origin ?? session.serverName;
    const tx = detail.transaction;
    $('tx-details').textContent = tx ? `Sign: ${tx.amount} to ${tx.beneficiary} — ${tx.description}` : '';
    show('tx-details', !!tx);
    // Code matching: the user types the code the login page shows; an account is picked once it is complete.
    const digits = detail.codeLength ?? 0;
    const code = $('login-code');
    code.value = '';
    code.maxLength = digits;
    $('code-label').textContent = `Type the ${digits}-digit code shown on the login page:`;
    show('code-entry', digits > 0);
    const buttons = detail.accounts.map((a) => {
      const b = Object.assign(document.createElement('button'), { textContent: a.name });
      b.onclick = () => session.setAccount(a, '', digits ? { code: code.value } : {}).catch((err) => this.report(err));
      return b;
    });
    const complete = () => !digits || new RegExp(`^[0-9]{${digits}}$`).test(code.value);
    code.oninput = () => buttons.forEach((b) => (b.disabled = !complete()));
    code.oninput();
    code.onkeydown = (e) => e.key === 'Enter' && buttons.length === 1 && buttons[0].click();  // a disabled button ignores it
    $('candidates').replaceChildren(...buttons);
    show('confirm-login', true);
    if (digits) code.focus();
  }

  #secondFactor(session, d) {
    show('confirm-enrol', false);
    show('confirm-login', false);
    if (!d.result) {
      const where = session.announceInfo?.info?.origin ? ` for ${session.announceInfo.info.origin}` : '';
      const tx = session.transaction;
      $('pin-prompt').textContent =
        d.context === 'FIRST_SET' ? 'Choose a PIN for this app (4 or more digits)'
        : tx ? `Enter your PIN to sign ${tx.amount} to ${tx.beneficiary} (${tx.description})${where}`
        : `Enter your PIN${where}`;
      // What the relying party says about this login (an OpenID client's name, a CIBA binding
      // message): shown before the PIN, so the user can tell it is the request they made.
      const info = Object.entries(session.announceInfo?.info ?? {}).filter(([key]) => key !== 'origin');
      $('announce-info').replaceChildren(...info.flatMap(([key, value]) => [
        Object.assign(document.createElement('dt'), { textContent: key }),
        Object.assign(document.createElement('dd'), { textContent: String(value) }),
      ]));
      show('announce-info', info.length > 0);
      // The core says when the biometric may be used (a provider, not disabled, not the PIN's turn).
      this.#offersBiometric = d.allowed.includes('BIOMETRIC');
      this.#context = d.context;
      show('also-biometric-row', this.#offersBiometric && d.context === 'FIRST_SET');
      show('use-biometric', this.#offersBiometric && d.context === 'VERIFY');
      this.#pinPad.reset();
      show('pin-section', true);
    } else if (d.result === 'PIN_FAIL') {
      $('pin-result').textContent = `Wrong PIN — ${d.attemptsLeft} attempt${d.attemptsLeft === 1 ? '' : 's'} left`;
      this.#pinPad.reset();
    } else if (d.result === 'BIOMETRIC_FAIL') {
      $('pin-result').textContent = 'Biometric not recognised — enter your PIN (BIOMETRIC_FAIL)';
    } else if (d.result === 'BIOMETRICS_REMOVED') {
      // The device's biometrics changed: the SDK turned the biometric off for this account.
      this.#offersBiometric = false;
      show('use-biometric', false);
      $('pin-result').textContent = 'Your biometrics changed, so this account no longer uses them — enter your PIN (BIOMETRICS_REMOVED)';
    }
  }

  // A one-shot login ends (DONE) once logged in; a continuous one stays ACTIVE until a logout.
  #renderOutcome(session) {
    if (session !== this.#current) return;
    for (const id of PROMPTS) show(id, false);
    const ok = session.state === 'ACTIVE' || session.historyStatus.startsWith('LOGGED_IN');
    $('outcome').textContent = ok ? (session.isRegistration ? 'Enrolled and logged in.' : 'Logged in.')
      : session.error?.code === 'CODE_MISMATCH' ? 'Wrong code: not the one on the login page, so the login was cancelled (CODE_MISMATCH). If you typed it right, this QR may have come through a phishing page.'
      : session.error ? `Error: ${session.error.message} (${session.error.code})` : `Ended: ${session.historyStatus}`;
    $('outcome').className = `status ${ok ? 'ok' : 'bad'}`;
  }
}
