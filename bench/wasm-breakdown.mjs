#!/usr/bin/env node
// What dominates a .wasm: function body bytes summed by origin, from the name section.
// Usage: node bench/wasm-breakdown.mjs <file.wasm> [--top N]
// The file must carry function names: relink the core's objects with the same flags plus
// --profiling-funcs, e.g. (from build/wasm, flags from build.ninja's tapgate_core.web.mjs rule)
//   em++ <LINK_FLAGS> --profiling-funcs CMakeFiles/tapgate_wasm_web.dir/bindings/engine_bindings.cpp.o \
//     libtapgate_core.a ../deps/sodium-wasm/lib/libsodium.a -o /tmp/names/core.mjs
// Names are demangled with c++filt if present. Sizes are of function bodies before gzip.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

export function sections(buf) {
  let p = 8;
  const out = [];
  const leb = () => {
    let r = 0, s = 0, b;
    do { b = buf[p++]; r |= (b & 0x7f) << s; s += 7; } while (b & 0x80);
    return r >>> 0;
  };
  while (p < buf.length) {
    const id = buf[p++];
    const size = leb();
    const start = p;
    let name = null;
    if (id === 0) { const n = leb(); name = buf.subarray(p, p + n).toString(); }
    out.push({ id, name, start, size, body: buf.subarray(start, start + size) });
    p = start + size;
  }
  return out;
}

function reader(buf) {
  let p = 0;
  const leb = () => {
    let r = 0, s = 0, b;
    do { b = buf[p++]; r += (b & 0x7f) * 2 ** s; s += 7; } while (b & 0x80);
    return r;
  };
  return { leb, str: () => { const n = leb(); const s = buf.subarray(p, p + n).toString(); p += n; return s; }, get p() { return p; }, set p(v) { p = v; }, buf };
}

/** { functions: [{index, name, size}], sections: {name: bytes}, imports: count } */
export function analyse(buf) {
  const secs = sections(buf);
  const names = ['custom', 'type', 'import', 'function', 'table', 'memory', 'global', 'export', 'start', 'element', 'code', 'data', 'datacount', 'tag'];
  const sizes = {};
  let importedFuncs = 0;
  const bodies = [];
  const fnNames = new Map();
  for (const s of secs) {
    const label = s.id === 0 ? `custom:${s.name}` : names[s.id] ?? `id${s.id}`;
    sizes[label] = (sizes[label] ?? 0) + s.size;
    if (s.id === 2) {
      const r = reader(s.body);
      const n = r.leb();
      for (let i = 0; i < n; i++) {
        r.str(); r.str();
        const kind = r.buf[r.p++];
        if (kind === 0) { r.leb(); importedFuncs++; }
        else if (kind === 1) { r.p++; const f = r.leb(); r.leb(); if (f & 1) r.leb(); }
        else if (kind === 2) { const f = r.leb(); r.leb(); if (f & 1) r.leb(); }
        else if (kind === 3) { r.p += 2; }
        else if (kind === 4) { r.p++; r.leb(); }
      }
    } else if (s.id === 10) {
      const r = reader(s.body);
      const n = r.leb();
      for (let i = 0; i < n; i++) { const size = r.leb(); bodies.push(size); r.p += size; }
    } else if (s.id === 0 && s.name === 'name') {
      const r = reader(s.body);
      r.str();
      while (r.p < s.body.length) {
        const sub = r.buf[r.p++];
        const len = r.leb();
        const end = r.p + len;
        if (sub === 1) {
          const n = r.leb();
          for (let i = 0; i < n; i++) { const idx = r.leb(); fnNames.set(idx, r.str()); }
        }
        r.p = end;
      }
    }
  }
  const functions = bodies.map((size, i) => ({ index: i + importedFuncs, size, name: fnNames.get(i + importedFuncs) ?? `f${i + importedFuncs}` }));
  return { functions, sections: sizes, importedFuncs };
}

const RULES = [
  ['libsodium: Argon2id', /argon2|blake2b_long|fill_segment|fill_block|generate_addresses|crypto_pwhash/i],
  ['libsodium: Ed25519/X25519 (ge25519, fe25519, sc25519)', /ge25519|fe25519|sc25519|ed25519|curve25519|scalarmult|crypto_sign|crypto_core/i],
  ['libsodium: other (BLAKE2b, SHA-512, XSalsa20, Poly1305, box, utils)', /blake2b|crypto_|sodium_|randombytes|salsa|chacha|poly1305|sha512|sha256|hsalsa|_crypto|stream_ref|onetimeauth|verify_|escrypt|pickblock|sodium/i],
  ['nlohmann::json', /nlohmann/],
  ['embind + emscripten runtime', /emscripten|embind|_embind|\bval\b|EmValType|BindingType|invoker|Invoker|register_|stackAlloc|stackSave|stackRestore|dynCall|__cxa_|__wasm_|emscripten_/],
  ['tapgate core (src/, bindings/)', /tapgate|EngineApi|Engine::|\bEngine\b|Session|wire::|qr::|Transition|Config|Model|Secret|Bytes/],
  ['libc++ / libc++abi (std::)', /std::|__cxxabiv1|__cxa|operator new|operator delete|__gnu|typeinfo|vtable|__dynamic_cast|__libcpp/],
  ['libc (malloc, string, printf, math)', /^(dlmalloc|dlfree|malloc|free|realloc|calloc|memcpy|memset|memmove|memcmp|str|printf|vfprintf|fmt_|pop_arg|__|frexp|fmod|sbrk|wcs|mbr|wc|snprintf|vsnprintf|strto|isw|tolower|toupper|abort|qsort|sn_write|out|pad|getint|atoi|copysign|scalbn|__shgetc|__floatscan|decfloat|hexfloat|scanexp|__intscan|emscripten)/],
];

export function categorise(name) {
  for (const [label, re] of RULES) if (re.test(name)) return label;
  return 'other / unnamed';
}

export function demangle(names) {
  try {
    return execFileSync('c++filt', [], { input: names.join('\n'), maxBuffer: 64 << 20 }).toString().split('\n');
  } catch {
    return names;
  }
}

export function breakdown(file) {
  const buf = readFileSync(file);
  const { functions, sections } = analyse(buf);
  const dm = demangle(functions.map((f) => f.name));
  functions.forEach((f, i) => { f.demangled = dm[i] ?? f.name; f.group = categorise(f.demangled); });
  const groups = {};
  for (const f of functions) groups[f.group] = (groups[f.group] ?? 0) + f.size;
  return { total: buf.length, sections, functions, groups };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const file = process.argv[2];
  const top = Number(process.argv[process.argv.indexOf('--top') + 1]) || 40;
  const { total, sections, functions, groups } = breakdown(file);
  console.log(`${file}: ${total} bytes`);
  console.log('\nsections:');
  for (const [k, v] of Object.entries(sections).sort((a, b) => b[1] - a[1])) console.log(`  ${String(v).padStart(8)}  ${k}`);
  const code = functions.reduce((n, f) => n + f.size, 0);
  console.log(`\ncode by origin (${functions.length} functions, ${code} bytes of bodies):`);
  for (const [k, v] of Object.entries(groups).sort((a, b) => b[1] - a[1])) console.log(`  ${String(v).padStart(8)}  ${(100 * v / code).toFixed(1).padStart(5)} %  ${k}`);
  console.log(`\nlargest ${top} functions:`);
  for (const f of [...functions].sort((a, b) => b.size - a.size).slice(0, top)) console.log(`  ${String(f.size).padStart(7)}  ${f.demangled.slice(0, 150)}`);
}
