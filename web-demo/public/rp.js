// Relying-party page: asks its backend for a QR, then polls the login status of that QR's nonce.
const $ = (id) => document.getElementById(id);
let polling;

async function showQr(kind) {
  const params = new URLSearchParams({ kind });
  if (kind === 'enrol') params.set('userid', $('userid').value);
  const res = await fetch(`/rp/api/qr?${params}`, { method: 'POST' });
  const qr = await res.json();
  const target = $(`${kind}-qr`);
  const other = $(kind === 'enrol' ? 'login-qr' : 'enrol-qr');
  other.replaceChildren();
  if (!res.ok) {
    target.textContent = qr.error;
    return;
  }
  const img = Object.assign(document.createElement('img'), { src: qr.image, alt: `${kind} QR code` });
  img.dataset.kind = kind;
  const link = Object.assign(document.createElement('p'), { className: 'muted', textContent: qr.link });
  link.dataset.link = kind;
  target.replaceChildren(img, link);
  setStatus(kind === 'enrol' ? 'Waiting for the authenticator to enrol…' : 'Waiting for the authenticator…', '');
  startPolling();
}

function setStatus(text, cls) {
  $('status').textContent = text;
  $('status').className = `status ${cls}`;
}

function startPolling() {
  clearInterval(polling);
  polling = setInterval(async () => {
    const s = await (await fetch('/rp/api/status')).json();
    if (s.loggedin) {
      setStatus(`Logged in as ${s.userid}`, 'ok');
      clearInterval(polling);
    } else if (s.cancelled) {
      setStatus('Cancelled on the authenticator.', 'bad');
      clearInterval(polling);
    } else if (s.scanned) {
      setStatus('Scanned — confirm on the authenticator…', '');
    }
  }, 700);
}

$('enrol').addEventListener('click', () => showQr('enrol'));
$('login').addEventListener('click', () => showQr('login'));
