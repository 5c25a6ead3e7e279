// greetings' load tests, run by `npm run test:faults` one at a time, with
// nothing else beside them (a load test measures latency).
const base = require('../jest.base.config.js')(__dirname);

/** @type {import('jest').Config} */
module.exports = {
  ...base,
  displayName: 'greetings-faults',
  testMatch: ['<rootDir>/test/**/*.faults.test.ts'],
  testTimeout: 180_000,
  maxWorkers: 1,
};
