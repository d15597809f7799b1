/**
 * Devices that enroll (MS-MDE2) before they are managed, driven through a fake enrollment service
 * that answers on the virtual clock: the timeline of an enrollment, the provisioning document in
 * the tree, the account and identity sessions use, failures and their retry, unenrollment by the
 * device and by the server, and the enrollment kept across a snapshot.
 */
import { describe, expect, it } from 'vitest';
import { ENROLL_RETRY_MS } from '../../src/core/device/device-enrollment.js';
import type { SimDevice } from '../../src/core/device/device.js';
import type { ClientIdentity } from '../../src/core/dm/dm-account.js';
import { accountUid } from '../../src/core/dm/dmacc-nodes.js';
import { hardwareDeviceId } from '../../src/core/dm/windows-tree.js';
import type {
  Discovered,
  EnrollOutcome,
  EnrollRequest,
  EnrollmentService,
} from '../../src/core/enroll/enrollment.js';
import type { ProvisioningDoc } from '../../src/core/enroll/wap-doc.js';
import { InMemoryMdm } from '../../src/core/mdm/in-memory-mdm.js';
import type { MdmTransport, SessionRequest } from '../../src/core/ports.js';
import { Simulation, type SimulationSpec } from '../../src/core/simulation.js';
import type { Clock } from '../../src/core/time/clock.js';
import { DAY, HOUR, MINUTE, SECOND } from '../../src/core/time/iso.js';
import { VirtualClock } from '../../src/core/time/virtual-clock.js';
import {
  MemorySink,
  type EnrollmentStage,
  type SessionTrigger,
} from '../../src/core/timeline/events.js';
import { loadScenario } from '../../src/scenario/load.js';
import {
  FLEET_ADDR as ADDR,
  FLEET_DEVICE_CERT as DEVICE_CERT,
  FLEET_DEVICE_THUMB as DEVICE_THUMB,
  FLEET_ROOT_CERT as ROOT_CERT,
  FLEET_ROOT_THUMB as ROOT_THUMB,
  FLEET_SECRET as SECRET,
  FLEET_USERNAME as USERNAME,
  fleetProvisioningDoc,
} from '../helpers/fleet-provisioning.js';

// ---- the enrollment service's answers -----------------------------------------------------------

const DISCOVERY_URL = 'https://enterpriseenrollment.example.com/EnrollmentServer/Discovery.svc';
const DISCOVERED: Discovered = {
  authPolicy: 'OnPremise',
  policyUrl: 'https://fleet.example.com/api/mdm/microsoft/policy',
  enrollmentUrl: 'https://fleet.example.com/api/mdm/microsoft/enroll',
};
const PROVIDER = './Vendor/MSFT/DMClient/Provider/Fleet';
const FLEET_ACC = `./SyncML/DMAcc/${accountUid('Fleet')}`;

const FLEET_DOC = fleetProvisioningDoc();

const pem = (label: string, body: string): string =>
  `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`;
const IDENTITY: ClientIdentity = {
  certificatePem: pem('CERTIFICATE', DEVICE_CERT),
  keyPem: pem('PRIVATE KEY', 'MC4CAQAwBQYDK2VwBCIEIGtleS1vZi10aGUtZGV2aWNl'),
  trustedCaPems: [pem('CERTIFICATE', ROOT_CERT)],
};
const CERTIFICATE = {
  thumbprint: DEVICE_THUMB,
  subject: 'CN=device-uuid',
  notAfter: Date.parse('2027-01-01T00:00:00Z'),
};

/** One attempt's answer: a provisioning document, or a failure at a stage. */
type Answer =
  | { readonly ok: true; readonly doc: ProvisioningDoc }
  | Extract<EnrollOutcome, { readonly ok: false }>;

const success = (doc: ProvisioningDoc = FLEET_DOC): Answer => ({ ok: true, doc });
const failure = (stage: EnrollmentStage, status: number, reason: string): Answer => ({
  ok: false,
  stage,
  status,
  reason,
});

/** Discovery answers this long after an attempt starts; the rest takes ENROLL_MS. */
const DISCOVERY_MS = 2 * SECOND;
const ENROLL_MS = 5 * SECOND;
/** An attempt that succeeds completes this long after it started. */
const ATTEMPT_MS = DISCOVERY_MS + ENROLL_MS;

/**
 * An enrollment service answering on the virtual clock: discovery after {@link DISCOVERY_MS}, the
 * end {@link ENROLL_MS} later (a discovery failure ends at discovery). Attempt n gets `answers[n]`,
 * the last answer repeating.
 */
