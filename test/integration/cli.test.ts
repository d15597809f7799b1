import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { TIMELINE_EVENT_TYPES } from '../../src/core/timeline/events.js';
import { listDemos } from '../../src/demos.js';
import { fixture, ROOT, runScenarioFile } from '../helpers/run-scenario.js';

interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the CLI in-process with captured output. */
async function cli(...argv: string[]): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, {
    stdout: (t) => void (stdout += t),
    stderr: (t) => void (stderr += t),
    readFile: (path) => readFileSync(path, 'utf8'),
  });
  return { code, stdout, stderr };
}

const ISO_MS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const BASIC = fixture('fixtures/scenarios/basic.yaml');
const INVALID = fixture('fixtures/scenarios/invalid-battery-level.yaml');
const UNKNOWN_DEVICE = fixture('fixtures/scenarios/unknown-device.yaml');

const lines = (text: string): string[] => text.split('\n').filter((l) => l.length > 0);
const parse = (text: string): Record<string, unknown>[] =>
  lines(text).map((l) => JSON.parse(l) as Record<string, unknown>);

/** Checks the JSONL contract of every line and returns the parsed objects. */
function expectJsonl(text: string): Record<string, unknown>[] {
  expect(text.endsWith('\n')).toBe(true);
  const objects = parse(text);
  expect(objects.length).toBeGreaterThan(0);
  for (const o of objects) {
    expect(Object.keys(o).slice(0, 3)).toEqual(['time', 'device', 'type']);
    expect(o['time']).toMatch(ISO_MS);
    expect(o['device'] === null || typeof o['device'] === 'string').toBe(true);
    expect(TIMELINE_EVENT_TYPES).toContain(o['type']);
    for (const key of ['at', 'earliest', 'latest', 'expiresAt']) {
      if (o[key] !== undefined && o[key] !== null) expect(o[key], key).toMatch(ISO_MS);
    }
  }
  return objects;
}

