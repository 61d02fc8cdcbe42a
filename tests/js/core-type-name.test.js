// embind names a type it has no name for (the core is built without RTTI) through the core's
// __getTypeName, for its "unbound types" error. The link wraps that call's siprintf("%p") with
// bindings/type_name_format.cpp instead of linking printf: the name must still be the type's
// address in hex, as musl's printf wrote it, in a string the glue can free.
const path = require('node:path');

const create = require(path.join(__dirname, '..', '..', 'js', 'dist', 'wasm', 'tapgate_core.js'));

function typeName(core, address) {
  const p = core.___getTypeName(address);
  let s = '';
  for (let i = p; core.HEAPU8[i] !== 0; i++) s += String.fromCharCode(core.HEAPU8[i]);
  core._free(p);
  return s;
}

test('a type without a name is named by its address, as printf("%p") wrote it', async () => {
  const core = await create({});
  expect(typeName(core, 0x1234)).toBe('0x1234');
  expect(typeName(core, 0xdeadbeef)).toBe('0xdeadbeef');
  expect(typeName(core, 1)).toBe('0x1');
  // The engine itself is unaffected: it still binds and answers.
  const engine = new core.Engine();
  expect(JSON.parse(engine.open('', '', Date.now()))).toEqual({ ok: true });
  engine.delete();
});
