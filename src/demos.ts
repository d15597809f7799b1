import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { packageRoot } from './adapters/package-root.js';
import { parseScenario } from './scenario/load.js';

/** A built-in edge-case demo: a scenario file in `fixtures/demos/` with a one-line story. */
export interface Demo {
  readonly name: string;
  readonly story: string;
  readonly path: string;
}

/** The folder of the built-in demos. */
function demoDir(): string {
  return join(packageRoot(), 'fixtures', 'demos');
}

/** Every built-in demo, sorted by file name (the files are numbered in story order). */
export function listDemos(): Demo[] {
  const dir = demoDir();
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((file) => {
      const path = join(dir, file);
      const scenario = parseScenario(readFileSync(path, 'utf8'), file);
      return {
        name: scenario.name ?? basename(file, '.yaml').replace(/^\d+-/, ''),
        story: scenario.description ?? '',
        path,
      };
    });
}

/** The demo named `name`, or undefined. */
export function findDemo(name: string): Demo | undefined {
  return listDemos().find((d) => d.name === name);
}
