// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Wall-clock time and unseeded randomness are allowed only in the clock and random adapters. */
const wallClock = [
  {
    selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']",
    message: 'Use the Clock port (clock.now()), not Date.now().',
  },
  {
    selector: "NewExpression[callee.name='Date'][arguments.length=0]",
    message: 'Use the Clock port, not new Date() without an argument.',
  },
  {
    selector: "CallExpression[callee.object.name='Math'][callee.property.name='random']",
    message: 'Use the seeded Random port, not Math.random().',
  },
  {
    selector: 'CallExpression[callee.name=/^set(Timeout|Interval|Immediate)$/]',
    message: 'Use clock.schedule(), not timers.',
  },
  {
    selector:
      "CallExpression[callee.object.name='globalThis'][callee.property.name=/^set(Timeout|Interval|Immediate)$/]",
    message: 'Use clock.schedule(), not timers.',
  },
];

export default tseslint.config(
  {
    ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'eslint.config.js', 'vitest.config.ts'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      'no-restricted-syntax': ['error', ...wallClock],
    },
  },
  {
    // The only places allowed to read the wall clock or use real timers.
    files: ['src/adapters/clock/system-clock.ts', 'bench/**/*.ts'],
    rules: { 'no-restricted-syntax': 'off' },
  },
  {
    // The pages' browser code (src/browser/, bundled by scripts/bundle-browser.ts): no Clock port
    // there, so its wall clock and timers live in one module, shared/timers.ts.
    files: ['src/browser/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        ...wallClock,
        {
          selector:
            "CallExpression[callee.object.name='window'][callee.property.name=/^set(Timeout|Interval)$/]",
          message: 'Use later() from src/browser/shared/timers.ts.',
        },
      ],
    },
  },
  {
    files: ['src/browser/shared/timers.ts'],
    rules: { 'no-restricted-syntax': 'off' },
  },
  {
    // The core must not touch I/O: it talks to the world through ports.
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                'node:*',
                'fs',
                'http',
                'https',
                'net',
                'ws',
                'node-cron',
                '../adapters/*',
                '../../adapters/*',
                '../../cli/*',
                '../cli/*',
              ],
              message: 'The core is pure: use a port.',
            },
          ],
        },
      ],
    },
  },
);
