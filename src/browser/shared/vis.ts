/**
 * The timeline library as the pages have it: vis-timeline's standalone build, inlined before the
 * page's own script, defines the global `vis`. Only types are imported here; the library is
 * never bundled (see decision 0006).
 */
import type { Moment, MomentInput } from 'moment';
import type {
  DataGroup,
  DataItem,
  DataSetDataGroup,
  DataSetDataItem,
  Timeline,
} from 'vis-timeline';

/** What the standalone build exports and the pages use. */
export interface VisStandalone {
  readonly Timeline: typeof Timeline;
  readonly DataSet: {
    new (items: DataItem[]): DataSetDataItem;
    new (groups: DataGroup[]): DataSetDataGroup;
  };
  readonly moment: (input?: MomentInput) => Moment;
}

declare global {
  interface Window {
    readonly vis?: VisStandalone;
  }
}

/** The global `vis`; fails loudly when the page did not load the library first. */
export function vis(): VisStandalone {
  const lib = window.vis;
  if (!lib) throw new Error('dmpush: the timeline library (vis-timeline) is not on the page');
  return lib;
}
