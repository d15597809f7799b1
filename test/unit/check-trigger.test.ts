/**
 * The triggers of `dmpush check` (src/check/trigger.ts): `--trigger-url` is checked when it is
 * given (a usage error names what is wrong) and sends one request per trigger, the placeholders
 * URL-encoded; `--trigger-cmd` runs a shell command with the device's values in its environment,
 * never through the shell's parser. A trigger never rejects: a failure is `ok: false` with a
 * detail naming it. The requests go to a tiny HTTP server on 127.0.0.1; every wait is bounded by
 * a real-time timeout, none is a sleep.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { commandTrigger, urlTrigger, type TriggerTarget } from '../../src/check/trigger.js';
import { UsageError } from '../../src/cli/io.js';
import { freePort } from '../helpers/check-cli.js';

/** Real milliseconds a trigger may take in these tests. */
const TIMEOUT_MS = 5_000;

/** Values a shell would misread if they passed through its parser. */
const HOSTILE: TriggerTarget = {
  devId: "a'b;$(x)",
  channelUri: 'https://wns.example/?t=1&u="$(y)"',
};

/** A request the tiny server received. */
interface Received {
  readonly method: string;
  readonly url: string;
}

let server: Server | null = null;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = null;
});

/** Starts a server answering every request with `status` (never, when null); its base URL. */
async function serve(status: number | null, received: Received[] = []): Promise<string> {
  server = createServer((req, res) => {
    received.push({ method: req.method ?? '', url: req.url ?? '' });
    if (status === null) return;
    res.writeHead(status, status >= 300 && status < 400 ? { location: '/elsewhere' } : {});
    res.end();
  });
  const s = server;
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
}

/** The usage error `make` throws (fails when it throws none or another error). */
function usageErrorOf(make: () => unknown): UsageError {
  try {
    make();
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return error as UsageError;
  }
  throw new Error('expected a UsageError, none was thrown');
}

describe('--trigger-url: parsing', () => {
  it.each([
    ['GETT http://127.0.0.1/x', /METHOD one of GET, POST, PUT, PATCH, DELETE, got "GETT http/],
    ['http://127.0.0.1/x', /expected "METHOD URL"/],
    ['', /expected "METHOD URL"/],
    ['POST http://a/ extra', /expected "METHOD URL"/],
    ['POST ftp://x', /expected an http\(s\) URL, got "ftp:\/\/x"/],
    ['POST {deviceId}', /expected an http\(s\) URL/],
    ['DELETE http:///nohost', /expected an http\(s\) URL/],
  ])('%j is a usage error: %s', (spec, message) => {
    const error = usageErrorOf(() => urlTrigger(spec, TIMEOUT_MS));
    expect(error.message).toMatch(/^--trigger-url: /);
    expect(error.message).toMatch(message);
  });

  it('accepts a lower-case method and surrounding blanks', () => {
    expect(typeof urlTrigger('  post http://127.0.0.1:9/{deviceId}  ', TIMEOUT_MS)).toBe(
      'function',
    );
  });
});

describe('--trigger-url: sending', () => {
  it('sends the method, with {deviceId} and {channelUri} URL-encoded; a 2xx is success', async () => {
    const received: Received[] = [];
    const base = await serve(204, received);
    const trigger = urlTrigger(`put ${base}/push/{deviceId}?uri={channelUri}`, TIMEOUT_MS);
    const outcome = await trigger(HOSTILE);
    expect(received).toEqual([
      {
        method: 'PUT',
        url: `/push/${encodeURIComponent(HOSTILE.devId)}?uri=${encodeURIComponent(HOSTILE.channelUri)}`,
      },
    ]);
    expect(outcome).toMatchObject({ ok: true, detail: 'trigger PUT: HTTP 204' });
    expect(outcome.realMs).toBeGreaterThanOrEqual(0);
  });

  it.each([404, 500, 302])('an answer %i is a failure naming the status', async (status) => {
    const received: Received[] = [];
    const base = await serve(status, received);
    const outcome = await urlTrigger(`POST ${base}/push/{deviceId}`, TIMEOUT_MS)(HOSTILE);
    expect(outcome.ok).toBe(false);
    expect(outcome.detail).toBe(`trigger POST: answered HTTP ${status}`);
    // A redirect is not followed: one request only.
    expect(received).toHaveLength(1);
  });

  it('a closed port is a failure naming the error', async () => {
    const port = await freePort();
    const outcome = await urlTrigger(
      `POST http://127.0.0.1:${port}/{deviceId}`,
      TIMEOUT_MS,
    )(HOSTILE);
    expect(outcome.ok).toBe(false);
    expect(outcome.detail).toBe('trigger POST: ECONNREFUSED');
    expect(outcome.realMs).toBeGreaterThanOrEqual(0);
  });

  it('a server that never answers is a failure after the timeout', async () => {
    const base = await serve(null);
    const outcome = await urlTrigger(`GET ${base}/{deviceId}`, 300)(HOSTILE);
    expect(outcome).toMatchObject({ ok: false, detail: 'trigger GET: no answer within 300 ms' });
    expect(outcome.realMs).toBeGreaterThanOrEqual(250);
    expect(outcome.realMs).toBeLessThan(TIMEOUT_MS);
  });
});

describe('--trigger-cmd', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dmpush-trigger-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  let n = 0;
  /** A file for one command to write into. */
  const fileFor = (): string => join(dir, `out-${++n}.txt`);

  it('an empty command is a usage error', () => {
    expect(usageErrorOf(() => commandTrigger('   ', TIMEOUT_MS)).message).toBe(
      '--trigger-cmd: the command is empty',
    );
  });

  it('gets DMPUSH_DEVICE_ID and DMPUSH_CHANNEL_URI with hostile values intact', async () => {
    const file = fileFor();
    const trigger = commandTrigger(
      `printf '%s\\n%s' "$DMPUSH_DEVICE_ID" "$DMPUSH_CHANNEL_URI" > '${file}'`,
      TIMEOUT_MS,
    );
    const outcome = await trigger(HOSTILE);
    expect(outcome).toMatchObject({ ok: true, detail: 'trigger command: exit 0' });
    expect(outcome.realMs).toBeGreaterThanOrEqual(0);
    expect(readFileSync(file, 'utf8')).toBe(`${HOSTILE.devId}\n${HOSTILE.channelUri}`);
  });

  it('{deviceId} and {channelUri} in the command stand for the same values, unparsed', async () => {
    const file = fileFor();
    const trigger = commandTrigger(
      `printf '%s|%s' {deviceId} {channelUri} > '${file}'`,
      TIMEOUT_MS,
    );
    expect((await trigger(HOSTILE)).ok).toBe(true);
    expect(readFileSync(file, 'utf8')).toBe(`${HOSTILE.devId}|${HOSTILE.channelUri}`);
  });

  it('a command that fails is ok false, naming its exit code', async () => {
    const outcome = await commandTrigger('exit 3', TIMEOUT_MS)(HOSTILE);
    expect(outcome.ok).toBe(false);
    expect(outcome.detail).toBe('trigger command: the trigger command exited with code 3');
    expect(outcome.realMs).toBeGreaterThanOrEqual(0);
  });

  it('a command that outlasts the timeout is killed and named', async () => {
    const outcome = await commandTrigger('sleep 20', 300)(HOSTILE);
    expect(outcome).toMatchObject({
      ok: false,
      detail: 'trigger command: the trigger command did not finish within 300 ms',
    });
    expect(outcome.realMs).toBeLessThan(TIMEOUT_MS);
  });
});
