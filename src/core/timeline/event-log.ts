import { Ring } from '../util/ring.js';
import type { EventSink, TimelineEvent } from './events.js';

/** What {@link EventLog.list} selects: a device, a type (exact or a family prefix), a start. */
export interface EventQuery {
  readonly device?: string;
  /** An exact type (`session.started`) or a family (`session`). */
  readonly type?: string;
  /** Only events at or after this instant (epoch ms). */
  readonly since?: number;
}

/** The newest events of a live run, kept for queries (`GET /api/events`). */
export class EventLog implements EventSink {
  private readonly ring: Ring<TimelineEvent>;
  private readonly listeners = new Set<(event: TimelineEvent) => void>();

  constructor(capacity = 100_000) {
    this.ring = new Ring(capacity);
  }

  emit(event: TimelineEvent): void {
    this.ring.push(event);
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

  /** The matching events, oldest first. */
  list(query: EventQuery = {}): TimelineEvent[] {
    const { device, type, since } = query;
    return this.ring.toArray(
      (e) =>
        (device === undefined || e.device === device) &&
        (type === undefined || e.type === type || e.type.startsWith(`${type}.`)) &&
        (since === undefined || e.time >= since),
    );
  }
}
