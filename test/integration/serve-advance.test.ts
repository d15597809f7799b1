/**
 * Bounded, cancellable time on the control API (`src/adapters/http/control-advance.ts`): the most
 * one advance may skip, one advance at a time, `DELETE /api/clock/advance`, a client that leaves,
 * requests served during an advance, and `SIGTERM` mid-advance. Real HTTP on 127.0.0.1; the
 * fleet is `fixtures/serve/offline-busy.yaml`, whose every event is pure computation, so an
 * advance of years keeps the process busy for seconds. Nothing sleeps: waits are bounded by real
 * time.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServe, type RunningServe } from '../../src/cli/commands/serve.js';
import type { CliIo } from '../../src/cli/io.js';
import { cli, startProcess } from '../helpers/cli.js';
import { fresh, TEST_SERVE } from '../helpers/serve.js';
import { until } from '../helpers/until.js';

const io: CliIo = {
  stdout: () => undefined,
  stderr: () => undefined,
  readFile: (path) => readFileSync(path, 'utf8'),
};

const BUSY = { ...TEST_SERVE, scenario: 'fixtures/serve/offline-busy.yaml' };

/** What an advance answers (its own client, and a DELETE). */
interface AdvanceAnswer {
  readonly now: string;
  readonly from: string;
  readonly target: string;
  readonly completed: boolean;
  readonly cancelled?: string;
  readonly events: number;
  readonly error?: string;
}

interface Answer {
  readonly status: number;
  readonly body: AdvanceAnswer;
}

async function call(base: string, method: string, path: string, body?: unknown): Promise<Answer> {
  const res = await fresh(`${base}${path}`, {
    method,
    ...(body === undefined
      ? {}
      : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  });
  return { status: res.status, body: (await res.json()) as AdvanceAnswer };
}

const advance = (base: string, duration: string): Promise<Answer> =>
  call(base, 'POST', '/api/clock/advance', { duration });

async function clockNow(base: string): Promise<string> {
  return ((await (await fresh(`${base}/api/clock`)).json()) as { now: string }).now;
}

/** Asks until `check` holds, each try an HTTP round trip; fails after `timeoutMs` of real time. */
async function eventually(check: () => Promise<boolean>, what: string, timeoutMs = 10_000) {
  const deadline = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
  }
}

const YEAR_5 = 5 * 365 * 86_400_000;

describe('POST /api/clock/advance: the most one advance may skip', () => {
  let s: RunningServe;
  beforeAll(async () => {
    s = await startServe(io, { ...BUSY, maxAdvance: 'P1D' });
  });
  afterAll(() => s.close());

  it.each([
    [
      'P2D',
      /^duration: "P2D" is longer than one advance may skip: at most P1D \(dmpush serve --max-advance\)/,
    ],
    ['P99999999999D', /^duration: "P99999999999D" is longer .*at most P1D/],
    ['PT99999999999999999999S', /^duration: .*at most P1D/],
    ['P-1D', /^duration: expected zero or more, got "P-1D"/],
    ['soon', /^duration: expected an ISO 8601 duration/],
  ])('%s → 400 naming the field', async (duration, message) => {
    const before = s.clock.now();
    const answer = await advance(s.controlUrl, duration);
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatch(message);
    expect(s.clock.now()).toBe(before);
  });

  it('up to the maximum runs, and says it completed', async () => {
    const from = s.clock.now();
    const answer = await advance(s.controlUrl, 'P1D');
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ completed: true, now: answer.body.target });
    expect(Date.parse(answer.body.now) - from).toBe(86_400_000);
    expect(answer.body.events).toBeGreaterThan(2 * 1400);
  });
});

describe('dmpush serve --max-advance', () => {
  it.each(['soon', 'P0D'])('%s exits 2 naming the flag', async (value) => {
    const { code, err } = await cli(['serve', '--max-advance', value, '--memory']);
    expect(code).toBe(2);
    expect(err).toMatch(/--max-advance.*expected a positive ISO 8601 duration/);
  });
});

