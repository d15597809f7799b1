// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';

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

/**
 * The layers, lowest first; a layer imports only from the layers below it (docs/architecture.md):
 *
 *   core (src/core) ← domain parts (src/wns, src/mdm-server, src/scenario, src/report,
 *   src/testing) ← adapters (src/adapters, src/dashboard, and src/browser, which reads the core
 *   and src/report only) ← cli (src/cli, src/demos.ts).
 *
 * Allowed arrows: core → core; each domain part → core and itself (no domain part imports
 * another today); adapters → core, domain parts, adapters; cli → anything in src. Nothing in
 * src imports bench/ or test/, nor the package entries (src/index.ts, src/node.ts,
 * src/testing/index.ts: they are for users).
 */
const DOMAIN_PARTS = ['wns', 'mdm-server', 'scenario', 'report', 'testing'];
const LAYERS = 'core ← domain parts ← adapters ← cli (docs/architecture.md)';

/** The zones of `import-x/no-restricted-paths`. */
function layerZones() {
  const only = (
    /** @type {string} */ target,
    /** @type {string[]} */ allowed,
    /** @type {string} */ what,
  ) => ({
    target: `src/${target}`,
    from: 'src',
    except: allowed.map((p) => `./${p}`),
    message: `${what}: ${LAYERS}.`,
  });
  return [
    only('core', ['core'], 'The core imports only the core'),
    ...DOMAIN_PARTS.map((part) =>
      only(part, ['core', part], 'A domain part imports only the core and itself'),
    ),
    only(
      'browser',
      ['core', 'report', 'browser'],
      'Browser code imports only the core and src/report',
    ),
    {
      target: ['src/adapters', 'src/dashboard'],
      from: ['src/cli', 'src/demos.ts'],
      message: `Adapters do not import the CLI: ${LAYERS}.`,
    },
    {
      target: 'src',
      from: ['src/index.ts', 'src/node.ts', 'src/testing/index.ts'],
      message: 'The package entries are for users: import the module itself.',
    },
    {
      target: 'src',
      from: ['bench', 'test'],
      message: 'The source never imports benchmarks or tests.',
    },
  ];
}

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
              group: ['node:*', 'fs', 'http', 'https', 'net', 'ws', 'node-cron'],
              message: 'The core is pure: use a port.',
            },
          ],
        },
      ],
    },
  },
  {
    // The layer rules and no import cycles (see layerZones).
    files: ['src/**/*.ts'],
    plugins: { 'import-x': importX },
    settings: {
      // How import-x reads the modules it follows (no-cycle parses them) and finds them (`.js`
      // specifiers name `.ts` files).
      'import-x/extensions': ['.ts', '.js'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/resolver-next': [
        createNodeResolver({
          extensions: ['.ts', '.js'],
          extensionAlias: { '.js': ['.ts', '.js'] },
        }),
      ],
    },
    rules: {
      'import-x/no-restricted-paths': [
        'error',
        { basePath: import.meta.dirname, zones: layerZones() },
      ],
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
    },
  },
);