class FakeEnroller implements EnrollmentService {
  readonly discoveryUrl = DISCOVERY_URL;
  /** The clock of the simulation it serves (set once the simulation exists). */
  clock: Clock | null = null;
  readonly calls: { at: number; request: EnrollRequest }[] = [];

  constructor(private readonly answers: readonly Answer[]) {}

  enroll(
    request: EnrollRequest,
    handlers: {
      readonly discovered: (info: Discovered) => void;
      readonly done: (outcome: EnrollOutcome) => void;
    },
  ): void {
    const clock = this.clock;
    if (clock === null) throw new Error('the fake enrollment service has no clock');
    this.calls.push({ at: clock.now(), request });
    const answer = this.answers[Math.min(this.calls.length, this.answers.length) - 1] as Answer;
    if (!answer.ok && answer.stage === 'discovery') {
      clock.after(DISCOVERY_MS, () => handlers.done(answer));
      return;
    }
    clock.after(DISCOVERY_MS, () => {
      handlers.discovered(DISCOVERED);
      clock.after(ENROLL_MS, () =>
        handlers.done(
          answer.ok
            ? {
                ok: true,
                authPolicy: 'OnPremise',
                doc: answer.doc,
                identity: IDENTITY,
                certificate: CERTIFICATE,
              }
            : answer,
        ),
      );
    });
  }
}

// ---- the simulation -----------------------------------------------------------------------------

/** A device that keeps its battery; no PFN, so no channel traffic in the timeline. */
const SCENARIO = (network = ''): string =>
  `duration: P3D\ndevices: [{ id: d, battery: { level: 90, charging: true }${network} }]`;

/** What the transport saw of a session when it started. */
interface SeenSession {
  readonly at: number;
  readonly trigger: SessionTrigger;
  readonly serverUrl: string | null;
  readonly identity: ClientIdentity | null;
}

interface World {
  readonly spec: SimulationSpec;
  readonly sim: Simulation;
  readonly sink: MemorySink;
  readonly enroller: FakeEnroller;
  readonly device: SimDevice;
  readonly sessions: SeenSession[];
  readonly t0: number;
  /** Runs the virtual clock to `at`. */
  run(at: number): void;
  types(): string[];
}

/**
 * A simulation of one device with the fake enrollment service and a transport that records each
 * session's request, then lets the in-process MDM run it (3 s, success). `during` is called as each
 * session starts (a server's commands can be scheduled from it on the clock).
 */
function world(
  answers: readonly Answer[],
  options: {
    network?: string;
    during?: (request: SessionRequest, index: number, clock: Clock) => void;
  } = {},
): World {
  const spec = loadScenario(SCENARIO(options.network));
  const sink = new MemorySink();
  const clock = new VirtualClock({ start: spec.start });
  const enroller = new FakeEnroller(answers);
  enroller.clock = clock;
  const server = new InMemoryMdm(clock, sink, null);
  const sessions: SeenSession[] = [];
  const mdm: MdmTransport = {
    startSession(request, done) {
      sessions.push({
        at: clock.now(),
        trigger: request.trigger,
        serverUrl: request.account?.serverUrl ?? null,
        identity: request.identity,
      });
      options.during?.(request, sessions.length - 1, clock);
      server.startSession(request, done);
    },
  };
  const sim = new Simulation(spec, sink, { clock, mdm, enroller });
  return {
    spec,
    sim,
    sink,
    enroller,
    device: sim.device('d') as SimDevice,
    sessions,
    t0: spec.start,
    run: (at) => void sim.run(at),
    types: () => sink.events.map((e) => e.type),
  };
}

const sessionStarts = (w: { sink: MemorySink }): [number, SessionTrigger][] =>
  w.sink.ofType('session.started').map((e) => [e.time, e.trigger]);

// ---- the tests ----------------------------------------------------------------------------------

