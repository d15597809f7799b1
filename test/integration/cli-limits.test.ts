/**
 * `dmpush run` as a process on scenario files past the limits: exit 2 with the field and the limit
 * on standard error and no stack trace; the flags that change a limit let the same file run.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN } from '../helpers/cli.js';
import { ROOT } from '../helpers/run-scenario.js';

const dir = mkdtempSync(join(tmpdir(), 'dmpush-limits-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Writes `text` to a scenario file named `name` in the test's folder; returns its path. */
function scenario(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** Runs the built CLI. */
function dmpush(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Expects a refusal: exit 2, nothing on standard output, `message` and no stack trace. */
function expectRefused(r: ReturnType<typeof dmpush>, message: string): void {
  expect(r.stderr).toContain(message);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(r.stderr).not.toContain('unexpected error');
  expect(r.stdout).toBe('');
  expect(r.status).toBe(2);
}

const charging = 'device: a, set: { battery: { charging: true } }';

describe('dmpush run: scenario limits', () => {
  it('too many devices in all: exit 2; --max-devices raises the limit', () => {
    const file = scenario(
      'fleet.yaml',
      'duration: PT1H\ndevices:\n  - { id: f, count: 6000 }\n  - { id: g, count: 6000 }\n',
    );
    expectRefused(
      dmpush('run', file),
      'devices[1].count: 6000 brings the fleet to 12000 devices, more than the limit of 10000 devices in all (--max-devices raises it)',
    );
    const r = dmpush('run', file, '--max-devices', '12000', '--until', 'PT0S', '--device', 'g-1');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('12000 devices');
  });

  it('an "every" shorter than a minute: exit 2; --min-interval lowers the limit', () => {
    const file = scenario(
      'every.yaml',
      `duration: PT1H\ndevices: [{ id: a }]\nevents:\n  - { at: PT0S, every: PT0.001S, ${charging} }\n`,
    );
    expectRefused(
      dmpush('run', file),
      'events[0].every: PT0.001S repeats more often than the minimum interval of PT1M (--min-interval changes it)',
    );
    const r = dmpush('run', file, '--min-interval', 'PT0.001S', '--until', 'PT0.01S');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('power.changed');
  });

  it('a cron expression firing every second: exit 2; --min-interval PT1S lets it run', () => {
    const file = scenario(
      'cron.yaml',
      `duration: PT1H\ndevices: [{ id: a }]\nevents:\n  - { cron: "* * * * * *", ${charging} }\n`,
    );
    expectRefused(
      dmpush('run', file),
      'events[0].cron: "* * * * * *" fires as often as every 1 s, more often than the minimum interval of PT1M',
    );
    const r = dmpush(
      'run',
      file,
      '--min-interval',
      'PT1S',
      '--until',
      'PT10S',
      '--format',
      'jsonl',
    );
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('"type":"power.changed"');
  });

  it('a duration past ten years: exit 2; --max-duration raises the limit', () => {
    const file = scenario('long.yaml', 'duration: P11Y\ndevices: [{ id: a }]\n');
    expectRefused(
      dmpush('run', file, '--format', 'jsonl'),
      'duration: P11Y runs past the maximum run length of P10Y after the start (--max-duration raises it)',
    );
    const r = dmpush('run', file, '--max-duration', 'P12Y', '--until', 'PT1H');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('2026-01-01T00:00:00.000Z → 2026-01-01T01:00:00.000Z');
  });

  it('bad limit flags exit 2 naming the flag', () => {
    const file = scenario('ok.yaml', 'devices: [{ id: a }]\n');
    const r = dmpush('run', file, '--min-interval', '1s');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("option '--min-interval <duration>' argument '1s' is invalid");
  });

  it('lists the limit flags with their defaults in the help', () => {
    const r = dmpush('run', '--help');
    expect(r.stdout).toMatch(/--max-devices <n>[\s\S]*default\s+10000/);
    expect(r.stdout).toMatch(/--min-interval <duration>[\s\S]*default\s+PT1M/);
    expect(r.stdout).toMatch(/--max-duration <duration>[\s\S]*default\s+P10Y/);
  });
});

describe('dmpush run: files the YAML reader refuses', () => {
  it.each([
    [
      'an alias bomb',
      'bomb.yaml',
      'a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\ndevices: [*c]\n',
      'aliases expand too much: more than 100 alias uses',
    ],
    ['an alias with no anchor', 'alias.yaml', 'devices: *nope\n', 'alias *nope has no anchor'],
    [
      '3,000 levels of YAML',
      'deep.yaml',
      `devices: ${'['.repeat(3000)}${']'.repeat(3000)}\n`,
      'line 1, column 73: nested more than 64 levels deep (the limit of nesting)',
    ],
    [
      '3,000 levels of block YAML',
      'block.yaml',
      `${Array.from({ length: 3000 }, (_, i) => `${' '.repeat(i)}k:`).join('\n')} 1\n`,
      'line 65, column 65: nested more than 64 levels deep (the limit of nesting)',
    ],
    [
      '3,000 levels of JSON',
      'deep.json',
      `{"devices": ${'['.repeat(3000)}${']'.repeat(3000)}}`,
      'line 1, column 76: nested more than 64 levels deep (the limit of nesting)',
    ],
  ])('%s: exit 2 naming the problem and the limit', (_, name, text, message) => {
    const file = scenario(name, text);
    const r = dmpush('run', file);
    expectRefused(r, `${file} is not a valid scenario:\n  ${file}: `);
    expect(r.stderr).toContain(message);
  });
});
