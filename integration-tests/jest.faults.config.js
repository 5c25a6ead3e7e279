// Fault tests under load: `npm run test:faults` (needs the built services).
const base = require('../jest.base.config.js')(__dirname);

/** @type {import('jest').Config} */
module.exports = {
  ...base,
  displayName: 'faults',
  testMatch: ['<rootDir>/test/**/*.faults.test.ts'],
  testTimeout: 120_000,
  maxWorkers: 1,
};
