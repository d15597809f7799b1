/**
 * The settings of one `dmpush check` run, as the command resolves them from its flags.
 *
 * @module
 */
import type { EnrollConfig } from '../cli/program/enroll.js';
import type { CheckId } from '../core/check/model.js';
import type { Trigger } from './trigger.js';

export interface CheckRunOptions {
  /** The user's management server; absent: the reference server runs in process and is checked. */
  readonly mdmUrl?: string;
  /**
   * The devices enroll (MS-MDE2) with the user's server first (`--enroll-url`); absent or null:
   * they are managed at `mdmUrl` without enrolling, or enroll with the reference server.
   */
  readonly enroll?: EnrollConfig | null;
  /** How long after a failed enrollment a device tries again, ms (`--enroll-retry`). */
  readonly enrollRetry?: number;
  /** The devices' DMClient `{ProviderID}`: the server's own. */
  readonly providerId: string;
  /** The PFN the server must set (an app of `apps`); default the first app. */
  readonly pfn?: string;
  /** The emulator's apps file (default: the built-in demo app). */
  readonly apps?: string;
  /** The emulator's port (0: any; the server's token endpoint must name it). */
  readonly wnsPort: number;
  readonly seed: number;
  /** Where the virtual clock starts (epoch ms). */
  readonly start: number;
  /** Real milliseconds the run waits for the server to act (a session's answers, a push after a trigger). */
  readonly timeoutMs: number;
  /** Real milliseconds the run watches for pushes the server should not send. */
  readonly quietMs: number;
  /** Makes the server push to a device; null: checks that need one are skipped. */
  readonly trigger: Trigger | null;
  /** The checks to run, in report order. */
  readonly checks: readonly CheckId[];
}
