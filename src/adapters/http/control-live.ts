import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import type { DeviceSnapshot } from '../../core/device/device.js';
import type { Simulation } from '../../core/simulation.js';
import type { EventLog } from '../../core/timeline/event-log.js';
import type { TimelineEvent } from '../../core/timeline/events.js';
import { describe, toJson } from '../../core/timeline/format.js';
import { formatInstant } from '../../core/time/iso.js';
import { upgradeRefusal, type AccessPolicy } from './access.js';
import { refuseUpgrade, requestTarget } from './http-util.js';

/** The path of the live-updates WebSocket. */
const LIVE_PATH = '/api/live';

/** Most events in one `update` message; older ones in the batch are counted in `dropped`. */
const MAX_BATCH_EVENTS = 500;

/** A client whose socket holds more than this many unsent bytes misses updates until it drains. */
const MAX_BUFFERED = 4 * 1024 * 1024;

/** An event as the live WebSocket sends it: `GET /api/events`' form plus its sentence. */
function liveEventJson(event: TimelineEvent): Record<string, unknown> {
  return { ...toJson(event), text: describe(event) };
}

/**
 * The control API's live WebSocket (`/api/live`): `{"type":"hello","now","clock","devices"}` on
 * connect, then `{"type":"update","now","events","devices","dropped"}` with the events logged
 * since the last update (at most 500; `dropped` counts the rest) and the snapshots of the devices
 * they (or a control) touched, batched until the current task's microtasks end. A client that
 * lags (over 4 MiB unsent) misses updates, then gets a full snapshot with `dropped` ≥ 1.
 */
export class LiveUpdates {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 1024 });
  private readonly lagging = new WeakSet<WebSocket>();
  private pending: TimelineEvent[] = [];
  private dropped = 0;
  private readonly touched = new Set<string>();
  private scheduled = false;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly simulation: Simulation,
    events: EventLog,
    private readonly deviceJson: (s: DeviceSnapshot) => Record<string, unknown>,
  ) {
    this.unsubscribe = events.subscribe((event) => {
      if (this.wss.clients.size === 0) return;
      this.pending.push(event);
      if (this.pending.length > MAX_BATCH_EVENTS) {
        this.pending.shift();
        this.dropped++;
      }
      this.notify(event.device ?? undefined);
    });
    this.wss.on('connection', (ws) => this.hello(ws));
  }

  /**
   * Serves upgrades to {@link LIVE_PATH} on `server` to callers `access` admits (Host, Origin, the
   * API token: a refusal is answered with its status and reason); any other upgrade is a 404.
   */
  attach(server: Server, access: AccessPolicy): void {
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      socket.on('error', () => undefined);
      const target = requestTarget(req.url);
      if (target.path !== LIVE_PATH) {
        refuseUpgrade(
          socket,
          404,
          `no WebSocket at ${target.path}: the live updates are at ${LIVE_PATH}`,
        );
        return;
      }
      const refusal = upgradeRefusal(access, req, target, { token: true });
      if (refusal) {
        refuseUpgrade(socket, refusal.status, refusal.message);
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => this.wss.emit('connection', ws, req));
    });
  }

  /** Schedules an update (with `deviceId`'s snapshot, when given) for the end of this task. */
  notify(deviceId?: string): void {
    if (this.wss.clients.size === 0) return;
    if (deviceId !== undefined) this.touched.add(deviceId);
    if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(() => this.flush());
    }
  }

  /** Stops listening to the event log and ends every live socket. */
  close(): void {
    this.unsubscribe();
    for (const ws of this.wss.clients) ws.terminate();
    this.wss.close();
  }

  private hello(ws: WebSocket): void {
    ws.on('error', () => undefined);
    const clock = this.simulation.clock;
    // The socket is for listening: anything the client sends is ignored.
    ws.send(
      JSON.stringify({
        type: 'hello',
        now: formatInstant(clock.now()),
        clock: clock.mode,
        devices: this.simulation.snapshots().map(this.deviceJson),
      }),
    );
  }

  private sendTo(ws: WebSocket, message: string): void {
    if (ws.readyState !== WebSocket.OPEN) return;
    if (ws.bufferedAmount > MAX_BUFFERED) {
      this.lagging.add(ws);
      return;
    }
    ws.send(message);
  }

  private flush(): void {
    this.scheduled = false;
    const batch = this.pending;
    const skipped = this.dropped;
    this.pending = [];
    this.dropped = 0;
    const ids = [...this.touched];
    this.touched.clear();
    if (this.wss.clients.size === 0) return;
    const now = formatInstant(this.simulation.clock.now());
    const events = batch.map(liveEventJson);
    const devices = ids.flatMap((id) => {
      const d = this.simulation.device(id);
      return d ? [this.deviceJson(d.snapshot())] : [];
    });
    const message = JSON.stringify({ type: 'update', now, events, devices, dropped: skipped });
    for (const ws of this.wss.clients) {
      if (this.lagging.has(ws) && ws.bufferedAmount <= MAX_BUFFERED) {
        // It missed updates: a full snapshot, and `dropped` tells it to reload what it shows.
        this.lagging.delete(ws);
        const all = JSON.stringify({
          type: 'update',
          now,
          events,
          devices: this.simulation.snapshots().map(this.deviceJson),
          dropped: Math.max(skipped, 1),
        });
        this.sendTo(ws, all);
      } else this.sendTo(ws, message);
    }
  }
}
