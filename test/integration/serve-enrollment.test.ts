/**
 * `dmpush serve` with enrollment (the default with the reference server, and `--enroll-url` for a
 * user's server): the whole lifecycle over real sockets — enrollment, the first session, PFN,
 * channel, push, session — with digest-authenticated sessions; unenrollment; a restart that does
 * not enroll again; wrong credentials; secrets kept out of the API.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startServe, type ServeOptions } from '../../src/cli/commands/serve.js';
import { capture, cli } from '../helpers/cli.js';
import { TEST_SERVE, api, type EventJson } from '../helpers/serve.js';

/** The e2e fleet, enrolling with the reference server. */
const ENROLLING: ServeOptions = { ...TEST_SERVE, enrollment: true };

interface EnrollmentJson {
  readonly providerId: string;
  readonly managementUrl: string;
  readonly certificateThumbprint: string;
  readonly certificateSubject: string;
  readonly certificateNotAfter: string;
  readonly enrolledAt: string;
  readonly authType: string;
}

interface TreeNode {
  readonly uri: string;
  readonly value: string | null;
}

type Event = EventJson & Record<string, unknown>;

const ofDevice = (events: readonly Event[], device: string): Event[] =>
  events.filter((e) => e['device'] === device);

describe('dmpush serve: devices enroll with the reference server', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dmpush-enroll-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('enrolls, then runs the lifecycle with authenticated sessions: PFN, channel, push, session', async () => {
    const s = await startServe(capture().io, ENROLLING);
    try {
      const a = api(s);
      await a.advance('PT1M');
      const events = ofDevice((await a.events()) as Event[], 'laptop');
      const types = events.map((e) => e.type);
      expect(types.slice(0, 5)).toEqual([
        'device.started',
        'enrollment.started',
        'enrollment.discovered',
        'enrollment.completed',
        'session.started',
      ]);
      const sessions = events.filter((e) => e.type.startsWith('session.'));
      expect(sessions.filter((e) => e.type === 'session.failed')).toEqual([]);
      expect(sessions[0]).toMatchObject({ type: 'session.started', trigger: 'enrolled' });
      expect(types).toContain('channel.issued');
      const push = await a.json<{ outcome: string }>('POST', '/api/devices/laptop/push', {});
      expect(push.body.outcome).toBe('sent');
      await a.advance('PT1M');
      const after = ofDevice((await a.events('?device=laptop&type=session')) as Event[], 'laptop');
      expect(after.filter((e) => e.trigger === 'push').map((e) => e.type)).toEqual([
        'session.started',
        'session.completed',
      ]);
      // Every message after the first of a session carried a digest the server accepted.
      const records = s.reference?.enrollment?.registry.views() ?? [];
      expect(records.length).toBe(2);
    } finally {
      await s.close();
    }
  });

  it('shows the enrollment without key or secret, and two devices share nothing', async () => {
    const s = await startServe(capture().io, ENROLLING);
    try {
      const a = api(s);
      await a.advance('PT1M');
      const laptop = (await a.json<{ enrollment: EnrollmentJson }>('GET', '/api/devices/laptop'))
        .body.enrollment;
      const tablet = (await a.json<{ enrollment: EnrollmentJson }>('GET', '/api/devices/tablet'))
        .body.enrollment;
      expect(laptop).toMatchObject({ providerId: 'DMPUSH', authType: 'OnPremise' });
      expect(laptop.managementUrl).toMatch(/\/ManagementServer\/MDM\.svc$/);
      expect(laptop.certificateThumbprint).toMatch(/^[0-9A-F]{40}$/);
      expect(laptop.certificateSubject).toMatch(/^CN=/);
      expect(Date.parse(laptop.certificateNotAfter)).toBeGreaterThan(Date.parse(laptop.enrolledAt));
      expect(tablet.certificateThumbprint).not.toBe(laptop.certificateThumbprint);

      const everything = JSON.stringify([
        (await a.json('GET', '/api/devices')).body,
        await a.events(),
        (await a.json('GET', '/api/devices/laptop/tree')).body,
      ]);
      expect(everything).not.toMatch(/PRIVATE KEY|BEGIN CERTIFICATE/);
      const tree = (await a.json<TreeNode[]>('GET', '/api/devices/laptop/tree')).body;
      const names = tree.filter((n) => /\/AppAuth\/CLCRED\/AAuthName$/.test(n.uri));
      expect(names).toHaveLength(1);
      expect(tree.some((n) => /AAuthSecret$/.test(n.uri) && n.value)).toBe(false);
      const other = (await a.json<TreeNode[]>('GET', '/api/devices/tablet/tree')).body;
      const otherName = other.find((n) => /\/AppAuth\/CLCRED\/AAuthName$/.test(n.uri));
      expect(otherName?.value).not.toBe(names[0]?.value);
    } finally {
      await s.close();
    }
  });

  it('unenrolls on request: Alert 1226 in a session, then the enrollment is forgotten', async () => {
    const s = await startServe(capture().io, ENROLLING);
    try {
      const a = api(s);
      await a.advance('PT1M');
      const res = await a.json<{ enrollment: unknown }>('POST', '/api/devices/laptop/unenroll');
      expect(res.status).toBe(202);
      await a.advance('PT1M');
      const events = ofDevice((await a.events()) as Event[], 'laptop');
      expect(events.find((e) => e.type === 'unenrolled')).toMatchObject({
        providerId: 'DMPUSH',
        initiator: 'device',
      });
      expect(events.some((e) => e.type === 'session.started' && e.trigger === 'unenroll')).toBe(
        true,
      );
      expect(
        (await a.json<{ enrollment: unknown }>('GET', '/api/devices/laptop')).body.enrollment,
      ).toBeNull();
      const again = await a.json<{ error: string }>('POST', '/api/devices/laptop/unenroll');
      expect(again.status).toBe(409);
      expect(JSON.stringify(again.body)).toMatch(/not enrolled/);
      // No polls while unenrolled; POST …/enroll brings it back, with a new certificate.
      const polls = (await a.events('?device=laptop&type=session.started')).length;
      await a.advance('PT1H');
      expect((await a.events('?device=laptop&type=session.started')).length).toBe(polls);
      const back = await a.json('POST', '/api/devices/laptop/enroll');
      expect(back.status).toBe(202);
      await a.advance('PT1M');
      const enrolled = ofDevice(
        (await a.events('?type=enrollment.completed')) as Event[],
        'laptop',
      );
      expect(enrolled).toHaveLength(2);
      expect(enrolled[1]?.['certificateThumbprint']).not.toBe(
        enrolled[0]?.['certificateThumbprint'],
      );
      expect((await a.json('POST', '/api/devices/laptop/enroll')).status).toBe(409);
    } finally {
      await s.close();
    }
  });

  it('a restart with the same state file does not enroll again, and sessions still authenticate', async () => {
    const options: ServeOptions = { ...ENROLLING, memory: false, state: join(dir, 'state.db') };
    const first = await startServe(capture().io, options);
    let thumbprint: string;
    try {
      const a = api(first);
      await a.advance('PT1M');
      thumbprint = (await a.json<{ enrollment: EnrollmentJson }>('GET', '/api/devices/laptop')).body
        .enrollment.certificateThumbprint;
    } finally {
      await first.close();
    }
    const second = await startServe(capture().io, options);
    try {
      expect(second.restored).toBe(true);
      const a = api(second);
      const before = (await a.events()).length;
      const push = await a.json<{ outcome: string }>('POST', '/api/devices/laptop/push', {});
      expect(push.body.outcome).toBe('sent');
      await a.advance('PT1M');
      const fresh = ofDevice(((await a.events()) as Event[]).slice(before), 'laptop');
      expect(fresh.some((e) => e.type.startsWith('enrollment.'))).toBe(false);
      expect(fresh.filter((e) => e.type === 'session.failed')).toEqual([]);
      expect(fresh.filter((e) => e.type.startsWith('session.')).map((e) => e.type)).toEqual(
        expect.arrayContaining(['session.started', 'session.completed']),
      );
      const enrollment = (
        await a.json<{ enrollment: EnrollmentJson }>('GET', '/api/devices/laptop')
      ).body.enrollment;
      expect(enrollment.certificateThumbprint).toBe(thumbprint);
    } finally {
      await second.close();
    }
  });
});

