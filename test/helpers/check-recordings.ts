/**
 * Hand-built {@link Recording}s for the judges' unit tests: a device's sessions with a server, the
 * emulator's journal and the device's timeline, written as a few readable lines.
 */
import { DEFAULT_POLL } from '../../src/core/dmclient/poll-schedule.js';
import {
  summarize,
  type CheckOutcome,
  type CheckReport,
  type Mark,
  type Recording,
  type RecordedDevice,
  type SituationId,
  type SyncMLExchange,
} from '../../src/core/check/model.js';
import type { Command, Item, SyncMLMessage } from '../../src/core/syncml/message.js';
import type { TimelineEvent } from '../../src/core/timeline/events.js';
import type { JournalEntry } from '../../src/core/wns/journal.js';

export const T0 = Date.UTC(2026, 0, 1);
export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;
export const PFN = 'Contoso.MDM_8wekyb3d8bbwe';
export const DEVICE = 'check-lifecycle';
export const DEVID = 'DEV-0001';
export const SERVER = 'https://mdm.example/ManagementServer/MDM.svc';
/** The node of the device's provider, for targets: `node('Push/PFN')`. */
export const node = (leaf: string): string => `./Vendor/MSFT/DMClient/Provider/MDMPROV/${leaf}`;

/** A message with default header fields. */
export function message(
  from: 'device' | 'server',
  msgId: string,
  commands: readonly Command[],
  sessionId = '1',
  final = true,
): SyncMLMessage {
  const [target, source] = from === 'device' ? [SERVER, DEVID] : [DEVID, SERVER];
  return {
    header: { verDTD: '1.2', verProto: 'DM/1.2', sessionId, msgId, target, source },
    commands,
    final,
  };
}

export const get = (cmdId: string, ...targets: string[]): Command => ({
  kind: 'Get',
  cmdId,
  items: targets.map((target): Item => ({ target })),
});
export const replace = (cmdId: string, target: string, data: string): Command => ({
  kind: 'Replace',
  cmdId,
  items: [{ target, data }],
});
export const add = (cmdId: string, target: string, data: string): Command => ({
  kind: 'Add',
  cmdId,
  items: [{ target, data }],
});
export const results = (
  cmdId: string,
  msgRef: string,
  cmdRef: string,
  source: string,
  data: string,
): Command => ({
  kind: 'Results',
  cmdId,
  msgRef,
  cmdRef,
  items: [{ source, data }],
});
export const status = (
  cmdId: string,
  msgRef: string,
  cmdRef: string,
  cmd: string,
  data = '200',
): Command => ({
  kind: 'Status',
  cmdId,
  msgRef,
  cmdRef,
  cmd,
  data,
});

let seq = 0;
/** One exchange: the device's message and the server's parsed reply (null: none). */
export function exchange(
  time: number,
  sent: SyncMLMessage,
  reply: SyncMLMessage | null,
  extra: Partial<SyncMLExchange> = {},
): SyncMLExchange {
  return {
    seq: ++seq,
    time,
    deviceId: DEVICE,
    sessionId: sent.header.sessionId,
    trigger: 'poll',
    sent,
    reply,
    httpStatus: reply ? 200 : null,
    contentType: reply ? 'application/vnd.syncml.dm+xml' : null,
    ...extra,
  };
}

let journalSeq = 0;
/** A journal entry. */
export function journal(time: number, fields: Omit<JournalEntry, 'seq' | 'time'>): JournalEntry {
  return { seq: ++journalSeq, time, ...fields };
}

/** A timeline event of the device. */
export function event(
  time: number,
  fields: Record<string, unknown> & { type: string },
): TimelineEvent {
  return { time, device: DEVICE, ...fields } as TimelineEvent;
}

export const mark = (time: number, step: Mark['step'], fields: Partial<Mark> = {}): Mark => ({
  time,
  step,
  deviceId: DEVICE,
  ...fields,
});

/** A recording of `situation` with the given parts (sorted by time). */
export function recording(
  situation: SituationId,
  parts: {
    readonly syncml?: readonly SyncMLExchange[];
    readonly journal?: readonly JournalEntry[];
    readonly timeline?: readonly TimelineEvent[];
    readonly marks?: readonly Mark[];
    readonly devices?: readonly RecordedDevice[];
    readonly triggers?: boolean;
    readonly aborted?: string;
    readonly end?: number;
  } = {},
): Recording {
  const byTime = <T extends { time: number }>(list: readonly T[] = []): T[] =>
    [...list].sort((a, b) => a.time - b.time);
  return {
    situation,
    start: T0,
    end: parts.end ?? T0 + DAY,
    devices: parts.devices ?? [{ id: DEVICE, devId: DEVID, poll: DEFAULT_POLL }],
    pfn: PFN,
    triggers: parts.triggers ?? true,
    journal: byTime(parts.journal),
    timeline: byTime(parts.timeline),
    syncml: byTime(parts.syncml),
    marks: byTime(parts.marks),
    ...(parts.aborted ? { aborted: parts.aborted } : {}),
  };
}

/** The source hand-built outcomes quote. */
export const SOURCE = {
  quote: 'The server should re-read the ChannelURI.',
  document: 'Push notification support for device management',
  url: 'https://learn.microsoft.com/windows/client-management/push-notification-windows-mdm',
};

/** A judged check for the reports' tests, defaults filled in. */
export const outcome = (
  fields: Partial<CheckOutcome> & Pick<CheckOutcome, 'id' | 'result'>,
): CheckOutcome => ({
  title: `Title of ${fields.id}`,
  summary: `summary of ${fields.id}`,
  source: SOURCE,
  evidence: [],
  durationMs: 1200,
  situation: 'lifecycle',
  ...fields,
});

/** A report of `checks`. */
export const checkReport = (checks: CheckOutcome[]): CheckReport => ({
  server: 'https://mdm.example/ManagementServer/MDM.svc',
  startedAt: '2026-01-01T00:00:00.000Z',
  dmpushVersion: '0.1.0',
  checks,
  summary: summarize(checks),
});
