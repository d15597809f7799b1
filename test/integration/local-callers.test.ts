/**
 * Local servers answer local, same-origin callers only: what a page on another site or a rebound
 * DNS name could do to `dmpush serve` (control API, WNS emulator, reference MDM server), tried over
 * real HTTP and WebSocket on 127.0.0.1.
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startServe, type RunningServe } from '../../src/cli/commands/serve.js';
import { TEST_SERVE } from '../helpers/serve.js';
import { capture, cli } from '../helpers/cli.js';

interface Answer {
  readonly status: number;
  readonly text: string;
  readonly headers: Record<string, string | string[] | undefined>;
}

/** One request with exactly these headers (fetch would not let a test set Host). */
function call(
  base: string,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body = '',
): Promise<Answer> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: url.port,
        method,
        path,
        headers: { ...headers, 'content-length': Buffer.byteLength(body), connection: 'close' },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text, headers: res.headers }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const JSON_TYPE = { 'content-type': 'application/json' };
const hostOf = (base: string): string => new URL(base).host;

/** Opens a WebSocket; resolves with the status of a refused upgrade, or 101. */
function upgrade(url: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.on('open', () => {
      ws.close();
      resolve(101);
    });
    ws.on('unexpected-response', (_req, res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    ws.on('error', reject);
  });
}

