// The fourth card: "Sign in with Tapgate" through OpenID Connect. The sign-in itself is plain
// navigation (/oidc-demo/start → the provider's QR page → back here); CIBA is started here and
// followed by polling the backend (oidc-card.mjs), which polls the provider's token endpoint.
const $ = (id) => document.getElementById(id);

function showClaims(claims) {
  $('oidc-claims').replaceChildren(...Object.entries(claims).flatMap(([key, value]) => [
    Object.assign(document.createElement('dt'), { textContent: key }),
    Object.assign(document.createElement('dd'), { textContent: Array.isArray(value) ? value.join(' ') : String(value) }),
  ]));
}

function showOutcome(text, cls = '') {
  $('oidc-status').textContent = text;
  $('oidc-status').className = `status ${cls}`;
}

async function getJson(path) {
  const res = await fetch(path, { cache: 'no-store' });
  return res.json();
}

async function showSignIn() {
  const result = await getJson('/oidc-demo/result');
  if (result.claims) {
    showOutcome(`Signed in as ${result.claims.sub} (OpenID Connect)`, 'ok');
    showClaims(result.claims);
  } else if (result.error) {
    showOutcome(`Sign-in failed: ${result.error}${result.description ? ` (${result.description})` : ''}`, 'bad');
  }
}

async function followCiba() {
  for (;;) {
    const ciba = await getJson('/oidc-demo/ciba');
    if (ciba.state === 'approved') {
      showOutcome(`Approved on the phone: signed in as ${ciba.claims.sub} (CIBA)`, 'ok');
      showClaims(ciba.claims);
      return;
    }
    if (ciba.state !== 'pending') {
      showOutcome(`Push sign-in ${ciba.state}${ciba.error ? `: ${ciba.error}` : ''}`, 'bad');
      return;
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}

async function pushToPhone() {
  $('oidc-claims').replaceChildren();
  const res = await fetch('/oidc-demo/ciba', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ userid: $('oidc-userid').value }) });
  const ciba = await res.json();
  if (!res.ok) {
    showOutcome(`Push sign-in refused: ${ciba.error}${ciba.description ? ` (${ciba.description})` : ''}`, 'bad');
    return;
  }
  showOutcome(`Sent to ${ciba.userid}'s phone: check that it shows "${ciba.bindingMessage}".`);
  $('oidc-binding').textContent = ciba.bindingMessage;
  await followCiba();
}

// The demo's backend gone (stopped, restarted) while the page waits: said on the card.
$('oidc-ciba').addEventListener('click', () => pushToPhone().catch((err) => showOutcome(`Push sign-in failed: ${err.message}`, 'bad')));

showSignIn();