describe('enrollment that succeeds', () => {
  it('emits started, discovered, completed, then the first session (trigger enrolled)', () => {
    const w = world([success()]);
    w.run(w.t0 + 10 * MINUTE);
    const firstSession = w.sink.events.findIndex((e) => e.type === 'session.started');
    expect(w.types().slice(0, firstSession + 1)).toEqual([
      'device.started',
      'enrollment.started',
      'enrollment.discovered',
      'enrollment.completed',
      'session.started',
    ]);
    const done = w.t0 + ATTEMPT_MS;
    expect(w.sink.ofType('enrollment.started')).toEqual([
      { time: w.t0, device: 'd', type: 'enrollment.started', discoveryUrl: DISCOVERY_URL },
    ]);
    expect(w.sink.ofType('enrollment.discovered')).toEqual([
      { time: w.t0 + DISCOVERY_MS, device: 'd', type: 'enrollment.discovered', ...DISCOVERED },
    ]);
    expect(w.sink.ofType('enrollment.completed')).toEqual([
      {
        time: done,
        device: 'd',
        type: 'enrollment.completed',
        providerId: 'Fleet',
        managementUrl: ADDR,
        certificateThumbprint: DEVICE_THUMB,
      },
    ]);
    expect(w.sink.ofType('session.started')[0]).toMatchObject({ time: done, trigger: 'enrolled' });
    expect(w.sink.ofType('enrollment.failed')).toEqual([]);
  });

  it('tells the service who the device is', () => {
    const w = world([success()]);
    w.run(w.t0 + MINUTE);
    expect(w.enroller.calls).toHaveLength(1);
    const { at, request } = w.enroller.calls[0]!;
    expect(at).toBe(w.t0);
    expect(request).toMatchObject({ deviceId: 'd', devId: w.device.devId });
    // The hardware id is sent whatever the version; a 1607 tree shows it under the provider only.
    expect(request.hwDevId).toBe(hardwareDeviceId(w.device.devId));
    expect(request.hwDevId).toMatch(/^[0-9A-F]{64}$/);
    expect(request.osVersion).toMatch(/^10\.0\.\d+\.\d+$/);
  });

  it('keeps the account (APPSRV credentials, ADDR), the identity and a view without the key', () => {
    const w = world([success()]);
    // Before enrollment completes: nothing.
    w.run(w.t0 + DISCOVERY_MS);
    expect(w.device.account).toBeNull();
    expect(w.device.identity).toBeNull();
    expect(w.device.snapshot().enrollment).toBeNull();
    w.run(w.t0 + MINUTE / 2);
    expect(w.device.account).toMatchObject({
      serverId: 'Fleet',
      serverUrl: ADDR,
      client: { scheme: 'md5', name: USERNAME, secret: SECRET, nonce: '' },
    });
    expect(w.device.identity).toEqual(IDENTITY);
    const view = w.device.snapshot().enrollment;
    expect(view).toEqual({
      providerId: 'Fleet',
      managementUrl: ADDR,
      certificateThumbprint: DEVICE_THUMB,
      certificateSubject: CERTIFICATE.subject,
      certificateNotAfter: CERTIFICATE.notAfter,
      enrolledAt: w.t0 + ATTEMPT_MS,
      authType: 'OnPremise',
    });
    expect(view).not.toHaveProperty('identity');
    expect(JSON.stringify(w.device.snapshot())).not.toContain('PRIVATE KEY');
    expect(w.device.enrollmentView).toEqual(view);
  });

  it('applies the document to the tree: provider, DMAcc account, certificates', () => {
    const w = world([success()]);
    w.run(w.t0 + MINUTE / 2);
    const tree = w.device.tree;
    expect(tree.peek(PROVIDER)).not.toBeNull();
    expect(tree.read('./Vendor/MSFT/DMClient/Provider')).toBe('Fleet');
    expect(tree.read(`${PROVIDER}/ManagementServiceAddress`)).toBe(ADDR);
    expect(tree.read(`${PROVIDER}/Poll/PollOnLogin`)).toBe('true');
    expect(tree.read('./SyncML/DMAcc')).toBe(accountUid('Fleet'));
    expect(tree.read(`${FLEET_ACC}/ServerID`)).toBe('Fleet');
    expect(tree.read(`${FLEET_ACC}/AppAddr/1/Addr`)).toBe(ADDR);
    expect(tree.read(`${FLEET_ACC}/AppAuth/CLCRED/AAuthName`)).toBe(USERNAME);
    const cs = './Vendor/MSFT/CertificateStore';
    expect(tree.read(`${cs}/Root/System/${ROOT_THUMB}/EncodedCertificate`)).toBe(ROOT_CERT);
    expect(tree.read(`${cs}/My/User/${DEVICE_THUMB}/EncodedCertificate`)).toBe(DEVICE_CERT);
    // The device's configured provider is not there: the document's is the only one.
    expect(w.device.providerPath).toBe(PROVIDER);
  });

  it('starts polling at enrollment (none before), on the schedule the document set', () => {
    const w = world([success()]);
    w.run(w.t0 + 4 * MINUTE + 30 * SECOND);
    const done = w.t0 + ATTEMPT_MS;
    const firstSession = w.sink.events.find((e) => e.type.startsWith('session.'));
    expect(firstSession?.time).toBe(done);
    // Fleet's Poll: every minute, indefinitely.
    expect(sessionStarts(w)).toEqual([
      [done, 'enrolled'],
      [done + MINUTE, 'poll'],
      [done + 2 * MINUTE, 'poll'],
      [done + 3 * MINUTE, 'poll'],
      [done + 4 * MINUTE, 'poll'],
    ]);
    expect(w.sink.ofType('session.completed')).toHaveLength(5);
  });

  it("without Poll in the document, polls on the device's own schedule from enrollment", () => {
    const w = world([success(fleetProvisioningDoc({ poll: false }))]);
    w.run(w.t0 + 46 * MINUTE);
    const done = w.t0 + ATTEMPT_MS;
    // The DMClient CSP's default: every 15 minutes (10 times).
    expect(sessionStarts(w)).toEqual([
      [done, 'enrolled'],
      [done + 15 * MINUTE, 'poll'],
      [done + 30 * MINUTE, 'poll'],
      [done + 45 * MINUTE, 'poll'],
    ]);
  });

  it("opens its first session at the document's ADDR, with the enrolled identity", () => {
    const w = world([success()]);
    w.run(w.t0 + 90 * SECOND);
    expect(w.sessions[0]).toEqual({
      at: w.t0 + ATTEMPT_MS,
      trigger: 'enrolled',
      serverUrl: ADDR,
      identity: IDENTITY,
    });
    expect(w.sessions[1]).toMatchObject({ trigger: 'poll', serverUrl: ADDR, identity: IDENTITY });
  });
});

