// scripts/setup.sh in a controlled world: a copy of the script in a scratch repository, a fake
// /etc/os-release (TAPGATE_OS_RELEASE) and /etc/apt (TAPGATE_APT_DIR), and a PATH of stub commands
// that record their calls (plus the few real utilities the script needs), so nothing is installed
// for real. Paths: TAPGATE_SKIP_SETUP=1 (check only, on any system), another system without it
// (instructions, no apt), and Debian (apt-get install of what dpkg lacks, the sodium build, npm ci;
// a second run does nothing).
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.join(__dirname, '..', '..');
// The real commands the script (and the stubs) use; nothing else is on PATH.
const UTILITIES = ['bash', 'sed', 'grep', 'tr', 'sort', 'head', 'cmp', 'cp', 'ls', 'cat', 'tee', 'dirname', 'mkdir', 'touch', 'cut'];
// The script's package list, as bash reads it (its comments hold parentheses).
const APT_PACKAGES = fs.readFileSync(path.join(ROOT, 'scripts', 'setup.sh'), 'utf8').split('\n').map((l) => l.replace(/#.*/, '')).join('\n')
  .match(/APT_PACKAGES=\(([^)]*)\)/)[1].split(/\s+/).filter(Boolean);

const OS = {
  debian: 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nID=debian\n',
  ubuntu: 'NAME="Ubuntu"\nVERSION_ID="24.04"\nID=ubuntu\nID_LIKE=debian\n',
  mint: 'NAME="Linux Mint"\nID=linuxmint\nID_LIKE="ubuntu debian"\n',
  fedora: 'NAME="Fedora Linux"\nVERSION_ID=40\nID=fedora\n',
  arch: 'NAME="Arch Linux"\nID=arch\nID_LIKE=archlinux\n',
};

let scratch;
beforeEach(() => {
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'tapgate-setup-'));
});
afterEach(() => fs.rmSync(scratch, { recursive: true, force: true }));

/**
 * A world for one run: `repo` holds scripts/setup.sh (the real one), a stub build-sodium-wasm.sh
 * and a package-lock.json; `bin` the stubs; `state` what the stubs remember (installed packages).
 */
function world({ os: osName = 'debian', stubs = {}, sodiumBuilt = false, npmInstalled = false } = {}) {
  const dir = (...p) => {
    const d = path.join(scratch, ...p);
    fs.mkdirSync(d, { recursive: true });
    return d;
  };
  const repo = dir('repo');
  const bin = dir('bin');
  const sys = dir('sys');
  const state = dir('state');
  const log = path.join(state, 'calls.log');
  fs.writeFileSync(log, '');
  fs.copyFileSync(path.join(ROOT, 'scripts', 'setup.sh'), path.join(dir('repo', 'scripts'), 'setup.sh'));
  fs.writeFileSync(path.join(repo, 'package-lock.json'), '{"lockfileVersion": 3}\n');
  if (npmInstalled) {
    dir('repo', 'node_modules');
    fs.copyFileSync(path.join(repo, 'package-lock.json'), path.join(repo, 'node_modules', '.tapgate-lock-stamp'));
  }
  // The sodium build: --check tells whether a (stub) build happened; a build leaves the library.
  fs.writeFileSync(path.join(repo, 'scripts', 'build-sodium-wasm.sh'), `echo "build-sodium-wasm.sh $*" >> "$STUB_LOG"
if [ "\${1-}" = --check ]; then [ -f "$STUB_STATE/sodium-built" ]; exit $?; fi
touch "$STUB_STATE/sodium-built"; mkdir -p build/deps/sodium-wasm/lib; touch build/deps/sodium-wasm/lib/libsodium.a\n`);
  if (sodiumBuilt) {
    fs.writeFileSync(path.join(state, 'sodium-built'), '');
    dir('repo', 'build', 'deps', 'sodium-wasm', 'lib');
    fs.writeFileSync(path.join(repo, 'build', 'deps', 'sodium-wasm', 'lib', 'libsodium.a'), '');
  }
  for (const u of UTILITIES) {
    const real = ['/usr/bin', '/bin'].map((d) => path.join(d, u)).find((p) => fs.existsSync(p));
    fs.symlinkSync(real, path.join(sys, u));
  }
  for (const [name, body] of Object.entries(stubs)) {
    if (body === null) continue;
    fs.writeFileSync(path.join(bin, name), `#!/bin/bash\necho "${name} $*" >> "$STUB_LOG"\n${body}\n`, { mode: 0o755 });
  }
  const osRelease = path.join(state, 'os-release');
  fs.writeFileSync(osRelease, OS[osName]);
  const aptDir = dir('etc-apt');
  dir('etc-apt', 'sources.list.d');
  fs.writeFileSync(path.join(aptDir, 'sources.list.d', 'debian.sources'), 'Types: deb\nURIs: http://deb.example/debian\nSuites: bookworm\nComponents: main\n');
  fs.writeFileSync(path.join(state, 'installed'), '');

  const w = {
    repo, state, aptDir,
    run(args = [], env = {}) {
      const r = spawnSync('/bin/bash', [path.join(repo, 'scripts', 'setup.sh'), ...args], {
        env: { PATH: `${bin}:${sys}`, HOME: scratch, STUB_LOG: log, STUB_STATE: state, TAPGATE_OS_RELEASE: osRelease, TAPGATE_APT_DIR: aptDir, ...env },
        encoding: 'utf8',
        timeout: 30_000,
      });
      return { status: r.status, stdout: r.stdout, stderr: r.stderr, out: r.stdout + r.stderr };
    },
    /** The recorded calls, one "name args" string each (optionally only those of `name`). */
    calls: (name) => fs.readFileSync(log, 'utf8').split('\n').filter(Boolean).filter((l) => !name || l.split(' ')[0] === name),
    resetCalls: () => fs.writeFileSync(log, ''),
    installed: () => fs.readFileSync(path.join(state, 'installed'), 'utf8').split('\n').filter(Boolean),
    install: (pkgs) => fs.appendFileSync(path.join(state, 'installed'), pkgs.map((p) => `${p}\n`).join('')),
  };
  return w;
}

