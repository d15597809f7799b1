import type { ClientIdentity } from '../dm/dm-account.js';
import { accountUid as accountUidOf } from '../dm/dmacc-nodes.js';
import { ProvisioningApplyError, applyProvisioning } from '../dm/provisioning-apply.js';
import { POLL_START } from '../dmclient/poll-schedule.js';
import type {
  EnrollOutcome,
  EnrollRequest,
  EnrollmentRecord,
  EnrollmentView,
} from '../enroll/enrollment.js';
import type { Timer } from '../time/clock.js';
import type { SessionResult } from '../ports.js';
import type { SessionTrigger, UnenrollInitiator } from '../timeline/events.js';
import { SessionDevice } from './device-sessions.js';

/**
 * How long after a failed enrollment the device tries again (**assumption**: Windows documents no
 * retry for its enrollment client; a user, or the scheduled task of automatic enrollment, starts
 * it again — see docs/model.md, "Enrollment").
 */
export const ENROLL_RETRY_MS = 30 * 60 * 1000;

/**
 * MS-MDE2 enrollment: a device of a fleet with an enrollment service enrolls before it is managed,
 * applies the provisioning document to its DM tree, keeps its enrollment (provider, management
 * URL, TLS client identity), then opens its first session and starts polling. Unenrollment, by
 * the device (Alert 1226 in a session) or by the server (it deletes the device's provider),
 * forgets it.
 */
export abstract class EnrollingDevice extends SessionDevice {
  protected enrollment: EnrollmentRecord | null = null;
  /** True from `enrollment.started` to its end (a restart starts the attempt over). */
  protected enrolling = false;
  protected enrollTimer: Timer | null = null;
  private enrollGeneration = 0;

  /** The TLS client identity sessions present: the enrolled device's certificate and key. */
  override get identity(): ClientIdentity | null {
    return this.enrollment?.identity ?? null;
  }

  /** The enrollment as an API or the dashboard may show it (no key), or null. */
  get enrollmentView(): EnrollmentView | null {
    if (this.enrollment === null) return null;
    const { identity: _identity, ...view } = this.enrollment;
    return view;
  }

  /** True when the device must enroll before it is managed (a fleet with an enrollment service). */
  protected get mustEnroll(): boolean {
    return this.ctx.enroller !== undefined && this.enrollment === null;
  }

  /** A device that must enroll does not poll: it has no management server yet. */
  protected override get polling(): boolean {
    return !this.mustEnroll;
  }

  /**
   * Enrolls again after an unenrollment (or tries at once after a failure): true when an attempt
   * starts, false when the device is enrolled, enrolling, or its fleet has no enrollment service.
   */
  enroll(): boolean {
    return this.enter(() => {
      if (!this.mustEnroll || this.enrolling) return false;
      this.beginEnrollment();
      return true;
    });
  }

  /** Starts one enrollment attempt unless one is running. */
  protected beginEnrollment(): void {
    const enroller = this.ctx.enroller;
    if (enroller === undefined || this.enrolling || this.enrollment !== null) return;
    this.ctx.clock.cancel(this.enrollTimer);
    this.enrollTimer = null;
    const time = this.now();
    this.ctx.sink.emit({
      time,
      device: this.id,
      type: 'enrollment.started',
      discoveryUrl: enroller.discoveryUrl,
    });
    // The simulated network decides, not the host's: no network, no discovery request.
    const offline = !this.network.connected
      ? 'no network'
      : !this.network.internet
        ? 'no internet'
        : null;
    if (offline !== null) {
      this.enrollFailed('discovery', 0, `network error: ${offline}`);
      return;
    }
    this.enrolling = true;
    const generation = ++this.enrollGeneration;
    enroller.enroll(this.enrollRequest(), {
      discovered: (info) =>
        this.enter(() => {
          if (generation !== this.enrollGeneration) return;
          this.ctx.sink.emit({
            time: this.now(),
            device: this.id,
            type: 'enrollment.discovered',
            ...info,
          });
        }),
      done: (outcome) => this.enter(() => this.enrollDone(generation, outcome)),
    });
  }

  /** After a restart: an attempt whose answer died with the process starts over. */
  protected resumeEnrollment(): void {
    if (!this.enrolling) return;
    this.enrolling = false;
    this.beginEnrollment();
  }

  /** What the device says about itself to the enrollment service. */
  protected abstract enrollRequest(): EnrollRequest;

