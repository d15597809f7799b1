/**
 * Event-log bench: what reading a large timeline through the control API costs `dmpush serve`,
 * in one run. Before `GET /api/events` answered pages, 20 concurrent reads of a 12 MB log took
 * the process to 1.09 GB RSS and `GET /api/health` to 6 s.
 *
 * The fleet runs in this process (`startServe`: N devices of the built-in fleet, default 20, a
 * virtual clock, a fresh state file in a temp dir, or `--memory`), is advanced one day so that
 * its log holds real events, then its log is filled to about `--mb` MB of JSON (default 12) with
 * copies of those events (same devices, types and fields; times spread over that day), emitted
 * into the fleet's event log as its devices emit theirs (and so into the state file's log).
 *
 * A child process (`events-clients.ts`) then probes `GET /api/health` every 50 ms, first idle
 * (`--idle` s), then while `--clients` clients (default 20) each page through the whole log with
 * `GET /api/events?limit=1000&after=…` until `more` is false. Reported: the reads' time and
 * events/s; this process's peak RSS above its baseline (sampled every 10 ms, and the kernel's
 * maxRSS), also as a ratio of the log's JSON size; health latency median and max, reads vs idle.
 * Targets: peak RSS growth < 200 MB, health max < 500 ms during the reads. Nothing exits non-zero
 * on a missed target: this is a report.
 *
 * Usage: `node dist/bench/events.js [--mb N] [--clients N] [--limit N] [--devices N] [--idle S]
 * [--seed N] [--memory]` (`--mb 1` for a quick check). With `--memory` the log keeps its newest
 * 100,000 events, whatever `--mb` asks.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { startServe, type RunningServe } from '../src/cli/commands/serve.js';
import { toJson } from '../src/core/timeline/format.js';
import { benchArgs, quietIo as io, runBench } from './args.js';
import type { FromClients, ToClients } from './events-clients.js';
import { median } from './stats.js';
import { gc } from './wns-common.js';

const USAGE =
  'usage: node dist/bench/events.js [--mb N] [--clients N] [--limit N] [--devices N] [--idle S] [--seed N] [--memory]';

/** Health probes every this many ms; RSS samples every this many ms. */
const PROBE_MS = 50;
const RSS_MS = 10;
/** Targets. */
const RSS_TARGET_MB = 200;
const HEALTH_TARGET_MS = 500;

interface Options {
  readonly mb: number;
  readonly clients: number;
  readonly limit: number;
  readonly devices: number;
  readonly idle: number;
  readonly seed: number;
  readonly memory: boolean;
}

const MB = 1e6;
const fmt = (x: number, digits = 1): string =>
  x.toLocaleString('en-US', { maximumFractionDigits: digits });

/**
 * Fills the log to about `mb` MB of JSON with copies of its real events, round after round (same
 * devices, types and fields), their times spread evenly, in order, over the span the real events
 * cover; the number of events logged in all.
 */
function seedLog(s: RunningServe, mb: number): number {
  const real = s.events.list();
  const first = real[0];
  if (!first) throw new Error('the fleet logged no event to copy');
  const realBytes = real.reduce((sum, e) => sum + JSON.stringify(toJson(e)).length + 1, 0);
  const rounds = Math.max(0, Math.ceil((mb * MB - realBytes) / realBytes));
  const copies = rounds * real.length;
  const span = s.clock.now() - first.time;
  let i = 0;
  for (let r = 0; r < rounds; r++)
    for (const e of real)
      s.events.emit({ ...e, time: first.time + Math.floor((i++ * span) / copies) });
  return real.length + copies;
}

/** Sends `m` to the client process and waits for its answer. */
function ask<T extends ToClients['type']>(
  child: ChildProcess,
  m: Extract<ToClients, { type: T }>,
): Promise<Extract<FromClients, { type: T }>> {
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null): void =>
      reject(new Error(`the client process exited (${code})`));
    child.once('exit', onExit);
    child.once('message', (r: FromClients) => {
      child.off('exit', onExit);
      if (r.type === 'error') reject(new Error(`client process: ${r.message}`));
      else if (r.type !== m.type)
        reject(new Error(`client process: expected ${m.type}, got ${r.type}`));
      else resolve(r as Extract<FromClients, { type: T }>);
    });
    child.send(m);
  });
}

/** The peak RSS while `run` runs: the larger of samples every {@link RSS_MS} and maxRSS. */
async function peakRss<T>(run: () => Promise<T>): Promise<{ result: T; peak: number }> {
  const maxBefore = process.resourceUsage().maxRSS * 1024;
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), RSS_MS);
  try {
    const result = await run();
    const maxAfter = process.resourceUsage().maxRSS * 1024;
    return { result, peak: Math.max(peak, maxAfter > maxBefore ? maxAfter : 0) };
  } finally {
    clearInterval(timer);
  }
}