describe('enrollment that fails', () => {
  it('retries 30 minutes after a failure', () => {
    expect(ENROLL_RETRY_MS).toBe(30 * MINUTE);
  });

  it.each([
    ['discovery', 404, 'HTTP 404 Not Found'],
    ['policy', 500, 's:Receiver: a:InternalServiceFault: policy service unavailable'],
    ['enroll', 401, 's:Sender: a:InvalidSecurity: wrong password'],
  ] as const)(
    'at %s (%i): enrollment.failed with its stage, status and reason, no session, retried 30 minutes later',
    (stage, status, reason) => {
      const w = world([failure(stage, status, reason), success()]);
      const failedAt = w.t0 + (stage === 'discovery' ? DISCOVERY_MS : ATTEMPT_MS);
      w.run(failedAt + 30 * MINUTE - 1);
      expect(w.sink.ofType('enrollment.failed')).toEqual([
        { time: failedAt, device: 'd', type: 'enrollment.failed', stage, status, reason },
      ]);
      expect(w.sink.ofType('enrollment.discovered')).toHaveLength(stage === 'discovery' ? 0 : 1);
      // Not managed meanwhile: no session, no poll, no account.
      expect(w.types().filter((t) => t.startsWith('session.'))).toEqual([]);
      expect(w.sink.ofType('enrollment.started')).toHaveLength(1);
      expect(w.enroller.calls).toHaveLength(1);
      expect(w.device.snapshot().enrollment).toBeNull();
      expect(w.device.account).toBeNull();
      expect(w.device.identity).toBeNull();

      w.run(failedAt + 2 * HOUR);
      const retry = failedAt + 30 * MINUTE;
      expect(w.sink.ofType('enrollment.started').map((e) => e.time)).toEqual([w.t0, retry]);
      expect(w.enroller.calls.map((c) => c.at)).toEqual([w.t0, retry]);
      expect(w.sink.ofType('enrollment.completed')).toMatchObject([
        { time: retry + ATTEMPT_MS, providerId: 'Fleet' },
      ]);
      expect(sessionStarts(w)[0]).toEqual([retry + ATTEMPT_MS, 'enrolled']);
      expect(w.device.identity).toEqual(IDENTITY);
      // Only one failure: the retry succeeded, and nothing is armed for another attempt.
      expect(w.sink.ofType('enrollment.failed')).toHaveLength(1);
      expect(w.sink.ofType('enrollment.started')).toHaveLength(2);
    },
  );

  it('keeps trying every 30 minutes while it fails', () => {
    const w = world([failure('enroll', 500, 's:Receiver: busy')]);
    w.run(w.t0 + 2 * HOUR);
    const started = w.sink.ofType('enrollment.started').map((e) => e.time);
    const failed = w.sink.ofType('enrollment.failed').map((e) => e.time);
    expect(failed).toHaveLength(4);
    expect(started).toHaveLength(4);
    // Each attempt after the first starts 30 minutes after the previous one failed.
    expect(started.slice(1)).toEqual(failed.slice(0, 3).map((at) => at + 30 * MINUTE));
    expect(sessionStarts(w)).toEqual([]);
  });
});

