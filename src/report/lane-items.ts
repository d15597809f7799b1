/**
 * The items of one device's lanes as the lane builders make them: each gets an id unique in the
 * device (numbered in the order items are made, which keeps the model deterministic), and the
 * lanes come out in {@link LANES} order with their items by time (an optional lane only once a lane
 * builder has {@link LaneItems.use}d it). Given a window start, items that end before it are
 * counted (ids stay the same whatever the window) but not kept.
 */
import { LANE_ROWS, LANES } from './timeline-legend.js';
import type { Lane, LaneKind, TimelineItem } from './timeline-types.js';

/**
 * An item as a lane builder describes it; `row` defaults to the lane's own row. The explanation
 * may be a function: it is then worded only for an item that is kept (a window of a long
 * timeline leaves most out).
 */
export type NewItem = Omit<TimelineItem, 'id' | 'device' | 'lane' | 'row' | 'explanation'> & {
  readonly row?: string;
  readonly explanation: string | (() => string);
};

export class LaneItems {
  private readonly items: Record<LaneKind, TimelineItem[]> = {
    enrollment: [],
    wns: [],
    power: [],
    'data-sense': [],
    network: [],
    channel: [],
    renewal: [],
    push: [],
    session: [],
  };
  private seq = 0;
  /** The optional lanes that had an event. */
  private readonly used = new Set<LaneKind>();

  constructor(
    readonly device: string,
    /** Items that end (points: start) before this instant are left out. */
    private readonly from = -Infinity,
  ) {}

  /** Shows an optional lane (see {@link LANES}): the device had an event of it. */
  use(lane: LaneKind): void {
    this.used.add(lane);
  }

  add(lane: LaneKind, item: NewItem): void {
    const id = this.seq++;
    if ((item.end ?? item.start) < this.from) return;
    this.items[lane].push({
      id: `${this.device}/${lane}/${id}`,
      device: this.device,
      lane,
      row: item.row ?? lane,
      kind: item.kind,
      variant: item.variant,
      start: item.start,
      end: item.end,
      label: item.label,
      explanation: typeof item.explanation === 'string' ? item.explanation : item.explanation(),
    });
  }

  /** Every lane shown, top to bottom, its items sorted by start (then id). */
  lanes(): Lane[] {
    const shown = LANES.filter((l) => !l.optional || this.used.has(l.kind));
    return shown.map(({ kind, label }) => ({
      id: `${this.device}/${kind}`,
      kind,
      label,
      rows: LANE_ROWS[kind],
      items: [...this.items[kind]].sort((a, b) => a.start - b.start || a.id.localeCompare(b.id)),
    }));
  }
}
