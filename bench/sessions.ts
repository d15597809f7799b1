/**
 * Sessions benchmark (issue 4, section 8): OMA-DM management sessions per second the simulator
 * drives on 127.0.0.1, against two servers, side by side in one run:
 *
 * - `minimal`: `node:http` answering every POST with a fixed final SyncML reply (a Status for the
 *   device's SyncHdr and `<Final/>`, SessionID/MsgRef/Target/Source pasted in by one regex), so
 *   each session is one message: what the simulator costs with next to nothing on the other end.
 * - `reference`: the reference MDM server (`startReferenceMdm`, as `dmpush serve` runs it): each
 *   device's first contact sets `Push/PFN` and the Poll nodes (done in the warm-up), every later
 *   session Gets `Push/ChannelURI` and `Push/Status`: two messages per session.
 *
 * Each server runs in a worker thread of its own (`sessions-server.ts`), started once and warmed
 * up; the driving simulator has the main thread to itself: a {@link SystemClock}, one
 * {@link OmaDmHttpClient} (keep-alive agent, up to 256 sockets) per run, and N devices (default 200),
 * each with its own Windows DM tree on in-memory bindings, in a closed loop: when a device's
 * session reports `done`, it starts the next at once, until the run's end; sessions still open
 * then are finished (drained) but not counted. sessions/s = sessions completed ok in the window
 * / its length. Sides alternate within each run (3 by default); medians over runs, and the ratio
 * reference/minimal within each run (the machine's speed drifts between runs).
 *
 * Usage: `node dist/bench/sessions.js [--devices N] [--seconds N] [--runs N] [--warmup N]
 * [--seed N] [--only minimal|reference]`. Nothing exits non-zero on a missed target: this is a
 * report.
 */
import { benchArgs, runBench } from './args.js';
import { availableParallelism, cpus } from 'node:os';
import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { SystemClock } from '../src/adapters/clock/system-clock.js';
import { OmaDmHttpClient } from '../src/adapters/http/omadm-client.js';
import { defaultIdentity, windowsTree } from '../src/core/dm/windows-tree.js';
import { DEFAULT_POLL } from '../src/core/dmclient/poll-schedule.js';
import type { PushNodes, SessionRequest, SessionResult } from '../src/core/ports.js';
import { SeededRandom } from '../src/core/random/random.js';
import type {
  FromServer,
  ServerJob,
  ServerKind,
  ServerStats,
  ToServer,
} from './sessions-server.js';
import { median } from './stats.js';

// ---- options ------------------------------------------------------------------------------------

interface Options {
  readonly devices: number;
  readonly seconds: number;
  readonly runs: number;
  readonly warmup: number;
  readonly seed: number;
  readonly only: ServerKind | null;
}

const USAGE =
  'usage: node dist/bench/sessions.js [--devices N] [--seconds N] [--runs N] [--warmup N]\n' +
  '                                   [--seed N] [--only minimal|reference]';

function parseOptions(argv: readonly string[]): Options {
  return benchArgs(argv, USAGE, {
    ints: {
      devices: { default: 200, min: 1 },
      seconds: { default: 5, min: 1 },
      runs: { default: 3, min: 1 },
      warmup: { default: 2, min: 0 },
      seed: { default: 7, min: 0 },
    },
    only: ['minimal', 'reference'],
  });
}

const PFN = 'Contoso.MDM_8wekyb3d8bbwe';
const PROVIDER_ID = 'DMPUSH';
/** CPU/busy under this marks a run whose threads waited for a core (see the report). */
const CONTENDED = 0.85;
/** The target judged: sessions/s against the minimal server. */
const TARGET = 1_500;

// ---- the server worker --------------------------------------------------------------------------

/** A server under test in a worker thread, and its answers one awaited at a time. */
class ServerWorker {
  private readonly worker: Worker;
  private waiting: {
    type: FromServer['type'];
    resolve: (m: FromServer) => void;
    reject: (e: Error) => void;
  } | null = null;
  private exited = false;
  readonly url: Promise<string>;