// Debian's tools, stubbed: dpkg-query answers from state/installed, apt-get install adds to it.
const DEBIAN_STUBS = {
  'apt-get': `if [ "$1" = install ]; then for p in "$@"; do case "$p" in install|-*) ;; *) echo "$p" >> "$STUB_STATE/installed" ;; esac; done; fi`,
  'dpkg-query': `grep -qx -- "\${@: -1}" "$STUB_STATE/installed" && printf 'install ok installed'`,
  npm: `if [ "$1" = ci ]; then mkdir -p node_modules; fi`,
  id: `echo 0`,
};

// Everything the checks look for, stubbed as present (tests delete or replace entries).
function toolStubs(resourceDir) {
  return {
    node: `[ "$1" = -p ] && echo 20.11.1`,
    npm: `[ "$1" = -v ] && echo 10.2.4`,
    cmake: `echo "cmake version 3.25.1"`,
    ninja: '',
    emcc: `echo 3.1.6`,
    'wasm-opt': '',
    'c++': 'cat >/dev/null',
    'pkg-config': `case "$*" in "--exists libsodium >= 1.0.18"|"--exists nlohmann_json >= 3.11"|"--exists gtest_main") exit 0 ;;
      "--modversion libsodium") echo 1.0.18 ;; "--modversion nlohmann_json") echo 3.11.2 ;; "--modversion gtest_main") echo 1.12.1 ;; *) exit 1 ;; esac`,
    'clang-14': `[ "$1" = -print-resource-dir ] && echo "${resourceDir}"`,
    'clang++-14': '',
    'llvm-symbolizer': '',
    chromium: '',
    qrencode: '',
    openssl: '',
  };
}

function resourceDirWithRuntimes() {
  const rt = path.join(scratch, 'clang-resource');
  fs.mkdirSync(path.join(rt, 'lib', 'linux'), { recursive: true });
  for (const f of ['libclang_rt.fuzzer-x86_64.a', 'libclang_rt.asan-x86_64.a']) fs.writeFileSync(path.join(rt, 'lib', 'linux', f), '');
  return rt;
}

const noInstalls = (w) => {
  expect(w.calls('apt-get')).toEqual([]);
  expect(w.calls('npm').filter((c) => c !== 'npm -v')).toEqual([]);
  expect(w.calls('build-sodium-wasm.sh').filter((c) => c !== 'build-sodium-wasm.sh --check')).toEqual([]);
  expect(w.calls('sudo')).toEqual([]);
};