/** Starts the fleet, advances it a day, fills its log; the fleet and the events it holds. */
async function prepare(o: Options, dir: string): Promise<{ s: RunningServe; logged: number }> {
  const s = await startServe(io, {
    clock: 'virtual',
    host: '127.0.0.1',
    port: 0,
    wnsPort: 0,
    mdmPort: 0,
    logLevel: 'silent',
    timeline: false,
    devices: o.devices,
    seed: o.seed,
    ...(o.memory ? { memory: true } : { state: join(dir, 'state.db') }),
  });
  const res = await fetch(`${s.controlUrl}/api/clock/advance`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ duration: 'P1D' }),
  });
  if (res.status !== 200) throw new Error(`advance answered ${res.status}: ${await res.text()}`);
  const logged = seedLog(s, o.mb);
  await sleep(100); // the seeded events are committed at the end of this turn
  return { s, logged };
}

async function main(): Promise<void> {
  const o: Options = benchArgs(process.argv.slice(2), USAGE, {
    ints: {
      mb: { default: 12, min: 1 },
      clients: { default: 20, min: 1 },
      limit: { default: 1_000, min: 1 },
      devices: { default: 20, min: 1 },
      idle: { default: 3, min: 1 },
      seed: { default: 1, min: 0 },
    },
    flags: ['memory'],
  });
  const dir = mkdtempSync(join(tmpdir(), 'dmpush-bench-events-'));
  const child = fork(fileURLToPath(new URL('./events-clients.js', import.meta.url)), [], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let s: RunningServe | null = null;
  try {
    const prepared = await prepare(o, dir);
    s = prepared.s;
    const url = s.controlUrl;
    const idle = await ask(child, { type: 'idle', url, seconds: o.idle, probeMs: PROBE_MS });
    gc?.();
    gc?.();
    const base = process.memoryUsage.rss();
    const { result: reads, peak } = await peakRss(() =>
      ask(child, { type: 'read', url, clients: o.clients, limit: o.limit, probeMs: PROBE_MS }),
    );
    report(o, prepared.logged, idle.probes, reads, peak - base, base);
  } finally {
    if (child.connected) child.disconnect();
    await s?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** What the client process measured while reading. */
type Reads = Extract<FromClients, { type: 'read' }>;

/** The health table: median and max latency, idle and during the reads, and their ratios. */
function healthTable(idle: number[], reads: number[]): string[] {
  const row = (name: string, cells: readonly string[]): string =>
    `${name.padEnd(22)}${cells.map((c) => c.padStart(12)).join('')}`;
  const ratioRow = (name: string, f: (xs: number[]) => number): string =>
    row(name, [fmt(f(idle), 2), fmt(f(reads), 2), `${fmt(f(reads) / f(idle))}×`]);
  return [
    row('', ['idle', 'reads', 'reads/idle']),
    ratioRow('health median ms', median),
    ratioRow('health max ms', (xs) => Math.max(...xs)),
    row('health probes', [String(idle.length), String(reads.length)]),
  ];
}

/** Prints the figures and the verdicts; `growth` and `base` are RSS bytes. */
function report(
  o: Options,
  logged: number,
  idle: number[],
  r: Reads,
  growth: number,
  base: number,
): void {
  const one = r.reads[0];
  if (!one) throw new Error('no client read');
  const odd = r.reads.find((c) => c.events !== one.events || c.events === 0);
  if (odd) throw new Error(`clients read different logs: ${odd.events} vs ${one.events} events`);
  const total = one.events * r.reads.length;
  const healthMax = Math.max(...r.probes);
  const verdict = (ok: boolean): string => (ok ? 'PASS' : 'FAIL');
  console.log(
    [
      `\nEvent log reads: ${o.clients} clients paging GET /api/events?limit=${o.limit} through ` +
        `${fmt(one.events, 0)} events (${fmt(one.bytes / MB)} MB of JSON; ${fmt(logged, 0)} logged), ` +
        `${o.memory ? '--memory' : 'state file'}, ${o.devices} devices\n`,
      ...healthTable(idle, r.probes),
      `\nreads: ${fmt(r.seconds, 2)} s, ${one.pages} pages a client: ${fmt(total / r.seconds, 0)} ` +
        `events/s, ${fmt((one.bytes * r.reads.length) / MB / r.seconds)} MB/s`,
      `peak RSS: ${fmt(growth / MB)} MB above the baseline of ${fmt(base / MB)} MB = ` +
        `${fmt(growth / one.bytes, 2)}× the log's JSON size`,
      `RESULT: peak RSS growth ${fmt(growth / MB)} MB ${verdict(growth < RSS_TARGET_MB * MB)} ` +
        `(target < ${RSS_TARGET_MB} MB); health max during reads ${fmt(healthMax, 0)} ms ` +
        `${verdict(healthMax < HEALTH_TARGET_MS)} (target < ${HEALTH_TARGET_MS} ms)`,
    ].join('\n'),
  );
}

runBench('events', main);
