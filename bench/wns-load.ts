/**
 * The WNS bench's load generator: a worker thread (started by `wns.ts`) that runs autocannon on
 * its own event loop, so the server under test keeps the main thread to itself. Takes a
 * {@link LoadJob} as `workerData`, posts one {@link LoadResult} and ends.
 */
import autocannon from 'autocannon';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import type { LoadJob, LoadResult } from './wns-common.js';

/**
 * autocannon off its main thread returns raw results (encoded histograms) for its own workers to
 * merge; `aggregateResult` (public, untyped in `@types/autocannon`) merges them as it would.
 */
const aggregateResult = (
  autocannon as unknown as {
    aggregateResult(this: void, results: unknown[], options: autocannon.Options): autocannon.Result;
  }
).aggregateResult;

async function run(job: LoadJob): Promise<LoadResult> {
  const options: autocannon.Options = {
    url: job.url,
    connections: job.connections,
    pipelining: 1,
    duration: job.seconds,
    requests: job.requests.map((r) => ({
      method: 'POST' as const,
      path: r.path,
      headers: { ...r.headers },
      body: r.body,
    })),
  };
  const raw = await autocannon(options);
  const result = isMainThread ? raw : aggregateResult([raw], options);
  const statusCodes: Record<string, number> = {};
  for (const [code, stat] of Object.entries(result.statusCodeStats ?? {}))
    statusCodes[code] = stat.count ?? 0;
  return {
    seconds: result.duration,
    total: result.requests.total,
    ok2xx: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    latencyP50: result.latency.p50,
    latencyP99: result.latency.p99,
    statusCodes,
  };
}

run(workerData as LoadJob).then(
  (result) => parentPort?.postMessage(result),
  (error: unknown) => {
    throw error;
  },
);
