/**
 * The JSON the dashboard gets from the control API it was served by (`dmpush serve`), typed from
 * the core's own shapes: a device is a `DeviceSnapshot` with its instants as ISO 8601 text, and
 * its enrollment an `EnrollmentView` the same way.
 *
 * @see ../../adapters/http/control-api.ts for the routes.
 */
import type { DeviceSnapshot } from '../../core/device/device.js';
import type { DmNodeListing } from '../../core/dm/dm-tree.js';
import type { EnrollmentView } from '../../core/enroll/enrollment.js';
import type { DeviceTimelineData } from '../../report/timeline-window.js';

/** A device's enrollment as the control API sends it: no key, no secret; instants in ISO 8601. */
export type EnrollmentJson = Omit<EnrollmentView, 'certificateNotAfter' | 'enrolledAt'> & {
  readonly certificateNotAfter: string;
  readonly enrolledAt: string;
};

/** `GET /api/devices/{id}` (and each device of `GET /api/devices` and `/api/live`). */
export type DeviceJson = Omit<DeviceSnapshot, 'channelExpiresAt' | 'nextRenewal' | 'enrollment'> & {
  readonly channelExpiresAt: string | null;
  readonly nextRenewalAt: string | null;
  /**
   * Null when the device is not enrolled; absent from servers that predate enrollment. Read it
   * through `enrollment.ts`, which checks its form.
   */
  readonly enrollment?: unknown;
};

/** One node of `GET /api/devices/{id}/tree`. */
export type TreeNode = DmNodeListing;

/** `GET /api/devices/{id}/timeline`: a window of the device's timeline, with an overview. */
export type DeviceTimelineJson = DeviceTimelineData;

/** `GET /api/clock`. */
export interface ClockJson {
  readonly now: string;
  readonly mode: 'virtual' | 'system';
}

/** An event as `/api/live` sends it: `GET /api/events`' form plus its sentence. */
export interface LiveEvent {
  readonly time: string;
  readonly device: string | null;
  readonly type: string;
  readonly text?: string;
}

/** A message of the `/api/live` WebSocket: `hello` on connect, then `update`s. */
export interface LiveMessage {
  readonly type: 'hello' | 'update';
  readonly now?: string;
  readonly clock?: ClockJson['mode'];
  readonly devices?: readonly DeviceJson[];
  readonly events?: readonly LiveEvent[];
  /** Events left out of this update (over the batch limit). */
  readonly dropped?: number;
}

/** An error answer: `{"error": "…"}`. */
export interface ErrorJson {
  readonly error?: string;
}