  constructor(readonly kind: ServerKind) {
    const job: ServerJob = { kind, pfn: PFN };
    this.worker = new Worker(new URL('./sessions-server.js', import.meta.url), { workerData: job });
    this.url = this.next('listening').then((m) => m.url);
    this.worker.on('message', (m: FromServer) => {
      const w = this.waiting;
      if (!w) return;
      this.waiting = null;
      if (m.type === 'error') w.reject(new Error(`${kind} server: ${m.message}`));
      else if (m.type !== w.type) w.reject(new Error(`${kind} server: expected ${w.type}`));
      else w.resolve(m);
    });
    const fail = (error: Error): void => {
      const w = this.waiting;
      this.waiting = null;
      w?.reject(error);
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => {
      this.exited = true;
      fail(new Error(`the ${kind} server worker exited (code ${code})`));
    });
  }

  /** Event-loop utilization of the server thread (cumulative; pass an earlier one for a delta). */
  elu(since?: EventLoopUtilization): EventLoopUtilization {
    return this.worker.performance.eventLoopUtilization(since);
  }

  stats(): Promise<ServerStats> {
    return this.next('stats', { type: 'stats' });
  }

  async close(): Promise<void> {
    if (this.exited) return;
    const exit = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    try {
      await this.next('closed', { type: 'close' });
    } catch {
      // Terminated below.
    }
    await this.worker.terminate();
    await exit;
  }

  private next<T extends FromServer['type']>(
    type: T,
    command?: ToServer,
  ): Promise<Extract<FromServer, { type: T }>> {
    return new Promise((resolve, reject) => {
      if (this.exited) {
        reject(new Error(`the ${this.kind} server worker has exited`));
        return;
      }
      const timer = setTimeout(() => {
        this.waiting = null;
        reject(new Error(`${this.kind} server: no ${type} within 30 s`));
      }, 30_000);
      this.waiting = {
        type,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m as Extract<FromServer, { type: T }>);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      if (command) this.worker.postMessage(command);
    });
  }
}

// ---- the devices --------------------------------------------------------------------------------

/** A simulated device: its DM tree on in-memory bindings, as the session request it opens. */
function makeDevices(n: number, clock: SystemClock): SessionRequest[] {
  const devices: SessionRequest[] = [];
  for (let i = 0; i < n; i++) {
    const deviceId = `bench-${i}`;
    const identity = defaultIdentity(deviceId, '1607');
    let pfn: string | null = null;
    const readPush = (): PushNodes => ({ pfn, channelUri: null, status: 4 });
    const tree = windowsTree(identity, PROVIDER_ID, {
      now: () => clock.now(),
      readPush,
      setPfn: (value) => {
        pfn = value;
      },
      pollConfig: () => DEFAULT_POLL,
      setPoll: () => undefined,
    });
    devices.push({
      deviceId,
      trigger: 'poll',
      readPush,
      tree,
      devId: identity.devId,
      account: null,
      identity: null,
    });
  }
  return devices;
}

// ---- one run of one side ------------------------------------------------------------------------

interface Drive {
  /** Length of the counting window, s. */
  readonly seconds: number;
  /** Sessions completed ok within the window. */
  readonly ok: number;
  /** Sessions failed within the window. */
  readonly failed: number;
  readonly firstFailure: string | null;
  /** Sessions completed (ok or not) after the window: those open at its end. */
  readonly drained: number;
  /** Session durations (start → done) within the window, ms, sorted. */
  readonly durations: Float64Array;
  /** Event-loop utilization of the driving (main) thread over the window. */
  readonly elu: number;
  /** Of the server thread over the window. */
  readonly serverElu: number;
  /** CPU time of the whole process (both threads) over the window / its length (2 cores: ≤ 2). */
  readonly cpu: number;
}

