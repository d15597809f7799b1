/**
 * `dmpush check` as plain data (docs/decisions/0015-check-as-recorded-runs-and-pure-judges.md):
 * what a situation recorded ({@link Recording}), what a judge concludes from it ({@link Verdict}),
 * and the report of a whole run ({@link CheckReport}). Pure: no I/O, no clock.
 *
 * @module
 */
import type { PollConfig } from '../dmclient/poll-schedule.js';
import type { SyncMLMessage } from '../syncml/message.js';
import type { TimelineEvent } from '../timeline/events.js';
import type { JournalEntry } from '../wns/journal.js';

/**
 * Rejected pushes (404, 410, 406) within an hour after which a check run's emulator blocks the
 * PFN for misuse (a setting of the run: WNS publishes no figure); `no-push-storm` fails there.
 */
export const CHECK_BLOCK_AFTER = 30;

/** The scripted stories a check run plays, each on devices of its own (`src/check/situations.ts`). */
export const SITUATION_IDS = ['lifecycle', 'renewal', 'token', 'throttle', 'expiry'] as const;
export type SituationId = (typeof SITUATION_IDS)[number];

/** The check ids, in report order: a contract (README, JSON, JUnit). */
export const CHECK_IDS = [
  'pfn-set',
  'channel-read',
  'status-read',
  'channel-reread-after-renewal',
  'push-format',
  'push-wakes-session',
  'token-refresh-on-401',
  'gone-410-stops',
  'throttle-406-backoff',
  'cache-policy',
  'offline-across-expiry',
  'poll-schedule',
  'no-push-storm',
  'syncml-hygiene',
] as const;
export type CheckId = (typeof CHECK_IDS)[number];

/**
 * One message a device sent in a management session and the server's answer to it, as the
 * OMA-DM client's tap saw them. `time` is the clock instant the answer arrived (or failed).
 */
export interface SyncMLExchange {
  /** 1, 2, … in the order the answers arrived, across all devices. */
  readonly seq: number;
  readonly time: number;
  /** The simulator's id of the device. */
  readonly deviceId: string;
  /** The session's SessionID as the device wrote it. */
  readonly sessionId: string;
  /** What started the session (`push`, `poll`, `renewal`, …). */
  readonly trigger: string;
  /** The device's message. */
  readonly sent: SyncMLMessage;
  /** The server's answer, parsed; null when none came or it could not be parsed. */
  readonly reply: SyncMLMessage | null;
  /** HTTP status of the answer; null when none came (network error, timeout). */
  readonly httpStatus: number | null;
  /** The answer's media type, lower case without parameters; null when none came. */
  readonly contentType: string | null;
  /** Why the answer could not be used (the codec's or the transport's words); absent when it could. */
  readonly problem?: string;
  /** The start of an answer that could not be parsed (at most 2,000 characters), to show it. */
  readonly rawReply?: string;
}

/** A step the situation took (or failed to take), for evidence and for the judges' timing. */
export interface Mark {
  readonly time: number;
  readonly step:
    /** The trigger ran for `deviceId` (`ok` false: the command failed or the request was refused). */
    | 'trigger'
    /** The device went offline (`detail`: how) or came back. */
    | 'offline'
    | 'online'
    /** The emulator stopped honouring the server's access tokens (a fault). */
    | 'tokens-revoked'
    /** Virtual time was skipped to `time` (`detail`: why). */
    | 'skipped'
    /** The situation waited for the server and it did not act in time (`detail`: for what). */
    | 'timeout';
  readonly deviceId?: string;
  readonly ok?: boolean;
  readonly detail?: string;
  /** Real milliseconds the step took (a trigger's command or request). */
  readonly realMs?: number;
}

/** One device of a situation. */
export interface RecordedDevice {
  /** The simulator's id. */
  readonly id: string;
  /** Its DevId, as the server knows it. */
  readonly devId: string;
  /** Its effective DMClient poll schedule at the situation's end. */
  readonly poll: PollConfig;
}

/** What one situation recorded: plain data, each list ordered by clock instant. No secrets. */
export interface Recording {
  readonly situation: SituationId;
  readonly start: number;
  readonly end: number;
  readonly devices: readonly RecordedDevice[];
  /** The PFN the emulator knows for the server's app (`--pfn`, or the one app of `--apps`). */
  readonly pfn: string;
  /** True when the run has a trigger (`--trigger-cmd`, `--trigger-url`, or the reference server's). */
  readonly triggers: boolean;
  /** The emulator's journal entries of the situation (token, notify, channel, …). */
  readonly journal: readonly JournalEntry[];
  readonly timeline: readonly TimelineEvent[];
  readonly syncml: readonly SyncMLExchange[];
  readonly marks: readonly Mark[];
  /** Why the situation stopped before its end (e.g. the server stopped answering); absent when it ran through. */
  readonly aborted?: string;
}

export type CheckResult = 'pass' | 'fail' | 'warn' | 'skip';

/** Where an evidence item comes from: a SyncML exchange, the emulator's journal, the device's timeline, the situation's own steps. */
type EvidenceKind = 'syncml' | 'wns' | 'device' | 'step';

/** One exchange or event that decided a verdict, in one readable line. */
export interface Evidence {
  /** Clock instant (epoch ms). */
  readonly time: number;
  readonly kind: EvidenceKind;
  readonly text: string;
}

/** What a judge concludes. */
export interface Verdict {
  readonly result: CheckResult;
  /** One line: why this result. */
  readonly summary: string;
  /** The exchanges that decided it, oldest first, short (a judge keeps at most a dozen). */
  readonly evidence: readonly Evidence[];
}

/** The recommendation a check enforces, quoted from its public source. */
export interface CheckSource {
  readonly quote: string;
  /** The document's title. */
  readonly document: string;
  readonly url: string;
}

/** A check: its contract (id, title, source), the situation it judges and its judge. */
export interface CheckDefinition {
  readonly id: CheckId;
  readonly title: string;
  readonly situation: SituationId;
  /** True when the check needs a server-initiated push: `skip` without a trigger. */
  readonly needsTrigger: boolean;
  readonly source: CheckSource;
  readonly judge: (recording: Recording) => Verdict;
}

/** A judged check, as reports show it. */
export interface CheckOutcome {
  readonly id: CheckId;
  readonly title: string;
  readonly result: CheckResult;
  readonly summary: string;
  readonly source: CheckSource;
  readonly evidence: readonly Evidence[];
  /** Real milliseconds its situation took (shared by the checks of one situation). */
  readonly durationMs: number;
  readonly situation: SituationId;
}

export interface CheckSummary {
  readonly passed: number;
  readonly failed: number;
  readonly warned: number;
  readonly skipped: number;
}

/** A whole run's report: what every format renders. */
export interface CheckReport {
  /** The management server's URL (`reference` for the built-in one). */
  readonly server: string;
  /** ISO 8601, real time. */
  readonly startedAt: string;
  readonly dmpushVersion: string;
  readonly checks: readonly CheckOutcome[];
  readonly summary: CheckSummary;
}

/** Counts the results of `checks`. */
export function summarize(checks: readonly Pick<CheckOutcome, 'result'>[]): CheckSummary {
  const count = (r: CheckResult): number => checks.filter((c) => c.result === r).length;
  return {
    passed: count('pass'),
    failed: count('fail'),
    warned: count('warn'),
    skipped: count('skip'),
  };
}
