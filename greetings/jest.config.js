// `npm test`: greetings' unit, API and integration tests. The load tests
// (*.faults.test.ts) run alone in `npm run test:faults` (jest.faults.config.js):
// they load the machine, and timing tests beside them would pay for it.
const base = require('../jest.base.config.js')(__dirname);

/** @type {import('jest').Config} */
module.exports = { ...base, testPathIgnorePatterns: ['/node_modules/', '\\.faults\\.test\\.ts$'] };
