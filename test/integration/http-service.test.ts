/**
 * Every dmpush server goes through the one HTTP service base (`src/adapters/http/service.ts`):
 * the same Content-Type check (415), body limit (413), error path (500 reported to onError),
 * commit before reply (503 with Retry-After), 404 and 405 with Allow. Real servers on 127.0.0.1,
 * real fetch.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { createControlApi } from '../../src/adapters/http/control-api.js';
import { HttpError } from '../../src/adapters/http/http-util.js';
import { createHttpService, type RequestSummary } from '../../src/adapters/http/service.js';
import { createWnsHttpServer } from '../../src/adapters/http/wns-http-server.js';
import { DmpushError } from '../../src/core/errors.js';
import { Simulation } from '../../src/core/simulation.js';
import { EventLog } from '../../src/core/timeline/event-log.js';
import { MemorySink } from '../../src/core/timeline/events.js';
import { VirtualClock } from '../../src/core/time/virtual-clock.js';
import { SYNCML_CONTENT_TYPE } from '../../src/core/syncml/message.js';
import { createReferenceMdmServer } from '../../src/adapters/mdm-server/http-server.js';
import { ReferenceMdm } from '../../src/mdm-server/reference-mdm.js';
import { loadScenario } from '../../src/scenario/load.js';
import { WnsEmulator } from '../../src/wns/emulator.js';
import { fixture } from '../helpers/run-scenario.js';
import { APP, T0 } from '../helpers/wns-harness.js';

/** What every server is started with: a spy for onError and a commit that can be made to fail. */
interface Hooks {
  readonly onError: (error: unknown, request: RequestSummary) => void;
  readonly beforeReply: () => void;
}

interface Running {
  readonly url: string;
  close(): Promise<void>;
  /** Makes the handler of `crash` throw an unexpected error. */
  breakHandler(): void;
}

interface Call {
  readonly method: string;
  readonly path: string;
  readonly headers?: Record<string, string>;
  readonly body?: string;
}

interface Target {
  readonly name: string;
  start(hooks: Hooks): Promise<Running>;
  /** A route that reads a body: a Content-Type it refuses, and its limit. */
  readonly body: { readonly call: Call; readonly wrongType: string; readonly limit: number } | null;
  /** A request whose handler throws once {@link Running.breakHandler} ran. */
  readonly crash: Call;
  /** A request with a normal answer (so it runs `beforeReply`). */
  readonly ok: Call;
  readonly notFound: string | null;
  readonly wrongMethod: { readonly call: Call; readonly allow: string } | null;
}

const MIB = 1024 * 1024;

function wnsEmulator(): WnsEmulator {
  return new WnsEmulator({
    clock: new VirtualClock({ start: T0 }),
    seed: 7,
    sink: new MemorySink(),
    baseUrl: 'http://127.0.0.1/',
    apps: [APP],
  });
}

async function startWns(hooks: Hooks): Promise<Running & { emulator: WnsEmulator }> {
  const emulator = wnsEmulator();
  const server = createWnsHttpServer(emulator, hooks);
  const { url } = await server.listen(0);
  return {
    url,
    emulator,
    close: () => server.close(),
    breakHandler: () => undefined,
  };
}

const classicForm = new URLSearchParams({
  grant_type: 'client_credentials',
  client_id: APP.sid,
  client_secret: APP.secret,
  scope: 'notify.windows.com',
}).toString();

const SCENARIO = `
name: http-service
seed: 1
duration: P1D
devices:
  - id: pc-1
    os: "1607"
    battery: { level: 80, charging: true }
    network: { type: wifi }
`;