describe('dmpush run', () => {
  it('prints a text timeline with a header and an event count', async () => {
    const r = await cli('run', BASIC);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const out = lines(r.stdout);
    expect(out[0]).toBe(
      `# ${BASIC}: 2 devices, seed 7, 2026-01-01T00:00:00.000Z → 2026-01-21T00:00:00.000Z`,
    );
    const body = out.slice(1, -1);
    expect(out.at(-1)).toBe(`# ${body.length} events`);
    expect(body.length).toBe(runScenarioFile(BASIC).events.length);
    for (const line of body)
      expect(line).toMatch(/^\d{4}-\d\d-\d\dT\S+Z {2}(laptop|tablet|\(cloud\))\s/);
    expect(r.stdout).toMatch(/laptop +channel\.issued +gets ChannelURI https:\/\//);
    expect(r.stdout).toMatch(/laptop +renewal\.scheduled +1607: /);
  });

  it('prints JSONL: one object per line with time, device and type, same as the library', async () => {
    const r = await cli('run', BASIC, '--format', 'jsonl');
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const objects = expectJsonl(r.stdout);
    expect(objects[0]).toMatchObject({
      time: '2026-01-01T00:00:00.000Z',
      device: 'laptop',
      type: 'device.started',
    });
    expect(r.stdout).toBe(runScenarioFile(BASIC).jsonl());
  });

  it('reads JSON scenarios too', async () => {
    const yaml = await cli('run', BASIC, '--format', 'jsonl');
    const json = await cli('run', fixture('fixtures/scenarios/basic.json'), '--format', 'jsonl');
    expect(json.code).toBe(0);
    expect(json.stdout).toBe(yaml.stdout);
  });

  it('--seed changes the timeline; the same seed repeats it', async () => {
    const base = await cli('run', BASIC, '--format', 'jsonl');
    const seven = await cli('run', BASIC, '--format', 'jsonl', '--seed', '7');
    const eight = await cli('run', BASIC, '--format', 'jsonl', '--seed', '8');
    const eightAgain = await cli('run', BASIC, '--format', 'jsonl', '--seed', '8');
    expect(seven.stdout).toBe(base.stdout);
    expect(eight.code).toBe(0);
    expect(eight.stdout).not.toBe(base.stdout);
    expect(eightAgain.stdout).toBe(eight.stdout);
    // The retry draws move, not just the channel tokens.
    const ats = (t: string) =>
      parse(t)
        .filter((o) => o['type'] === 'renewal.scheduled')
        .map((o) => o['at']);
    expect(ats(eight.stdout)).not.toEqual(ats(base.stdout));
    const text = await cli('run', BASIC, '--seed', '8');
    expect(lines(text.stdout)[0]).toContain('seed 8');
  });

  it('--until stops the run at a duration after start or an ISO time', async () => {
    const full = parse((await cli('run', BASIC, '--format', 'jsonl')).stdout);
    for (const until of ['P16D', '2026-01-17T00:00:00Z']) {
      const r = await cli('run', BASIC, '--format', 'jsonl', '--until', until);
      expect(r.code).toBe(0);
      const objects = expectJsonl(r.stdout);
      for (const o of objects)
        expect((o['time'] as string) <= '2026-01-17T00:00:00.000Z').toBe(true);
      expect(objects.length).toBeLessThan(full.length);
      expect(objects.some((o) => o['type'] === 'push.sent')).toBe(false);
      expect(objects).toEqual(full.slice(0, objects.length));
    }
    const text = await cli('run', BASIC, '--until', 'P16D');
    expect(lines(text.stdout)[0]).toMatch(/→ 2026-01-17T00:00:00\.000Z$/);
  });

  it('--device keeps only the named devices (comma-separated or repeated)', async () => {
    const all = parse((await cli('run', BASIC, '--format', 'jsonl')).stdout);
    const tablet = parse(
      (await cli('run', BASIC, '--format', 'jsonl', '--device', 'tablet')).stdout,
    );
    expect(tablet.length).toBeGreaterThan(0);
    expect(tablet).toEqual(all.filter((o) => o['device'] === 'tablet'));
    const both = await cli('run', BASIC, '--format', 'jsonl', '--device', 'laptop,tablet');
    const repeated = await cli(
      'run',
      BASIC,
      '--format',
      'jsonl',
      '--device',
      'laptop',
      '--device',
      'tablet',
    );
    expect(parse(both.stdout)).toEqual(all.filter((o) => o['device'] !== null));
    expect(repeated.stdout).toBe(both.stdout);
    const text = await cli('run', BASIC, '--device', 'tablet');
    const body = lines(text.stdout).slice(1, -1);
    expect(body.length).toBe(tablet.length);
    expect(lines(text.stdout).at(-1)).toBe(`# ${tablet.length} events`);
  });

  it('--type keeps exact types and families', async () => {
    const all = parse((await cli('run', BASIC, '--format', 'jsonl')).stdout);
    const renewal = parse(
      (await cli('run', BASIC, '--format', 'jsonl', '--type', 'renewal')).stdout,
    );
    expect(renewal.length).toBeGreaterThan(0);
    expect(renewal).toEqual(all.filter((o) => (o['type'] as string).startsWith('renewal.')));
    const some = parse(
      (await cli('run', BASIC, '--format', 'jsonl', '--type', 'session.started,push.sent')).stdout,
    );
    expect(new Set(some.map((o) => o['type']))).toEqual(new Set(['session.started', 'push.sent']));
    expect(some).toEqual(
      all.filter((o) => o['type'] === 'session.started' || o['type'] === 'push.sent'),
    );
    const combined = parse(
      (await cli('run', BASIC, '--format', 'jsonl', '--type', 'channel', '--device', 'laptop'))
        .stdout,
    );
    expect(combined).toEqual(
      all.filter((o) => o['device'] === 'laptop' && (o['type'] as string).startsWith('channel.')),
    );
  });

  it('exits 2 naming the path when the scenario file is missing', async () => {
    const missing = join(ROOT, 'fixtures/scenarios/does-not-exist.yaml');
    const r = await cli('run', missing);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(missing);
    expect(r.stderr).toMatch(/cannot read scenario .*ENOENT/);
  });

  it('exits 2 naming the path and each problem when the scenario is invalid', async () => {
    const r = await cli('run', INVALID);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`${INVALID} is not a valid scenario`);
    expect(r.stderr).toMatch(
      /devices\[2\]\.battery\.level: expected a number from 0 to 100.*got "high"/,
    );
    const unknown = await cli('run', UNKNOWN_DEVICE);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain(UNKNOWN_DEVICE);
    expect(unknown.stderr).toContain('events[0].device: no device or fleet named "d2"');
  });

  it.each([
    [['--format', 'xml'], '--format'],
    [['--seed', 'abc'], '--seed'],
    [['--seed', '-1'], '--seed'],
    [['--seed', '99999999999'], '--seed'],
    [['--until', 'tomorrow'], '--until'],
    [['--until', '2025-01-01T00:00:00Z'], '--until'],
  ])('exits 2 on bad flag %j, naming the flag', async (flags, flag) => {
    const r = await cli('run', BASIC, ...flags);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(flag);
  });

  it('exits 2 without a scenario argument', async () => {
    const r = await cli('run');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/missing required argument 'scenario'/);
  });
});

