/**
 * The device side of the WNS bench, in a child process of `wns.ts` (forked with IPC), so that the
 * devices' client sockets and the emulator's server sockets do not share one file-descriptor limit
 * or one event loop. It holds N devices on one {@link WebSocketWnsLink} (real WebSockets to the
 * emulator's `/_device` endpoint), asks each for a channel over its persistent connection, then
 * sends raw pushes through the emulator's HTTP notify endpoint at a fixed rate to random devices
 * and times each from the request being sent to the push arriving on the device. Sender and
 * devices share this process's `performance.now()`, so no clocks need comparing.
 *
 * Driven by {@link ToDevices} messages; answers {@link FromDevices}.
 */
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { SystemClock, streamFor, type IncomingPush } from '../src/index.js';
import { WebSocketWnsLink } from '../src/node.js';
import {
  memorySnapshot,
  summarize,
  type FromDevices,
  type MemorySnapshot,
  type ToDevices,
} from './wns-common.js';

const PUSH_PREFIX = 'bench:';

const tell = (message: FromDevices): void => {
  process.send?.(message);
};

let link: WebSocketWnsLink | null = null;
let agent: Agent | null = null;
/** The channel URI of each device that got one (index: device number). */
let channels: string[] = [];
/** Called with each push a device receives. */
let onPush: (push: IncomingPush) => void = () => undefined;

async function connect(m: Extract<ToDevices, { type: 'connect' }>): Promise<FromDevices> {
  const clock = new SystemClock();
  let errors = 0;
  let firstError: string | null = null;
  const current = new WebSocketWnsLink({
    url: m.url,
    clock,
    random: streamFor(m.seed, 'bench:ws-link'),
    onError: (error) => {
      errors++;
      firstError ??= error.message;
    },
  });
  link = current;
  const before: MemorySnapshot = memorySnapshot();

  // Persistent connections, `concurrency` handshakes in flight at once.
  const deadline = performance.now() + m.timeoutSeconds * 1000;
  const t0 = performance.now();
  const open = new Uint8Array(m.devices);
  let connected = 0;
  await new Promise<void>((resolve) => {
    let next = 0;
    let inFlight = 0;
    const timer = setInterval(() => {
      if (performance.now() > deadline) finish();
    }, 100);
    const finish = (): void => {
      clearInterval(timer);
      resolve();
    };
    const launch = (): void => {
      while (inFlight < m.concurrency && next < m.devices) {
        const i = next++;
        inFlight++;
        current.connect(`bench-${i}`, {
          onOpen: () => {
            if (open[i]) return;
            open[i] = 1;
            inFlight--;
            connected++;
            if (connected === m.devices) finish();
            else launch();
          },
          onPush: (push) => onPush(push),
          onClosed: () => undefined,
        });
      }
    };
    launch();
  });
  const t1 = performance.now();

  // A channel per connected device, asked on its persistent connection.
  const granted: string[] = [];
  await new Promise<void>((resolve) => {
    const ids: number[] = [];
    for (let i = 0; i < m.devices; i++) if (open[i]) ids.push(i);
    let next = 0;
    let answered = 0;
    if (ids.length === 0) {
      resolve();
      return;
    }
    const launch = (): void => {
      while (next - answered < m.concurrency && next < ids.length) {
        const i = ids[next++] as number;
        current.requestChannel(`bench-${i}`, m.pfn, (grant) => {
          answered++;
          if (grant.ok) granted.push(grant.channelUri);
          else {
            errors++;
            firstError ??= `channel refused: ${grant.reason}`;
          }
          if (answered === ids.length) resolve();
          else launch();
        });
      }
    };
    launch();
  });
  channels = granted;
  const t2 = performance.now();
  const after = memorySnapshot();
  return {
    type: 'connected',
    requested: m.devices,
    connected,
    channels: channels.length,
    errors,
    firstError,
    connectSeconds: (t1 - t0) / 1000,
    channelSeconds: (t2 - t1) / 1000,
    before,
    after,
  };
}

