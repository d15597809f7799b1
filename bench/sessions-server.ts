/**
 * The sessions bench's server side: a worker thread (started by `sessions.ts`) running one of the
 * two servers the simulated devices open OMA-DM sessions with, on its own event loop, so the
 * driving simulator keeps the main thread to itself.
 *
 * - `minimal`: `node:http` answering every POST with a fixed final SyncML reply. The only work
 *   per request is one regex over the raw body (read as latin1, so every byte round-trips) for the
 *   SyncHdr's SessionID, MsgID, Target and Source (in the order `serializeSyncML` writes them),
 *   pasted into a template: SessionID as is, MsgID 1, Target and Source swapped, and one Status
 *   (CmdRef 0, MsgRef = the device's MsgID, 200) plus `<Final/>`, which ends the device's session.
 * - `reference`: the reference MDM server as `dmpush serve` starts it ({@link startReferenceMdm},
 *   system clock), with a dummy WNS token URL: this bench sends no pushes.
 *
 * Protocol: `workerData` is a {@link ServerJob}; the worker posts `listening` once, then answers
 * each `stats` with its counters, and on `close` stops listening and ends.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';
import { SystemClock } from '../src/adapters/clock/system-clock.js';
import { startReferenceMdm } from '../src/adapters/mdm-server/start.js';

export type ServerKind = 'minimal' | 'reference';

/** What the worker serves. */
export interface ServerJob {
  readonly kind: ServerKind;
  /** The PFN the reference server writes to `Push/PFN`. */
  readonly pfn: string;
}

/** Counters of the server since it started. */
export interface ServerStats {
  /** HTTP requests received. */
  readonly requests: number;
  /** Requests answered with something else than a 200 (minimal: a body the regex missed). */
  readonly rejected: number;
  /** Sessions the reference server ended as `completed` (minimal: null). */
  readonly completed: number | null;
  /** Commands the devices answered with a failure status (reference server events). */
  readonly commandFailures: number;
  /** The reference server's unexpected exceptions (answered 500). */
  readonly errors: number;
}

export type ToServer = { readonly type: 'stats' } | { readonly type: 'close' };
export type FromServer =
  | { readonly type: 'listening'; readonly url: string }
  | ({ readonly type: 'stats' } & ServerStats)
  | { readonly type: 'closed' }
  | { readonly type: 'error'; readonly message: string };

const SYNCML = 'application/vnd.syncml.dm+xml';

/** The SyncHdr fields of a device message as `serializeSyncML` writes them (pretty printing allowed). */
const HEADER =
  /<SessionID>([^<]*)<\/SessionID>\s*<MsgID>([^<]*)<\/MsgID>\s*<Target>\s*<LocURI>([^<]*)<\/LocURI>\s*<\/Target>\s*<Source>\s*<LocURI>([^<]*)<\/LocURI>/;

/** The fixed final reply: SessionID, the device's MsgID (as MsgRef), Target and Source swapped. */
const finalReply = (sessionId: string, msgRef: string, target: string, source: string): string =>
  '<SyncML xmlns="SYNCML:SYNCML1.2"><SyncHdr><VerDTD>1.2</VerDTD><VerProto>DM/1.2</VerProto>' +
  `<SessionID>${sessionId}</SessionID><MsgID>1</MsgID>` +
  `<Target><LocURI>${source}</LocURI></Target><Source><LocURI>${target}</LocURI></Source>` +
  '</SyncHdr><SyncBody><Status><CmdID>1</CmdID>' +
  `<MsgRef>${msgRef}</MsgRef><CmdRef>0</CmdRef><Cmd>SyncHdr</Cmd>` +
  `<TargetRef>${target}</TargetRef><SourceRef>${source}</SourceRef><Data>200</Data>` +
  '</Status><Final/></SyncBody></SyncML>';

interface Running {
  readonly url: string;
  stats(): ServerStats;
  close(): Promise<void>;
}

async function startMinimal(): Promise<Running> {
  let requests = 0;
  let rejected = 0;
  const server: Server = createServer((req, res) => {
    requests++;
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
      const m = HEADER.exec(body.toString('latin1'));
      if (!m) {
        rejected++;
        res.writeHead(400, ['content-length', '0']);
        res.end();
        return;
      }
      const reply = Buffer.from(
        finalReply(m[1] as string, m[2] as string, m[3] as string, m[4] as string),
        'latin1',
      );
      res.writeHead(200, ['content-type', SYNCML, 'content-length', String(reply.length)]);
      res.end(reply);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/ManagementServer/MDM.svc`,
    stats: () => ({ requests, rejected, completed: null, commandFailures: 0, errors: 0 }),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

async function startReference(pfn: string): Promise<Running> {
  let requests = 0;
  let rejected = 0;
  let completed = 0;
  let commandFailures = 0;
  let errors = 0;
  const running = await startReferenceMdm({
    port: 0,
    pfn,
    clock: new SystemClock(),
    // Never contacted: the bench sends no pushes.
    wns: {
      tokenUrl: 'http://127.0.0.1:9/accesstoken.srf',
      sid: 'ms-app://S-1-15-2-0-0-0-0-0-0-0',
      secret: 'dmpush-bench-unused',
    },
    onEvent: (event) => {
      if (event.type === 'mdm.session-ended' && event.reason === 'completed') completed++;
      else if (event.type === 'mdm.command-failed') commandFailures++;
    },
  });
  const http = running.server.server;
  http.on('request', (_req, res) => {
    requests++;
    res.once('finish', () => {
      if (res.statusCode !== 200) rejected++;
      if (res.statusCode === 500) errors++;
    });
  });
  return {
    url: `${running.url}/ManagementServer/MDM.svc`,
    stats: () => ({ requests, rejected, completed, commandFailures, errors }),
    close: () => running.close(),
  };
}

/** Posts to the main thread (typed). */
function post(message: FromServer): void {
  parentPort?.postMessage(message);
}

async function main(job: ServerJob): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('sessions-server.ts runs as a worker thread of sessions.ts');
  const running = job.kind === 'minimal' ? await startMinimal() : await startReference(job.pfn);
  port.on('message', (m: ToServer) => {
    if (m.type === 'stats') post({ type: 'stats', ...running.stats() });
    else
      void running.close().then(
        () => {
          post({ type: 'closed' });
          port.close();
        },
        (error: unknown) => post({ type: 'error', message: String(error) }),
      );
  });
  post({ type: 'listening', url: running.url });
}

main(workerData as ServerJob).catch((error: unknown) =>
  post({
    type: 'error',
    message: error instanceof Error ? (error.stack ?? error.message) : String(error),
  }),
);