describe('one advance at a time, stopped by DELETE or by its client leaving', () => {
  let s: RunningServe;
  beforeAll(async () => {
    s = await startServe(io, BUSY);
  });
  afterAll(() => s.close());

  it('over the default maximum (P5Y) → 400 naming it', async () => {
    const answer = await advance(s.controlUrl, 'P5Y1D');
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatch(/^duration: .*at most P5Y/);
  });

  it('DELETE with none running → 409 saying so', async () => {
    const answer = await call(s.controlUrl, 'DELETE', '/api/clock/advance');
    expect(answer.status).toBe(409);
    expect(answer.body.error).toMatch(/^no advance is running \(the clock is at .*\)/);
  });

  it('serves requests meanwhile, refuses a second with 409, and DELETE stops it and answers both', async () => {
    const from = s.clock.now();
    let firstAnswered = false;
    const first = advance(s.controlUrl, 'P5Y').finally(() => (firstAnswered = true));
    await until(() => s.clock.now() > from, 'the advance to get under way');

    const health = await fresh(`${s.controlUrl}/api/health`);
    expect(health.status).toBe(200);
    expect(firstAnswered).toBe(false);

    const second = await advance(s.controlUrl, 'PT1M');
    expect(second.status).toBe(409);
    expect(second.body.error).toMatch(
      /^an advance is already running \(from .* to .*, now at .*\): wait for its answer, or stop it with DELETE \/api\/clock\/advance/,
    );
    expect(firstAnswered).toBe(false);

    const stopped = await call(s.controlUrl, 'DELETE', '/api/clock/advance');
    expect(stopped.status).toBe(200);
    expect(stopped.body).toMatchObject({ completed: false, cancelled: 'delete' });
    const reached = Date.parse(stopped.body.now);
    expect(reached).toBeGreaterThan(from);
    expect(reached).toBeLessThan(from + YEAR_5);
    expect(reached).toBe(s.clock.now());

    const answer = await first;
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual(stopped.body);
    // Stopped: time stays where it was.
    expect(await clockNow(s.controlUrl)).toBe(stopped.body.now);
  });

  it('a client that disconnects stops its advance; a new one is then accepted', async () => {
    const from = s.clock.now();
    const req = request(`${s.controlUrl}/api/clock/advance`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
    });
    req.on('error', () => undefined);
    req.end(JSON.stringify({ duration: 'P5Y' }));
    await until(() => s.clock.now() > from, 'the advance to get under way');
    req.destroy();

    let next: Answer | undefined;
    await eventually(async () => {
      next = await advance(s.controlUrl, 'PT0S');
      return next.status !== 409;
    }, 'the advance to stop');
    expect(next?.status).toBe(200);
    const reached = Date.parse(next?.body.now ?? '');
    expect(reached).toBeLessThan(from + YEAR_5);
    expect(await clockNow(s.controlUrl)).toBe(next?.body.now);
  });
});

describe('dmpush serve (built CLI) stopped with SIGTERM mid-advance', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('stops within seconds, commits where time stopped, and starts again from there', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dmpush-advance-'));
    dirs.push(dir);
    const args = [
      'serve',
      '--scenario',
      'fixtures/serve/offline-busy.yaml',
      '--no-enrollment',
      '--clock',
      'virtual',
      '--port',
      '0',
      '--no-timeline',
      '--log-level',
      'silent',
      '--state',
      join(dir, 'state.db'),
    ];
    const first = await startProcess(args, /control API: +(\S+)\/api\/devices/);
    const control = (first.match as unknown as [string, string])[1];
    const from = await clockNow(control);
    const answer = advance(control, 'P5Y').catch(() => null);
    let seen = from;
    await eventually(async () => {
      seen = await clockNow(control);
      return seen !== from;
    }, 'the advance to get under way');

    const t = performance.now();
    expect(await first.stop()).toBe(0);
    expect(performance.now() - t).toBeLessThan(5_000);
    const last = await answer;
    if (last) expect(last.body).toMatchObject({ completed: false, cancelled: 'shutdown' });

    const second = await startProcess(args, /restored: \d+ events/);
    try {
      const now = await clockNow(control);
      expect(Date.parse(now)).toBeGreaterThanOrEqual(Date.parse(seen));
      expect(Date.parse(now)).toBeLessThan(Date.parse(from) + YEAR_5);
      if (last) expect(now).toBe(last.body.now);
      const devices = (await (await fresh(`${control}/api/devices`)).json()) as unknown[];
      expect(devices).toHaveLength(2);
      const more = await advance(control, 'PT1H');
      expect(more.status).toBe(200);
      expect(more.body).toMatchObject({ completed: true, from: now });
      expect(more.body.events).toBeGreaterThanOrEqual(2 * 59);
    } finally {
      expect(await second.stop()).toBe(0);
    }
  });
});
