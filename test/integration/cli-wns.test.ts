import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import {
  REDACT,
  startWns,
  type RunningWns,
  type WnsCommandOptions,
} from '../../src/cli/commands/wns.js';
import { runCli } from '../../src/cli/main.js';
import { ROOT } from '../helpers/run-scenario.js';
import { capture, startProcess } from '../helpers/cli.js';

const DEMO = readFileSync(join(ROOT, 'fixtures/apps/demo.yaml'), 'utf8');
const demoField = (name: string): string =>
  (new RegExp(`${name}: (\\S+)`).exec(DEMO) as RegExpExecArray)[1] as string;

const base: WnsCommandOptions = {
  host: '127.0.0.1',
  port: 0,
  clock: 'virtual',
  tls: false,
  certDir: '',
  seed: 1,
  logLevel: 'info',
};

/** A pino logger writing into a string. */
function memoryLogger(): { logger: ReturnType<typeof pino>; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      text += chunk.toString();
      done();
    },
  });
  return {
    logger: pino({ level: 'debug', redact: { paths: REDACT, censor: '[redacted]' } }, stream),
    text: () => text,
  };
}

const running: RunningWns[] = [];
afterEach(async () => {
  for (const r of running.splice(0)) await r.close();
});

async function token(url: string): Promise<string> {
  const res = await fetch(`${url}/accesstoken.srf`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: demoField('sid'),
      client_secret: demoField('secret'),
      scope: 'notify.windows.com',
    }),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { access_token: string }).access_token;
}

describe('dmpush wns (in process)', () => {
  it('starts on a free port with the demo app, prints where it listens and the demo credentials', async () => {
    const c = capture();
    const log = memoryLogger();
    const wns = await startWns(c.io, base, log.logger);
    running.push(wns);
    expect(wns.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(c.out()).toContain(`dmpush wns listening on ${wns.url} (virtual clock)`);
    expect(c.out()).toContain(`PFN:      ${demoField('pfn')}`);
    expect(c.out()).toContain(`secret:   ${demoField('secret')}`);
    expect((await fetch(`${wns.url}/_sim/health`)).status).toBe(200);

    // The whole sender flow against the running emulator.
    const access = await token(wns.url);
    const created = await fetch(`${wns.url}/_sim/channels`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ pfn: demoField('pfn'), deviceId: 'inbox-1', connected: true }),
    });
    expect(created.status).toBe(201);
    const { channelUri } = (await created.json()) as { channelUri: string };
    expect(channelUri.startsWith(`${wns.url}/?token=`)).toBe(true);
    const sent = await fetch(channelUri, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${access}`,
        'x-wns-type': 'wns/raw',
        'content-type': 'application/octet-stream',
      },
      body: 'hi',
    });
    expect(sent.status).toBe(200);
    expect(sent.headers.get('x-wns-status')).toBe('received');
    const inbox = (await (
      await fetch(`${wns.url}/_sim/devices/inbox-1/inbox`)
    ).json()) as unknown[];
    expect(inbox).toHaveLength(1);

    // Structured request logs, with no secret and no token in them.
    const logs = log.text();
    expect(logs).toContain('"path":"/accesstoken.srf"');
    expect(logs).not.toContain(demoField('secret'));
    expect(logs).not.toContain(access);
  });

  it('takes lifetimes and throttles from flags: a 1-hour token expires after the admin clock moves 1 h', async () => {
    const c = capture();
    const wns = await startWns(
      c.io,
      { ...base, tokenLifetime: 'PT1H', channelRate: '1/1' },
      memoryLogger().logger,
    );
    running.push(wns);
    const access = await token(wns.url);
    const created = await fetch(`${wns.url}/_sim/channels`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ pfn: demoField('pfn'), deviceId: 'd', connected: true }),
    });
    const { channelUri } = (await created.json()) as { channelUri: string };
    const push = (): Promise<Response> =>
      fetch(channelUri, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${access}`,
          'x-wns-type': 'wns/raw',
          'content-type': 'application/octet-stream',
        },
        body: 'x',
      });
    expect((await push()).status).toBe(200);
    expect((await push()).status).toBe(406);
    await fetch(`${wns.url}/_sim/clock/advance`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ duration: 'PT1H' }),
    });
    const expired = await push();
    expect(expired.status).toBe(401);
    expect(expired.headers.get('x-wns-error-description')).toBe('Token expired');
  });

  it('takes --cache-max-age: a cached push is dropped (cache-expired) once it has waited that long', async () => {
    const log = memoryLogger();
    const wns = await startWns(capture().io, { ...base, cacheMaxAge: 'PT1H' }, log.logger);
    running.push(wns);
    const access = await token(wns.url);
    const created = await fetch(`${wns.url}/_sim/channels`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ pfn: demoField('pfn'), deviceId: 'away', connected: false }),
    });
    const { channelUri } = (await created.json()) as { channelUri: string };
    const sent = await fetch(channelUri, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${access}`,
        'x-wns-type': 'wns/raw',
        'x-wns-cache-policy': 'cache',
        'content-type': 'application/octet-stream',
      },
      body: 'x',
    });
    expect(sent.status).toBe(200);
    await fetch(`${wns.url}/_sim/clock/advance`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ duration: 'PT1H' }),
    });
    await fetch(`${wns.url}/_sim/devices/away/connection`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ connected: true }),
    });
    const inbox = await fetch(`${wns.url}/_sim/devices/away/inbox`);
    expect(await inbox.json()).toEqual([]);
    expect(log.text()).toContain('"reason":"cache-expired"');
  });

  it('serves HTTPS with a local CA, for the Microsoft host names, with channel URIs on the public host', async () => {
    const certDir = mkdtempSync(join(tmpdir(), 'dmpush-tls-'));
    const c = capture();
    const wns = await startWns(
      c.io,
      { ...base, tls: true, certDir, publicHost: 'db5.notify.windows.com' },
      memoryLogger().logger,
    );
    running.push(wns);
    expect(wns.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const port = Number(new URL(wns.url).port);
    const ca = readFileSync(join(certDir, 'ca.pem'), 'utf8');
    expect(c.out()).toContain(`trust ${join(certDir, 'ca.pem')}`);
    const get = (servername: string): Promise<number> =>
      new Promise((resolve, reject) => {
        const req = request(
          { host: '127.0.0.1', port, path: '/_sim/health', servername, ca },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on('error', reject);
        req.end();
      });
    expect(await get('login.live.com')).toBe(200);
    expect(await get('db5.notify.windows.com')).toBe(200);
    await expect(get('example.com')).rejects.toThrow(/altnames/);
    const created = await fetch(`${wns.url.replace('https', 'http')}/_sim/health`).catch(
      (e: Error) => e,
    );
    expect(created).toBeInstanceOf(Error); // plain HTTP is not served in TLS mode
    const channels = await startChannel(wns);
    expect(channels).toMatch(new RegExp(`^https://db5\\.notify\\.windows\\.com:${port}/\\?token=`));
  });
});