describe('TAPGATE_SKIP_SETUP=1: installs nothing, checks', () => {
  test('with everything present: every check ok, exit 0, and not one install (apt-get is on PATH, on Debian)', () => {
    const w = world({ os: 'debian', stubs: { ...DEBIAN_STUBS, ...toolStubs(resourceDirWithRuntimes()) }, sodiumBuilt: true, npmInstalled: true });
    const r = w.run([], { TAPGATE_SKIP_SETUP: '1', CHROMIUM_PATH: path.join(scratch, 'bin', 'chromium') });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).not.toMatch(/MISSING/);
    for (const what of ['Node.js >= 20 ', 'CMake >= 3.20', 'Emscripten 3.1.x', 'libsodium for wasm', 'C++20 compiler', 'libsodium >= 1.0.18', 'nlohmann_json', 'GoogleTest', 'Chromium', 'compiler-rt', 'npm dependencies']) {
      expect(r.stdout).toMatch(new RegExp(`ok +${what.replace(/[.+()]/g, '\\$&')}`));
    }
    expect(r.stdout).toContain('ready (TAPGATE_SKIP_SETUP: nothing installed)');
    noInstalls(w);
    expect(w.calls('dpkg-query')).toEqual([]);
  });

  test('on another system, with things missing: each is listed with how to install it, exit 1, nothing installed', () => {
    const stubs = { ...toolStubs(path.join(scratch, 'no-runtimes')), 'apt-get': '' };
    delete stubs.emcc;
    delete stubs.qrencode;
    delete stubs['clang++-14'];
    stubs.node = `[ "$1" = -p ] && echo 18.19.0`;
    stubs['pkg-config'] = `case "$*" in "--exists nlohmann_json >= 3.11"|"--exists gtest_main") exit 0 ;; "--modversion"*) echo 1 ;; *) exit 1 ;; esac`;
    const w = world({ os: 'fedora', stubs });
    const r = w.run(['all'], { TAPGATE_SKIP_SETUP: '1', CHROMIUM_PATH: path.join(scratch, 'no-chromium') });
    expect(r.status).toBe(1);
    const listed = r.stderr.split('\n').filter((l) => l.startsWith('  - ')).map((l) => l.slice(4));
    const names = listed.map((l) => l.split(':')[0]);
    expect(names).toEqual(['Node.js >= 20', 'Emscripten 3.1.x (emcc)', 'libsodium for wasm', 'libsodium >= 1.0.18 (headers)',
      'clang 14 (clang-14, clang++-14)', 'Chromium', 'qrencode', 'npm dependencies']);
    expect(listed.find((l) => l.startsWith('Node.js'))).toContain('found 18.19.0');
    expect(listed.find((l) => l.startsWith('Emscripten'))).toMatch(/install Emscripten 3\.1\.x.*\[emscripten\]/);
    expect(listed.find((l) => l.startsWith('libsodium >='))).toContain('[libsodium-dev]');
    expect(listed.find((l) => l.startsWith('Chromium'))).toContain('CHROMIUM_PATH');
    expect(listed.find((l) => l.startsWith('npm dependencies'))).toContain('npm ci');
    expect(r.stderr).toContain("Missing for 'all' (8), nothing was installed");
    expect(r.stdout).toMatch(/ok +CMake >= 3\.20 +3\.25\.1/);
    expect(r.stdout).toMatch(/ok +nlohmann_json >= 3\.11/);
    noInstalls(w);
  });

  test('the argument narrows the checks: `start` (npm start) asks for neither Chromium nor clang nor GoogleTest', () => {
    const stubs = toolStubs(path.join(scratch, 'no-runtimes'));
    for (const t of ['clang-14', 'clang++-14', 'llvm-symbolizer', 'qrencode', 'openssl', 'c++', 'pkg-config']) delete stubs[t];
    const w = world({ os: 'arch', stubs, sodiumBuilt: true, npmInstalled: true });
    const start = w.run(['start'], { TAPGATE_SKIP_SETUP: '1', CHROMIUM_PATH: '/nonexistent' });
    expect(start.status).toBe(0);
    expect(start.stdout).not.toMatch(/Chromium|clang|GoogleTest|MISSING/);
    const test = w.run(['test'], { TAPGATE_SKIP_SETUP: '1', CHROMIUM_PATH: '/nonexistent' });
    expect(test.status).toBe(1);
    expect(test.stderr).toMatch(/- Chromium: /);
    expect(test.stderr).toMatch(/- C\+\+20 compiler: /);
    expect(w.run(['bogus'], { TAPGATE_SKIP_SETUP: '1' }).status).toBe(2);
    noInstalls(w);
  });

  test('TAPGATE_SKIP_SETUP=0 or empty is not set: on another system that is the instructions again', () => {
    const w = world({ os: 'fedora', stubs: toolStubs('/x') });
    for (const v of ['0', '']) {
      const r = w.run([], { TAPGATE_SKIP_SETUP: v });
      expect(r.status).toBe(1);
      expect(r.stderr).toContain('installs its dependencies only on Debian/Ubuntu');
    }
  });
});

