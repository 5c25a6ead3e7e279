// The browser suite: `npm run test:e2e` (it needs the built services).
const base = require('../jest.base.config.js')(__dirname);

/** @type {import('jest').Config} */
module.exports = {
  ...base,
  displayName: 'e2e',
  testMatch: ['<rootDir>/test/**/*.e2e.test.ts'],
  testTimeout: 60_000,
  maxWorkers: 1,
};