describe('a provisioning document the device refuses', () => {
  it('fails at provisioning naming the element (no ADDR), the tree unchanged, and retries', () => {
    const w = world([success(fleetProvisioningDoc({ addr: null }))]);
    w.sim.start();
    const before = w.device.tree.saveState();
    w.run(w.t0 + 10 * MINUTE);
    expect(w.sink.ofType('enrollment.failed')).toEqual([
      {
        time: w.t0 + ATTEMPT_MS,
        device: 'd',
        type: 'enrollment.failed',
        stage: 'provisioning',
        status: 0,
        reason: 'characteristic[type=APPLICATION]/parm[name=ADDR]: missing',
      },
    ]);
    expect(w.device.tree.saveState()).toEqual(before);
    expect(w.device.tree.peek(PROVIDER)).toBeNull();
    expect(w.device.tree.peek(FLEET_ACC)).toBeNull();
    expect(w.device.snapshot().enrollment).toBeNull();
    expect(w.device.account).toBeNull();
    expect(w.device.identity).toBeNull();
    expect(w.sink.ofType('enrollment.completed')).toEqual([]);
    expect(sessionStarts(w)).toEqual([]);
    w.run(w.t0 + ATTEMPT_MS + 30 * MINUTE);
    expect(w.sink.ofType('enrollment.started').map((e) => e.time)).toEqual([
      w.t0,
      w.t0 + ATTEMPT_MS + 30 * MINUTE,
    ]);
  });

  it('rolls back a document the tree refuses part way (certificates added before it)', () => {
    const doc = fleetProvisioningDoc({ providerParm: '<parm name="NotANode" value="x"/>' });
    const w = world([success(doc)]);
    w.sim.start();
    const before = w.device.tree.saveState();
    w.run(w.t0 + 10 * MINUTE);
    const [failed] = w.sink.ofType('enrollment.failed');
    expect(failed).toMatchObject({ stage: 'provisioning', status: 0 });
    const element = [
      'characteristic[type=DMClient]',
      'characteristic[type=Provider]',
      'characteristic[type=Fleet]',
      'parm[name=NotANode]',
    ].join('/');
    expect(failed?.reason.slice(0, element.length + 2)).toBe(`${element}: `);
    expect(failed?.reason).toContain(`Add ${PROVIDER}/NotANode`);
    expect(w.device.tree.saveState()).toEqual(before);
    expect(
      w.device.tree.peek(`./Vendor/MSFT/CertificateStore/Root/System/${ROOT_THUMB}`),
    ).toBeNull();
    expect(sessionStarts(w)).toEqual([]);
  });
});

describe('enrollment without a network', () => {
  it.each([
    ['no network', ', network: { connected: false }', { connected: true }],
    ['no internet', ', network: { internet: false }', { internet: true }],
  ] as const)(
    '%s: fails at discovery (status 0) without calling the service, then enrolls on the retry',
    (what, network, restore) => {
      const w = world([success()], { network });
      w.run(w.t0 + 10 * MINUTE);
      expect(w.sink.ofType('enrollment.started').map((e) => e.time)).toEqual([w.t0]);
      expect(w.sink.ofType('enrollment.failed')).toEqual([
        {
          time: w.t0,
          device: 'd',
          type: 'enrollment.failed',
          stage: 'discovery',
          status: 0,
          reason: `network error: ${what}`,
        },
      ]);
      expect(w.enroller.calls).toEqual([]);
      w.device.apply({ network: restore });
      w.run(w.t0 + HOUR);
      const retry = w.t0 + 30 * MINUTE;
      expect(w.enroller.calls.map((c) => c.at)).toEqual([retry]);
      expect(w.sink.ofType('enrollment.completed').map((e) => e.time)).toEqual([
        retry + ATTEMPT_MS,
      ]);
      expect(sessionStarts(w)[0]).toEqual([retry + ATTEMPT_MS, 'enrolled']);
    },
  );

  it('the network still down at the retry: another failure, the service still never called', () => {
    const w = world([success()], { network: ', network: { connected: false }' });
    w.run(w.t0 + 61 * MINUTE);
    expect(w.sink.ofType('enrollment.failed').map((e) => e.time)).toEqual([
      w.t0,
      w.t0 + 30 * MINUTE,
      w.t0 + 60 * MINUTE,
    ]);
    expect(w.enroller.calls).toEqual([]);
  });
});

