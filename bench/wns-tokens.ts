/**
 * The WNS bench's part 4: access tokens (decision 0012). Issue rate over HTTP
 * (`POST /accesstoken.srf`, autocannon in a worker thread) of an emulator holding no token against
 * one already holding N (default 50,000), sides alternating within each run; the heap those N
 * tokens take (after a full GC); and the cost of evicting them all once they expire (one issue
 * after their expiry) with the heap it gives back. Expired tokens are evicted from an index
 * ordered by expiry, so the rate should not depend on how many tokens are held.
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { SystemClock, type EventSink, type WnsApp } from '../src/index.js';
import { WnsEmulator, createWnsHttpServer } from '../src/node.js';
import { gc, memorySnapshot, type LoadJob, type LoadResult } from './wns-common.js';
import { median } from './stats.js';

/** The options part 4 reads. */
export interface TokenBenchOptions {
  readonly tokens: number;
  readonly runs: number;
  readonly duration: number;
  readonly connections: number;
  readonly seed: number;
}

type Side = 'empty' | 'held';

interface TokenRun extends LoadResult {
  readonly side: Side;
  readonly run: number;
  /** Tokens held when the load began. */
  readonly heldBefore: number;
}

/** What part 4 measured. */
export interface TokenBenchResult {
  readonly runs: readonly TokenRun[];
  /** Heap (after a full GC) taken by the N tokens, bytes. */
  readonly heldHeap: number;
  /** Wall time of the one issue that evicts N expired tokens, ms. */
  readonly evictMs: number;
  /**
   * Heap left over once they are evicted (after a full GC), bytes: the request journal's entries
   * of their token requests (bounded, 100,000 at most).
   */
  readonly afterEvictHeap: number;
  /** Heap left over once the journal is cleared too, bytes (~0: the tokens gave all back). */
  readonly afterJournalHeap: number;
  readonly afterEvictHeld: number;
}

const APP: WnsApp = {
  pfn: 'Contoso.MDM_8wekyb3d8bbwe',
  sid: 'ms-app://S-1-15-2-2411136829-3422574390-1218575391-4088406412-1652238325-1536734281-1962548315',
  secret: 'dmpush-demo-secret-0001',
};
const FORM = {
  grant_type: 'client_credentials',
  client_id: APP.sid,
  client_secret: APP.secret,
  scope: 'notify.windows.com',
};
const NULL_SINK: EventSink = { emit: () => undefined };

/** An emulator as `dmpush wns` composes it (crypto token values), with `lifetimeMs` tokens. */
function emulator(seed: number, lifetimeMs?: number): WnsEmulator {
  return new WnsEmulator({
    clock: new SystemClock(),
    seed,
    baseUrl: 'http://127.0.0.1/',
    apps: [APP],
    tokenSource: () => randomBytes(48).toString('base64'),
    tokenLifetimeMs: lifetimeMs,
    misuse: null,
    sink: NULL_SINK,
  });
}

/** Issues `n` tokens in process, through the service (as the HTTP route does). */
function issue(e: WnsEmulator, n: number): void {
  for (let i = 0; i < n; i++) {
    const answer = e.service.classicToken(FORM);
    if (answer.status !== 200) throw new Error(`token: ${answer.status} ${answer.body}`);
  }
}

/** One load run on a new emulator holding `held` tokens. */
async function run(
  o: TokenBenchOptions,
  side: Side,
  n: number,
  seconds: number,
  load: (job: LoadJob) => Promise<LoadResult>,
): Promise<TokenRun> {
  const e = emulator(o.seed);
  const held = side === 'held' ? o.tokens : 0;
  issue(e, held);
  // The garbage of the run before is not this run's to collect.
  gc?.();
  const http = createWnsHttpServer(e);
  const { url } = await http.listen(0, '127.0.0.1');
  try {
    const body = new URLSearchParams(FORM).toString();
    const headers = { 'content-type': 'application/x-www-form-urlencoded' };
    const r = await load({
      url,
      connections: o.connections,
      seconds,
      requests: [{ path: '/accesstoken.srf', headers, body }],
    });
    return { ...r, side, run: n, heldBefore: held };
  } finally {
    await http.close();
  }
}