describe('without TAPGATE_SKIP_SETUP', () => {
  test.each(['fedora', 'arch'])('on %s (even with an apt-get on PATH): the instructions, exit 1, apt-get never run', (osName) => {
    const w = world({ os: osName, stubs: { ...DEBIAN_STUBS } });
    const r = w.run();
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('installs its dependencies only on Debian/Ubuntu');
    expect(r.stderr).toContain('TAPGATE_SKIP_SETUP=1 npm test');
    expect(r.stderr).toMatch(/Emscripten 3\.1\.x/);
    expect(w.calls()).toEqual([]);  // not apt-get, not dpkg-query, not the sodium build, not npm
    expect(fs.readdirSync(path.join(w.aptDir, 'sources.list.d'))).toEqual(['debian.sources']);
  });

  test('on Debian without apt-get or dpkg-query on PATH: the instructions too', () => {
    const w = world({ os: 'debian', stubs: { npm: DEBIAN_STUBS.npm } });
    const r = w.run();
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('TAPGATE_SKIP_SETUP=1');
    expect(w.calls()).toEqual([]);
  });

  test.each(['debian', 'ubuntu', 'mint'])('on %s: installs what dpkg lacks, adds the deb-src entry, builds sodium, npm ci; a second run does nothing', (osName) => {
    const w = world({ os: osName, stubs: DEBIAN_STUBS });
    const have = APT_PACKAGES.filter((p) => !['emscripten', 'chromium', 'libsodium-dev'].includes(p));
    w.install(have);
    const r = w.run();
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(w.calls('apt-get')).toEqual(['apt-get update -qq', 'apt-get install -y -qq --no-install-recommends libsodium-dev emscripten chromium']);
    expect(w.calls('dpkg-query')).toHaveLength(APT_PACKAGES.length);
    // No deb-src line was configured and no source package is cached: one is derived from the sources.
    expect(fs.readFileSync(path.join(w.aptDir, 'sources.list.d', 'tapgate-deb-src.sources'), 'utf8')).toMatch(/^Types: deb-src\nURIs: http:\/\/deb.example\/debian\n/);
    expect(w.calls('build-sodium-wasm.sh')).toEqual(['build-sodium-wasm.sh --check', 'build-sodium-wasm.sh ']);
    expect(w.calls('npm')).toEqual(['npm ci --no-audit --no-fund']);
    expect(fs.readFileSync(path.join(w.repo, 'node_modules', '.tapgate-lock-stamp'), 'utf8')).toBe(fs.readFileSync(path.join(w.repo, 'package-lock.json'), 'utf8'));
    expect(r.stdout).toContain('ready');
    expect(w.installed().sort()).toEqual([...APT_PACKAGES].sort());

    w.resetCalls();
    const again = w.run(['test']);
    expect(again.status).toBe(0);
    expect(w.calls('apt-get')).toEqual([]);
    expect(w.calls('npm')).toEqual([]);
    expect(w.calls('build-sodium-wasm.sh')).toEqual(['build-sodium-wasm.sh --check', 'build-sodium-wasm.sh ']);  // which finds it current
    // A changed lock file runs npm ci again, and only that.
    fs.appendFileSync(path.join(w.repo, 'package-lock.json'), '\n');
    w.resetCalls();
    expect(w.run().status).toBe(0);
    expect(w.calls('apt-get')).toEqual([]);
    expect(w.calls('npm')).toEqual(['npm ci --no-audit --no-fund']);
  });

  test('on Debian as a user: through sudo when there is one, else a clear refusal', () => {
    const stubs = { ...DEBIAN_STUBS, id: 'echo 1000', sudo: '"$@"' };
    const w = world({ os: 'debian', stubs, sodiumBuilt: true, npmInstalled: true });
    w.install(APT_PACKAGES.filter((p) => p !== 'qrencode'));
    fs.writeFileSync(path.join(w.aptDir, 'sources.list.d', 'debian.sources'), 'Types: deb deb-src\nURIs: http://deb.example/debian\n');
    const r = w.run();
    expect(r.status).toBe(0);
    expect(w.calls('sudo')).toEqual(['sudo apt-get update -qq', 'sudo apt-get install -y -qq --no-install-recommends qrencode']);
    expect(fs.readdirSync(path.join(w.aptDir, 'sources.list.d'))).toEqual(['debian.sources']);  // deb-src already there

    fs.rmSync(path.join(scratch, 'bin', 'sudo'));
    w.resetCalls();
    const refused = w.run();
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('Run this script as root (or install sudo)');
    expect(w.calls('apt-get')).toEqual([]);
  });
});
