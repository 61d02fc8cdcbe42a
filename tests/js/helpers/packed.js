// The packages as `npm pack` ships them, for the out-of-tree tests (tests/js/package.test.js and
// tests/e2e/packed-app.test.js): pack() packs a workspace package into a folder and returns npm's
// report of the tarball (its files, packed and unpacked sizes); installProject() makes a fresh
// project outside this repository with the given tarballs installed, resolving nothing through the
// workspace; projectEnv() is an environment for processes run there (no NODE_PATH).
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
const PACKAGES = { authenticator: path.join(REPO_ROOT, 'js'), server: path.join(REPO_ROOT, 'server') };

/**
 * `npm pack --json` of PACKAGES[name] into `destination`: resolves npm's report
 * {name, version, filename, size, unpackedSize, entryCount, files: [{path, size}]} plus `tarball`, its path.
 */
function pack(name, destination) {
  const out = execFileSync('npm', ['pack', '--json', '--pack-destination', destination], { cwd: PACKAGES[name], stdio: ['ignore', 'pipe', 'pipe'] }).toString();
  const [report] = JSON.parse(out.slice(out.indexOf('[')));
  return { ...report, tarball: path.join(destination, report.filename) };
}

/** An environment for processes in a project: only its own node_modules may resolve. */
function projectEnv(extra = {}) {
  const { NODE_PATH, ...env } = process.env;
  return { ...env, ...extra };
}

/**
 * Writes a package.json into the (empty) folder `project` and installs `tarballs` there, their
 * dependencies from npm's cache where it holds them (setup.sh's npm ci put them there), else from
 * the registry. `extra` names more packages to install beside them (e.g. `vite@8`).
 */
function installProject(project, tarballs, { name = 'tapgate-consumer', type, extra = [] } = {}) {
  fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name, private: true, ...(type ? { type } : {}) }));
  execFileSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--no-package-lock', ...tarballs, ...extra],
    { cwd: project, stdio: 'pipe', env: projectEnv() });
  return project;
}

module.exports = { REPO_ROOT, PACKAGES, pack, installProject, projectEnv };