/** Runs the closed loop of `devices` against `client` for `seconds`, then drains. */
function drive(
  client: OmaDmHttpClient,
  devices: readonly SessionRequest[],
  order: readonly number[],
  seconds: number,
  server: ServerWorker,
): Promise<Drive> {
  return new Promise((resolve) => {
    const durations: number[] = [];
    let ok = 0;
    let failed = 0;
    let drained = 0;
    let firstFailure: string | null = null;
    let active = devices.length;
    let windowEnd: { elu: number; serverElu: number; cpu: number; at: number } | null = null;

    const elu0 = performance.eventLoopUtilization();
    const serverElu0 = server.elu();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const deadline = t0 + seconds * 1000;
    const closeWindow = (): void => {
      const at = performance.now();
      const cpu = process.cpuUsage(cpu0);
      windowEnd = {
        at,
        elu: performance.eventLoopUtilization(elu0).utilization,
        serverElu: server.elu(serverElu0).utilization,
        cpu: (cpu.user + cpu.system) / 1000 / (at - t0),
      };
    };
    // The window closes on time even when no session ends near the deadline.
    const timer = setTimeout(closeWindow, seconds * 1000);

    const start = (device: SessionRequest): void => {
      const began = performance.now();
      let synchronous = true;
      client.startSession(device, (result: SessionResult) => {
        const now = performance.now();
        if (now <= deadline) {
          durations.push(now - began);
          if (result.ok) ok++;
          else {
            failed++;
            firstFailure ??= result.reason;
          }
          // A session that failed before any I/O must not recurse: the next starts on a new tick.
          if (synchronous) setImmediate(() => start(device));
          else start(device);
        } else {
          drained++;
          if (--active === 0) {
            clearTimeout(timer);
            if (windowEnd === null) closeWindow();
            const end = windowEnd as unknown as { elu: number; serverElu: number; cpu: number };
            const sorted = Float64Array.from(durations).sort();
            resolve({
              seconds,
              ok,
              failed,
              firstFailure,
              drained,
              durations: sorted,
              elu: end.elu,
              serverElu: end.serverElu,
              cpu: end.cpu,
            });
          }
        }
      });
      synchronous = false;
    };
    for (const i of order) start(devices[i] as SessionRequest);
  });
}

interface Run extends Omit<Drive, 'durations'> {
  readonly side: ServerKind;
  /** 0: warm-up (not reported). */
  readonly run: number;
  readonly p50: number;
  readonly p99: number;
  /** HTTP requests the server received per session completed (window and drain). */
  readonly messages: number;
  readonly stats: ServerStats;
}

const quantile = (sorted: Float64Array, q: number): number =>
  sorted.length === 0
    ? NaN
    : (sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number);

/** One run of one side: a fresh client (and keep-alive connections) on the side's server. */
async function runSide(
  side: ServerKind,
  run: number,
  server: ServerWorker,
  devices: readonly SessionRequest[],
  order: readonly number[],
  seconds: number,
  clock: SystemClock,
): Promise<Run> {
  const url = await server.url;
  const client = new OmaDmHttpClient({ url, clock, timeoutMs: 10_000 });
  try {
    const before = await server.stats();
    const d = await drive(client, devices, order, seconds, server);
    const after = await server.stats();
    const stats: ServerStats = {
      requests: after.requests - before.requests,
      rejected: after.rejected - before.rejected,
      completed:
        after.completed === null || before.completed === null
          ? null
          : after.completed - before.completed,
      commandFailures: after.commandFailures - before.commandFailures,
      errors: after.errors - before.errors,
    };
    const sessions = d.ok + d.failed + d.drained;
    const { durations, ...rest } = d;
    return {
      ...rest,
      side,
      run,
      p50: quantile(durations, 0.5),
      p99: quantile(durations, 0.99),
      messages: sessions > 0 ? stats.requests / sessions : NaN,
      stats,
    };
  } finally {
    client.close();
  }
}

// ---- report -------------------------------------------------------------------------------------

const int = (n: number): string =>
  Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '-';
const ms = (n: number): string => (Number.isFinite(n) ? n.toFixed(n < 10 ? 2 : 1) : '-');
const pct = (x: number): string => (Number.isFinite(x) ? `${(x * 100).toFixed(1)} %` : '-');
const table = (widths: readonly number[], left: number) => (cells: readonly string[]) =>
  cells
    .map((c, i) => (i < left ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0)))
    .join('  ');

/** A seeded shuffle of 0 … n-1: the order the devices start their first session in. */
function startOrder(n: number, seed: number): number[] {
  const random = new SeededRandom(seed);
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = random.int(0, i);
    [order[i], order[j]] = [order[j] as number, order[i] as number];
  }
  return order;
}

