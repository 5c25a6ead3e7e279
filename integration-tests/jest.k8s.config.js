// The Kubernetes manifests, checked offline: `npm run test:k8s` (needs kubectl).
const base = require('../jest.base.config.js')(__dirname);

/** @type {import('jest').Config} */
module.exports = {
  ...base,
  displayName: 'k8s',
  testMatch: ['<rootDir>/test/k8s/**/*.k8s.test.ts'],
  testTimeout: 60_000,
};
