// The SDK's view types (js/src/types.ts) against what the core really writes: the properties of
// `Account`, `HistoryItem` and `SessionSnapshot` are read from the TypeScript source with the
// compiler's parser, and real accounts, history items (enrol, login, AppLogin) and sessions must
// have exactly those keys, each string-literal union holding the value seen.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const ts = require('typescript');
const { Authenticator, TestBiometricProvider } = require('@tapgate/authenticator/node');
const { useServer } = require('./helpers/fixture');
const { nextEvent } = require('./helpers/rp');
const { PIN, enrol, login } = require('./helpers/flows');

const env = useServer();
const source = ts.createSourceFile('types.ts', fs.readFileSync(path.join(__dirname, '..', '..', 'js', 'src', 'types.ts'), 'utf8'), ts.ScriptTarget.Latest, true);

/** The type aliases of string-literal unions (HistoryStatus, SessionState …): name -> values. */
const aliases = new Map();
for (const st of source.statements) {
  if (ts.isTypeAliasDeclaration(st) && ts.isUnionTypeNode(st.type) && st.type.types.every((t) => ts.isLiteralTypeNode(t) && ts.isStringLiteral(t.literal))) {
    aliases.set(st.name.text, st.type.types.map((t) => t.literal.text));
  }
}

/** An interface's properties: name -> { optional, literals (the allowed strings, if a literal union) }. */
function shapeOf(name) {
  const decl = source.statements.find((st) => ts.isInterfaceDeclaration(st) && st.name.text === name);
  if (!decl) throw new Error(`no interface ${name} in types.ts`);
  return new Map(decl.members.filter(ts.isPropertySignature).map((m) => {
    let literals = null;
    if (m.type && ts.isUnionTypeNode(m.type) && m.type.types.every((t) => ts.isLiteralTypeNode(t) && ts.isStringLiteral(t.literal))) literals = m.type.types.map((t) => t.literal.text);
    if (m.type && ts.isTypeReferenceNode(m.type) && aliases.has(m.type.typeName.getText())) literals = aliases.get(m.type.typeName.getText());
    return [m.name.getText(), { optional: !!m.questionToken, literals }];
  }));
}

/** Problems of `value` against the interface: missing keys, keys the type lacks, values outside a union. */
function problems(name, value) {
  const shape = shapeOf(name);
  const out = [];
  for (const [key, { optional, literals }] of shape) {
    if (!(key in value)) {
      if (!optional) out.push(`${name}.${key} is missing`);
    } else if (literals && !literals.includes(value[key])) {
      out.push(`${name}.${key} = ${JSON.stringify(value[key])} is not in ${literals.join(' | ')}`);
    }
  }
  for (const key of Object.keys(value)) if (!shape.has(key)) out.push(`${name}.${key} is not in the type`);
  return out;
}

test('accounts, history items of every kind and sessions have exactly the declared properties', async () => {
  await env.rp.updateServer({ pingTime: 30 });  // an AppLogin needs a continuous server
  const auth = env.closeAfterTest(await Authenticator.create({ biometric: new TestBiometricProvider() }));
  await enrol(auth, env.rp, { userid: 'typed' });
  const { session: webLogin } = await login(auth, env.rp);
  const app = await auth.startAppLogin();
  await nextEvent(app, 'secondfactor');
  await app.setPinBiometric({ pin: PIN });
  await webLogin.stopSession();

  expect(auth.accounts).toHaveLength(1);
  expect(problems('Account', auth.accounts[0])).toEqual([]);
  expect(problems('ServerProfile', auth.accounts[0].server)).toEqual([]);
  const kinds = auth.history.map((h) => h.kind).sort();
  expect(kinds).toEqual(['applogin', 'enrol', 'login']);
  for (const item of auth.history) {
    expect(problems('HistoryItem', item)).toEqual([]);
    if (item.account) expect(problems('Account', item.account)).toEqual([]);
  }

  // A session's properties are its snapshot's: every declared one is there, none is extra.
  for (const session of [webLogin, app]) {
    const snapshot = Object.fromEntries([...shapeOf('SessionSnapshot').keys()].filter((k) => k in session).map((k) => [k, session[k]]));
    expect(problems('SessionSnapshot', snapshot)).toEqual([]);
    if (session.account) expect(problems('Account', session.account)).toEqual([]);
  }
  expect(Object.keys(app.appLogin).sort()).toEqual(['serverId', 'serverUrl', 'webNonce']);
});