async function main(): Promise<void> {
  const o = parseOptions(process.argv.slice(2));
  const began = performance.now();
  const elapsed = (): number => (performance.now() - began) / 1000;
  const verdict = (ok: boolean): string => (ok ? 'PASS' : 'FAIL');
  const sides: ServerKind[] = o.only ? [o.only] : ['minimal', 'reference'];
  const clock = new SystemClock();
  const order = startOrder(o.devices, o.seed);

  const servers = new Map<ServerKind, ServerWorker>();
  const devices = new Map<ServerKind, SessionRequest[]>();
  const runs: Run[] = [];
  const warm: Run[] = [];
  try {
    for (const side of sides) {
      const server = new ServerWorker(side);
      servers.set(side, server);
      await server.url;
      // One device set per side for the whole bench: the reference server's records and the
      // devices' trees (Push/PFN) stay in step from the warm-up on.
      devices.set(side, makeDevices(o.devices, clock));
    }
    const one = (side: ServerKind, run: number, seconds: number): Promise<Run> =>
      runSide(
        side,
        run,
        servers.get(side) as ServerWorker,
        devices.get(side) as SessionRequest[],
        order,
        seconds,
        clock,
      );
    // Warm-up (JIT on both threads; the reference server's first contacts), not reported.
    for (const side of sides) warm.push(await one(side, 0, Math.max(1, o.warmup)));
    for (let run = 1; run <= o.runs; run++) {
      // Alternate the order, so that a drift over the bench hurts both sides alike.
      const ordered = run % 2 ? sides : [...sides].reverse();
      for (const side of ordered) runs.push(await one(side, run, o.seconds));
    }
  } finally {
    for (const server of servers.values()) await server.close();
  }

  const lines: string[] = [
    `dmpush sessions bench: node ${process.version}, ${availableParallelism()} CPUs ` +
      `(${cpus()[0]?.model.trim() ?? 'unknown'}), 127.0.0.1, seed ${o.seed}` +
      (o.only ? `, only ${o.only}` : ''),
    '',
    `OMA-DM sessions over HTTP/1.1 keep-alive: ${int(o.devices)} simulated Windows devices (own DM ` +
      `tree each, in-memory bindings) on the main thread, one OmaDmHttpClient, closed loop (each ` +
      `device starts its next session when the last reports done); ${o.seconds} s per run, ` +
      `${o.runs} run(s), sides alternating, after a ${Math.max(1, o.warmup)} s warm-up per side; ` +
      `each server in a worker thread of its own; minimal = node:http with a fixed final reply ` +
      `(1 message per session), reference = startReferenceMdm (later sessions: Get ChannelURI and ` +
      `Status, 2 messages); ms = session start -> done; ELU = event-loop utilization of the ` +
      `driving (main) and server threads; CPU = process CPU time / wall time (2 cores: <= 200 %); ` +
      `CPU/busy = CPU / (ELU dr + ELU sv): well under 1, the busy threads were waiting for a core ` +
      `(other load on the machine)`,
  ];
  const row = table([4, 9, 10, 9, 7, 9, 8, 8, 7, 7, 6, 8], 2);
  lines.push(
    row([
      'run',
      'side',
      'sessions/s',
      'ok',
      'failed',
      'msgs/sess',
      'p50 ms',
      'p99 ms',
      'ELU dr',
      'ELU sv',
      'CPU',
      'CPU/busy',
    ]),
  );
  const rate = (r: Run): number => r.ok / r.seconds;
  /** CPU time over busy time of the two threads: under 1, they were ready to run but not running. */
  const share = (r: Run): number => r.cpu / (r.elu + r.serverElu);
  const runRow = (r: Run, label: string): string =>
    row([
      label,
      r.side,
      int(rate(r)),
      int(r.ok),
      int(r.failed),
      r.messages.toFixed(2),
      ms(r.p50),
      ms(r.p99),
      r.elu.toFixed(2),
      r.serverElu.toFixed(2),
      `${Math.round(r.cpu * 100)} %`,
      share(r).toFixed(2),
    ]);
  for (const r of runs) lines.push(runRow(r, String(r.run)));
  const meds = new Map<ServerKind, { rate: number; p50: number; p99: number; messages: number }>();
  for (const side of sides) {
    const rs = runs.filter((r) => r.side === side);
    const m = {
      rate: median(rs.map(rate)),
      p50: median(rs.map((r) => r.p50)),
      p99: median(rs.map((r) => r.p99)),
      messages: median(rs.map((r) => r.messages)),
      elu: median(rs.map((r) => r.elu)),
      serverElu: median(rs.map((r) => r.serverElu)),
      cpu: median(rs.map((r) => r.cpu)),
    };
    meds.set(side, m);
    lines.push(
      row([
        'med',
        side,
        int(m.rate),
        '',
        '',
        m.messages.toFixed(2),
        ms(m.p50),
        ms(m.p99),
        m.elu.toFixed(2),
        m.serverElu.toFixed(2),
        `${Math.round(m.cpu * 100)} %`,
        '',
      ]),
    );
  }

  const all = [...warm, ...runs];
  const failed = all.filter((r) => r.failed > 0);
  const firstFailure = failed.find((r) => r.firstFailure !== null)?.firstFailure ?? null;
  const rejected = all.reduce((n, r) => n + r.stats.rejected, 0);
  const commandFailures = all.reduce((n, r) => n + r.stats.commandFailures, 0);
  lines.push(
    '',
    `failures: ${int(runs.reduce((n, r) => n + r.failed, 0))} sessions failed in the runs ` +
      `(${int(warm.reduce((n, r) => n + r.failed, 0))} in the warm-ups)` +
      (firstFailure ? `; first: ${firstFailure}` : '') +
      `; servers answered ${int(rejected)} requests with a non-200; the devices failed ` +
      `${int(commandFailures)} reference-server commands`,
  );
  const starved = runs.filter((r) => share(r) < CONTENDED);
  if (starved.length > 0)
    lines.push(
      `contended: ${starved.map((r) => `run ${r.run} ${r.side}`).join(', ')} had CPU/busy under ` +
        `${CONTENDED} (their threads waited for a core: another load on the machine); their rates ` +
        `are low, the reference side (which needs both cores) the most`,
    );
  const ref = runs.filter((r) => r.side === 'reference');
  if (ref.length > 0) {
    const w = warm.find((r) => r.side === 'reference');
    const completed = ref.reduce((n, r) => n + (r.stats.completed ?? 0), 0);
    const sessions = ref.reduce((n, r) => n + r.ok + r.failed + r.drained, 0);
    lines.push(
      `reference: ${w ? w.messages.toFixed(2) : '-'} messages per session in the warm-up (which ` +
        `holds each device's first contact: Add PFN, Replace Poll); in the runs ${int(completed)} sessions ended 'completed' by the ` +
        `server for ${int(sessions)} the devices ran`,
    );
  }

  const results: string[] = [];
  const minimal = meds.get('minimal');
  const reference = meds.get('reference');
  if (minimal) {
    lines.push(
      `sessions/s against the minimal server: median ${int(minimal.rate)} ` +
        `(target >= ${int(TARGET)}/s)`,
    );
    results.push(
      `sessions (minimal) ${int(minimal.rate)}/s ${verdict(minimal.rate >= TARGET)} ` +
        `(target >= ${int(TARGET)}/s)`,
    );
  } else results.push('sessions (minimal) not run');
  if (reference) {
    if (minimal) {
      const perRun = [...new Set(ref.map((r) => r.run))].map((run) => {
        const a = runs.find((r) => r.side === 'reference' && r.run === run) as Run;
        const b = runs.find((r) => r.side === 'minimal' && r.run === run) as Run;
        return rate(a) / rate(b);
      });
      const ratio = median(perRun);
      lines.push(
        `sessions/s reference / minimal: medians ${int(reference.rate)} / ${int(minimal.rate)} = ` +
          `${pct(reference.rate / minimal.rate)}; per run ${perRun.map(pct).join(', ')}; median ` +
          `per-run ratio ${pct(ratio)}; messages/s reference ` +
          `${int(reference.rate * reference.messages)} vs minimal ` +
          `${int(minimal.rate * minimal.messages)}`,
      );
      results.push(`reference ${int(reference.rate)}/s = ${pct(ratio)} of minimal`);
    } else results.push(`reference ${int(reference.rate)}/s`);
  }

  lines.push('', `RESULT: ${results.join('; ')}  (bench took ${elapsed().toFixed(0)} s)`);
  console.log(lines.join('\n'));
}

runBench('sessions', main);
