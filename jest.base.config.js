// Shared jest settings for every workspace. ts-jest only transpiles
// (isolatedModules); `npm run typecheck` (tsc -b) type-checks sources and tests.
const path = require('node:path');

/** @param {string} dir the workspace folder @returns {import('jest').Config} */
module.exports = (dir) => ({
  displayName: path.basename(dir),
  rootDir: dir,
  testEnvironment: 'node',
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: path.join(dir, 'test', 'tsconfig.json') }],
  },
  // Tests run against the TypeScript sources of the shared package, no build needed.
  moduleNameMapper: {
    '^@friendly-calculator/common$': path.join(__dirname, 'common/src/index.ts'),
    '^@friendly-calculator/common/openapi$': path.join(__dirname, 'common/src/openapi.ts'),
    '^@friendly-calculator/common/swagger-ui$': path.join(__dirname, 'common/src/swagger-ui.ts'),
    '^@friendly-calculator/common/testing$': path.join(__dirname, 'common/src/testing/index.ts'),
  },
});
