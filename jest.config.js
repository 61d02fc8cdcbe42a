// Jest runs the WASM build through the public JS API against real server processes.
module.exports = {
  testEnvironment: 'node',
  testMatch: ['<rootDir>/tests/js/**/*.test.js', '<rootDir>/tests/e2e/**/*.test.js'],
  testTimeout: 60_000,
  // CI: one suite at a time, so timing-sensitive suites never compete for the two cores.
  maxWorkers: process.env.CI ? 1 : 2,
};
