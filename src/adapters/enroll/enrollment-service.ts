/**
 * The device → enrollment service port (`EnrollmentService`, core/enroll/enrollment.ts) over real
 * HTTP(S): each device's enrollment runs {@link enroll} with a profile built from what the device
 * says about itself, its credentials (fixed, or a Federated token from `--enroll-token-cmd`), and
 * reports discovery and the outcome through the port's handlers. Tracked on the clock as I/O in
 * flight, so a virtual clock holds still while a device enrolls.
 */
import type { EnrollmentCredentials } from '../../core/enroll/credentials.js';
import type { WindowsRelease } from '../../core/enroll/device-profile.js';
import { buildOf, osProfileForBuild } from '../../core/os/os-profiles.js';
import type {
  EnrollmentService,
  EnrollOutcome,
  EnrollRequest,
} from '../../core/enroll/enrollment.js';
import type { Clock } from '../../core/time/clock.js';
import { enroll, type EnrollmentOutcome, type EnrollOptions } from './enrollment-client.js';
import { runTokenCommand, TokenCommandError } from './token-command.js';

/** Credentials whose Federated token comes from a command run per device. */
export interface TokenCommandCredentials {
  readonly policy: 'Federated';
  /** The command template (`{deviceId}`, `{n}`; see token-command.ts). */
  readonly tokenCommand: string;
  readonly encoding?: 'base64' | 'verbatim';
}

/** Options of {@link HttpEnrollmentService}. */
export interface HttpEnrollmentServiceOptions {
  readonly discoveryUrl: string;
  /** How long after a failure a device tries again, ms (default: the core's 30 minutes). */
  readonly retryMs?: number;
  /** `EmailAddress` of Discover; `{deviceId}` is replaced by the device's id. */
  readonly email: string;
  readonly credentials: EnrollmentCredentials | TokenCommandCredentials;
  /** Enrollments are tracked on it as I/O in flight. */
  readonly clock: Clock;
  /** Trusted CAs, PEM (default Node's store, with `NODE_EXTRA_CA_CERTS`). */
  readonly ca?: string | readonly string[];
  /** Per-request deadline, real milliseconds (default 30,000). */
  readonly timeoutMs?: number;
  /** The token command's deadline, real milliseconds (default 30,000). */
  readonly tokenCommandTimeoutMs?: number;
  /** More options for {@link enroll} (tests: a message-id source, no probe…). */
  readonly extra?: Partial<EnrollOptions>;
}

/** Windows 11 builds start at 22000. */
function releaseOf(osVersion: string): WindowsRelease {
  const build = buildOf(osVersion);
  return Number.isFinite(build) && build >= 22000 ? 'windows11' : 'windows10';
}

/** The port's outcome from the client's. */
function toPort(outcome: EnrollmentOutcome): EnrollOutcome {
  if (!outcome.ok)
    return { ok: false, stage: outcome.stage, status: outcome.status, reason: outcome.reason };
  if (outcome.authPolicy === 'Certificate') {
    return {
      ok: false,
      stage: 'discovery',
      status: 200,
      reason: 'AuthPolicy Certificate is not modelled',
    };
  }
  return {
    ok: true,
    authPolicy: outcome.authPolicy,
    doc: outcome.provisioningDoc,
    identity: outcome.identity,
    certificate: {
      thumbprint: outcome.certificate.thumbprint,
      subject: outcome.certificate.subject,
      notAfter: outcome.certificate.notAfter,
    },
  };
}

/**
 * MS-MDE2 enrollment over HTTP(S). `{n}` of a token command is the device's 1-based rank in the
 * order this service first saw it (**assumption**: the port passes no fleet index).
 */
export class HttpEnrollmentService implements EnrollmentService {
  readonly discoveryUrl: string;
  readonly retryMs: number | undefined;
  private readonly ranks = new Map<string, number>();

  constructor(private readonly options: HttpEnrollmentServiceOptions) {
    this.discoveryUrl = options.discoveryUrl;
    this.retryMs = options.retryMs;
  }

  enroll(request: EnrollRequest, handlers: Parameters<EnrollmentService['enroll']>[1]): void {
    if (!this.ranks.has(request.deviceId)) this.ranks.set(request.deviceId, this.ranks.size + 1);
    const work = this.run(request, handlers.discovered).then(toPort, (error: unknown) => ({
      ok: false as const,
      stage: 'discovery' as const,
      status: 0,
      reason: `internal error: ${error instanceof Error ? error.message : String(error)}`,
    }));
    void this.options.clock.track(work).then(handlers.done);
  }

  private async run(
    request: EnrollRequest,
    discovered: Parameters<EnrollmentService['enroll']>[1]['discovered'],
  ): Promise<EnrollmentOutcome> {
    const credentials = await this.credentials(request.deviceId);
    if ('reason' in credentials) return credentials;
    const os = osProfileForBuild(buildOf(request.osVersion));
    return enroll({
      discoveryUrl: this.options.discoveryUrl,
      profile: {
        devId: request.devId,
        hwDevId: request.hwDevId,
        deviceName: request.deviceName,
        release: releaseOf(request.osVersion),
        // The device's version, known by its build: its RequestVersion (docs/model.md §14).
        ...(os && { os: os.name }),
        osVersion: request.osVersion,
        email: this.options.email.replaceAll('{deviceId}', request.deviceId),
      },
      credentials,
      ...(this.options.ca !== undefined && { ca: this.options.ca }),
      ...(this.options.timeoutMs !== undefined && { timeoutMs: this.options.timeoutMs }),
      onDiscovered: (result) => {
        if (result.authPolicy === 'Certificate') return;
        discovered({
          authPolicy: result.authPolicy,
          policyUrl: result.enrollmentPolicyServiceUrl ?? '',
          enrollmentUrl: result.enrollmentServiceUrl,
        });
      },
      ...this.options.extra,
    });
  }

  /**
   * The device's credentials; a token command runs first, before discovery (**assumption**:
   * Windows gets a Federated token from its web authentication broker after discovery; a failing
   * command is reported as a discovery failure with status 0).
   */
  private async credentials(
    deviceId: string,
  ): Promise<EnrollmentCredentials | Extract<EnrollmentOutcome, { ok: false }>> {
    const configured = this.options.credentials;
    if (!('tokenCommand' in configured)) return configured;
    try {
      const token = await runTokenCommand(
        configured.tokenCommand,
        { deviceId, n: this.ranks.get(deviceId) ?? 0 },
        { timeoutMs: this.options.tokenCommandTimeoutMs ?? 30_000 },
      );
      return {
        policy: 'Federated',
        token,
        ...(configured.encoding && { encoding: configured.encoding }),
      };
    } catch (error) {
      if (!(error instanceof TokenCommandError)) throw error;
      return { ok: false, stage: 'discovery', status: 0, reason: error.message };
    }
  }
}
