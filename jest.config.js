// Jest runs the WASM build through the public JS API against real server processes.
module.exports = {
  testEnvironment: 'node',
  testMatch: ['<rootDir>/tests/js/**/*.test.js', '<rootDir>/tests/e2e/**/*.test.js'],
  testTimeout: 60_000,
  // CI: one suite at a time, so timing-sensitive suites never compete for the two cores.
  maxWorkers: process.env.CI ? 1 : 2,
  // The OpenID tests' relying party (openid-client) and backend (jose) ship only ES modules, which
  // Jest on Node 20 cannot require: those packages are compiled to CommonJS on load.
  transform: {
    '/node_modules/(openid-client|oauth4webapi|jose)/.+\\.js$': ['babel-jest', { babelrc: false, configFile: false, plugins: ['@babel/plugin-transform-modules-commonjs'] }],
    '\\.[jt]sx?$': 'babel-jest',
  },
  transformIgnorePatterns: ['/node_modules/(?!(openid-client|oauth4webapi|jose)/)'],
};
