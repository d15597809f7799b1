/**
 * Reading a {@link Recording}: the server's commands on DMClient nodes, the device's answers,
 * sessions, and the one-line evidence every judge and report shows. Pure.
 *
 * @module
 */
import type { Command, Item, SyncMLMessage } from '../syncml/message.js';
import type { TimelineEvent, TimelineEventOf, TimelineEventType } from '../timeline/events.js';
import type { JournalEntry, NotifyRequestFacts } from '../wns/journal.js';
import type { Evidence, Mark, Recording, SyncMLExchange, Verdict } from './model.js';

/** A command of a server message, with the exchange it came in; containers are flattened. */
export interface ServerCommand {
  readonly exchange: SyncMLExchange;
  readonly command: Command;
}

/** The commands of `message`, Atomic and Sequence opened (the containers themselves included). */
export function flatCommands(message: SyncMLMessage): Command[] {
  const out: Command[] = [];
  const walk = (list: readonly Command[]): void => {
    for (const c of list) {
      out.push(c);
      if (c.kind === 'Atomic' || c.kind === 'Sequence') walk(c.commands);
    }
  };
  walk(message.commands);
  return out;
}

/** Every command the server sent in the recording, oldest first. */
export function serverCommands(recording: Recording): ServerCommand[] {
  return recording.syncml.flatMap((exchange) =>
    exchange.reply ? flatCommands(exchange.reply).map((command) => ({ exchange, command })) : [],
  );
}

/** The items of a command (none for Status, Results, containers and unsupported elements). */
export function itemsOf(command: Command): readonly Item[] {
  return 'items' in command && command.kind !== 'Status' ? (command.items ?? []) : [];
}

/**
 * True when `uri` names `leaf` under a DMClient provider's Push or Poll node, e.g.
 * `./Vendor/MSFT/DMClient/Provider/X/Push/PFN` for `Push/PFN` (any provider, `./Device` prefix
 * or not).
 */
export function isProviderNode(uri: string | undefined, leaf: string): boolean {
  if (uri === undefined) return false;
  const tail = `/${leaf}`.toLowerCase();
  const u = uri.toLowerCase();
  return u.includes('/vendor/msft/dmclient/provider/') && u.endsWith(tail);
}

/** Server commands of `kinds` on a provider's `leaf` (e.g. `Get` of `Push/ChannelURI`). */
export function commandsOn(
  recording: Recording,
  kinds: readonly Command['kind'][],
  leaf: string,
): ServerCommand[] {
  return serverCommands(recording).filter(
    ({ command }) =>
      kinds.includes(command.kind) && itemsOf(command).some((i) => isProviderNode(i.target, leaf)),
  );
}

/**
 * The values the device returned for `leaf` (its Results, in the messages it sent), oldest first:
 * e.g. each ChannelURI it told the server.
 */
export function resultsFor(
  recording: Recording,
  leaf: string,
): { readonly exchange: SyncMLExchange; readonly value: string }[] {
  return recording.syncml.flatMap((exchange) =>
    flatCommands(exchange.sent).flatMap((c) =>
      c.kind === 'Results'
        ? c.items
            .filter((i) => isProviderNode(i.source ?? i.target, leaf))
            .map((i) => ({ exchange, value: i.data ?? '' }))
        : [],
    ),
  );
}

/** The timeline events of `type`, oldest first. */
export function eventsOf<K extends TimelineEventType>(
  recording: Recording,
  type: K,
): TimelineEventOf<K>[] {
  return recording.timeline.filter((e): e is TimelineEventOf<K> => e.type === type);
}

/** The journal's push requests (`notify`), oldest first. */
export function notifies(recording: Recording): JournalEntry[] {
  return recording.journal.filter((e) => e.op === 'notify');
}

/** What a notify entry's sender asked for (absent on entries journalled before the request was read). */
export function notifyFacts(entry: JournalEntry): NotifyRequestFacts | undefined {
  return entry.op === 'notify' ? (entry.request as NotifyRequestFacts | undefined) : undefined;
}

/** The situation's marks of `step`, oldest first. */
export function marksOf(recording: Recording, step: Mark['step']): Mark[] {
  return recording.marks.filter((m) => m.step === step);
}

/**
 * The part of a URI worth showing: its path and query, at most `max` characters (the middle of a
 * long one, such as a channel's token, left out).
 */
export function shortUri(uri: string, max = 48): string {
  let tail = uri;
  try {
    const url = new URL(uri);
    tail = `${url.pathname}${url.search}`;
  } catch {
    // not a URL: shown as it is
  }
  if (tail.length <= max) return tail;
  const half = Math.floor((max - 1) / 2);
  return `${tail.slice(0, half)}…${tail.slice(tail.length - half)}`;
}

/** Evidence of a journal entry: `POST /w/… → 410 (Channel expired)`. */
export function wnsEvidence(entry: JournalEntry): Evidence {
  const what =
    entry.op === 'notify'
      ? `push to ${shortUri(entry.channelUri ?? '?')}`
      : entry.op === 'token'
        ? 'token request'
        : entry.op;
  const why = entry.description ? ` (${entry.description})` : '';
  return { time: entry.time, kind: 'wns', text: `${what} → ${entry.status}${why}` };
}

/** Evidence of a timeline event: its type and its fields in one line. */
export function deviceEvidence(event: TimelineEvent): Evidence {
  const { time, device, type, ...fields } = event;
  const parts = Object.entries(fields).map(([k, v]) =>
    k === 'channelUri' && typeof v === 'string' ? `${k}=${shortUri(v)}` : `${k}=${String(v)}`,
  );
  const who = device ? `${device}: ` : '';
  return {
    time,
    kind: 'device',
    text: `${who}${type}${parts.length ? ` ${parts.join(' ')}` : ''}`,
  };
}

/** Evidence of a server command: `Get ./Vendor/…/Push/ChannelURI (CmdID 3, session 2 msg 2)`. */
export function syncmlEvidence(x: ServerCommand, note = ''): Evidence {
  const { exchange, command } = x;
  const targets = itemsOf(command)
    .map((i) => i.target ?? '')
    .filter((t) => t !== '');
  const data = itemsOf(command)
    .map((i) => i.data)
    .filter((d): d is string => d !== undefined && d !== '');
  const head = command.kind === 'Unsupported' ? command.name : command.kind;
  const value = data.length && command.kind !== 'Get' ? ` = ${data.join(', ').slice(0, 60)}` : '';
  const where = `CmdID ${command.cmdId || '?'}, session ${exchange.sessionId} msg ${exchange.reply?.header.msgId ?? '?'}`;
  return {
    time: exchange.time,
    kind: 'syncml',
    text: `${head} ${targets.join(' ')}${value} (${where})${note ? `: ${note}` : ''}`,
  };
}

/** Evidence of a situation step. */
export function stepEvidence(mark: Mark): Evidence {
  const who = mark.deviceId ? ` ${mark.deviceId}` : '';
  const ok = mark.ok === false ? ' (failed)' : '';
  return {
    time: mark.time,
    kind: 'step',
    text: `${mark.step}${who}${ok}${mark.detail ? `: ${mark.detail}` : ''}`,
  };
}

/** Sorts evidence oldest first and keeps at most `max` items (the first ones). */
function evidenceList(items: readonly Evidence[], max = 12): Evidence[] {
  return [...items].sort((a, b) => a.time - b.time).slice(0, max);
}

/** A verdict. */
export const verdict = (
  result: Verdict['result'],
  summary: string,
  evidence: readonly Evidence[] = [],
): Verdict => ({ result, summary, evidence: evidenceList(evidence) });