describe('unenrollment by the device', () => {
  /** Enrolled at t0 + 7 s, polling every minute; `at` falls between two polls. */
  function enrolled(): World & { at: number } {
    const w = world([success()]);
    const at = w.t0 + ATTEMPT_MS + 2 * MINUTE + 30 * SECOND;
    w.run(at);
    expect(w.device.snapshot().sessionRunning).toBe(false);
    return { ...w, at };
  }

  it('runs a session with trigger unenroll, then forgets the enrollment and stops polling', () => {
    const w = enrolled();
    const polls = w.sessions.length;
    expect(w.device.unenroll()).toBe(true);
    // The session runs as the enrolled device.
    expect(w.sessions.slice(polls)).toEqual([
      { at: w.at, trigger: 'unenroll', serverUrl: ADDR, identity: IDENTITY },
    ]);
    expect(w.sink.ofType('session.started').at(-1)).toMatchObject({
      time: w.at,
      trigger: 'unenroll',
    });
    expect(w.device.snapshot().enrollment).not.toBeNull();
    expect(w.sink.ofType('unenrolled')).toEqual([]);

    w.run(w.at + DAY);
    const end = w.at + 3 * SECOND;
    expect(w.sink.ofType('unenrolled')).toEqual([
      { time: end, device: 'd', type: 'unenrolled', providerId: 'Fleet', initiator: 'device' },
    ]);
    expect(w.sink.ofType('session.completed').at(-1)).toMatchObject({
      time: end,
      trigger: 'unenroll',
    });
    expect(w.device.snapshot().enrollment).toBeNull();
    expect(w.device.enrollmentView).toBeNull();
    expect(w.device.identity).toBeNull();
    expect(w.device.account).toBeNull();
    expect(w.device.tree.peek(PROVIDER)).toBeNull();
    expect(w.device.tree.peek(FLEET_ACC)).toBeNull();
    // No more sessions, and no new enrollment.
    expect(w.sessions).toHaveLength(polls + 1);
    expect(w.sink.ofType('session.started').filter((e) => e.time > w.at)).toEqual([]);
    expect(w.sink.ofType('enrollment.started')).toHaveLength(1);
    expect(w.device.unenroll()).toBe(false);
  });

  it('with no session possible, leaves at once without telling the server', () => {
    const w = enrolled();
    const polls = w.sessions.length;
    w.device.apply({ network: { connected: false } });
    expect(w.device.unenroll()).toBe(true);
    expect(w.sink.ofType('session.skipped').at(-1)).toMatchObject({
      time: w.at,
      trigger: 'unenroll',
      reason: 'no-network',
    });
    expect(w.sink.ofType('unenrolled')).toEqual([
      { time: w.at, device: 'd', type: 'unenrolled', providerId: 'Fleet', initiator: 'device' },
    ]);
    expect(w.device.snapshot().enrollment).toBeNull();
    expect(w.device.tree.peek(PROVIDER)).toBeNull();
    w.device.apply({ network: { connected: true } });
    w.run(w.at + DAY);
    expect(w.sessions).toHaveLength(polls);
    expect(w.sink.ofType('session.skipped').filter((e) => e.time > w.at)).toEqual([]);
  });

  it('is refused (false, nothing happens) by a device that is not enrolled', () => {
    const w = world([success()]);
    w.run(w.t0 + DISCOVERY_MS);
    const events = w.sink.events.length;
    expect(w.device.unenroll()).toBe(false);
    expect(w.sink.events).toHaveLength(events);
    // The attempt in flight goes on.
    w.run(w.t0 + MINUTE);
    expect(w.sink.ofType('enrollment.completed')).toHaveLength(1);

    const plain = new Simulation(loadScenario(SCENARIO()), new MemorySink());
    plain.run(plain.spec.start + HOUR);
    expect(plain.device('d')?.unenroll()).toBe(false);
  });
});

describe('unenrollment revokes the channels', () => {
  const PFN = 'Contoso.MDM_8wekyb3d8bbwe';
  const SET_PFN = {
    kind: 'Add',
    cmdId: '1',
    items: [{ target: `${PROVIDER}/Push/PFN`, data: PFN }],
  } as const;

  it.each(['device', 'server'] as const)(
    'a %s-initiated unenrollment revokes the channels WNS issued: the old URI answers 410',
    (initiator) => {
      const w = world([success()]);
      const at = w.t0 + ATTEMPT_MS + 90 * SECOND;
      w.run(at);
      expect(w.device.tree.run(SET_PFN).statuses[0]?.code).toBe(200);
      const uri = w.device.snapshot().channelUri as string;
      expect(uri).toMatch(/token=/);
      if (initiator === 'device') w.device.unenroll();
      else w.device.tree.run({ kind: 'Delete', cmdId: '2', items: [{ target: PROVIDER }] });
      w.run(at + MINUTE);
      expect(w.sink.ofType('unenrolled')).toHaveLength(1);
      expect(w.sink.ofType('channel.revoked')).toEqual([
        expect.objectContaining({ device: 'd', pfn: PFN }),
      ]);
      expect(w.sim.cloud?.send(uri, { cachePolicy: 'no-cache' }).status).toBe(410);
    },
  );
});

