/**
 * Enrollment on the timeline: events in, lane items out. An attempt is a band from
 * `enrollment.started` to its end (failed ones styled and worded with their stage), the enrolled
 * period runs until `unenrolled` (a point) or the end, the sessions lane colours the `enrolled`
 * and `unenroll` triggers, and the summary counts it all. A fleet that never enrolls keeps its
 * lanes as before.
 */
import { describe, expect, it } from 'vitest';
import type { TimelineEvent } from '../../src/core/timeline/events.js';
import { HOUR, MINUTE, SECOND } from '../../src/core/time/iso.js';
import {
  buildTimelineModel,
  LANES,
  LEGEND,
  type LaneKind,
  type TimelineItem,
  type TimelineModel,
} from '../../src/report/timeline-model.js';
import { buildDeviceTimeline } from '../../src/report/timeline-window.js';

const T0 = Date.parse('2026-03-02T08:00:00Z');
const DISCOVERY = 'https://enterpriseenrollment.contoso.com/EnrollmentServer/Discovery.svc';
const THUMBPRINT = '3A7F0C9E1B2D4F6A8C0E2B4D6F8A0C2E4B6D8F0A';

const started = (device: string, time = T0): TimelineEvent => ({
  time,
  device,
  type: 'device.started',
  os: '1607',
  pfn: null,
  battery: 80,
  charging: false,
  connected: true,
  internet: true,
  metered: false,
});

/** One failed attempt, one that completes, the first session, then the device leaves. */
function enrollingDevice(device: string): TimelineEvent[] {
  const second = T0 + 30 * MINUTE;
  const done = second + 4 * SECOND;
  const leave = T0 + 2 * HOUR;
  return [
    started(device),
    { time: T0 + MINUTE, device, type: 'enrollment.started', discoveryUrl: DISCOVERY },
    {
      time: T0 + MINUTE + 2 * SECOND,
      device,
      type: 'enrollment.failed',
      stage: 'policy',
      status: 500,
      reason: 's:Receiver: the policy service is unavailable',
    },
    { time: second, device, type: 'enrollment.started', discoveryUrl: DISCOVERY },
    {
      time: second + SECOND,
      device,
      type: 'enrollment.discovered',
      authPolicy: 'OnPremise',
      policyUrl: 'https://enterpriseenrollment.contoso.com/EnrollmentServer/Policy.svc',
      enrollmentUrl: 'https://enterpriseenrollment.contoso.com/EnrollmentServer/Enrollment.svc',
    },
    {
      time: done,
      device,
      type: 'enrollment.completed',
      providerId: 'Contoso',
      managementUrl: 'https://mdm.contoso.com/omadm',
      certificateThumbprint: THUMBPRINT,
    },
    { time: done, device, type: 'session.started', trigger: 'enrolled' },
    { time: done + 3 * SECOND, device, type: 'session.completed', trigger: 'enrolled' },
    { time: leave, device, type: 'session.started', trigger: 'unenroll' },
    { time: leave + 2 * SECOND, device, type: 'session.completed', trigger: 'unenroll' },
    {
      time: leave + 2 * SECOND,
      device,
      type: 'unenrolled',
      providerId: 'Contoso',
      initiator: 'device',
    },
  ];
}

/** A device that enrolls at once and stays enrolled; one session is refused its credentials. */
function enrolledDevice(device: string): TimelineEvent[] {
  const t = T0 + 10 * MINUTE;
  return [
    started(device),
    { time: t, device, type: 'enrollment.started', discoveryUrl: DISCOVERY },
    {
      time: t,
      device,
      type: 'enrollment.completed',
      providerId: 'Fabrikam',
      managementUrl: 'https://mdm.fabrikam.com/omadm',
      certificateThumbprint: THUMBPRINT,
    },
    { time: t + HOUR, device, type: 'session.started', trigger: 'poll' },
    {
      time: t + HOUR + SECOND,
      device,
      type: 'session.failed',
      trigger: 'poll',
      reason: 'auth-rejected: 401 after the credentials were sent',
    },
  ];
}

const END = T0 + 3 * HOUR;
const byTime = (a: TimelineEvent, b: TimelineEvent): number => a.time - b.time;
const plain: TimelineEvent[] = [
  started('plain'),
  { time: T0 + HOUR, device: 'plain', type: 'session.started', trigger: 'poll' },
  { time: T0 + HOUR + SECOND, device: 'plain', type: 'session.completed', trigger: 'poll' },
];
const events = [...enrollingDevice('pc'), ...enrolledDevice('kiosk'), ...plain].sort(byTime);

const model = buildTimelineModel(events, {
  start: T0,
  end: END,
  devices: ['pc', 'kiosk', 'plain'],
});