const targets: readonly Target[] = [
  {
    name: 'WNS emulator (token and notify endpoints)',
    async start(hooks) {
      const running = await startWns(hooks);
      return {
        ...running,
        breakHandler: () => {
          running.emulator.service.classicToken = () => {
            throw new Error('boom');
          };
        },
      };
    },
    // The WNS protocol checks its own bodies (a form whatever its type; its own 413).
    body: null,
    crash: { method: 'POST', path: '/accesstoken.srf', body: classicForm },
    ok: { method: 'POST', path: '/accesstoken.srf', body: classicForm },
    notFound: '/favicon.ico',
    wrongMethod: null,
  },
  {
    name: 'WNS admin API (/_sim)',
    async start(hooks) {
      const running = await startWns(hooks);
      return {
        ...running,
        breakHandler: () => {
          running.emulator.apps.list = () => {
            throw new Error('boom');
          };
        },
      };
    },
    body: {
      call: { method: 'POST', path: '/_sim/apps', headers: { 'content-type': 'application/json' } },
      wrongType: 'text/xml',
      limit: MIB,
    },
    crash: { method: 'GET', path: '/_sim/apps' },
    ok: { method: 'GET', path: '/_sim/health' },
    notFound: '/_sim/nothing',
    wrongMethod: { call: { method: 'PUT', path: '/_sim/apps' }, allow: 'GET, POST' },
  },
  {
    name: 'control API',
    async start(hooks) {
      const spec = loadScenario(SCENARIO, {}, 'http-service');
      const events = new EventLog();
      const simulation = new Simulation(spec, events);
      const api = createControlApi({ simulation, events, ...hooks });
      const { url } = await api.listen(0);
      return {
        url,
        close: () => api.close(),
        breakHandler: () => {
          simulation.snapshots = () => {
            throw new Error('boom');
          };
        },
      };
    },
    body: {
      call: {
        method: 'PATCH',
        path: '/api/devices/pc-1',
        headers: { 'content-type': 'application/json' },
      },
      wrongType: 'application/xml',
      limit: MIB,
    },
    crash: { method: 'GET', path: '/api/devices' },
    ok: { method: 'GET', path: '/api/health' },
    notFound: '/nothing',
    wrongMethod: { call: { method: 'DELETE', path: '/api/devices/pc-1' }, allow: 'GET, PATCH' },
  },
  {
    name: 'reference MDM server',
    async start(hooks) {
      const mdm = new ReferenceMdm({ pfn: APP.pfn, now: () => T0 });
      const server = createReferenceMdmServer({ mdm, ...hooks });
      const { url } = await server.listen(0);
      return {
        url,
        close: () => server.close(),
        breakHandler: () => {
          mdm.handle = () => {
            throw new Error('boom');
          };
        },
      };
    },
    body: {
      call: {
        method: 'POST',
        path: '/ManagementServer/MDM.svc',
        headers: { 'content-type': SYNCML_CONTENT_TYPE },
      },
      wrongType: 'application/json',
      limit: MIB,
    },
    crash: { method: 'POST', path: '/x', headers: { 'content-type': SYNCML_CONTENT_TYPE } },
    ok: { method: 'POST', path: '/x', headers: { 'content-type': SYNCML_CONTENT_TYPE } },
    // Any path takes a SyncML POST: there is no unknown route.
    notFound: null,
    wrongMethod: { call: { method: 'GET', path: '/ManagementServer/MDM.svc' }, allow: 'POST' },
  },
];

const SYNCML = readFileSync(fixture('fixtures/syncml/device-package1.xml'), 'utf8');

/** `call`'s body: its own, or a valid one for the route (SyncML for the MDM server). */
function bodyOf(call: Call): string | undefined {
  if (call.body !== undefined) return call.body;
  if (call.headers?.['content-type'] === SYNCML_CONTENT_TYPE) return SYNCML;
  return undefined;
}

/** The error message of an answer, whatever the server's error format (JSON or text). */
async function errorText(res: Response): Promise<string> {
  const text = await res.text();
  if (!res.headers.get('content-type')?.startsWith('application/json')) return text;
  return (JSON.parse(text) as { error: string }).error;
}

describe.each(targets)('$name goes through the HTTP service base', (target) => {
  let running: Running | null = null;
  let failCommit = false;
  const reported: Array<{ error: unknown; request: RequestSummary }> = [];
  const hooks: Hooks = {
    onError: (error, request) => void reported.push({ error, request }),
    beforeReply: () => {
      if (failCommit) throw new Error('the state file is locked');
    },
  };
  const start = async (): Promise<Running> => {
    failCommit = false;
    reported.length = 0;
    running = await target.start(hooks);
    return running;
  };
  const send = (r: Running, call: Call, extra: RequestInit = {}): Promise<Response> =>
    fetch(`${r.url}${call.path}`, {
      method: call.method,
      headers: call.headers,
      body: bodyOf(call),
      ...extra,
    });

  afterEach(async () => {
    await running?.close();
    running = null;
  });

  // Not every server has such a route: the case applies where it does.
  if (target.body)
    it('a Content-Type the route does not take → 415 naming it', async () => {
      const r = await start();
      const { call, wrongType } = target.body!;
      const res = await send(r, call, {
        headers: { 'content-type': wrongType },
        body: bodyOf(call) ?? '{}',
      });
      expect(res.status).toBe(415);
      const error = await errorText(res);
      expect(error).toMatch(/^Content-Type: expected /);
      expect(error).toContain(`got ${wrongType}`);
    });

  // Not every server has such a route: the case applies where it does.
  if (target.body)
    it('a body over the limit → 413, and the server goes on', async () => {
      const r = await start();
      const { call, limit } = target.body!;
      const res = await send(r, call, { body: 'x'.repeat(limit + 1) });
      expect(res.status).toBe(413);
      expect(await errorText(res)).toContain(String(limit));
      expect((await send(r, target.ok)).status).toBe(200);
    });

  it('an unexpected exception → 500, reported to onError with the request (no query)', async () => {
    const r = await start();
    r.breakHandler();
    const crash = target.crash;
    const res = await send(r, { ...crash, path: `${crash.path}?q=secret` });
    expect(res.status).toBe(500);
    expect(await errorText(res)).toMatch(/^internal error/);
    expect(reported).toHaveLength(1);
    expect((reported[0]?.error as Error).message).toBe('boom');
    expect(reported[0]?.request).toEqual({ method: crash.method, path: crash.path });
    // The server goes on (another route, as the broken one stays broken).
    const other = await fetch(`${r.url}/_sim/health`);
    expect(other.status).toBeLessThan(500);
  });

  it('a failing commit before the reply → 503 with its message and Retry-After: 1', async () => {
    const r = await start();
    failCommit = true;
    const res = await send(r, target.ok);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(await errorText(res)).toBe('the state file is locked');
    failCommit = false;
    expect((await send(r, target.ok)).status).toBe(200);
  });

  // Not every server has such a route: the case applies where it does.
  if (target.notFound)
    it('an unknown route → 404', async () => {
      const r = await start();
      const res = await fetch(`${r.url}${target.notFound}`);
      expect(res.status).toBe(404);
      expect(await errorText(res)).toMatch(/no (admin )?route/);
    });

  // Not every server has such a route: the case applies where it does.
  if (target.wrongMethod)
    it('a wrong method → 405 with Allow', async () => {
      const r = await start();
      const { call, allow } = target.wrongMethod!;
      const res = await send(r, call);
      expect(res.status).toBe(405);
      expect(res.headers.get('allow')).toBe(allow);
      expect(await errorText(res)).toContain(call.method);
    });

  it('an HTTP/1.1 request without Host → 400 from the admission step', async () => {
    const r = await start();
    const { port } = new URL(r.url);
    const answer = await rawExchange(
      Number(port),
      `GET ${target.ok.path} HTTP/1.1\r\nConnection: close\r\n\r\n`,
    );
    expect(answer).toMatch(/^HTTP\/1\.1 400/);
    expect(answer).toContain('the Host header is missing');
  });
});

