// The state diagram in docs/architecture.md is drawn from the transition table (src/transitions.hpp)
// by scripts/state-diagram.mjs: a table changed without redrawing fails here.
'use strict';
const { spawnSync } = require('node:child_process');
const path = require('node:path');

test('docs/architecture.md shows the transition table as it is', () => {
  const run = spawnSync(process.execPath, [path.join(__dirname, '..', '..', 'scripts', 'state-diagram.mjs'), '--check'], { encoding: 'utf8' });
  expect(run.stderr).toBe('');
  expect(run.status).toBe(0);
});
