/**
 * Fleet benchmark (issue 2, section 9): a virtual-time fleet (default 10,000 devices over 90 days)
 * with 8-hour polls, a daily battery cycle (some devices drain into Battery Saver), network
 * outages and captive portals on some days, a few capped metered devices, and the channel renewals
 * every device makes on its own (each has a PFN). Beside it, in the same process and alternately,
 * a baseline: a bare event loop on the project's {@link BinaryHeap} that runs the same number of
 * timer events, each rescheduling the next of its stream, with about as many timers pending as
 * the fleet had. Each side runs a few times; medians are reported.
 *
 * Usage: `npm run bench`, or `node dist/bench/fleet.js --devices 1000 --days 30 --runs 3`.
 * Environment: `BENCH_DEVICES`, `BENCH_DAYS`, `BENCH_RUNS`, `BENCH_SEED`, `BENCH_BUDGET`. No new
 * pair of runs starts when it would likely end after `--budget` seconds (default 100), so a slow
 * build still finishes in about two minutes. `--only fleet|baseline` runs one side (profiling);
 * `--types` adds a count of timeline events per type (from one extra, untimed run).
 *
 * Rates are over "run s": booting the devices and running them to the end, one simulated day per
 * `run()` call; "setup s" (building the spec and the Simulation) is shown apart. The fleet's sink
 * only counts events. Nothing exits non-zero on a missed target: this is a report.
 */
import { benchArgs } from './args.js';
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import {
  DAY,
  DEFAULT_DATA_SENSE,
  DEFAULT_NETWORK,
  DEFAULT_POLL,
  DEFAULT_POWER,
  HOUR,
  MINUTE,
  SeededRandom,
  Simulation,
  VirtualClock,
  streamFor,
  type DeviceSpec,
  type EventSink,
  type ScheduledAction,
  type SimulationSpec,
  type TimelineEvent,
} from '../src/index.js';
import { BinaryHeap } from '../src/core/time/binary-heap.js';
import { median } from './stats.js';

// ---- options ------------------------------------------------------------------------------------

interface Options {
  readonly devices: number;
  readonly days: number;
  readonly runs: number;
  readonly seed: number;
  /** Wall-clock budget, seconds: no new pair of runs starts if it would likely end past it. */
  readonly budget: number;
  readonly types: boolean;
  /** Run one side only (for profiling). */
  readonly only: 'fleet' | 'baseline' | null;
}

const USAGE =
  'usage: node dist/bench/fleet.js [--devices N] [--days N] [--runs N] [--seed N]\n' +
  '                                [--budget SECONDS] [--only fleet|baseline] [--types]\n' +
  '       (or BENCH_DEVICES, BENCH_DAYS, BENCH_RUNS, BENCH_SEED, BENCH_BUDGET)';

function parseOptions(argv: readonly string[], env: NodeJS.ProcessEnv): Options {
  return benchArgs(
    argv,
    USAGE,
    {
      ints: {
        devices: { default: 10_000, min: 1, env: 'BENCH_DEVICES' },
        days: { default: 90, min: 1, env: 'BENCH_DAYS' },
        runs: { default: 3, min: 1, env: 'BENCH_RUNS' },
        seed: { default: 7, min: 0, env: 'BENCH_SEED' },
        budget: { default: 100, min: 0, env: 'BENCH_BUDGET' },
      },
      flags: ['types'],
      only: ['fleet', 'baseline'],
    },
    env,
  );
}

// ---- the fleet ----------------------------------------------------------------------------------

const START = Date.UTC(2026, 0, 1);
const PFN = 'Contoso.MDM_8wekyb3d8bbwe';
/** Charging groups: group g plugs in at 18:00 + g × 20 min and unplugs at 06:00 + g × 15 min. */
const CHARGE_GROUPS = 8;

const daily = (previous: number): number => previous + DAY;
const every =
  (days: number) =>
  (previous: number): number =>
    previous + days * DAY;

