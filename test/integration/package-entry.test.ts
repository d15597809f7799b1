/**
 * The package entries, as a user's fresh Node process loads them (from `dist/`, built by the
 * global setup): `dmpush` is the pure core and loads no Node I/O, `dmpush/node` holds the adapters
 * and servers, `dmpush/testing` the fast-check arbitraries.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/run-scenario.js';

/**
 * Module hooks that write every URL the ESM loader resolves to standard error (synchronously,
 * from the hooks thread), one `resolved <url>` line each.
 */
const HOOKS = [
  "import { writeSync } from 'node:fs';",
  'export async function resolve(specifier, context, next) {',
  '  const result = await next(specifier, context);',
  "  writeSync(2, 'resolved ' + result.url + '\\n');",
  '  return result;',
  '}',
].join('\n');
const dataUrl = (code: string): string => `data:text/javascript,${encodeURIComponent(code)}`;
const REGISTER = `import { register } from 'node:module'; register(${JSON.stringify(dataUrl(HOOKS))});`;

/**
 * Imports `url` in a fresh node process and reports what that import added: the native modules
 * (`process.moduleLoadList`, which lists built-ins Node loads, including those a CommonJS
 * dependency requires), the URLs the ESM loader resolved, and the CommonJS modules required.
 */
function loadEvidence(url: string): { native: string[]; resolved: string[]; required: string[] } {
  const script = [
    'const before = new Set(process.moduleLoadList);',
    'await import(process.argv[1]);',
    'const native = process.moduleLoadList.filter((m) => !before.has(m));',
    "const { createRequire } = await import('node:module');",
    'const required = Object.keys(createRequire(import.meta.url).cache);',
    'process.stdout.write(JSON.stringify({ native, required }));',
  ].join('\n');
  const child = spawnSync(
    process.execPath,
    ['--import', dataUrl(REGISTER), '--input-type=module', '-e', script, url],
    { cwd: ROOT, encoding: 'utf8' },
  );
  expect(child.status, child.stderr).toBe(0);
  const { native, required } = JSON.parse(child.stdout) as { native: string[]; required: string[] };
  const resolved = child.stderr
    .split('\n')
    .filter((line) => line.startsWith('resolved '))
    .map((line) => line.slice('resolved '.length));
  return { native, resolved, required };
}

const IO_BUILTINS = ['http', 'https', 'http2', 'net', 'tls', 'dgram', 'child_process', 'fs'];
const IO_PACKAGES = ['ws', 'better-sqlite3', 'reflect-metadata', 'pino', 'node-cron', 'fast-check'];
const packageFile = (name: string): RegExp => new RegExp(`/node_modules/${name}/`);

/** Everything `evidence` shows of Node I/O modules or I/O packages, as readable lines. */
function ioModules(evidence: ReturnType<typeof loadEvidence>): string[] {
  const builtin = new RegExp(`^NativeModule (${IO_BUILTINS.join('|')})(/.*)?$`);
  const builtinUrl = new RegExp(`^node:(${IO_BUILTINS.join('|')})(/.*)?$`);
  return [
    ...evidence.native.filter((m) => builtin.test(m)),
    ...evidence.resolved.filter((u) => builtinUrl.test(u)),
    ...[...evidence.resolved, ...evidence.required].filter((f) =>
      IO_PACKAGES.some((p) => packageFile(p).test(f)),
    ),
  ];
}

const dist = (file: string): string => pathToFileURL(join(ROOT, 'dist/src', file)).href;

describe('the dmpush entry (the pure core)', () => {
  it('loads no Node I/O module and none of the I/O packages', () => {
    const evidence = loadEvidence(dist('index.js'));
    // The hooks saw the import (so an empty list below means something).
    expect(evidence.resolved).toContain(dist('index.js'));
    expect(ioModules(evidence)).toEqual([]);
  });

  it('the check above sees I/O when there is some (dmpush/node loads ws and node:http)', () => {
    const found = ioModules(loadEvidence(dist('node.js')));
    expect(found.some((m) => packageFile('ws').test(m))).toBe(true);
    expect(found).toContain('NativeModule http');
  });
});

describe('package.json exports', () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    exports: Record<string, { types: string; default: string }>;
    peerDependencies?: Record<string, string>;
    dependencies?: Record<string, string>;
  };

  it('has dmpush, dmpush/node and dmpush/testing, each with types and code that exist', () => {
    expect(Object.keys(pkg.exports).sort()).toEqual(['.', './node', './testing']);
    for (const entry of Object.values(pkg.exports)) {
      expect(existsSync(join(ROOT, entry.types)), entry.types).toBe(true);
      expect(existsSync(join(ROOT, entry.default)), entry.default).toBe(true);
    }
  });

  it('fast-check is a peer dependency (dmpush/testing uses the caller’s), not a dependency', () => {
    expect(pkg.peerDependencies?.['fast-check']).toBeDefined();
    expect(pkg.dependencies?.['fast-check']).toBeUndefined();
  });

  it('each entry resolves by the package name and exports its part of the API', () => {
    const script = [
      "const core = await import('dmpush');",
      "const node = await import('dmpush/node');",
      "const testing = await import('dmpush/testing');",
      'const has = (m, name) => Object.hasOwn(m, name);',
      'process.stdout.write(JSON.stringify({',
      "  core: ['decideRenewal', 'Simulation', 'parseSyncML', 'loadScenario', 'DmpushError'].filter((n) => has(core, n)),",
      "  node: ['WnsEmulator', 'createWnsHttpServer', 'OmaDmHttpClient', 'startReferenceMdm', 'renderHtmlReport'].filter((n) => has(node, n)),",
      "  testing: ['renewalInputArb', 'simulationSpecFor'].filter((n) => has(testing, n)),",
      "  coreHasNode: ['WnsEmulator', 'createWnsHttpServer', 'renewalInputArb'].filter((n) => has(core, n)),",
      '}));',
    ].join('\n');
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(child.status, child.stderr).toBe(0);
    expect(JSON.parse(child.stdout)).toEqual({
      core: ['decideRenewal', 'Simulation', 'parseSyncML', 'loadScenario', 'DmpushError'],
      node: [
        'WnsEmulator',
        'createWnsHttpServer',
        'OmaDmHttpClient',
        'startReferenceMdm',
        'renderHtmlReport',
      ],
      testing: ['renewalInputArb', 'simulationSpecFor'],
      coreHasNode: [],
    });
  });
});