describe('dmpush serve --enroll-url: enrolling with a server of your own', () => {
  it('wrong credentials fail at the policy stage, naming the fault; the device tries again later', async () => {
    const server = await startServe(capture().io, ENROLLING);
    try {
      const discovery = server.reference?.enrollment?.urls.discovery ?? '';
      const s = await startServe(capture().io, {
        ...ENROLLING,
        enroll: {
          url: discovery,
          email: '{deviceId}@example.test',
          credentials: { policy: 'OnPremise', user: 'dmpush', password: 'not-the-password' },
        },
      });
      try {
        expect(s.reference).toBeNull();
        const a = api(s);
        await a.advance('PT1M');
        const failed = ofDevice((await a.events('?type=enrollment')) as Event[], 'laptop');
        expect(failed.map((e) => e.type)).toEqual([
          'enrollment.started',
          'enrollment.discovered',
          'enrollment.failed',
        ]);
        expect(failed[2]).toMatchObject({ stage: 'policy' });
        expect(String(failed[2]?.['reason'])).not.toContain('not-the-password');
        await a.advance('PT31M');
        const again = ofDevice((await a.events('?type=enrollment.started')) as Event[], 'laptop');
        expect(again).toHaveLength(2);
      } finally {
        await s.close();
      }
    } finally {
      await server.close();
    }
  });

  it('--enroll-retry sets when a failed device tries again', async () => {
    const server = await startServe(capture().io, ENROLLING);
    try {
      const s = await startServe(capture().io, {
        ...ENROLLING,
        enrollRetry: 5 * 60_000,
        enroll: {
          url: server.reference?.enrollment?.urls.discovery ?? '',
          email: '{deviceId}@example.test',
          credentials: { policy: 'OnPremise', user: 'dmpush', password: 'wrong' },
        },
      });
      try {
        const a = api(s);
        await a.advance('PT11M');
        const started = ofDevice((await a.events('?type=enrollment.started')) as Event[], 'laptop');
        const gaps = started
          .slice(1)
          .map((e, i) => Date.parse(e.time) - Date.parse(started[i]?.time ?? ''));
        expect(gaps).toEqual([5 * 60_000, 5 * 60_000]);
      } finally {
        await s.close();
      }
    } finally {
      await server.close();
    }
  });

  it('refuses flags that do not fit together with exit 2', async () => {
    const lone = await cli(['serve', '--enroll-user', 'alice']);
    expect(lone.code).toBe(2);
    expect(lone.err).toMatch(/--enroll-user: needs --enroll-url/);
    const two = await cli([
      'serve',
      '--enroll-url',
      'https://example.test/EnrollmentServer/Discovery.svc',
      '--enroll-token',
      't',
      '--enroll-token-cmd',
      'echo t',
    ]);
    expect(two.code).toBe(2);
    expect(two.err).toMatch(/give one way to authenticate/);
    const half = await cli([
      'serve',
      '--enroll-url',
      'https://example.test/EnrollmentServer/Discovery.svc',
      '--enroll-user',
      'alice',
    ]);
    expect(half.code).toBe(2);
    expect(half.err).toMatch(/--enroll-user and --enroll-password go together/);
    const retry = await cli(['serve', '--enroll-retry', 'PT0S']);
    expect(retry.code).toBe(2);
    expect(retry.err).toMatch(/--enroll-retry.*positive ISO 8601 duration/);
    const url = await cli(['serve', '--enroll-url', 'ftp://x']);
    expect(url.code).toBe(2);
    expect(url.err).toMatch(/--enroll-url.*http\(s\) URL/);
  });
});