describe('unenrollment by the server', () => {
  const DELETE_PROVIDER = {
    kind: 'Delete',
    cmdId: '1',
    items: [{ target: PROVIDER }],
  } as const;

  it('a Delete of the provider node is an unenroll initiated by the server', () => {
    const w = world([success()]);
    const at = w.t0 + ATTEMPT_MS + 90 * SECOND;
    w.run(at);
    const polls = w.sessions.length;
    const outcome = w.device.tree.run(DELETE_PROVIDER);
    expect(outcome.statuses[0]?.code).toBe(200);
    expect(w.sink.ofType('unenrolled')).toEqual([
      { time: at, device: 'd', type: 'unenrolled', providerId: 'Fleet', initiator: 'server' },
    ]);
    expect(w.device.snapshot().enrollment).toBeNull();
    expect(w.device.identity).toBeNull();
    expect(w.device.account).toBeNull();
    expect(w.device.tree.peek(PROVIDER)).toBeNull();
    w.run(at + DAY);
    expect(w.sessions).toHaveLength(polls);
    expect(w.device.unenroll()).toBe(false);
  });

  it('in a session: the session ends normally, no poll follows', () => {
    // The server's Delete arrives a second into the third session, as a command of its answer.
    const w = world([success()], {
      during: (request, index, clock) => {
        if (index === 2)
          clock.after(SECOND, () =>
            expect(request.tree.run(DELETE_PROVIDER).statuses[0]?.code).toBe(200),
          );
      },
    });
    w.run(w.t0 + DAY);
    const done = w.t0 + ATTEMPT_MS;
    expect(w.sessions.map((s) => [s.at, s.trigger])).toEqual([
      [done, 'enrolled'],
      [done + MINUTE, 'poll'],
      [done + 2 * MINUTE, 'poll'],
    ]);
    expect(w.sink.ofType('unenrolled')).toEqual([
      {
        time: done + 2 * MINUTE + SECOND,
        device: 'd',
        type: 'unenrolled',
        providerId: 'Fleet',
        initiator: 'server',
      },
    ]);
    expect(w.sink.ofType('session.completed').at(-1)).toMatchObject({
      time: done + 2 * MINUTE + 3 * SECOND,
      trigger: 'poll',
    });
    expect(w.sink.ofType('enrollment.started')).toHaveLength(1);
  });

  // Regression: the server's Delete of the provider left the DMAcc account, with the APPSRV
  // secret, in the tree and in the device's saved state.
  it("removes the provider's DMAcc account too (server-side unenroll)", () => {
    const w = world([success()]);
    w.run(w.t0 + ATTEMPT_MS + 90 * SECOND);
    expect(w.device.tree.run(DELETE_PROVIDER).statuses[0]?.code).toBe(200);
    expect(w.sink.ofType('unenrolled')).toHaveLength(1);
    expect(w.device.tree.peek(FLEET_ACC)).toBeNull();
  });

  // Regression: a Delete of `./SyncML/DMAcc/{uid}` left the device enrolled, its sessions with no
  // account (no server URL, no credential) while presenting the enrolled identity.
  it('a Delete of the DMAcc account is an unenroll initiated by the server', () => {
    const w = world([success()]);
    const at = w.t0 + ATTEMPT_MS + 90 * SECOND;
    w.run(at);
    const deleted = w.device.tree.run({
      kind: 'Delete',
      cmdId: '1',
      items: [{ target: FLEET_ACC }],
    });
    expect(deleted.statuses[0]?.code).toBe(200);
    expect(w.sink.ofType('unenrolled')).toMatchObject([{ time: at, initiator: 'server' }]);
    expect(w.device.snapshot().enrollment).toBeNull();
  });

  it('a Delete of another provider is not an unenroll', () => {
    const w = world([success()]);
    w.run(w.t0 + MINUTE);
    const tree = w.device.tree;
    const other = './Vendor/MSFT/DMClient/Provider/Other';
    expect(
      tree.run({ kind: 'Add', cmdId: '1', items: [{ target: other }] }).statuses[0]?.code,
    ).toBe(200);
    expect(
      tree.run({ kind: 'Delete', cmdId: '2', items: [{ target: other }] }).statuses[0]?.code,
    ).toBe(200);
    expect(w.sink.ofType('unenrolled')).toEqual([]);
    expect(w.device.snapshot().enrollment).not.toBeNull();
  });
});

