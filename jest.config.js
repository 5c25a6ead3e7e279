// `npm test` runs every service workspace's unit, API and integration tests.
// (The browser suite in integration-tests has its own command: `npm run test:e2e`.)
/** @type {import('jest').Config} */
module.exports = {
  projects: ['common', 'maths', 'greetings', 'awesome-app']
    .filter((w) => require('node:fs').existsSync(`${__dirname}/${w}/jest.config.js`))
    .map((w) => `<rootDir>/${w}`),
};
