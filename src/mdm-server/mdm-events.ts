/**
 * What the reference MDM server reports through its `onEvent` option: sessions, the push
 * channel, pushes, and (with enrollment on) enrollments, authentication challenges and
 * unenrollments. Events never carry a secret: no password, token, credential hash, digest or
 * nonce.
 */
import type { PushResult } from './push-result.js';

interface EventBase {
  /** Epoch ms, from the server's clock. */
  readonly time: number;
  readonly deviceId: string;
}

/** Why a management message was challenged (SyncHdr Status 401 or 407 with a `Chal`). */
export type ChallengeReason =
  /** The message carries no `Cred` (407). */
  | 'no-credential'
  /** The server holds no nonce for the device: its first message since enrollment (407). */
  | 'no-nonce'
  /** The nonce the server issued last is older than its lifetime (407). */
  | 'nonce-expired'
  /** The `Cred` is not `syncml:auth-md5` with Format `b64` (401). */
  | 'wrong-scheme'
  /** The digest does not match the device's credential and nonce (401). */
  | 'wrong-digest';

/** Why a management message was refused outright (SyncHdr Status 403, no challenge). */
export type RefusalReason = 'not-enrolled' | 'unenrolled';

/** The MS-MDE2 step an enrollment fault answered. */
export type EnrollmentStep = 'discovery' | 'policy' | 'enrollment';

/** What the reference server reports through `onEvent`. */
export type MdmServerEvent =
  /** A session started: package 1 carried Alert 1201 (client) or 1200 (server-initiated). */
  | (EventBase & {
      readonly type: 'mdm.session';
      readonly sessionId: string;
      readonly alert: string;
    })
  /** The server ended a session (`aborted`: the device sent Alert 1223). */
  | (EventBase & {
      readonly type: 'mdm.session-ended';
      readonly sessionId: string;
      readonly reason: 'completed' | 'aborted';
    })
  /** A message of a session the server does not know: answered with an end message. */
  | (EventBase & { readonly type: 'mdm.unknown-session'; readonly sessionId: string })
  /** The device confirmed `Push/PFN`. */
  | (EventBase & {
      readonly type: 'mdm.pfn-set';
      readonly pfn: string;
      readonly via: 'Add' | 'Replace';
    })
  /**
   * A device reported a ChannelURI that is not on a WNS host: ignored (the held one is kept).
   * `origin` is the URI's (null when it is not a URL), never the whole URI.
   */
  | (EventBase & {
      readonly type: 'mdm.channel-refused';
      readonly origin: string | null;
      readonly reason: string;
    })
  /** Push nodes were read; `channelUri` is what the server now holds. */
  | (EventBase & {
      readonly type: 'mdm.channel-read';
      readonly channelUri: string | null;
      readonly pushStatus: number | null;
    })
  /** The device answered a server command with a non-2xx status (418 on Add PFN excepted). */
  | (EventBase & {
      readonly type: 'mdm.command-failed';
      readonly sessionId: string;
      readonly cmd: string;
      readonly target: string;
      readonly status: string;
    })
  /** A push was attempted (see `ReferenceMdm.recordPush`). */
  | (EventBase & {
      readonly type: 'mdm.push';
      readonly channelUri: string | null;
      readonly result: PushResult;
    })
  /** A device enrolled (MS-MDE2 RequestSecurityToken answered with its provisioning document). */
  | (EventBase & {
      readonly type: 'mdm.enrolled';
      readonly hwDevId: string;
      readonly enrollmentType: string;
      readonly authPolicy: string;
      /** SHA-1 of the device certificate, uppercase hex. */
      readonly certificateThumbprint: string;
    })
  /**
   * An enrollment request was answered with a SOAP fault. `deviceId` is the request's DeviceID
   * when it was read (`null` before that); `reason` is the fault's text (it never quotes a
   * password or token).
   */
  | {
      readonly time: number;
      readonly type: 'mdm.enrollment-fault';
      readonly deviceId: string | null;
      readonly step: EnrollmentStep;
      readonly subcode: string;
      readonly reason: string;
    }
  /** A management message was answered with a challenge: SyncHdr Status 401 or 407 and a `Chal`. */
  | (EventBase & {
      readonly type: 'mdm.auth-challenged';
      readonly sessionId: string;
      readonly status: '401' | '407';
      readonly reason: ChallengeReason;
    })
  /** A management message from a device not (or no longer) enrolled: SyncHdr Status 403. */
  | (EventBase & {
      readonly type: 'mdm.auth-refused';
      readonly sessionId: string;
      readonly reason: RefusalReason;
    })
  /** The device asked to be unenrolled (Alert 1226, `com.microsoft:mdm.unenrollment.userrequest`). */
  | (EventBase & { readonly type: 'mdm.device-unenrolled' });

/** Like `Omit`, applied to each member of a union. */
export type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
