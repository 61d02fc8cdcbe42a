// The sign-in page: a Tapgate login QR of the console's own server, followed live over the status
// channel; once the phone approves, the server checks that the account is an administrator.
import { api } from './api.js';
import { h } from './dom.js';

/** Shows the sign-in in `main`; calls `signedIn()` once the session cookie is set. */
export async function showSignIn(main, signedIn) {
  document.body.dataset.page = 'signin';
  await api('POST', 'login');
  const status = h('p', { id: 'login-status', role: 'status' }, 'Waiting for your phone…');
  const events = new EventSource('/admin/api/login/events');
  const again = () => {
    events.close();
    showSignIn(main, signedIn);
  };
  main.replaceChildren(h('section', { class: 'signin' },
    h('h2', {}, 'Sign in with Tapgate'),
    h('p', {}, 'Scan this code with the Tapgate app of an administrator account.'),
    h('img', { id: 'login-qr', src: `/admin/api/login/qr.png?t=${Date.now()}`, width: 256, height: 256, alt: 'Tapgate login QR code' }),
    status,
    h('button', { id: 'login-again', type: 'button', onclick: again }, 'New QR code')));
  let finishing = false;
  const finish = async () => {
    if (finishing) return;
    finishing = true;
    events.close();
    try {
      await api('POST', 'login/finish');
      signedIn();
    } catch (err) {
      document.body.dataset.page = 'signin-refused';
      status.textContent = `Sign-in refused: ${err.message}`;
    }
  };
  events.addEventListener('status', (e) => {
    const s = JSON.parse(e.data);
    if (s.loggedin) finish();
    else if (s.scanned) status.textContent = 'Scanned: confirm on your phone.';
  });
  events.addEventListener('scanned', () => { status.textContent = 'Scanned: confirm on your phone.'; });
  events.addEventListener('loggedin', finish);
  events.addEventListener('cancelled', () => { status.textContent = 'Declined on the phone. Get a new QR code to try again.'; });
}