/** Builds the fleet as a {@link SimulationSpec}; device draws come from one stream per device. */
function buildSpec(devices: number, days: number, seed: number): SimulationSpec {
  const specs: DeviceSpec[] = [];
  const chargeGroups: string[][] = Array.from({ length: CHARGE_GROUPS }, () => []);
  const offline: string[] = []; // lose the network for 4 h every 3rd day
  const portal: string[] = []; // behind a captive portal (network, no internet) 5 h every 2nd day
  const away: string[] = []; // off the network 30 h every week (across renewals)
  const actions: ScheduledAction[] = [];

  for (let i = 0; i < devices; i++) {
    const id = `d${i + 1}`;
    const r = streamFor(seed, `bench:${id}`);
    const metered = i % 25 === 3; // 4 %: cellular, capped, reaching the cap late in the month
    specs.push({
      id,
      os: i % 5 === 4 ? '1511' : '1607',
      pfn: PFN,
      providerId: 'DMPUSH',
      timezone: 'UTC',
      battery: {
        ...DEFAULT_POWER,
        level: 30 + 60 * r.float(),
        charging: true,
        // Unplugged ~12 h a day: drains above ~6.7 %/h reach the 20 % threshold before plugging in.
        drainPerHour: 2 + 6 * r.float(),
        chargePerHour: 15 + 15 * r.float(),
      },
      network: metered
        ? { ...DEFAULT_NETWORK, type: 'cellular', metered: true }
        : { ...DEFAULT_NETWORK },
      dataSense: metered
        ? { ...DEFAULT_DATA_SENSE, limitMB: 300 + 100 * r.float(), resetDay: 1 + (i % 28) }
        : DEFAULT_DATA_SENSE,
      poll: { ...DEFAULT_POLL, first: { intervalMinutes: 480, count: 0 } },
    });
    (chargeGroups[i % CHARGE_GROUPS] as string[]).push(id);
    if (i % 20 === 0) offline.push(id);
    else if (i % 20 === 1) portal.push(id);
    else if (i % 50 === 2) away.push(id);
    // Devices come up at different times of day: restart each poll schedule within the first 8 h.
    actions.push({
      at: START + r.int(0, 8 * HOUR - 1),
      action: {
        kind: 'set',
        devices: [id],
        patch: { poll: { first: { intervalMinutes: 480, count: 0 } } },
      },
    });
  }

  chargeGroups.forEach((ids, g) => {
    actions.push(
      {
        at: START + 6 * HOUR + g * 15 * MINUTE,
        repeat: daily,
        action: { kind: 'set', devices: ids, patch: { battery: { charging: false } } },
      },
      {
        at: START + 18 * HOUR + g * 20 * MINUTE,
        repeat: daily,
        action: { kind: 'set', devices: ids, patch: { battery: { charging: true } } },
      },
    );
  });
  const outage = (
    ids: string[],
    firstDay: number,
    period: number,
    hour: number,
    hours: number,
    down: { connected?: boolean; internet?: boolean },
    up: { connected?: boolean; internet?: boolean },
  ): void => {
    if (ids.length === 0) return;
    const at = START + firstDay * DAY + hour * HOUR;
    actions.push(
      {
        at,
        repeat: every(period),
        action: { kind: 'set', devices: ids, patch: { network: down } },
      },
      {
        at: at + hours * HOUR,
        repeat: every(period),
        action: { kind: 'set', devices: ids, patch: { network: up } },
      },
    );
  };
  outage(offline, 1, 3, 9, 4, { connected: false }, { connected: true });
  outage(portal, 0, 2, 13, 5, { internet: false }, { internet: true });
  outage(away, 3, 7, 22, 30, { connected: false }, { connected: true });

  return { seed, start: START, end: START + days * DAY, devices: specs, actions };
}

/** Counts timeline events and does nothing else. */
class CountingSink implements EventSink {
  count = 0;
  emit(_event: TimelineEvent): void {
    this.count++;
  }
}

/** Counts timeline events per type (for `--types`, outside the timed runs). */
class TypeCountingSink implements EventSink {
  readonly counts = new Map<string, number>();
  emit(event: TimelineEvent): void {
    this.counts.set(event.type, (this.counts.get(event.type) ?? 0) + 1);
  }
}

