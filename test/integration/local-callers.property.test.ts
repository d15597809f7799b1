/**
 * Properties of the access checks of `dmpush serve`'s control and admin APIs, fuzzed over real
 * HTTP: random routes, Host, Origin, Content-Type and bodies. Whatever arrives, no 5xx; a foreign
 * Host is a 421, a foreign Origin on a state-changing route a 403, a body that is not JSON on a
 * JSON route a 415; and a request admitted past those checks is never refused by them.
 */
import fc from 'fast-check';
import { Agent, request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServe, type RunningServe } from '../../src/cli/commands/serve.js';
import { capture } from '../helpers/cli.js';
import { TEST_SERVE } from '../helpers/serve.js';

const RUNS = 300;
const ALLOWED = 'dmpush.test';

/** A route, and whether it takes a JSON body (`json`) or no body (`none`). */
interface Target {
  readonly server: 'control' | 'wns';
  readonly method: string;
  readonly path: string;
  readonly body: 'json' | 'none' | 'read';
  readonly valid: string;
  /** The valid body is always accepted (2xx). */
  readonly accepted?: true;
}

const TARGETS: readonly Target[] = [
  { server: 'control', method: 'GET', path: '/api/devices', body: 'read', valid: '' },
  { server: 'control', method: 'GET', path: '/api/events?limit=5', body: 'read', valid: '' },
  {
    server: 'control',
    method: 'PATCH',
    path: '/api/devices/laptop',
    body: 'json',
    valid: '{"battery":{"level":60}}',
    accepted: true,
  },
  {
    server: 'control',
    method: 'POST',
    path: '/api/devices/laptop/push',
    body: 'json',
    valid: '{"cachePolicy":"cache"}',
  },
  {
    server: 'control',
    method: 'POST',
    path: '/api/clock/advance',
    body: 'json',
    valid: '{"duration":"PT1M"}',
    accepted: true,
  },
  { server: 'wns', method: 'GET', path: '/_sim/channels', body: 'read', valid: '' },
  {
    server: 'wns',
    method: 'POST',
    path: '/_sim/channels',
    body: 'json',
    valid: '{"pfn":"unknown_pfn","deviceId":"fuzz"}',
  },
  {
    server: 'wns',
    method: 'POST',
    path: '/_sim/faults',
    body: 'json',
    valid: '{"op":"token","status":503,"count":0}',
  },
  { server: 'wns', method: 'DELETE', path: '/_sim/faults', body: 'none', valid: '' },
  { server: 'wns', method: 'POST', path: '/_sim/apps/nobody/block', body: 'none', valid: '' },
];

type HostKind = 'own' | 'localhost' | 'allowed' | 'foreign' | 'garbage';
type OriginKind = 'none' | 'same' | 'foreign' | 'null' | 'garbage';

const JSON_TYPES = ['application/json', 'application/json; charset=utf-8', 'application/ld+json'];
const OTHER_TYPES = [
  'text/plain',
  'text/plain;charset=UTF-8',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'text/xml',
];

const visible = fc
  .integer({ min: 0x21, max: 0x7e })
  .map((c) => String.fromCharCode(c))
  .filter((c) => c !== ',');
const garbage = fc.string({ unit: visible, minLength: 1, maxLength: 30 });

const caseArb = fc.record({
  target: fc.constantFrom(...TARGETS),
  host: fc.constantFrom<HostKind>('own', 'own', 'localhost', 'allowed', 'foreign', 'garbage'),
  hostGarbage: garbage,
  origin: fc.constantFrom<OriginKind>('none', 'none', 'same', 'foreign', 'null', 'garbage'),
  originGarbage: garbage,
  contentType: fc.oneof(
    fc.constant<string | null>(null),
    fc.constantFrom(...JSON_TYPES),
    fc.constantFrom(...OTHER_TYPES),
    garbage,
  ),
  validBody: fc.boolean(),
  bodyGarbage: fc.string({ maxLength: 60 }),
});
type Case = typeof caseArb extends fc.Arbitrary<infer T> ? T : never;

function send(
  port: number,
  agent: Agent,
  method: string,
  path: string,
  headers: Record<string, string>,
  body: string,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        agent,
        headers: { ...headers, 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** The Host header a case sends to a server on `port`. */
function hostHeader(c: Case, port: number): string {
  switch (c.host) {
    case 'own':
      return `127.0.0.1:${port}`;
    case 'localhost':
      return `localhost:${port}`;
    case 'allowed':
      return `${ALLOWED}:${port}`;
    case 'foreign':
      return `rebound.attacker.example:${port}`;
    case 'garbage':
      return c.hostGarbage;
  }
}

function originHeader(c: Case, host: string): string | null {
  switch (c.origin) {
    case 'none':
      return null;
    case 'same':
      return `http://${host}`;
    case 'foreign':
      return 'https://attacker.example';
    case 'null':
      return 'null';
    case 'garbage':
      return c.originGarbage;
  }
}

const isJsonType = (type: string | null): boolean =>
  type !== null && JSON_TYPES.includes(type.toLowerCase());

/** The refusal the access checks owe a case: a status, `host` (400 or 421), or null (none). */
function expectedRefusal(c: Case, origin: string | null): number | 'host' | null {
  const t = c.target;
  if (c.host === 'foreign') return 421;
  if (c.host === 'garbage') return 'host';
  if (t.body !== 'read' && origin !== null && c.origin !== 'same') return 403;
  const json = isJsonType(c.contentType);
  if (t.body === 'json' && !json) return 415;
  if (t.body === 'none' && c.contentType !== null && !json) return 415;
  return null;
}

describe('access checks of the control and admin APIs: properties over real HTTP', () => {
  let s: RunningServe;
  const agent = new Agent({ keepAlive: true, maxSockets: 2 });
  const ports: Record<Target['server'], number> = { control: 0, wns: 0 };

  beforeAll(async () => {
    s = await startServe(capture().io, { ...TEST_SERVE, allowHost: [ALLOWED] });
    ports.control = Number(new URL(s.controlUrl).port);
    ports.wns = Number(new URL(s.wnsUrl).port);
  });
  afterAll(async () => {
    agent.destroy();
    await s.close();
  });

  it('random Host, Origin and Content-Type: the right refusal, never a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(caseArb, async (c) => {
        const t = c.target;
        const port = ports[t.server];
        const host = hostHeader(c, port);
        const origin = originHeader(c, host);
        const headers: Record<string, string> = { host };
        if (origin !== null) headers['origin'] = origin;
        if (c.contentType !== null) headers['content-type'] = c.contentType;
        const body = t.body === 'read' ? '' : c.validBody ? t.valid : c.bodyGarbage;
        const res = await send(port, agent, t.method, t.path, headers, body);
        const said = `${t.method} ${t.path} host=${host} origin=${origin} type=${c.contentType} → ${res.status} ${res.text}`;
        expect(res.status, said).toBeLessThan(500);
        const refusal = expectedRefusal(c, origin);
        if (refusal === 'host') expect([400, 421], said).toContain(res.status);
        else if (refusal !== null) expect(res.status, said).toBe(refusal);
        else expect([403, 415, 421], said).not.toContain(res.status);
        if (t.accepted && c.validBody && refusal === null)
          expect(res.status, said).toBeLessThan(300);
      }),
      { numRuns: RUNS },
    );
  });
});