/** Sends raw bytes and resolves with everything the server answered. */
async function rawExchange(port: number, request: string): Promise<string> {
  const { connect } = await import('node:net');
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(request));
    let data = '';
    socket.on('data', (d: Buffer) => (data += d.toString('latin1')));
    socket.on('end', () => resolve(data));
    socket.on('error', reject);
  });
}

describe('the HTTP service base itself', () => {
  let close: (() => Promise<void>) | null = null;
  afterEach(async () => {
    await close?.();
    close = null;
  });

  it('HttpError is a DmpushError with code E_HTTP and its wire status', () => {
    const error = new HttpError(409, 'taken', { allow: 'GET' });
    expect(error).toBeInstanceOf(DmpushError);
    expect(error.code).toBe('E_HTTP');
    expect(error.name).toBe('HttpError');
    expect(error.status).toBe(409);
  });

  it('without onError, an unexpected exception is logged through the logger given', async () => {
    const logged: Array<{ fields: Record<string, unknown>; message: string }> = [];
    const service = createHttpService({
      name: 'example',
      routes: [
        {
          method: 'GET',
          path: '/crash',
          handle: () => {
            throw new TypeError('broken');
          },
        },
      ],
      logger: { error: (fields, message) => void logged.push({ fields, message }) },
    });
    const { url } = await service.listen(0);
    close = () => service.close();
    const res = await fetch(`${url}/crash?secret=1`);
    expect(res.status).toBe(500);
    expect(logged).toHaveLength(1);
    expect(logged[0]?.fields).toMatchObject({
      service: 'example',
      method: 'GET',
      path: '/crash',
      error: 'TypeError: broken',
    });
    expect(JSON.stringify(logged)).not.toContain('secret=1');
  });

  it('runs the admission checks before routing, on every route', async () => {
    const seen: string[] = [];
    const service = createHttpService({
      name: 'example',
      routes: [{ method: 'GET', path: '/a', handle: (x) => x.sendJson(200, { ok: true }) }],
      admission: [
        (req, target) => {
          seen.push(target.path);
          if (req.headers['x-refuse'] !== undefined) throw new HttpError(403, 'refused');
        },
      ],
    });
    const { url } = await service.listen(0);
    close = () => service.close();
    expect((await fetch(`${url}/a`)).status).toBe(200);
    expect((await fetch(`${url}/a`, { headers: { 'x-refuse': '1' } })).status).toBe(403);
    expect((await fetch(`${url}/missing`, { headers: { 'x-refuse': '1' } })).status).toBe(403);
    expect(seen).toEqual(['/a', '/a', '/missing']);
  });

  it('a route with a param gets it percent-decoded; bad percent-encoding → 400', async () => {
    const service = createHttpService({
      name: 'example',
      routes: [
        { method: 'GET', path: '/d/:id', handle: (x) => x.sendJson(200, { id: x.params['id'] }) },
      ],
    });
    const { url } = await service.listen(0);
    close = () => service.close();
    const res = await fetch(`${url}/d/${encodeURIComponent('room 1/desk')}`);
    expect(await res.json()).toEqual({ id: 'room 1/desk' });
    expect((await fetch(`${url}/d/%E0%A4%A`)).status).toBe(400);
  });

  it('a port in use is refused with the error code the CLI names', async () => {
    const first = createHttpService({ name: 'a', routes: [] });
    const { port } = await first.listen(0);
    const second = createHttpService({ name: 'b', routes: [] });
    close = () => first.close();
    await expect(second.listen(port)).rejects.toMatchObject({ code: 'EADDRINUSE' });
    await second.close();
  });
});