async function push(m: Extract<ToDevices, { type: 'push' }>): Promise<FromDevices> {
  const total = channels.length === 0 ? 0 : Math.round(m.rate * m.seconds);
  const first = new URL(channels[0] ?? 'http://127.0.0.1/');
  const host = first.hostname;
  const port = Number(first.port);
  const paths = channels.map((uri) => {
    const u = new URL(uri);
    return u.pathname + u.search;
  });
  const sender = new Agent({ keepAlive: true, maxSockets: m.senderSockets });
  agent = sender;
  const random = streamFor(m.seed, 'bench:targets');
  const headers = {
    authorization: `Bearer ${m.token}`,
    'x-wns-type': 'wns/raw',
    'content-type': 'application/octet-stream',
  };

  const sentAt = new Float64Array(total);
  const seen = new Uint8Array(total);
  const delivery: number[] = [];
  const roundTrip: number[] = [];
  const answers: Record<string, number> = {};
  let received = 0;
  let answered = 0;
  let duplicates = 0;
  let pacerLagMax = 0;
  onPush = (p) => {
    const now = performance.now();
    const text = Buffer.from(p.bodyBase64 ?? '', 'base64').toString('latin1');
    if (!text.startsWith(PUSH_PREFIX)) return;
    const seq = Number(text.slice(PUSH_PREFIX.length));
    if (!(seq >= 0 && seq < total)) return;
    if (seen[seq]) {
      duplicates++;
      return;
    }
    seen[seq] = 1;
    delivery.push(now - (sentAt[seq] as number));
  };

  const send = (seq: number): void => {
    const path = paths[random.int(0, paths.length - 1)] as string;
    const body = `${PUSH_PREFIX}${seq}`;
    const t = performance.now();
    sentAt[seq] = t;
    let done = false;
    const answer = (key: string): void => {
      if (done) return;
      done = true;
      answered++;
      answers[key] = (answers[key] ?? 0) + 1;
      roundTrip.push(performance.now() - t);
    };
    const req = request({
      host,
      port,
      method: 'POST',
      path,
      agent: sender,
      headers: { ...headers, 'content-length': Buffer.byteLength(body) },
    });
    req.on('response', (res) => {
      const status = res.headers['x-wns-status'];
      const key = `${res.statusCode ?? 0}${typeof status === 'string' ? ` ${status}` : ''}`;
      if (res.statusCode === 200 && status === 'received') received++;
      res.resume();
      res.on('end', () => answer(key));
      res.on('error', () => answer('error'));
    });
    req.on('error', () => answer('error'));
    req.end(body);
  };

  const elu0 = performance.eventLoopUtilization();
  const start = performance.now();
  let sent = 0;
  await new Promise<void>((resolve) => {
    const pacer = setInterval(() => {
      const now = performance.now();
      const due = Math.min(total, Math.floor(((now - start) * m.rate) / 1000));
      if (sent < due) pacerLagMax = Math.max(pacerLagMax, now - (start + (sent * 1000) / m.rate));
      while (sent < due) send(sent++);
      if (sent >= total) {
        clearInterval(pacer);
        resolve();
      }
    }, 1);
  });
  const sendSeconds = (performance.now() - start) / 1000;
  const elu = performance.eventLoopUtilization(elu0).utilization;
  // Stragglers: every answer in, and every push answered `received` on its device.
  await new Promise<void>((resolve) => {
    const until = performance.now() + m.drainMs;
    const timer = setInterval(() => {
      if ((answered >= total && delivery.length >= received) || performance.now() > until) {
        clearInterval(timer);
        resolve();
      }
    }, 5);
  });
  onPush = () => undefined;
  return {
    type: 'pushed',
    sent,
    received,
    answers,
    delivered: delivery.length,
    duplicates,
    sendSeconds,
    delivery: summarize(delivery),
    roundTrip: summarize(roundTrip),
    pacerLagMax,
    elu,
  };
}

async function close(): Promise<void> {
  agent?.destroy();
  agent = null;
  const l = link;
  link = null;
  await l?.close();
}

process.on('message', (message: ToDevices) => {
  const handle = async (): Promise<void> => {
    switch (message.type) {
      case 'connect':
        tell(await connect(message));
        return;
      case 'push':
        tell(await push(message));
        return;
      case 'close':
        await close();
        tell({ type: 'closed' });
        process.disconnect();
        return;
    }
  };
  handle().catch((error: unknown) => {
    tell({
      type: 'error',
      message: error instanceof Error ? (error.stack ?? error.message) : String(error),
    });
  });
});
// The bench went away: close what is open and leave.
process.on('disconnect', () => {
  void close();
});
tell({ type: 'ready' });
