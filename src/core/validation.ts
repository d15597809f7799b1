/**
 * Turning zod issues into precise, one-line error messages: `path: expected …, got …`. Shared by
 * everything that checks input with zod (scenario files, control requests, saved state), so every
 * message reads the same way.
 *
 * @module
 */
import type { z } from 'zod';

/** Shows a bad value in an error message. */
export function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return 'a list';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return typeof value;
}

/**
 * Formats a zod path as `devices[2].battery.level`; with `root`, as `root.devices[2]…` (the root
 * alone for the top level). Without `root`, the top level is `(top level)`.
 */
export function formatPath(path: readonly PropertyKey[], root?: string): string {
  let out = root ?? '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out ? `.${String(p)}` : String(p);
  }
  return out || '(top level)';
}

/** How an `invalid_type` issue names what was expected. */
const EXPECTED: Readonly<Record<string, string>> = {
  array: 'a list',
  object: 'an object',
  number: 'a finite number',
  int: 'an integer',
  string: 'a string',
  boolean: 'true or false',
};

/**
 * Turns zod issues into `path: message` lines (parse with `{ reportInput: true }` so that they
 * show the bad value). With `root`, paths start with it: `snapshot.devices[2].id: …`.
 *
 * @example
 * formatIssues(schema.safeParse(data, { reportInput: true }).error, 'snapshot')
 * // ['snapshot.devices[2].power.level: expected a finite number, got nothing']
 */
export function formatIssues(error: z.ZodError, root?: string): string[] {
  const lines: string[] = [];
  const walk = (issues: readonly z.core.$ZodIssue[], prefix: readonly PropertyKey[]): void => {
    for (const issue of issues) {
      const path = [...prefix, ...issue.path];
      if (issue.code === 'unrecognized_keys') {
        for (const key of issue.keys)
          lines.push(`${formatPath([...path, key], root)}: unknown field`);
      } else if (issue.code === 'invalid_union' && issue.errors.length > 0) {
        // Report the branch that got furthest (the most specific message).
        const best = [...issue.errors].sort((a, b) => depth(b) - depth(a))[0] ?? [];
        walk(best, path);
      } else if (issue.code === 'invalid_type') {
        const expected = EXPECTED[issue.expected] ?? issue.expected;
        const got = show((issue as { input?: unknown }).input);
        lines.push(`${formatPath(path, root)}: expected ${expected}, got ${got}`);
      } else {
        lines.push(`${formatPath(path, root)}: ${issue.message}`);
      }
    }
  };
  walk(error.issues, []);
  return [...new Set(lines)];
}

/** How far into the data a union branch's issues got (custom checks count a little more). */
function depth(issues: readonly z.core.$ZodIssue[]): number {
  return Math.max(0, ...issues.map((i) => i.path.length + (i.code === 'custom' ? 0.5 : 0)));
}
