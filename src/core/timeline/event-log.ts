import { MemoryLog, type AppendLog, type LogPage, type LogRead } from '../state/state-store.js';
import type { EventSink, TimelineEvent } from './events.js';

/** What {@link EventLog.list} selects: a device, a type (exact or a family prefix), a start. */
export interface EventQuery {
  readonly device?: string;
  /** An exact type (`session.started`) or a family (`session`). */
  readonly type?: string;
  /** Only events at or after this instant (epoch ms). */
  readonly since?: number;
}

/** Where a page of {@link EventLog.page} starts and how much it reads (see {@link LogRead}). */
export type PageRequest = Omit<LogRead<TimelineEvent>, 'keep'>;

/** Whether `e` is one of the events `query` selects. */
function matcher(query: EventQuery): ((e: TimelineEvent) => boolean) | undefined {
  const { device, type, since } = query;
  if (device === undefined && type === undefined && since === undefined) return undefined;
  return (e) =>
    (device === undefined || e.device === device) &&
    (type === undefined || e.type === type || e.type.startsWith(`${type}.`)) &&
    (since === undefined || e.time >= since);
}

/**
 * The newest events of a live run, kept for queries: in memory for the dashboard's timelines and
 * the live feed, and, once {@link keepIn} names it, in a state store's `events` log too, from
 * which `GET /api/events` reads its pages (with their positions, across restarts when durable).
 */
export class EventLog implements EventSink {
  private readonly kept: MemoryLog<TimelineEvent>;
  private stored: AppendLog<TimelineEvent> | null = null;
  private readonly listeners = new Set<(event: TimelineEvent) => void>();

  constructor(capacity = 100_000) {
    this.kept = new MemoryLog(capacity);
  }

  /**
   * Appends every event from now on to `log` (a state store's `events` log) as well, and reads
   * {@link page}s from it. Events logged before (those a restart took back) are not appended.
   */
  keepIn(log: AppendLog<TimelineEvent>): void {
    this.stored = log;
  }

  emit(event: TimelineEvent): void {
    this.kept.append(event);
    this.stored?.append(event);
    for (const listener of this.listeners) listener(event);
  }

  /**
   * Calls `listener` with each event as it is logged (synchronously, after it is stored), until
   * the returned function is called. A listener must not throw.
   */
  subscribe(listener: (event: TimelineEvent) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** The matching events kept in memory, oldest first. */
  list(query: EventQuery = {}): TimelineEvent[] {
    return this.kept.list(matcher(query));
  }

  /**
   * A page of the matching events after a position, oldest first, read from the store's log
   * (else from memory) without reading the rest: what `GET /api/events` answers.
   */
  page(query: EventQuery, request: PageRequest): LogPage<TimelineEvent> {
    const keep = matcher(query);
    return (this.stored ?? this.kept).read(keep ? { ...request, keep } : request);
  }
}