// ---- measurement ----------------------------------------------------------------------------------

const gc: (() => void) | null = (() => {
  try {
    setFlagsFromString('--expose-gc');
    return runInNewContext('gc') as () => void;
  } catch {
    return null;
  }
})();

/** Peak RSS and heap used, sampled by the caller at its own checkpoints. */
class MemoryPeak {
  rss = 0;
  heapUsed = 0;
  sample(): void {
    const m = process.memoryUsage();
    if (m.rss > this.rss) this.rss = m.rss;
    if (m.heapUsed > this.heapUsed) this.heapUsed = m.heapUsed;
  }
  /** Heap used after a full collection: what the run still holds (needs gc, else 0). */
  static live(): number {
    if (!gc) return 0;
    gc();
    return process.memoryUsage().heapUsed;
  }
}

interface FleetResult {
  readonly setupSeconds: number;
  readonly runSeconds: number;
  readonly clockEvents: number;
  readonly timelineEvents: number;
  readonly pendingMean: number;
  readonly pendingPeak: number;
  readonly rss: number;
  readonly heapUsed: number;
  readonly live: number;
}

function runFleet(
  o: Options,
  sink: EventSink & { count?: number } = new CountingSink(),
): FleetResult {
  gc?.();
  const memory = new MemoryPeak();
  memory.sample();
  const t0 = performance.now();
  const spec = buildSpec(o.devices, o.days, o.seed);
  const sim = new Simulation(spec, sink);
  const clock = sim.clock;
  if (!(clock instanceof VirtualClock)) throw new Error('bench: expected the virtual clock');
  const t1 = performance.now();
  memory.sample();
  // Run a simulated day at a time, to sample the timer queue and memory between days.
  let clockEvents = 0;
  let pendingSum = 0;
  let pendingPeak = 0;
  for (let day = 1; day <= o.days; day++) {
    clockEvents += sim.run(START + day * DAY);
    const pending = clock.pending;
    pendingSum += pending;
    if (pending > pendingPeak) pendingPeak = pending;
    memory.sample();
  }
  const t2 = performance.now();
  const live = MemoryPeak.live();
  if (sim.clock.now() !== spec.end) throw new Error('bench: the fleet did not reach its end');
  return {
    setupSeconds: (t1 - t0) / 1000,
    runSeconds: (t2 - t1) / 1000,
    clockEvents,
    timelineEvents: sink.count ?? 0,
    pendingMean: Math.round(pendingSum / o.days),
    pendingPeak,
    rss: memory.rss,
    heapUsed: memory.heapUsed,
    live,
  };
}

interface BaselineEntry {
  readonly at: number;
  readonly seq: number;
  callback: (() => void) | null;
}

/** The same order as the virtual clock's: (time, insertion order). */
const earlier = (a: BaselineEntry, b: BaselineEntry): boolean =>
  a.at < b.at || (a.at === b.at && a.seq < b.seq);

interface BaselineResult {
  readonly seconds: number;
  readonly events: number;
  readonly rss: number;
  readonly heapUsed: number;
  readonly live: number;
}

/**
 * A bare timer loop: `streams` periodic timers on a {@link BinaryHeap} (entries shaped and ordered
 * like the virtual clock's), each event rescheduling the next of its stream, so the heap keeps
 * `streams` entries, until `events` have run. Periods are spread so that the events cover
 * `spanMs` from the fleet's start, as the fleet's do.
 */