describe('dmpush serve answers local, same-origin callers only', () => {
  let s: RunningServe;

  beforeAll(async () => {
    s = await startServe(capture().io, { ...TEST_SERVE, allowHost: ['dmpush.test'] });
  });
  afterAll(() => s.close());

  it('a foreign Host (DNS rebinding) gets 421 naming it on every server', async () => {
    for (const [base, path] of [
      [s.controlUrl, '/api/devices'],
      [s.wnsUrl, '/_sim/channels'],
      [s.wnsUrl, '/accesstoken.srf'],
      [s.mdmUrl ?? '', '/'],
    ] as const) {
      const res = await call(base, 'GET', path, { host: 'attacker.example:7070' });
      expect(res.status, `${base}${path}`).toBe(421);
      expect(res.text).toContain('attacker.example');
      expect(res.text).toContain('--allow-host attacker.example');
    }
  });

  it('loopback names, the address reached and --allow-host names are served', async () => {
    const port = new URL(s.controlUrl).port;
    for (const host of [
      `localhost:${port}`,
      `127.0.0.1:${port}`,
      `dmpush.test:${port}`,
      'DMPUSH.TEST',
    ])
      expect((await call(s.controlUrl, 'GET', '/api/devices', { host })).status, host).toBe(200);
  });

  it('a cross-site push (text/plain, no-cors) is refused before it reaches the device', async () => {
    const before = await call(s.controlUrl, 'GET', '/api/events?type=push-sent');
    const plain = await call(
      s.controlUrl,
      'POST',
      '/api/devices/laptop/push',
      { 'content-type': 'text/plain;charset=UTF-8', origin: 'https://attacker.example' },
      '{}',
    );
    expect(plain.status).toBe(403);
    expect(plain.text).toContain('https://attacker.example');
    // Without an Origin (a script that is not a browser), text/plain is still not JSON.
    const noOrigin = await call(
      s.controlUrl,
      'POST',
      '/api/devices/laptop/push',
      { 'content-type': 'text/plain' },
      '{}',
    );
    expect(noOrigin.status).toBe(415);
    expect(JSON.parse(noOrigin.text)).toEqual({
      error: 'Content-Type: expected application/json, got text/plain',
    });
    const after = await call(s.controlUrl, 'GET', '/api/events?type=push-sent');
    expect(after.text).toBe(before.text);
  });

  it('a foreign Origin is refused on every state-changing control route, even with JSON', async () => {
    const foreign = { ...JSON_TYPE, origin: 'http://attacker.example' };
    for (const [method, path, body] of [
      ['POST', '/api/devices/laptop/push', '{}'],
      ['PATCH', '/api/devices/laptop', '{"battery":{"level":3}}'],
      ['POST', '/api/clock/advance', '{"duration":"PT1H"}'],
    ] as const) {
      const res = await call(s.controlUrl, method, path, foreign, body);
      expect(res.status, `${method} ${path}`).toBe(403);
    }
    const nullOrigin = await call(
      s.controlUrl,
      'PATCH',
      '/api/devices/laptop',
      { ...JSON_TYPE, origin: 'null' },
      '{}',
    );
    expect(nullOrigin.status).toBe(403);
    // The dashboard's own requests (same origin) work.
    const own = await call(
      s.controlUrl,
      'PATCH',
      '/api/devices/laptop',
      { ...JSON_TYPE, origin: `http://${hostOf(s.controlUrl)}` },
      '{"battery":{"level":81}}',
    );
    expect(own.status).toBe(200);
    // Reads are not refused (a foreign page cannot read them: no CORS headers).
    const read = await call(s.controlUrl, 'GET', '/api/devices', {
      origin: 'http://attacker.example',
    });
    expect(read.status).toBe(200);
    expect(read.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('the WNS admin API refuses cross-site faults and apps; its sender endpoints take what senders send', async () => {
    const fault = await call(
      s.wnsUrl,
      'POST',
      '/_sim/faults',
      { 'content-type': 'text/plain' },
      '{"op":"notify","status":500}',
    );
    expect(fault.status).toBe(415);
    const app = await call(
      s.wnsUrl,
      'POST',
      '/_sim/apps',
      { ...JSON_TYPE, origin: 'https://attacker.example' },
      '{"pfn":"Evil_1","sid":"ms-app://evil","secret":"s"}',
    );
    expect(app.status).toBe(403);
    const reset = await call(s.wnsUrl, 'POST', '/_sim/reset', {
      origin: 'https://attacker.example',
    });
    expect(reset.status).toBe(403);
    const form = await call(
      s.wnsUrl,
      'POST',
      '/_sim/reset',
      { 'content-type': 'application/x-www-form-urlencoded' },
      'a=b',
    );
    expect(form.status).toBe(415);
    expect((await call(s.wnsUrl, 'GET', '/_sim/faults')).text).toBe('[]');
    // A sender's token request: a form, no Origin.
    const token = await call(
      s.wnsUrl,
      'POST',
      '/accesstoken.srf',
      { 'content-type': 'application/x-www-form-urlencoded' },
      'grant_type=client_credentials&client_id=x&client_secret=y&scope=notify.windows.com',
    );
    expect(token.status).toBe(400); // unknown app: WNS's own answer, not an access refusal
    expect(token.text).toContain('invalid_client');
  });

  it('the live WebSocket refuses a foreign Origin and a foreign Host', async () => {
    const live = `${s.controlUrl.replace(/^http/, 'ws')}/api/live`;
    expect(await upgrade(live, { origin: 'https://attacker.example' })).toBe(403);
    expect(await upgrade(live, { host: 'attacker.example' })).toBe(421);
    expect(await upgrade(live, { origin: `http://${hostOf(s.controlUrl)}` })).toBe(101);
    expect(await upgrade(live)).toBe(101);
  });
});

describe('--api-token protects the control and admin APIs', () => {
  const TOKEN = 'test-api-token-0123456789';
  let s: RunningServe;
  const bearer = { authorization: `Bearer ${TOKEN}` };

  beforeAll(async () => {
    s = await startServe(capture().io, { ...TEST_SERVE, apiToken: TOKEN });
  });
  afterAll(() => s.close());

  it('the control API needs the token but for its page and health', async () => {
    const none = await call(s.controlUrl, 'GET', '/api/devices');
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toBe('Bearer realm="dmpush"');
    expect((JSON.parse(none.text) as { error: string }).error).toMatch(/requires a token/);
    const wrong = await call(s.controlUrl, 'GET', '/api/devices', { authorization: 'Bearer nope' });
    expect(wrong.status).toBe(401);
    expect(wrong.headers['www-authenticate']).toContain('invalid_token');
    expect((await call(s.controlUrl, 'GET', '/api/devices', bearer)).status).toBe(200);
    expect(
      (
        await call(
          s.controlUrl,
          'POST',
          '/api/clock/advance',
          { ...JSON_TYPE },
          '{"duration":"PT1M"}',
        )
      ).status,
    ).toBe(401);
    expect((await call(s.controlUrl, 'GET', '/api/health')).status).toBe(200);
    expect((await call(s.controlUrl, 'GET', '/')).status).toBe(200);
  });

  it('the admin API needs it too; the token and notify endpoints do not', async () => {
    expect((await call(s.wnsUrl, 'GET', '/_sim/journal')).status).toBe(401);
    expect((await call(s.wnsUrl, 'GET', '/_sim/journal', bearer)).status).toBe(200);
    expect((await call(s.wnsUrl, 'GET', '/_sim/health')).status).toBe(200);
    const token = await call(
      s.wnsUrl,
      'POST',
      '/accesstoken.srf',
      { 'content-type': 'application/x-www-form-urlencoded' },
      'grant_type=client_credentials',
    );
    expect(token.status).toBe(400);
  });

  it('the live WebSocket takes the token as access_token (browsers cannot set headers on it)', async () => {
    const live = `${s.controlUrl.replace(/^http/, 'ws')}/api/live`;
    expect(await upgrade(live)).toBe(401);
    expect(await upgrade(`${live}?access_token=wrong-token-0123456`)).toBe(401);
    expect(await upgrade(`${live}?access_token=${TOKEN}`)).toBe(101);
    expect(await upgrade(live, bearer)).toBe(101);
  });
});

describe('the access flags on the command line', () => {
  it.each([
    [['serve', '--api-token', 'short'], /--api-token.*at least 16 characters/],
    [['wns', '--api-token', 'has spaces in it, sadly'], /--api-token.*without spaces/],
    [['serve', '--allow-host', 'dmpush.test:8080'], /--allow-host.*expected a host name/],
    [['wns', '--allow-host', 'http://evil.example'], /--allow-host.*expected a host name/],
  ])('%j exits 2 naming the flag', async (argv, message) => {
    const r = await cli(argv);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect(r.err).not.toMatch(/\n\s+at /);
  });
});

describe('a Content-Type that names no media type', () => {
  let s: RunningServe;
  beforeAll(async () => {
    s = await startServe(capture().io, TEST_SERVE);
  });
  afterAll(() => s.close());

  // Found by the property test: `;!` was read as no Content-Type at all.
  it('is refused on a state-changing admin route without a body, naming the value', async () => {
    const res = await call(s.wnsUrl, 'DELETE', '/_sim/faults', { 'content-type': ';!' });
    expect(res.status).toBe(415);
    expect(JSON.parse(res.text)).toEqual({
      error: 'Content-Type: expected application/json, got ";!"',
    });
    expect((await call(s.wnsUrl, 'DELETE', '/_sim/faults')).status).toBe(204);
  });
});
