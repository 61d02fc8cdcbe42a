// The OpenID provider's HTML: the login page (a Tapgate login QR followed live), the consent page,
// the logout confirmation and the error page. Every page is self-contained (inline style and
// script under a per-response CSP nonce), escapes everything it echoes, and may not be framed.
import type * as http from 'node:http';
import { randomBytes, toB64u } from '../crypto';

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const STYLE = `body{font:16px/1.5 system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem;color:#1b1f24}
h1{font-size:1.4rem}img{display:block;margin:1rem 0;image-rendering:pixelated}button{font:inherit;padding:.5rem 1rem;margin:.25rem .5rem .25rem 0}
.muted{color:#57606a}.code{font:700 1.6rem ui-monospace,monospace;letter-spacing:.2em}`;

/** Sends a page; `script` runs under the response's CSP nonce. */
export function sendPage(res: http.ServerResponse, status: number, title: string, body: string, script = ''): void {
  const nonce = toB64u(randomBytes(16));
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)}</title><style nonce="${nonce}">${STYLE}</style></head><body>${body}${script ? `<script nonce="${nonce}">${script}</script>` : ''}</body></html>`;
  res.writeHead(status, {
    'Content-Type': 'text/html; charset=utf-8',
    'Cache-Control': 'no-store',
    'Content-Security-Policy': `default-src 'none'; img-src 'self'; style-src 'nonce-${nonce}'; script-src 'nonce-${nonce}'; connect-src 'self'; base-uri 'none'; frame-ancestors 'none'`,
    'X-Content-Type-Options': 'nosniff',
    // same-origin, not no-referrer: under no-referrer a browser posts the pages' forms with
    // `Origin: null`, and the interaction routes accept only their own origin.
    'Referrer-Policy': 'same-origin',
  });
  res.end(html);
}

export interface LoginPageView {
  base: string;
  clientName: string;
  /** The user a push login can go to (login_hint, or the session's user on prompt=login). */
  pushUser: string | null;
  /** Shown on the page and in the push's announce info, so the user can tell the request is theirs. */
  pushCode: string;
  pushed: boolean;
  /** Milliseconds until the login times out. */
  remainingMs: number;
}

export function loginPage(res: http.ServerResponse, v: LoginPageView): void {
  const base = escapeHtml(v.base);
  const push = v.pushUser === null ? '' : v.pushed
    ? `<p>A login request went to ${escapeHtml(v.pushUser)}'s phone. Check that it shows the code <span class="code">${escapeHtml(v.pushCode)}</span>.</p>`
    : `<form method="post" action="${base}/push"><button type="submit">Send a login request to my phone</button></form>`;
  sendPage(res, 200, 'Sign in with Tapgate', `<h1>Sign in to ${escapeHtml(v.clientName)}</h1>
<p>Scan this code with your Tapgate app.</p>
<img id="qr" src="${base}/qr.png" width="256" height="256" alt="Tapgate login QR code">
${push}
<p id="status" class="muted" role="status">Waiting for your phone…</p>
<form id="finish" method="post" action="${base}/login"><button type="submit">I have approved on my phone</button></form>
<form method="post" action="${base}/abort"><button type="submit">Cancel</button></form>`,
  `const finish = () => document.getElementById('finish').submit();
const status = document.getElementById('status');
const events = new EventSource(${JSON.stringify(`${v.base}/events`)});
events.addEventListener('status', (e) => { const s = JSON.parse(e.data); if (s.loggedin || s.cancelled) finish(); else if (s.scanned) status.textContent = 'Scanned: confirm on your phone.'; });
events.addEventListener('scanned', () => { status.textContent = 'Scanned: confirm on your phone.'; });
for (const name of ['loggedin', 'cancelled']) events.addEventListener(name, () => { events.close(); finish(); });
setTimeout(finish, ${Math.max(0, Math.round(v.remainingMs))});`);
}

export function consentPage(res: http.ServerResponse, base: string, clientName: string, scopes: string[]): void {
  const items = scopes.map((s) => `<li>${escapeHtml(s)}</li>`).join('');
  sendPage(res, 200, 'Allow access?', `<h1>${escapeHtml(clientName)} asks for access</h1>
<p>It will receive:</p><ul>${items || '<li>your Tapgate user id</li>'}</ul>
<form method="post" action="${escapeHtml(base)}/consent"><button name="decision" value="allow" type="submit">Allow</button><button name="decision" value="deny" type="submit">Deny</button></form>`);
}

/** oidc-provider's logoutSource: `form` posts the confirmation; the extra button adds logout=yes (end the whole session). */
export function logoutPage(res: http.ServerResponse, form: string): void {
  sendPage(res, 200, 'Sign out', `${form}<h1>Sign out of Tapgate?</h1>
<p>This ends your Tapgate session here and on your phone.</p>
<button type="submit" form="op.logoutForm" name="logout" value="yes">Sign out</button>`);
}

export function messagePage(res: http.ServerResponse, status: number, title: string, text: string): void {
  sendPage(res, status, title, `<h1>${escapeHtml(title)}</h1><p>${escapeHtml(text)}</p>`);
}