describe('enrollment across a snapshot', () => {
  /** The project's round trip: snapshot through JSON, restore with the same ports, run on. */
  function cutAndRestore(
    w: World,
    at: number,
  ): { sim: Simulation; sink: MemorySink; enroller: FakeEnroller } {
    w.sim.run(at);
    const data = JSON.parse(JSON.stringify(w.sim.snapshot())) as unknown;
    const sink = new MemorySink();
    const enroller = new FakeEnroller([success()]);
    const sim = Simulation.restore(w.spec, data, sink, { enroller });
    enroller.clock = sim.clock;
    return { sim, sink, enroller };
  }

  /** A world on the project's own in-process MDM (its sessions are part of the snapshot). */
  function plainWorld(answers: readonly Answer[]): World {
    const spec = loadScenario(SCENARIO());
    const sink = new MemorySink();
    const enroller = new FakeEnroller(answers);
    const sim = new Simulation(spec, sink, { enroller });
    enroller.clock = sim.clock;
    return {
      spec,
      sim,
      sink,
      enroller,
      device: sim.device('d') as SimDevice,
      sessions: [],
      t0: spec.start,
      run: (at) => void sim.run(at),
      types: () => sink.events.map((e) => e.type),
    };
  }

  it('keeps the enrollment (identity included) and does not enroll again', () => {
    const w = plainWorld([success()]);
    const cut = w.t0 + ATTEMPT_MS + 90 * SECOND;
    const saved = w.sim.snapshot();
    expect(saved.devices[0]?.enrollment).toBeNull();
    const { sim, sink, enroller } = cutAndRestore(w, cut);
    const device = sim.device('d') as SimDevice;
    expect(device.identity).toEqual(IDENTITY);
    expect(device.snapshot().enrollment).toEqual(w.device.snapshot().enrollment);
    expect(device.account).toEqual(expect.objectContaining({ serverId: 'Fleet', serverUrl: ADDR }));
    expect(sim.snapshot().devices[0]?.enrollment).toMatchObject({
      providerId: 'Fleet',
      identity: IDENTITY,
    });

    sim.run(w.t0 + HOUR);
    expect(enroller.calls).toEqual([]);
    expect(sink.ofType('enrollment.started')).toEqual([]);
    // Polling goes on as before the cut, every minute from enrollment.
    const done = w.t0 + ATTEMPT_MS;
    expect(
      sink
        .ofType('session.started')
        .slice(0, 2)
        .map((e) => [e.time, e.trigger]),
    ).toEqual([
      [done + 2 * MINUTE, 'poll'],
      [done + 3 * MINUTE, 'poll'],
    ]);

    // The same continuation as the run that was never cut.
    w.sim.run(w.t0 + HOUR);
    expect(sink.events).toEqual(w.sink.events.filter((e) => e.time > cut));
    expect(sim.snapshot()).toEqual(w.sim.snapshot());
  });

  it('an attempt in flight at the cut starts over on resume()', () => {
    const w = plainWorld([success()]);
    const cut = w.t0 + DISCOVERY_MS + SECOND;
    const { sim, sink, enroller } = cutAndRestore(w, cut);
    expect(w.sim.snapshot().devices[0]?.enrolling).toBe(true);
    sim.resume();
    expect(sink.ofType('enrollment.started')).toEqual([
      { time: cut, device: 'd', type: 'enrollment.started', discoveryUrl: DISCOVERY_URL },
    ]);
    expect(enroller.calls.map((c) => c.at)).toEqual([cut]);
    sim.run(cut + HOUR);
    expect(sink.ofType('enrollment.completed').map((e) => e.time)).toEqual([cut + ATTEMPT_MS]);
    expect(sink.ofType('session.started')[0]).toMatchObject({
      time: cut + ATTEMPT_MS,
      trigger: 'enrolled',
    });
    expect((sim.device('d') as SimDevice).identity).toEqual(IDENTITY);
  });

  it('an attempt in flight at the cut does not start over without resume()', () => {
    const w = plainWorld([success()]);
    const cut = w.t0 + DISCOVERY_MS + SECOND;
    const { sim, sink, enroller } = cutAndRestore(w, cut);
    sim.run(cut + HOUR);
    expect(enroller.calls).toEqual([]);
    expect(sink.ofType('enrollment.started')).toEqual([]);
    expect(sink.ofType('session.started')).toEqual([]);
  });

  it('a retry pending at the cut runs at its time after restore', () => {
    const w = plainWorld([failure('policy', 503, 'HTTP 503 Service Unavailable'), success()]);
    const cut = w.t0 + 10 * MINUTE;
    const { sim, sink, enroller } = cutAndRestore(w, cut);
    sim.run(w.t0 + HOUR);
    const retry = w.t0 + ATTEMPT_MS + 30 * MINUTE;
    expect(sink.ofType('enrollment.started').map((e) => e.time)).toEqual([retry]);
    expect(enroller.calls.map((c) => c.at)).toEqual([retry]);
    expect(sink.ofType('enrollment.completed').map((e) => e.time)).toEqual([retry + ATTEMPT_MS]);
  });
});