function runBaseline(
  events: number,
  streams: number,
  spanMs: number,
  seed: number,
): BaselineResult {
  gc?.();
  const memory = new MemoryPeak();
  memory.sample();
  const heap = new BinaryHeap<BaselineEntry>(earlier);
  const random = new SeededRandom(seed);
  const meanPeriod = Math.max(1, (spanMs * streams) / Math.max(1, events));
  let now = START;
  let seq = 0;
  for (let s = 0; s < streams; s++) {
    const period = Math.max(1, Math.round(meanPeriod * (0.5 + random.float())));
    const tick = (): void => {
      heap.push({ at: now + period, seq: seq++, callback: tick });
    };
    heap.push({ at: START + random.int(0, period), seq: seq++, callback: tick });
  }
  memory.sample();
  const sampleEvery = Math.max(1, Math.floor(events / 90));
  const t0 = performance.now();
  let count = 0;
  while (count < events) {
    const top = heap.pop();
    if (!top) break;
    const callback = top.callback;
    if (callback === null) continue;
    top.callback = null;
    now = top.at;
    count++;
    callback();
    if (count % sampleEvery === 0) memory.sample();
  }
  const t1 = performance.now();
  memory.sample();
  const live = MemoryPeak.live();
  if (heap.size !== streams) throw new Error('bench: the baseline lost a stream');
  return {
    seconds: (t1 - t0) / 1000,
    events: count,
    rss: memory.rss,
    heapUsed: memory.heapUsed,
    live,
  };
}

// ---- report -------------------------------------------------------------------------------------

const int = (n: number): string => Math.round(n).toLocaleString('en-US');
const mb = (bytes: number): string => (bytes > 0 ? (bytes / 2 ** 20).toFixed(0) : '-');
const WIDTHS = [4, 8, 7, 6, 13, 11, 13, 7, 8, 7];
const HEADER = [
  'run',
  'side',
  'setup s',
  'run s',
  'device-days/s',
  'clock ev/s',
  'timeline ev/s',
  'RSS MB',
  'heap MB',
  'live MB',
];
const row = (cells: readonly string[]): string =>
  cells.map((c, i) => (i < 2 ? c.padEnd(WIDTHS[i] ?? 0) : c.padStart(WIDTHS[i] ?? 0))).join('  ');

function fleetRow(label: string, deviceDays: number, f: FleetResult): string {
  return row([
    label,
    'fleet',
    f.setupSeconds.toFixed(2),
    f.runSeconds.toFixed(2),
    int(deviceDays / f.runSeconds),
    int(f.clockEvents / f.runSeconds),
    int(f.timelineEvents / f.runSeconds),
    mb(f.rss),
    mb(f.heapUsed),
    mb(f.live),
  ]);
}

function baselineRow(label: string, b: BaselineResult): string {
  return row([
    label,
    'baseline',
    '-',
    b.seconds.toFixed(2),
    '-',
    int(b.events / b.seconds),
    '-',
    mb(b.rss),
    mb(b.heapUsed),
    mb(b.live),
  ]);
}

