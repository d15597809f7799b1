/**
 * The client side of the event-log bench, in a child process of `events.ts` (forked with IPC), so
 * that the serve process's RSS holds only what the server spends and the health probes are sent
 * on time however long the server's event loop is busy.
 *
 * Driven by {@link ToClients} messages, answers {@link FromClients}: `idle` probes
 * `GET /api/health` alone for a while; `read` runs N clients, each paging through the whole log
 * with `GET /api/events?limit=…&after=…` until `more` is false, while probing. A client reads each
 * answer whole, as text, counts its events and takes `next` and `more` from its end, rather than
 * parsing it: the clients' own work stays small and does not delay the probes in this process.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';

/** What `events.ts` asks. */
export type ToClients =
  | {
      readonly type: 'idle';
      readonly url: string;
      readonly seconds: number;
      readonly probeMs: number;
    }
  | {
      readonly type: 'read';
      readonly url: string;
      readonly clients: number;
      readonly limit: number;
      readonly probeMs: number;
    };

/** What one client read: events, bytes of JSON, pages. */
export interface ClientRead {
  readonly events: number;
  readonly bytes: number;
  readonly pages: number;
}

/** The answers; `probes` are health latencies in ms. */
export type FromClients =
  | { readonly type: 'idle'; readonly probes: number[] }
  | {
      readonly type: 'read';
      readonly seconds: number;
      readonly reads: ClientRead[];
      readonly probes: number[];
    }
  | { readonly type: 'error'; readonly message: string };

/** Where each event of an answer starts (`toJson` puts `time` first; quotes in strings are escaped). */
const EVENT_START = '{"time":';
/** The end of an answer: `sendJson` writes `events`, `next`, `more` in that order. */
const TAIL = /"next":"([0-9]+)","more":(true|false)\}\s*$/;

/** Occurrences of `needle` in `text`. */
function count(text: string, needle: string): number {
  let n = 0;
  for (let i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + needle.length)) n++;
  return n;
}

/** One client: pages through the whole log from the oldest event kept. */
async function readAll(url: string, limit: number): Promise<ClientRead> {
  let after = '0';
  let events = 0;
  let bytes = 0;
  let pages = 0;
  for (let more = true; more; pages++) {
    const res = await fetch(`${url}/api/events?limit=${limit}&after=${after}`);
    const text = await res.text();
    if (res.status !== 200) throw new Error(`GET /api/events answered ${res.status}: ${text}`);
    const tail = TAIL.exec(text.slice(-200));
    if (!tail) throw new Error(`an answer without next and more: …${text.slice(-200)}`);
    after = tail[1] as string;
    more = tail[2] === 'true';
    events += count(text, EVENT_START);
    bytes += Buffer.byteLength(text);
  }
  return { events, bytes, pages };
}

/**
 * Probes `GET /api/health` every `everyMs` (one at a time: a slow answer delays the next probe)
 * until `done()`; the latencies in ms.
 */
async function probe(url: string, everyMs: number, done: () => boolean): Promise<number[]> {
  const latencies: number[] = [];
  while (!done()) {
    const t0 = performance.now();
    const res = await fetch(`${url}/api/health`);
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`GET /api/health answered ${res.status}`);
    const ms = performance.now() - t0;
    latencies.push(ms);
    if (ms < everyMs && !done()) await sleep(everyMs - ms);
  }
  return latencies;
}

/** Runs one request of `events.ts`. */
async function handle(m: ToClients): Promise<FromClients> {
  if (m.type === 'idle') {
    await (await fetch(`${m.url}/api/health`)).arrayBuffer(); // opens the connection, not counted
    const end = performance.now() + m.seconds * 1000;
    return { type: 'idle', probes: await probe(m.url, m.probeMs, () => performance.now() >= end) };
  }
  let finished = false;
  const probes = probe(m.url, m.probeMs, () => finished);
  const t0 = performance.now();
  const reads = await Promise.all(
    Array.from({ length: m.clients }, () => readAll(m.url, m.limit)),
  ).finally(() => (finished = true));
  const seconds = (performance.now() - t0) / 1000;
  return { type: 'read', seconds, reads, probes: await probes };
}

process.on('message', (m: ToClients) => {
  handle(m).then(
    (answer) => process.send?.(answer),
    (error: unknown) => process.send?.({ type: 'error', message: String(error) }),
  );
});