/** Creates an inbox channel through the emulator object (the admin API over TLS needs the CA). */
async function startChannel(wns: RunningWns): Promise<string> {
  await Promise.resolve();
  const grant = wns.emulator.createInboxChannel(demoField('pfn'), 'tls-inbox', true);
  if ('error' in grant) throw new Error(grant.error);
  return grant.channelUri;
}

describe('dmpush wns: live channel URIs', () => {
  it('are unguessable: two emulators with the same seed issue different tokens for the same device', async () => {
    const uris: string[] = [];
    for (let i = 0; i < 2; i++) {
      const wns = await startWns(capture().io, base, memoryLogger().logger);
      running.push(wns);
      const grant = wns.emulator.createInboxChannel(demoField('pfn'), 'same-device', true);
      if ('error' in grant) throw new Error(grant.error);
      uris.push(new URL(grant.channelUri).searchParams.get('token') ?? '');
    }
    expect(uris[0]).not.toBe(uris[1]);
    expect(uris[0]?.length).toBeGreaterThanOrEqual(40);
  });
});

describe('dmpush wns: bad input exits 2 naming it', () => {
  const run = async (argv: string[]): Promise<{ code: number; err: string }> => {
    const c = capture();
    const code = await runCli(argv, c.io);
    return { code, err: c.err() };
  };

  it('an apps file with a bad entry', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dmpush-apps-'));
    const file = join(dir, 'apps.yaml');
    writeFileSync(
      file,
      `- pfn: Contoso.MDM_8wekyb3d8bbwe\n  sid: not-a-sid\n  secret: long-enough-secret\n`,
    );
    const { code, err } = await run(['wns', '--apps', file, '--port', '0']);
    expect(code).toBe(2);
    expect(err).toContain(`${file} is not a valid apps file`);
    expect(err).toContain('apps[0].sid: expected a Package SID');
  });

  it.each([
    [['--port', '70000'], /--port <n>.*expected a port from 0 to 65535/],
    [['--channel-rate', 'fast'], /--channel-rate <rate>.*expected <per second>\/<burst>/],
    [['--token-lifetime', 'P0D'], /--token-lifetime <duration>.*positive ISO 8601 duration/],
    [['--clock', 'sundial'], /--clock.*sundial.*Allowed choices are system, virtual/],
    [['--block-after', '0'], /--block-after <n>.*whole number from 1/],
  ])('wns %j', async (flags, message) => {
    const { code, err } = await run(['wns', ...flags]);
    expect(code).toBe(2);
    expect(err).toMatch(message);
  });

  it('a missing apps file', async () => {
    const { code, err } = await run(['wns', '--apps', '/nonexistent/apps.yaml']);
    expect(code).toBe(2);
    expect(err).toContain('cannot read apps file /nonexistent/apps.yaml: ENOENT');
  });
});

describe('dmpush wns as a process', () => {
  it('stops cleanly on SIGTERM (exit 0) after printing where it listens', async () => {
    const wns = await startProcess(
      ['wns', '--port', '0', '--log-level', 'silent'],
      /listening on (\S+)/,
    );
    const url = wns.match[1] as string;
    expect((await fetch(`${url}/_sim/health`)).status).toBe(200);
    expect(await wns.stop()).toBe(0);
  });
});
