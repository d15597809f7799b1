/**
 * How `dmpush serve`'s devices enroll (MS-MDE2): with the reference MDM server's enrollment
 * service (the default), with the user's (`--enroll-url`), or not at all (`--no-enrollment`, or
 * `--mdm-url` alone: a server that assumes enrollment already happened).
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import {
  HttpEnrollmentService,
  type HttpEnrollmentServiceOptions,
} from '../../adapters/enroll/enrollment-service.js';
import type { ReferenceEnrollmentOptions } from '../../adapters/mdm-server/start.js';
import type { RunningReferenceMdm } from '../../adapters/mdm-server/start.js';
import type { EnrollmentService } from '../../core/enroll/enrollment.js';
import type { Clock } from '../../core/time/clock.js';
import { UsageError } from '../io.js';
import type { EnrollConfig } from '../program/enroll.js';

/** The enrollment-related options of `serve`. */
export interface ServeEnrollOptions {
  readonly mdmUrl?: string;
  readonly enroll?: EnrollConfig | null;
  /** False: `--no-enrollment`. */
  readonly enrollment?: boolean;
  /** `--enroll-retry`, ms. */
  readonly enrollRetry?: number;
}

/** The reference server's one enrollment user; its password is drawn per process. */
const REFERENCE_USER = 'dmpush';

/** `EmailAddress` the devices send to the reference server's discovery. */
const REFERENCE_EMAIL = '{deviceId}@dmpush.example';

/** What {@link planEnrollment} decided. */
export interface EnrollmentPlan {
  /**
   * The fleet identity's `enrollment`: `reference`, the discovery URL, or null (no enrollment).
   * A state file only restores a fleet that enrolls the same way.
   */
  readonly identity: string | null;
  /** The reference server's enrollment options, or null (none, or the user's server runs). */
  readonly reference: ReferenceEnrollmentOptions | null;
  /** Builds the devices' enrollment service once the servers listen (null: no enrollment). */
  service(reference: RunningReferenceMdm | null, clock: Clock): EnrollmentService | null;
}

/**
 * Decides how the fleet enrolls. `stateFile` (null with `--memory`) places the reference
 * server's enrollment CA next to it, so certificates stay valid across restarts.
 *
 * @throws {@link UsageError} for flags that do not fit together.
 */
export function planEnrollment(o: ServeEnrollOptions, stateFile: string | null): EnrollmentPlan {
  const config = o.enroll ?? null;
  if (config !== null) {
    if (o.enrollment === false)
      throw new UsageError('--no-enrollment: leave it out with --enroll-url');
    return {
      identity: config.url,
      reference: null,
      service: (_reference, clock) => userService(config, clock, o.enrollRetry),
    };
  }
  if (o.mdmUrl !== undefined || o.enrollment === false)
    return { identity: null, reference: null, service: () => null };
  const password = randomBytes(18).toString('base64url');
  const reference: ReferenceEnrollmentOptions = {
    authPolicy: 'OnPremise',
    users: [{ user: REFERENCE_USER, password }],
    ...(stateFile === null ? {} : { caDir: join(dirname(stateFile), 'enrollment-ca') }),
  };
  return {
    identity: 'reference',
    reference,
    service: (running, clock) => {
      const discoveryUrl = running?.enrollment?.urls.discovery;
      if (discoveryUrl === undefined) return null;
      return new HttpEnrollmentService({
        discoveryUrl,
        email: REFERENCE_EMAIL,
        credentials: { policy: 'OnPremise', user: REFERENCE_USER, password },
        clock,
        ...(o.enrollRetry === undefined ? {} : { retryMs: o.enrollRetry }),
      });
    },
  };
}

/** The devices' enrollment with the user's server (`--enroll-url` and its credentials). */
function userService(
  config: EnrollConfig,
  clock: Clock,
  retryMs: number | undefined,
): EnrollmentService {
  const c = config.credentials;
  const credentials: HttpEnrollmentServiceOptions['credentials'] =
    c.policy === 'OnPremise'
      ? c
      : 'token' in c
        ? { policy: 'Federated', token: c.token }
        : { policy: 'Federated', tokenCommand: c.tokenCommand };
  return new HttpEnrollmentService({
    discoveryUrl: config.url,
    email: config.email,
    credentials,
    clock,
    ...(retryMs === undefined ? {} : { retryMs }),
  });
}