function main(): void {
  const o = parseOptions(process.argv.slice(2), process.env);
  const began = performance.now();
  const elapsed = (): number => (performance.now() - began) / 1000;
  const deviceDays = o.devices * o.days;
  const span = o.days * DAY;

  // Warm both sides up (JIT) on a small fleet; not reported.
  const warmDays = Math.min(o.days, 20);
  const warm = runFleet({ ...o, devices: Math.min(o.devices, 500), days: warmDays });
  if (o.only !== 'fleet')
    runBaseline(warm.clockEvents, Math.max(1, warm.pendingMean), warmDays * DAY, o.seed);

  // Alternate the sides, so that a noisy neighbour hurts both alike. The baseline is sized on the
  // fleet's (deterministic) event count and mean timer queue.
  const fleet: FleetResult[] = [];
  const base: BaselineResult[] = [];
  let size: FleetResult | null = null;
  let longestPair = 0;
  let runs = 0;
  for (; runs < o.runs; runs++) {
    if (runs > 0 && elapsed() + longestPair > o.budget) break;
    const pairBegan = elapsed();
    if (o.only !== 'baseline' || size === null) {
      const f = runFleet(o);
      size ??= f;
      if (o.only !== 'baseline') fleet.push(f);
    }
    if (o.only !== 'fleet')
      base.push(runBaseline(size.clockEvents, Math.max(1, size.pendingMean), span, o.seed));
    longestPair = Math.max(longestPair, elapsed() - pairBegan);
  }
  const sized = size as FleetResult;

  const lines: string[] = [
    `dmpush fleet bench: ${int(o.devices)} devices x ${o.days} days = ${int(deviceDays)} ` +
      `device-days, seed ${o.seed}; ${runs} run(s) per side, alternating` +
      (runs < o.runs ? ` (${o.runs} asked, cut to the ${o.budget} s budget)` : '') +
      `; node ${process.version}`,
    `fleet per run: ${int(sized.clockEvents)} clock events, ${int(sized.timelineEvents)} timeline ` +
      `events (${(sized.timelineEvents / sized.clockEvents).toFixed(2)} per clock event); timers ` +
      `pending mean ${int(sized.pendingMean)}, peak ${int(sized.pendingPeak)}`,
    `baseline per run: ${int(sized.clockEvents)} timer events over ${int(sized.pendingMean)} ` +
      `self-rescheduling streams on the same BinaryHeap, no logic`,
    `RSS/heap MB: peaks sampled once a simulated day; live MB: heap used after a full GC at the end`,
    '',
    row(HEADER),
  ];
  for (let run = 0; run < runs; run++) {
    const f = fleet[run];
    const b = base[run];
    if (f) lines.push(fleetRow(String(run + 1), deviceDays, f));
    if (b) lines.push(baselineRow(String(run + 1), b));
  }
  const medFleet: FleetResult | null = fleet.length
    ? {
        ...sized,
        setupSeconds: median(fleet.map((f) => f.setupSeconds)),
        runSeconds: median(fleet.map((f) => f.runSeconds)),
        rss: median(fleet.map((f) => f.rss)),
        heapUsed: median(fleet.map((f) => f.heapUsed)),
        live: median(fleet.map((f) => f.live)),
      }
    : null;
  const medBase: BaselineResult | null = base.length
    ? {
        seconds: median(base.map((b) => b.seconds)),
        events: sized.clockEvents,
        rss: median(base.map((b) => b.rss)),
        heapUsed: median(base.map((b) => b.heapUsed)),
        live: median(base.map((b) => b.live)),
      }
    : null;
  if (medFleet) lines.push(fleetRow('med', deviceDays, medFleet));
  if (medBase) lines.push(baselineRow('med', medBase));
  lines.push('');

  const verdict = (ok: boolean): string => (ok ? 'PASS' : 'FAIL');
  const results: string[] = [];
  if (medFleet && medBase) {
    const fleetRate = medFleet.clockEvents / medFleet.runSeconds;
    const baseRate = medBase.events / medBase.seconds;
    const ratio = fleetRate / baseRate;
    const eventsPerDeviceDay = medFleet.clockEvents / deviceDays;
    lines.push(
      `events/s: fleet ${int(fleetRate)} / baseline ${int(baseRate)} = ${(ratio * 100).toFixed(1)} % ` +
        `(target >= 25 %)`,
      `ceiling: at the baseline's event rate, ${eventsPerDeviceDay.toFixed(2)} clock events per ` +
        `device-day would give ${int(baseRate / eventsPerDeviceDay)} device-days/s`,
    );
    results.push(`events/s vs baseline ${(ratio * 100).toFixed(1)} % ${verdict(ratio >= 0.25)}`);
  }
  if (medFleet) {
    const rate = deviceDays / medFleet.runSeconds;
    lines.push(`device-days/s: ${int(rate)} (target >= 200,000)`);
    results.push(`device-days/s ${int(rate)} ${verdict(rate >= 200_000)}`);
  }
  lines.push(`RESULT: ${results.join('; ')}  (bench took ${elapsed().toFixed(0)} s)`);
  console.log(lines.join('\n'));

  if (o.types) {
    const sink = new TypeCountingSink();
    runFleet(o, sink);
    const rows = [...sink.counts].sort((a, b) => b[1] - a[1]);
    console.log('\ntimeline events by type (one extra, untimed run):');
    for (const [type, n] of rows) console.log(`  ${type.padEnd(24)} ${int(n).padStart(12)}`);
  }
}

main();
