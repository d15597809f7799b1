import type { EventSink, TimelineEvent } from '../core/timeline/events.js';
import { toJsonLine, toTextLine } from '../core/timeline/format.js';

export type TimelineFormat = 'text' | 'jsonl';

/** Filters a run's timeline by device and by type (exact, or a prefix such as `renewal`). */
export interface TimelineFilter {
  readonly devices?: readonly string[];
  readonly types?: readonly string[];
}

function matches(event: TimelineEvent, filter: TimelineFilter): boolean {
  if (filter.devices?.length && (event.device === null || !filter.devices.includes(event.device)))
    return false;
  if (
    filter.types?.length &&
    !filter.types.some((t) => event.type === t || event.type.startsWith(`${t}.`))
  )
    return false;
  return true;
}

/**
 * An {@link EventSink} that writes lines in batches (one write per `batchLines` lines, 512 by
 * default; a live run passes 1 so each event shows at once).
 */
export class TimelineWriter implements EventSink {
  private buffer: string[] = [];
  count = 0;

  constructor(
    private readonly write: (text: string) => void,
    private readonly format: TimelineFormat,
    private readonly filter: TimelineFilter = {},
    private readonly batchLines = 512,
  ) {}

  emit(event: TimelineEvent): void {
    if (!matches(event, this.filter)) return;
    this.count++;
    this.buffer.push(this.format === 'jsonl' ? toJsonLine(event) : toTextLine(event));
    if (this.buffer.length >= this.batchLines) this.flush();
  }

  flush(): void {
    if (this.buffer.length === 0) return;
    this.write(this.buffer.join('\n') + '\n');
    this.buffer = [];
  }
}