describe('dmpush schedule', () => {
  const schedule = (...flags: string[]) => cli('schedule', ...flags);
  const json = async (...flags: string[]): Promise<Record<string, string>> => {
    const r = await schedule(...flags, '--json');
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(lines(r.stdout)).toHaveLength(1);
    return JSON.parse(r.stdout) as Record<string, string>;
  };
  const HOUR = 3_600_000;
  const ms = (iso: string): number => Date.parse(iso);

  it('--json prints exactly {os, rule, at, earliest, latest}; the 15-day mark is exact', async () => {
    const d = await json(
      '--os',
      '1607',
      '--now',
      '2026-01-01T00:00:00Z',
      '--expiry',
      '2026-01-31T00:00:00Z',
    );
    expect(Object.keys(d)).toEqual(['os', 'rule', 'at', 'earliest', 'latest']);
    expect(d).toEqual({
      os: '1607',
      rule: 'fifteen-day-mark',
      at: '2026-01-16T00:00:00.000Z',
      earliest: '2026-01-16T00:00:00.000Z',
      latest: '2026-01-16T00:00:00.000Z',
    });
    // Any now: the mark is expiry − 15 days, whatever the seed.
    const e = await json(
      '--os',
      '1511',
      '--now',
      '2026-03-03T10:20:30Z',
      '--expiry',
      '2026-04-01T12:00:00+02:00',
      '--seed',
      '42',
    );
    expect(e).toMatchObject({
      os: '1511',
      rule: 'fifteen-day-mark',
      at: '2026-03-17T10:00:00.000Z',
    });
    expect(e['earliest']).toBe(e['at']);
    expect(e['latest']).toBe(e['at']);
  });

  it('within fifteen days: a window of exactly [now + 3 h, now + 5 h]', async () => {
    const now = '2026-01-20T00:00:00Z';
    for (const os of ['1511', '1607']) {
      const d = await json('--os', os, '--now', now, '--expiry', '2026-01-25T00:00:00Z');
      expect(d['rule']).toBe('within-fifteen-days');
      expect(ms(d['earliest']!)).toBe(ms(now) + 3 * HOUR);
      expect(ms(d['latest']!)).toBe(ms(now) + 5 * HOUR);
      expect(ms(d['at']!)).toBeGreaterThanOrEqual(ms(d['earliest']!));
      expect(ms(d['at']!)).toBeLessThanOrEqual(ms(d['latest']!));
      for (const v of [d['at'], d['earliest'], d['latest']]) expect(v).toMatch(ISO_MS);
    }
    // Exactly 15 days left is "within", not the mark.
    const edge = await json('--os', '1607', '--now', now, '--expiry', '2026-02-04T00:00:00Z');
    expect(edge['rule']).toBe('within-fifteen-days');
  });

  it('expired (or no channel): a window of exactly [now + 20 h, now + 28 h]', async () => {
    const now = '2026-02-10T00:00:00Z';
    for (const expiry of ['2026-02-01T00:00:00Z', now, 'none']) {
      const d = await json('--os', '1607', '--now', now, '--expiry', expiry);
      expect(d['rule'], expiry).toBe('expired');
      expect(ms(d['earliest']!)).toBe(ms(now) + 20 * HOUR);
      expect(ms(d['latest']!)).toBe(ms(now) + 28 * HOUR);
    }
  });

  it('1607 with --network down skips: no-network, [now + 3 h, now + 5 h], whatever the expiry', async () => {
    const now = '2026-01-01T00:00:00Z';
    for (const expiry of ['2026-01-31T00:00:00Z', '2026-01-05T00:00:00Z', '2025-12-01T00:00:00Z']) {
      const d = await json('--os', '1607', '--now', now, '--expiry', expiry, '--network', 'down');
      expect(d['rule'], expiry).toBe('no-network');
      expect(ms(d['earliest']!)).toBe(ms(now) + 3 * HOUR);
      expect(ms(d['latest']!)).toBe(ms(now) + 5 * HOUR);
    }
    // 1511 does not check the network: the expiry rules apply.
    const old = await json(
      '--os',
      '1511',
      '--now',
      now,
      '--expiry',
      '2026-01-31T00:00:00Z',
      '--network',
      'down',
    );
    expect(old['rule']).toBe('fifteen-day-mark');
  });

  it('--seed picks the time within the window, reproducibly', async () => {
    const flags = ['--os', '1511', '--now', '2026-02-10T00:00:00Z', '--expiry', 'none'];
    const ats = new Set<string>();
    for (const seed of ['1', '2', '3', '4', '5'])
      ats.add((await json(...flags, '--seed', seed))['at']!);
    expect(ats.size).toBeGreaterThan(1);
    expect((await json(...flags, '--seed', '3'))['at']).toBe(
      (await json(...flags, '--seed', '3'))['at'],
    );
  });

  it('explains the decision in words', async () => {
    const mark = await schedule(
      '--os',
      '1607',
      '--now',
      '2026-01-01T00:00:00Z',
      '--expiry',
      '2026-01-31T00:00:00Z',
    );
    expect(mark.code).toBe(0);
    expect(mark.stdout).toContain('Windows 10 1607 at 2026-01-01T00:00:00.000Z');
    expect(mark.stdout).toMatch(/rule: +fifteen-day-mark \(more than 15 days left/);
    expect(mark.stdout).toMatch(/next try: 2026-01-16T00:00:00\.000Z \(in 15 days/);
    expect(mark.stdout).not.toContain('window:');
    const down = await schedule(
      '--os',
      '1607',
      '--now',
      '2026-01-20T00:00:00Z',
      '--expiry',
      '2026-01-25T00:00:00Z',
      '--network',
      'down',
    );
    expect(down.stdout).toMatch(/rule: +no-network \(/);
    expect(down.stdout).toContain('network down');
    expect(down.stdout).toMatch(/window: +2026-01-20T03:00:00\.000Z – 2026-01-20T05:00:00\.000Z/);
    const old = await schedule(
      '--os',
      '1511',
      '--now',
      '2026-01-20T00:00:00Z',
      '--expiry',
      '2026-01-25T00:00:00Z',
      '--network',
      'down',
    );
    expect(old.stdout).toMatch(/rule: +within-fifteen-days/);
    expect(old.stdout).toContain('1511 does not check the network first');
  });

  it.each([
    [['--os', '1512'], '--os'],
    [['--os', '11-20H2'], '--os'],
    [['--os', 'win10'], '--os'],
    [['--now', 'yesterday'], '--now'],
    [['--now', '2026-01-20T00:00:00'], '--now'],
    [['--expiry', '2026-01-25'], '--expiry'],
    [['--network', 'sideways'], '--network'],
    [['--seed', 'abc'], '--seed'],
  ])('exits 2 on bad %j, naming the flag', async (override, flag) => {
    const flags: Record<string, string> = {
      '--os': '1607',
      '--now': '2026-01-20T00:00:00Z',
      '--expiry': '2026-01-25T00:00:00Z',
    };
    flags[override[0]!] = override[1]!;
    const r = await schedule(...Object.entries(flags).flat(), '--json');
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(flag);
  });

  it('takes every Windows version by name: 11-24H2 checks the network first, as 1607 does', async () => {
    const flags = ['--now', '2026-01-20T00:00:00Z', '--expiry', '2026-01-25T00:00:00Z'];
    const down = [...flags, '--network', 'down'];
    expect(await json('--os', '11-24H2', ...down)).toMatchObject({
      os: '11-24H2',
      rule: 'no-network',
    });
    expect(await json('--os', '22H2', ...down)).toMatchObject({ rule: 'no-network' });
    expect(await json('--os', '1511', ...down)).toMatchObject({ rule: 'within-fifteen-days' });
    // The older spelling names the same version.
    expect((await json('--os', 'win11-24H2', ...down))['os']).toBe('11-24H2');
    const text = await schedule('--os', '11-24H2', ...flags);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('Windows 11 24H2 at 2026-01-20T00:00:00.000Z');
    const bad = await schedule('--os', '11-20H2', ...flags);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--os: expected one of 1511, 1607, 1703');
    expect(bad.stderr).toContain('11-25H2, got "11-20H2"');
  });

  it.each(['--os', '--now', '--expiry'])('exits 2 when %s is missing', async (flag) => {
    const flags: Record<string, string> = {
      '--os': '1607',
      '--now': '2026-01-20T00:00:00Z',
      '--expiry': '2026-01-25T00:00:00Z',
    };
    delete flags[flag];
    const r = await schedule(...Object.entries(flags).flat());
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`required option '${flag}`));
  });
});

describe('dmpush demo', () => {
  const demos = listDemos();

  it('lists every built-in demo with its story', async () => {
    const r = await cli('demo');
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(demos.length).toBeGreaterThanOrEqual(9);
    for (const d of demos)
      expect(r.stdout).toMatch(new RegExp(`^ +${d.name} +${escape(d.story)}$`, 'm'));
  });

  it('runs a demo: the same timeline as the library run of its fixture', async () => {
    const r = await cli('demo', 'renewal-day-15', '--format', 'jsonl');
    expect(r.code).toBe(0);
    expectJsonl(r.stdout);
    const fixtureFile = fixture('fixtures/demos/01-renewal-day-15.yaml');
    expect(r.stdout).toBe(runScenarioFile(fixtureFile).jsonl());
    const text = await cli('demo', 'renewal-day-15');
    expect(text.code).toBe(0);
    const story = demos.find((d) => d.name === 'renewal-day-15')?.story ?? '';
    expect(text.stdout).toContain(`## renewal-day-15: ${story}`);
    expect(text.stdout).toMatch(/# renewal-day-15: 1 device, seed 7, /);
    expect(text.stdout).toMatch(
      /2026-01-16T00:00:00\.000Z {2}laptop +session\.started +OMA-DM session starts \(renewal\)/,
    );
  });

  it('applies filters and --seed to a demo', async () => {
    const r = await cli('demo', 'battery-saver', '--format', 'jsonl', '--type', 'push.dropped');
    expect(r.code).toBe(0);
    expect(parse(r.stdout).map((o) => o['reason'])).toEqual(['offline', 'ttl-expired']);
    const a = await cli('demo', 'captive-portal-1607', '--format', 'jsonl');
    const b = await cli('demo', 'captive-portal-1607', '--format', 'jsonl', '--seed', '8');
    expect(b.code).toBe(0);
    expect(b.stdout).not.toBe(a.stdout);
  });

  it('--all runs every demo', async () => {
    const r = await cli('demo', '--all', '--format', 'jsonl', '--type', 'device.started');
    expect(r.code).toBe(0);
    expect(parse(r.stdout)).toHaveLength(demos.length);
    const text = await cli('demo', '--all', '--type', 'device.started');
    for (const d of demos) expect(text.stdout).toContain(`## ${d.name}: `);
  });

  it('exits 2 on an unknown demo, listing the known ones', async () => {
    const r = await cli('demo', 'no-such-demo');
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('no demo named "no-such-demo"');
    for (const d of demos) expect(r.stderr).toContain(d.name);
  });

  it('exits 2 on a bad flag', async () => {
    const r = await cli('demo', 'renewal-day-15', '--format', 'yaml');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--format');
  });
});

describe('dmpush: usage', () => {
  it.each([
    [[], /Usage: dmpush \[options\] \[command\]/],
    [['--help'], /Usage: dmpush \[options\] \[command\]/],
    [['help'], /Usage: dmpush \[options\] \[command\]/],
    [['run', '--help'], /Usage: dmpush run \[options\] <scenario>/],
    [['schedule', '--help'], /Usage: dmpush schedule \[options\]/],
    [['demo', '--help'], /Usage: dmpush demo \[options\] \[name\]/],
    [['help', 'schedule'], /Usage: dmpush schedule \[options\]/],
  ])('%j exits 0 and prints usage', async (argv, usage) => {
    const r = await cli(...argv);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(usage);
    expect(r.stderr).toBe('');
  });

  it('the top-level help lists every command', async () => {
    const r = await cli('--help');
    for (const command of ['run', 'schedule', 'demo'])
      expect(r.stdout).toMatch(new RegExp(`^ +${command}\\b`, 'm'));
  });

  it('command help lists its flags', async () => {
    expect((await cli('run', '--help')).stdout).toMatch(
      /--seed <n>[\s\S]*--format[\s\S]*--until[\s\S]*--device[\s\S]*--type/,
    );
    expect((await cli('schedule', '--help')).stdout).toMatch(
      /--os[\s\S]*--now[\s\S]*--expiry[\s\S]*--network[\s\S]*--json/,
    );
  });

  it('--version prints the package version', async () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    const r = await cli('--version');
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(pkg.version);
  });

  it.each([
    [['bogus'], /unknown command 'bogus'/],
    [['--bogus'], /unknown option '--bogus'/],
    [['run', BASIC, '--bogus'], /unknown option '--bogus'/],
    [
      [
        'schedule',
        '--os',
        '1607',
        '--now',
        '2026-01-20T00:00:00Z',
        '--expiry',
        'none',
        '--frobnicate',
      ],
      /unknown option '--frobnicate'/,
    ],
    [['demo', '--verbose'], /unknown option '--verbose'/],
  ])('%j exits 2 with a message', async (argv, message) => {
    const r = await cli(...argv);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toContain('--help');
  });
});

/** Escapes text for a RegExp. */
function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

describe('the built binary', () => {
  const bin = join(ROOT, 'dist/src/cli/main.js');

  it('exits 2 on a bad flag and 0 for schedule --json, as a real process', () => {
    const bad = spawnSync(
      process.execPath,
      [
        bin,
        'schedule',
        '--os',
        '1607',
        '--now',
        '2026-01-01T00:00:00Z',
        '--expiry',
        'none',
        '--bogus',
      ],
      { cwd: ROOT, encoding: 'utf8' },
    );
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("unknown option '--bogus'");

    const ok = spawnSync(
      process.execPath,
      [
        bin,
        'schedule',
        '--os',
        '1607',
        '--now',
        '2026-01-01T00:00:00Z',
        '--expiry',
        '2026-01-31T00:00:00Z',
        '--json',
      ],
      { cwd: ROOT, encoding: 'utf8' },
    );
    expect(ok.stderr).toBe('');
    expect(ok.status).toBe(0);
    expect(JSON.parse(ok.stdout)).toEqual({
      os: '1607',
      rule: 'fifteen-day-mark',
      at: '2026-01-16T00:00:00.000Z',
      earliest: '2026-01-16T00:00:00.000Z',
      latest: '2026-01-16T00:00:00.000Z',
    });
  });
});
