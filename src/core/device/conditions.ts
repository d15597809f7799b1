import type { OsVersion } from '../dmclient/renewal-policy.js';
import type { PollConfig, PollSet } from '../dmclient/poll-schedule.js';
import type { DataSenseConfig } from './data-sense.js';
import type { NetworkConfig } from './network.js';
import type { PowerConfig } from './power.js';
import type { DailyRoutine, Screen } from './routine.js';

/**
 * The push routing service (dmwappushservice), which hands the pushes WNS delivers to the
 * DMClient: `running` (the default) or `disabled` (as "debloat" scripts leave it).
 */
export type WnsPushService = 'running' | 'disabled';

/** Everything that defines a simulated device at its start. */
export interface DeviceSpec {
  readonly id: string;
  readonly os: OsVersion;
  /** `Push/PFN` preset at start (provisioned), or null. */
  readonly pfn: string | null;
  /** The DMClient provider id (`./Vendor/MSFT/DMClient/Provider/{ProviderID}`). */
  readonly providerId: string;
  /** IANA zone for wall-clock rules (maintenance window, Data Sense reset). */
  readonly timezone: string;
  readonly battery: PowerConfig;
  readonly network: NetworkConfig;
  readonly dataSense: DataSenseConfig;
  readonly poll: PollConfig;
  /** Default `running`. */
  readonly wnsPushService?: WnsPushService;
  /** The screen at start (default `on`). */
  readonly screen?: Screen;
  /**
   * `run` (default): scheduled polls run under Battery Saver; `delay`: a poll that comes due
   * under Battery Saver waits until it ends, as Task Scheduler delays most tasks (docs/model.md §4).
   */
  readonly pollsInBatterySaver?: 'run' | 'delay';
  /** A daily routine of charging and screen changes, or none (absent or null). */
  readonly routine?: DailyRoutine | null;
}

/** A change to a running device's conditions: any subset of the spec's condition fields. */
export interface DevicePatch {
  readonly battery?: Partial<PowerConfig>;
  readonly network?: Partial<NetworkConfig>;
  readonly dataSense?: Partial<DataSenseConfig>;
  readonly poll?: Partial<Omit<PollConfig, 'first' | 'second' | 'remaining'>> & {
    readonly first?: Partial<PollSet>;
    readonly second?: Partial<PollSet>;
    readonly remaining?: Partial<PollSet>;
  };
  /** Turn the screen on or off. */
  readonly screen?: Screen;
  /** Set `Push/PFN` (a string) or delete it (null). */
  readonly pfn?: string | null;
  readonly wnsPushService?: WnsPushService;
}