/** Heap of N held tokens, then the eviction of them all once expired. */
async function heapAndEviction(o: TokenBenchOptions): Promise<Omit<TokenBenchResult, 'runs'>> {
  const lifetimeMs = 1000;
  const e = emulator(o.seed, lifetimeMs);
  issue(e, 1); // the code paths warm, the first allocations made
  const before = memorySnapshot();
  issue(e, o.tokens);
  const held = memorySnapshot();
  await new Promise((resolve) => setTimeout(resolve, lifetimeMs + 100));
  const t0 = performance.now();
  issue(e, 1);
  const evictMs = performance.now() - t0;
  const after = memorySnapshot();
  const afterEvictHeld = e.tokens.size;
  e.service.reset(); // the journal, throttles and faults
  const cleared = memorySnapshot();
  return {
    heldHeap: held.heapUsed - before.heapUsed,
    evictMs,
    afterEvictHeap: after.heapUsed - before.heapUsed,
    afterJournalHeap: cleared.heapUsed - before.heapUsed,
    afterEvictHeld,
  };
}

/** Part 4: heap and eviction (on a process not yet under load), then the runs (after a warm-up). */
export async function measureTokens(
  o: TokenBenchOptions,
  load: (job: LoadJob) => Promise<LoadResult>,
): Promise<TokenBenchResult> {
  const memory = await heapAndEviction(o);
  await run(o, 'held', 0, 1, load);
  const runs: TokenRun[] = [];
  for (let n = 1; n <= o.runs; n++) {
    const order: Side[] = n % 2 ? ['empty', 'held'] : ['held', 'empty'];
    for (const side of order) runs.push(await run(o, side, n, o.duration, load));
  }
  return { runs, ...memory };
}

const int = (n: number): string => Math.round(n).toLocaleString('en-US');
const pct = (x: number): string => `${(x * 100).toFixed(1)} %`;
const mb = (bytes: number): string => (bytes / 2 ** 20).toFixed(1);

/** Part 4's report lines, and its one-line result. */
export function reportTokens(
  r: TokenBenchResult,
  o: TokenBenchOptions,
): { lines: string[]; result: string; ok: boolean } {
  const rate = (t: TokenRun): number => t.ok2xx / t.seconds;
  const of = (side: Side): TokenRun[] => r.runs.filter((t) => t.side === side);
  const runIds = [...new Set(r.runs.map((t) => t.run))];
  const ratios = runIds.map((n) => {
    const get = (side: Side) => r.runs.find((t) => t.side === side && t.run === n) as TokenRun;
    return rate(get('held')) / rate(get('empty'));
  });
  const ratio = median(ratios);
  const refused = r.runs.reduce((n, t) => n + t.non2xx + t.errors + t.timeouts, 0);
  const ok = ratio >= 0.9;
  const lines = [
    '',
    `4. access tokens: POST /accesstoken.srf (classic flow), autocannon in a worker thread, ` +
      `${o.connections} connections, ${o.duration} s per run, ${o.runs} runs; empty = a new ` +
      `emulator holding no token, held = a new emulator first given ${int(o.tokens)} live tokens ` +
      `(24 h lifetime); sides alternate within each run`,
    `token req/s empty: median ${int(median(of('empty').map(rate)))} ` +
      `(${of('empty')
        .map((t) => int(rate(t)))
        .join(', ')})`,
    `token req/s held:  median ${int(median(of('held').map(rate)))} ` +
      `(${of('held')
        .map((t) => int(rate(t)))
        .join(', ')})`,
    `held / empty: per run ${ratios.map(pct).join(', ')}; median per-run ratio ${pct(ratio)} ` +
      `(target >= 90 %: the rate does not depend on the tokens held); ${int(refused)} non-2xx or failed requests`,
    `heap of ${int(o.tokens)} held tokens with their request journal entries (after a full ` +
      `GC): ${mb(r.heldHeap)} MB, ${int(r.heldHeap / o.tokens)} bytes per token`,
    `evicting them once expired (1 s lifetime, one issue after): ${r.evictMs.toFixed(1)} ms; ` +
      `${int(r.afterEvictHeld)} token(s) held after; heap above the start: ` +
      `${mb(r.afterEvictHeap)} MB (the journal's entries, bounded), ${mb(r.afterJournalHeap)} MB ` +
      `once the journal is cleared too`,
  ];
  return {
    lines,
    result: `tokens held/empty ${pct(ratio)} at ${int(o.tokens)}, ${mb(r.heldHeap)} MB`,
    ok,
  };
}
