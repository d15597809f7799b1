/**
 * Vitest global setup: compiles `dist/` once, before the test files run in parallel forks, when a
 * source file is newer than the built CLI (process tests run the built binary, as `npm start`
 * does). Forks never compile on their own, so two of them never write `dist/` at once.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(ROOT, 'dist/src/cli/main.js');

/** The newest modification time of any file under `dir`. */
function newest(dir: string): number {
  let max = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    max = Math.max(max, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return max;
}

export default function setup(): void {
  if (existsSync(BIN) && statSync(BIN).mtimeMs >= newest(join(ROOT, 'src'))) return;
  try {
    execFileSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: 'pipe' });
  } catch (e) {
    // Type errors are the typecheck's to report (`npm run typecheck`); tsc still emits, so the
    // process tests run what was built. Without a binary at all, nothing can run.
    const output = (e as { stdout?: Buffer }).stdout?.toString() ?? '';
    process.stderr.write(`build-once: the build reported problems:\n${output.slice(0, 4000)}\n`);
    if (!existsSync(BIN)) throw e;
  }
}
