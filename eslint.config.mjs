// ESLint flat config: typescript-eslint's type-aware rules for TypeScript,
// Prettier owns formatting (eslint-config-prettier switches off clashing rules).
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  {
    ignores: [
      '**/dist/**',
      '**/node_modules/**',
      '**/coverage/**',
      'integration-tests/artifacts/**',
      // graphite-statsd's own config files, copied as they are (StatsD's is not JSON nor a module).
      '.ci/docker/graphite-statsd/conf/**',
      // StatsD's config for graphite-statsd: strict JSON in a .js file (Prettier checks it as JSON).
      'graphite/statsd-udp.js',
    ],
  },
  js.configs.recommended,
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      // Express handlers may be async; Express 5 forwards their rejections.
      '@typescript-eslint/no-misused-promises': [
        'error',
        { checksVoidReturn: { arguments: false } },
      ],
    },
  },
  {
    // The greeter and the admin stay readable: no function over 80 lines. The
    // stores are exempt: each is a factory of many short methods, one per
    // store operation, that belong side by side.
    files: ['greetings/src/**/*.ts'],
    ignores: ['greetings/src/store/**'],
    rules: {
      'max-lines-per-function': [
        'error',
        { max: 80, skipBlankLines: true, skipComments: true, IIFEs: true },
      ],
    },
  },
  {
    files: ['**/test/**/*.ts'],
    rules: {
      // supertest's `res.body` is `any` by design.
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      // Fakes are async to match the interfaces they stand in for.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    files: ['**/*.{js,cjs,mjs}'],
    languageOptions: { globals: { ...globals.node } },
  },
  {
    files: ['**/*.{js,cjs}'],
    languageOptions: { sourceType: 'commonjs' },
  },
  {
    files: ['**/public/**/*.js'],
    languageOptions: { globals: { ...globals.browser } },
  },
  prettier,
);
