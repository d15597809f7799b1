/**
 * What the WNS bench's processes and threads share: the messages between `wns.ts` and its
 * workers (`wns-load.ts`, a worker thread running autocannon; `wns-devices.ts`, a child process
 * holding the devices), memory snapshots and percentile summaries.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

// ---- memory -------------------------------------------------------------------------------------

/** `gc()` of this isolate (through `--expose-gc` set at run time), or null when unavailable. */
export const gc: (() => void) | null = (() => {
  try {
    setFlagsFromString('--expose-gc');
    return runInNewContext('gc') as () => void;
  } catch {
    return null;
  }
})();

/** Process memory after a full collection (bytes). */
export interface MemorySnapshot {
  readonly rss: number;
  readonly heapUsed: number;
  readonly external: number;
  /** Whether a full GC ran first (else heap figures include garbage). */
  readonly collected: boolean;
}

/** Collects twice (weak callbacks, then what they freed) and reads `process.memoryUsage()`. */
export function memorySnapshot(): MemorySnapshot {
  gc?.();
  gc?.();
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed, external: m.external, collected: gc !== null };
}

// ---- statistics ---------------------------------------------------------------------------------

/** Percentiles of a sample, milliseconds. */
export interface Summary {
  readonly count: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
}

/** Nearest-rank percentiles of `values` (sorted in place). */
export function summarize(values: Float64Array | number[]): Summary {
  const s = values instanceof Float64Array ? values.sort() : values.sort((a, b) => a - b);
  const n = s.length;
  const at = (p: number): number =>
    n === 0 ? NaN : (s[Math.min(n - 1, Math.ceil(p * n) - 1)] ?? NaN);
  let sum = 0;
  for (const v of s) sum += v;
  return {
    count: n,
    p50: at(0.5),
    p90: at(0.9),
    p99: at(0.99),
    max: n === 0 ? NaN : (s[n - 1] as number),
    mean: n === 0 ? NaN : sum / n,
  };
}

// ---- the load worker (autocannon) ---------------------------------------------------------------

/** What `wns-load.ts` runs: autocannon against `url`, cycling through `requests` per connection. */
export interface LoadJob {
  readonly url: string;
  readonly connections: number;
  readonly seconds: number;
  readonly requests: readonly {
    readonly path: string;
    readonly headers: Readonly<Record<string, string>>;
    readonly body: string;
  }[];
}

/** What `wns-load.ts` reports. */
export interface LoadResult {
  readonly seconds: number;
  readonly total: number;
  readonly ok2xx: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly timeouts: number;
  readonly latencyP50: number;
  readonly latencyP99: number;
  readonly statusCodes: Readonly<Record<string, number>>;
}

// ---- the device process -------------------------------------------------------------------------

/** Main → device process. */
export type ToDevices =
  | {
      readonly type: 'connect';
      /** The emulator's device endpoint (`ws://…/_device`). */
      readonly url: string;
      readonly devices: number;
      readonly pfn: string;
      /** Connection attempts (and channel requests) in flight at once. */
      readonly concurrency: number;
      readonly seed: number;
      /** Give up waiting for connections after this many seconds. */
      readonly timeoutSeconds: number;
    }
  | {
      readonly type: 'push';
      /** Bearer token for notify. */
      readonly token: string;
      readonly rate: number;
      readonly seconds: number;
      /** Keep-alive sockets of the sender. */
      readonly senderSockets: number;
      /** How long to wait for stragglers after the last push is sent, ms. */
      readonly drainMs: number;
      readonly seed: number;
    }
  | { readonly type: 'close' };

/** Device process → main. */
export type FromDevices =
  | { readonly type: 'ready' }
  | {
      readonly type: 'connected';
      readonly requested: number;
      readonly connected: number;
      readonly channels: number;
      readonly errors: number;
      readonly firstError: string | null;
      readonly connectSeconds: number;
      readonly channelSeconds: number;
      readonly before: MemorySnapshot;
      readonly after: MemorySnapshot;
    }
  | {
      readonly type: 'pushed';
      readonly sent: number;
      /** Answered 200 with `X-WNS-Status: received`. */
      readonly received: number;
      /** Answers by status (`200 received`, `406`, `error`, …). */
      readonly answers: Readonly<Record<string, number>>;
      readonly delivered: number;
      readonly duplicates: number;
      readonly sendSeconds: number;
      /** Request sent → push on the device, ms. */
      readonly delivery: Summary;
      /** Request sent → response complete, ms. */
      readonly roundTrip: Summary;
      /** Largest lag of the pacer behind its schedule, ms. */
      readonly pacerLagMax: number;
      /** Event-loop utilization of the device process during the pushes. */
      readonly elu: number;
    }
  | { readonly type: 'closed' }
  | { readonly type: 'error'; readonly message: string };
