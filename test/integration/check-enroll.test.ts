/**
 * `dmpush check --enroll-url`: the devices enroll (MS-MDE2) with the server under check, then
 * open digest-authenticated sessions at the address of their provisioning document. The server
 * here is the reference MDM server, started by the test as a team would start theirs, with a
 * small HTTP endpoint of the test as its trigger.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SystemClock } from '../../src/adapters/clock/system-clock.js';
import {
  startReferenceMdm,
  type RunningReferenceMdm,
} from '../../src/adapters/mdm-server/start.js';
import { checkJson, DEMO_APP, freePort, resultsOf } from '../helpers/check-cli.js';

const USER = { user: 'check@contoso.com', password: 'check-password-1' };
const CHECKS = ['pfn-set', 'channel-read', 'status-read', 'push-wakes-session', 'syncml-hygiene'];

describe('dmpush check with --enroll-url', () => {
  const clock = new SystemClock();
  const dir = mkdtempSync(join(tmpdir(), 'dmpush-check-enroll-'));
  let reference: RunningReferenceMdm;
  let trigger: Server;
  let wnsPort: number;
  let triggerUrl: string;

  beforeAll(async () => {
    wnsPort = await freePort();
    reference = await startReferenceMdm({
      port: 0,
      pfn: DEMO_APP.pfn,
      wns: {
        tokenUrl: `http://127.0.0.1:${wnsPort}/accesstoken.srf`,
        sid: DEMO_APP.sid,
        secret: DEMO_APP.secret,
      },
      clock,
      enrollment: { authPolicy: 'OnPremise', users: [USER], caDir: dir },
    });
    // The team's own way to make its server push: POST /push/<DevId>.
    trigger = createServer((req, res) => {
      const devId = decodeURIComponent((req.url ?? '').replace(/^\/push\//, ''));
      void reference.push(devId).then((r) => {
        res.writeHead(r.outcome === 'sent' ? 202 : 409).end(r.outcome);
      });
    });
    await new Promise<void>((resolve) => trigger.listen(0, '127.0.0.1', resolve));
    triggerUrl = `http://127.0.0.1:${(trigger.address() as AddressInfo).port}/push/{deviceId}`;
  });
  afterAll(async () => {
    trigger.close();
    await reference.close();
    clock.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  const args = (password: string, only = CHECKS): string[] => [
    '--enroll-url',
    reference.enrollment?.urls.discovery ?? '',
    '--enroll-user',
    USER.user,
    '--enroll-password',
    password,
    '--wns-port',
    String(wnsPort),
    '--trigger-url',
    `POST ${triggerUrl}`,
    '--only',
    only.join(','),
    '--timeout',
    '5',
  ];

  it('enrolled devices are checked like managed ones: every check passes', async () => {
    const { code, report, err } = await checkJson(args(USER.password));
    expect(resultsOf(report), err).toEqual(Object.fromEntries(CHECKS.map((id) => [id, 'pass'])));
    expect(report?.server).toBe(reference.enrollment?.urls.discovery);
    expect(code).toBe(0);
  }, 60_000);

  it('a device that cannot enroll fails pfn-set, and the report says enrollment failed', async () => {
    const { code, report, err } = await checkJson(args('wrong-password', ['pfn-set']));
    expect(resultsOf(report), err).toEqual({ 'pfn-set': 'fail' });
    expect(JSON.stringify(report)).toMatch(/could not enroll/);
    expect(code).toBe(1);
  }, 60_000);
});
