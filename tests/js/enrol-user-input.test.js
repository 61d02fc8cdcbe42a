// userInput at enrolment reaches the relying party: setAccount(null, userInput) on a confirmenrol
// sends it with the enrolment, under the new keys' proof, and the relying party reads it as
// LoginStatus `userinput` of the enrolment's nonce, as for a login. Too long is refused on both ends.
const { useServer } = require('./helpers/fixture');
const { nextEvent } = require('./helpers/rp');
const { PIN } = require('./helpers/flows');
const { enrolRaw } = require('./helpers/raw-device');

const env = useServer();

async function enrolWith(auth, userInput, userid = 'ulla') {
  const nonce = env.rp.newNonce();
  const session = await auth.startSession(await env.rp.enrolQr(nonce, { userid }));
  await nextEvent(session, 'confirmenrol');
  return { nonce, session, confirm: () => session.setAccount(null, userInput) };
}

test('the relying party reads the enrolment\'s userInput from its session status', async () => {
  const auth = await env.authenticator();
  const { nonce, session, confirm } = await enrolWith(auth, 'Work laptop, 3rd floor ✓');
  await confirm();
  expect((await session.setPinBiometric({ pin: PIN })).result).toBe('SUCCESS');
  await session.finished;
  expect(await env.rp.loginStatus(nonce)).toMatchObject({ loggedin: true, userid: 'ulla', userinput: 'Work laptop, 3rd floor ✓' });
});

test('a second enrolment (the PIN checked at the server) carries its userInput too; none gives an empty one', async () => {
  const auth = await env.authenticator();
  const first = await enrolWith(auth, '', 'vera');
  await first.confirm();
  await first.session.setPinBiometric({ pin: PIN });
  await first.session.finished;
  expect((await env.rp.loginStatus(first.nonce)).userinput).toBe('');
  const second = await enrolWith(auth, 'tablet', 'vera');
  await second.confirm();
  expect((await second.session.setPinBiometric({ pin: PIN })).result).toBe('SUCCESS');
  await second.session.finished;
  expect((await env.rp.loginStatus(second.nonce)).userinput).toBe('tablet');
});

test('more than 1024 bytes is INVALID_ARGUMENT at the SDK and nothing changes', async () => {
  const auth = await env.authenticator();
  const { session, nonce } = await enrolWith(auth, 'x');
  await expect(session.setAccount(null, 'é'.repeat(513))).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', kind: 'misuse' });
  expect(session.pseudoState).toBe('WAIT_FOR_CONFIRMATION');
  await session.setAccount(null, 'é'.repeat(512));  // exactly 1024 bytes
  expect((await session.setPinBiometric({ pin: PIN })).result).toBe('SUCCESS');
  await session.finished;
  expect((await env.rp.loginStatus(nonce)).userinput).toBe('é'.repeat(512));
});

test('the server refuses an oversized or non-string userInput, and one the keys did not sign', async () => {
  await expect(enrolRaw(env.server, { userInput: 'x'.repeat(1025) })).rejects.toThrow(/HTTP 400 .*userInput/);
  await expect(enrolRaw(env.server, { userInput: 7 })).rejects.toThrow(/HTTP 400 .*userInput/);
  // The proof covers H(userInput): a request whose userInput was rewritten on the way is refused (48).
  await expect(enrolRaw(env.server, { userInput: 'attacker', signedUserInput: 'mine' })).rejects.toThrow(/HTTP 403 .*code.{1,3}:48/);
  const ok = await enrolRaw(env.server, { userInput: 'raw device' });
  expect((await env.rp.loginStatus(ok.nonce)).userinput).toBe('raw device');
});
