/**
 * The enrollment port over HTTPS (HttpEnrollmentService) against the spec enrollment server: what
 * a device says about itself becomes the enrollment's profile; the port's handlers hear discovery
 * and the outcome.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { SystemClock } from '../../src/adapters/clock/system-clock.js';
import { HttpEnrollmentService } from '../../src/adapters/enroll/enrollment-service.js';
import type { Discovered, EnrollOutcome, EnrollRequest } from '../../src/core/enroll/enrollment.js';
import { startSpecEnrollServer, type SpecEnrollServer } from '../helpers/spec-enroll-server.js';

const servers: SpecEnrollServer[] = [];
const clock = new SystemClock();
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const request = (deviceId: string, osVersion = '10.0.19045.3803'): EnrollRequest => ({
  deviceId,
  devId: `DEV${deviceId.toUpperCase()}`,
  hwDevId: `HW${deviceId.toUpperCase()}`,
  deviceName: `DESKTOP-${deviceId.toUpperCase()}`,
  osVersion,
});

function run(service: HttpEnrollmentService, req: EnrollRequest) {
  return new Promise<{ discovered: Discovered[]; outcome: EnrollOutcome }>((resolve) => {
    const discovered: Discovered[] = [];
    service.enroll(req, {
      discovered: (info) => discovered.push(info),
      done: (outcome) => resolve({ discovered, outcome }),
    });
  });
}

describe('HttpEnrollmentService', () => {
  it('enrolls a device: its identity in the Discover and RST, discovery reported, the certificate read', async () => {
    const server = await startSpecEnrollServer({ users: { 'sim-1@contoso.com': 'pw' } });
    servers.push(server);
    const service = new HttpEnrollmentService({
      discoveryUrl: server.discoveryUrl,
      email: '{deviceId}@contoso.com',
      credentials: { policy: 'OnPremise', user: 'sim-1@contoso.com', password: 'pw' },
      clock,
      ca: server.caPem,
    });
    const { discovered, outcome } = await run(service, request('sim-1'));
    expect(discovered).toEqual([
      {
        authPolicy: 'OnPremise',
        policyUrl: `${server.origin}/EnrollmentServer/Policy.svc`,
        enrollmentUrl: `${server.origin}/EnrollmentServer/Enrollment.svc`,
      },
    ]);
    if (!outcome.ok) throw new Error(outcome.reason);
    expect(outcome.certificate.thumbprint).toBe(server.issued[0]?.thumbprint);
    expect(outcome.certificate.subject).toBe('CN=DEVSIM-1');
    expect(outcome.identity.keyPem).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(server.issued[0]?.context).toMatchObject({
      DeviceID: ['DEVSIM-1'],
      HWDevID: ['HWSIM-1'],
      DeviceName: ['DESKTOP-SIM-1'],
      OSVersion: ['10.0.19045.3803'],
    });
    const discover = server.received.find((r) => r.method === 'POST')?.body ?? '';
    expect(discover).toContain('<EmailAddress>sim-1@contoso.com</EmailAddress>');
    expect(discover).toContain('<RequestVersion>4.0</RequestVersion>');
  });

  it('a Windows 11 build sends its version’s RequestVersion (25H2: 9.0; 24H2: 7.0)', async () => {
    const server = await startSpecEnrollServer({ users: { u: 'p' } });
    servers.push(server);
    const service = new HttpEnrollmentService({
      discoveryUrl: server.discoveryUrl,
      email: 'u',
      credentials: { policy: 'OnPremise', user: 'u', password: 'p' },
      clock,
      ca: server.caPem,
    });
    const { outcome } = await run(service, request('w11', '10.0.26200.7171'));
    expect(outcome.ok).toBe(true);
    expect(server.received.find((r) => r.method === 'POST')?.body).toContain(
      '<RequestVersion>9.0</RequestVersion>',
    );
    const older = await run(service, request('w11b', '10.0.26100.2605'));
    expect(older.outcome.ok).toBe(true);
    const discovers = server.received.filter((r) => r.body.includes('<RequestVersion>'));
    expect(discovers.at(-1)?.body).toContain('<RequestVersion>7.0</RequestVersion>');
  });

  it('a token command gives each device its Federated token; a failing one fails discovery', async () => {
    const server = await startSpecEnrollServer({
      authPolicy: 'Federated',
      tokens: ['tok-sim-a-1'],
    });
    servers.push(server);
    const service = new HttpEnrollmentService({
      discoveryUrl: server.discoveryUrl,
      email: '{deviceId}@contoso.com',
      credentials: { policy: 'Federated', tokenCommand: 'printf tok-%s-%s {deviceId} {n}' },
      clock,
      ca: server.caPem,
    });
    const first = await run(service, request('sim-a'));
    expect(first.outcome.ok).toBe(true);
    const second = await run(service, request('sim-b'));
    expect(second.outcome).toMatchObject({ ok: false, stage: 'policy', status: 200 });

    const failing = new HttpEnrollmentService({
      discoveryUrl: server.discoveryUrl,
      email: 'x',
      credentials: { policy: 'Federated', tokenCommand: 'exit 4' },
      clock,
      ca: server.caPem,
    });
    const { outcome, discovered } = await run(failing, request('sim-c'));
    expect(outcome).toEqual({
      ok: false,
      stage: 'discovery',
      status: 0,
      reason: 'the token command exited with code 4',
    });
    expect(discovered).toEqual([]);
  });
});