const laneItems = (m: TimelineModel, device: string, kind: LaneKind): readonly TimelineItem[] => {
  const lane = m.devices.find((d) => d.id === device)?.lanes.find((l) => l.kind === kind);
  if (!lane) throw new Error(`no ${kind} lane for ${device}`);
  return lane.items;
};
const shape = (i: TimelineItem) => ({
  row: i.row,
  variant: i.variant,
  start: i.start,
  end: i.end,
  label: i.label,
});

describe('the enrollment lane', () => {
  it('comes first, and only for devices that had an enrollment event', () => {
    const kinds = (id: string) => model.devices.find((d) => d.id === id)?.lanes.map((l) => l.kind);
    const all = LANES.map((l) => l.kind);
    expect(all[0]).toBe('enrollment');
    expect(kinds('pc')).toEqual(all);
    expect(kinds('kiosk')).toEqual(all);
    expect(kinds('plain')).toEqual(all.filter((k) => k !== 'enrollment'));
    expect(LANES.find((l) => l.kind === 'enrollment')?.label).toBe('Enrollment');
  });

  it('draws each attempt, the enrolled period and the unenrollment, in time order', () => {
    const second = T0 + 30 * MINUTE;
    const leave = T0 + 2 * HOUR + 2 * SECOND;
    expect(laneItems(model, 'pc', 'enrollment').map(shape)).toEqual([
      {
        row: 'attempt',
        variant: 'failed',
        start: T0 + MINUTE,
        end: T0 + MINUTE + 2 * SECOND,
        label: 'failed: policy',
      },
      {
        row: 'attempt',
        variant: 'enrolling',
        start: second,
        end: second + 4 * SECOND,
        label: 'enrolling',
      },
      {
        row: 'enrolled',
        variant: 'enrolled',
        start: second + 4 * SECOND,
        end: leave,
        label: 'enrolled: Contoso',
      },
      { row: 'enrolled', variant: 'unenrolled', start: leave, end: null, label: '' },
    ]);
  });

  it('a failed attempt says its stage, its HTTP status and its reason', () => {
    const failed = laneItems(model, 'pc', 'enrollment').find((i) => i.variant === 'failed');
    expect(failed?.kind).toBe('enrollment');
    expect(failed?.explanation).toBe(
      'Enrollment failed at the policy stage (HTTP 500: s:Receiver: the policy service is unavailable) ' +
        '2026-03-02 08:01 – 08:01 (2 s): the certificate enrollment policy service (MS-XCEP) gave no ' +
        `policy; discovery at ${DISCOVERY}.`,
    );
  });

  it('a failure with no answer says so; a stage the lane never saw started still shows', () => {
    const m = buildTimelineModel([
      started('x'),
      {
        time: T0 + MINUTE,
        device: 'x',
        type: 'enrollment.failed',
        stage: 'discovery',
        status: 0,
        reason: 'connect ECONNREFUSED',
      },
    ]);
    const [failed] = laneItems(m, 'x', 'enrollment');
    expect(failed?.variant).toBe('failed');
    expect(failed?.label).toBe('failed: discovery');
    expect(failed?.explanation).toMatch(
      /^Enrollment failed at the discovery stage \(no answer: connect ECONNREFUSED\) .*: the discovery service did not say where and how to enroll\.$/,
    );
  });

  it('the attempt and the enrolled period name the provider, the URLs and the certificate', () => {
    const [, attempt, enrolled, unenrolled] = laneItems(model, 'pc', 'enrollment');
    expect(attempt?.explanation).toBe(
      'Enrollment (MS-MDE2) 2026-03-02 08:30 – 08:30 (4 s): enrolled with Contoso; discovery at ' +
        `${DISCOVERY}, OnPremise auth policy, enrollment service ` +
        'https://enterpriseenrollment.contoso.com/EnrollmentServer/Enrollment.svc.',
    );
    expect(enrolled?.explanation).toBe(
      'Enrolled with Contoso (OnPremise auth) 2026-03-02 08:30 – 10:00 (1 h 29 min 58 s): sessions go to ' +
        `https://mdm.contoso.com/omadm, the device certificate (thumbprint ${THUMBPRINT}) identifies ` +
        'the device; then the device left (it told the server with Alert 1226).',
    );
    expect(unenrolled?.explanation).toBe(
      'Unenrolled from Contoso at 2026-03-02 10:00:02: the device left (it told the server with ' +
        'Alert 1226). The device is no longer managed until it enrolls again.',
    );
  });

  it('an enrollment still in force runs to the end; an attempt under way at the end says so', () => {
    const kiosk = laneItems(model, 'kiosk', 'enrollment');
    expect(kiosk.map((i) => [i.variant, i.end])).toEqual([
      ['enrolling', T0 + 10 * MINUTE],
      ['enrolled', END],
    ]);
    expect(kiosk[1]?.explanation).not.toMatch(/then/);
    const open = buildTimelineModel(
      [
        started('y'),
        { time: T0 + MINUTE, device: 'y', type: 'enrollment.started', discoveryUrl: DISCOVERY },
      ],
      { end: T0 + HOUR },
    );
    const [attempt] = laneItems(open, 'y', 'enrollment');
    expect(attempt?.end).toBe(T0 + HOUR);
    expect(attempt?.explanation).toMatch(/: still under way at the end of the run; discovery at /);
  });

  it('a server-side unenrollment is worded as such; a restart cuts the attempt under way short', () => {
    const m = buildTimelineModel([
      started('z'),
      { time: T0 + MINUTE, device: 'z', type: 'enrollment.started', discoveryUrl: DISCOVERY },
      { time: T0 + 2 * MINUTE, device: 'z', type: 'enrollment.started', discoveryUrl: DISCOVERY },
      {
        time: T0 + 3 * MINUTE,
        device: 'z',
        type: 'enrollment.completed',
        providerId: 'P',
        managementUrl: 'https://p/omadm',
        certificateThumbprint: THUMBPRINT,
      },
      { time: T0 + HOUR, device: 'z', type: 'unenrolled', providerId: 'P', initiator: 'server' },
    ]);
    const items = laneItems(m, 'z', 'enrollment');
    expect(items.map((i) => i.variant)).toEqual([
      'enrolling',
      'enrolling',
      'enrolled',
      'unenrolled',
    ]);
    expect(items[0]?.explanation).toMatch(/: cut short: the device started over; /);
    expect(items[2]?.explanation).toMatch(/; then the server removed the device's account\.$/);
    expect(items[3]?.explanation).toMatch(/: the server removed the device's account\. /);
    expect(m.summary.enrollment.unenrolled).toEqual({ device: 0, server: 1 });
  });

  it('every item is on a row of its lane, has a legend entry and reads as a sentence', () => {
    const legend = new Set(LEGEND.map((e) => `${e.kind} ${e.variant}`));
    for (const d of model.devices)
      for (const lane of d.lanes)
        for (const item of lane.items) {
          expect(lane.rows).toContain(item.row);
          expect(legend).toContain(`${item.kind} ${item.variant}`);
          expect(item.explanation).toMatch(/^[A-Z].*\.$/);
        }
  });
});

describe('enrollment in the sessions lane and the summary', () => {
  it('colours the enrolled and unenroll sessions by their trigger and says what they are for', () => {
    const sessions = laneItems(model, 'pc', 'session');
    expect(sessions.map((s) => s.variant)).toEqual(['enrolled', 'unenroll']);
    expect(sessions[0]?.explanation).toBe(
      'OMA-DM session (trigger enrolled, the first after enrollment) 2026-03-02 08:30:04: completed after 3 s.',
    );
    expect(sessions[1]?.explanation).toMatch(
      /trigger unenroll, telling the server the device leaves \(Alert 1226\)/,
    );
  });

  it('every session trigger has a legend entry', () => {
    const legend = new Set(LEGEND.map((e) => `${e.kind} ${e.variant}`));
    for (const trigger of Object.keys(model.summary.sessions))
      expect(legend).toContain(`session ${trigger}`);
  });

  it('an authentication failure says what its reason means', () => {
    const [failed] = laneItems(model, 'kiosk', 'session');
    expect(failed?.variant).toBe('failed');
    expect(failed?.explanation).toMatch(
      /failed after 1 s: the server rejected the device's credentials \(auth-rejected: 401 after the credentials were sent\)\.$/,
    );
  });

  it('counts enrolled devices at the end, attempts, failures by stage and unenrollments', () => {
    expect(model.summary.enrollment).toEqual({
      enrolled: 1,
      started: 3,
      completed: 2,
      failed: { discovery: 0, policy: 1, enroll: 0, provisioning: 0 },
      unenrolled: { device: 1, server: 0 },
    });
    expect(model.summary.sessions.enrolled).toEqual({ started: 1, failed: 0, skipped: 0 });
    expect(model.summary.sessions.unenroll).toEqual({ started: 1, failed: 0, skipped: 0 });
  });
});

describe('enrollment in a window of a long timeline', () => {
  it('an enrollment that began before the window is drawn from the window on', () => {
    const pc = events.filter((e) => e.device === 'pc');
    const data = buildDeviceTimeline('pc', pc, {
      start: T0,
      end: END,
      now: END,
      from: T0 + HOUR,
      to: END,
    });
    const model = data.sections[0]!.model;
    expect(laneItems(model, 'pc', 'enrollment').map((i) => i.variant)).toEqual([
      'enrolled',
      'unenrolled',
    ]);
    expect(data.lanes[0]?.kind).toBe('enrollment');
  });
});
