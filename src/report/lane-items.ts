/**
 * The items of one device's lanes as the lane builders make them: each gets an id unique in the
 * device (numbered in the order items are made, which keeps the model deterministic), and the
 * lanes come out in {@link LANES} order with their items by time.
 */
import { LANE_ROWS, LANES } from './timeline-legend.js';
import type { Lane, LaneKind, TimelineItem } from './timeline-types.js';

/** An item as a lane builder describes it; `row` defaults to the lane's own row. */
export type NewItem = Omit<TimelineItem, 'id' | 'device' | 'lane' | 'row'> & {
  readonly row?: string;
};

export class LaneItems {
  private readonly items: Record<LaneKind, TimelineItem[]> = {
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

  constructor(readonly device: string) {}

  add(lane: LaneKind, item: NewItem): void {
    this.items[lane].push({
      id: `${this.device}/${lane}/${this.seq++}`,
      device: this.device,
      lane,
      row: item.row ?? lane,
      kind: item.kind,
      variant: item.variant,
      start: item.start,
      end: item.end,
      label: item.label,
      explanation: item.explanation,
    });
  }

  /** Every lane, top to bottom, its items sorted by start (then id). */
  lanes(): Lane[] {
    return LANES.map(({ kind, label }) => ({
      id: `${this.device}/${kind}`,
      kind,
      label,
      rows: LANE_ROWS[kind],
      items: [...this.items[kind]].sort((a, b) => a.start - b.start || a.id.localeCompare(b.id)),
    }));
  }
}