  private enrollDone(generation: number, outcome: EnrollOutcome): void {
    if (generation !== this.enrollGeneration) return;
    this.enrolling = false;
    if (!outcome.ok) {
      this.enrollFailed(outcome.stage, outcome.status, outcome.reason);
      return;
    }
    let applied;
    try {
      applied = applyProvisioning(this.tree, outcome.doc);
    } catch (error) {
      if (!(error instanceof ProvisioningApplyError)) throw error;
      this.enrollFailed('provisioning', 0, error.message);
      return;
    }
    const time = this.now();
    this.enrollment = {
      providerId: applied.providerId,
      managementUrl: applied.managementUrl,
      certificateThumbprint: outcome.certificate.thumbprint,
      certificateSubject: outcome.certificate.subject,
      certificateNotAfter: outcome.certificate.notAfter,
      enrolledAt: time,
      authType: outcome.authPolicy,
      identity: outcome.identity,
    };
    this.ctx.sink.emit({
      time,
      device: this.id,
      type: 'enrollment.completed',
      providerId: applied.providerId,
      managementUrl: applied.managementUrl,
      certificateThumbprint: outcome.certificate.thumbprint,
    });
    this.requestSession('enrolled');
    this.schedulePoll(time, POLL_START);
  }

  private enrollFailed(
    stage: 'discovery' | 'policy' | 'enroll' | 'provisioning',
    status: number,
    reason: string,
  ): void {
    this.ctx.sink.emit({
      time: this.now(),
      device: this.id,
      type: 'enrollment.failed',
      stage,
      status,
      reason,
    });
    this.enrollTimer = this.armEnrollRetry(
      this.now() + (this.ctx.enroller?.retryMs ?? ENROLL_RETRY_MS),
    );
  }

  protected armEnrollRetry(at: number): Timer {
    return this.ctx.clock.schedule(at, () =>
      this.enter(() => {
        this.enrollTimer = null;
        this.beginEnrollment();
      }),
    );
  }

  /**
   * Leaves management: a session that sends Alert 1226, then the enrollment is forgotten (whatever
   * the session's outcome: the user asked to leave). A device that is not enrolled does nothing.
   * Returns false when there is no enrollment to end.
   */
  unenroll(): boolean {
    return this.enter(() => {
      if (this.enrollment === null) return false;
      this.requestSession('unenroll');
      // No session possible now (no network…): the device leaves without telling the server.
      if (this.sessionRunning !== 'unenroll' && this.sessionQueued !== 'unenroll')
        this.forgetEnrollment('device');
      return true;
    });
  }

  /** A session request is also when a failed revocation is tried again (see `ChannelDevice`). */
  protected override requestSession(trigger: SessionTrigger): void {
    this.retryRevocations();
    super.requestSession(trigger);
  }

  protected override endSession(trigger: SessionTrigger, result: SessionResult): void {
    if (trigger === 'unenroll') this.forgetEnrollment('device');
    super.endSession(trigger, result);
  }

  /** The server deleted the device's provider: a server-side unenroll. */
  protected providerRemoved(providerId: string): void {
    if (this.enrollment?.providerId === providerId) this.forgetEnrollment('server');
  }

  /** The server deleted the DMAcc account of the device's provider: a server-side unenroll too. */
  protected accountRemoved(accountUid: string): void {
    const enrollment = this.enrollment;
    if (enrollment !== null && accountUid === accountUidOf(enrollment.providerId))
      this.forgetEnrollment('server');
  }

  /**
   * Forgets the enrollment: the provider's nodes and account leave the tree, polling stops, the
   * PFN (and with it the channel) is cleared. The device stays unmanaged until it enrolls again.
   */
  protected forgetEnrollment(initiator: UnenrollInitiator): void {
    const enrollment = this.enrollment;
    if (enrollment === null) return;
    this.enrollment = null;
    // Whatever the server deleted (the provider or the account), the other goes too: no secret
    // of a forgotten enrollment stays in the tree.
    this.removeProvider(enrollment.providerId);
    this.ctx.clock.cancel(this.pollTimer);
    this.pollTimer = null;
    this.ctx.sink.emit({
      time: this.now(),
      device: this.id,
      type: 'unenrolled',
      providerId: enrollment.providerId,
      initiator,
    });
  }

  /** Removes a provider's DMClient and DMAcc nodes from the tree and clears its PFN. */
  protected abstract removeProvider(providerId: string): void;
}
