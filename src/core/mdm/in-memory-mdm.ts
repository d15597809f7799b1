import type { MdmTransport, SessionRequest, SessionResult } from '../ports.js';
import type { ArmTimer, InMemoryMdmState, TimerSnapshot } from '../snapshot.js';
import type { Clock, Timer } from '../time/clock.js';
import type { EventSink } from '../timeline/events.js';
import type { SendOptions, SendOutcome, WnsCloud } from '../wns/wns-cloud.js';

const OK: SessionResult = { ok: true };

/** Options of the in-process MDM server. */
export interface InMemoryMdmOptions {
  /** How long a session takes, ms. */
  readonly sessionDurationMs?: number;
  /**
   * Re-read `Push/ChannelURI` in every session, as Microsoft recommends (default true). Off, the
   * server keeps the first URI it read and pushes to it after it expired.
   */
  readonly rereadChannelUri?: boolean;
}

/**
 * A minimal MDM server in the process: each session lasts `sessionDurationMs` and succeeds; it
 * reads the Push nodes at the start of each session, and sends pushes to the ChannelURI it last
 * read, through the WNS cloud, like a real server would.
 */
export class InMemoryMdm implements MdmTransport {
  private readonly known = new Map<string, string>();
  /** Each device's latest session end (for snapshots; a cut session's end does nothing). */
  private readonly ends = new Map<string, Timer>();
  private readonly duration: number;
  private readonly reread: boolean;

  constructor(
    private readonly clock: Clock,
    private readonly sink: EventSink,
    /** The in-process cloud pushes go through (null: the devices are on a live link). */
    private readonly cloud: Pick<WnsCloud, 'send'> | null,
    options: InMemoryMdmOptions = {},
  ) {
    this.duration = options.sessionDurationMs ?? 3000;
    this.reread = options.rereadChannelUri ?? true;
  }

  startSession(request: SessionRequest, done: (result: SessionResult) => void): void {
    const uri = request.readPush().channelUri;
    if (uri && (this.reread || !this.known.has(request.deviceId)))
      this.known.set(request.deviceId, uri);
    this.ends.set(
      request.deviceId,
      this.clock.after(this.duration, () => done(OK)),
    );
  }

  /**
   * The server's state as plain data (see `src/core/snapshot.ts`): the ChannelURIs it holds and
   * its sessions in progress (`timer` gives a pending timer's instant and rank, or null).
   */
  saveState(timer: (t: Timer | null) => TimerSnapshot | null): InMemoryMdmState {
    const sessionEnds: { device: string; timer: TimerSnapshot }[] = [];
    for (const [device, end] of this.ends) {
      const t = timer(end);
      if (t) sessionEnds.push({ device, timer: t });
    }
    sessionEnds.sort((a, b) => a.timer.seq - b.timer.seq);
    return {
      known: [...this.known].map(([device, channelUri]) => ({ device, channelUri })),
      sessionEnds,
    };
  }

  /**
   * Takes back a state {@link saveState} returned. `doneOf` gives the answer callback of a
   * device's running session (null when its latest session was cut: the end then does nothing);
   * session ends go to `arm`, which re-arms them in the original clock order.
   */
  loadState(
    state: InMemoryMdmState,
    doneOf: (deviceId: string) => ((result: SessionResult) => void) | null,
    arm: ArmTimer,
  ): void {
    this.known.clear();
    for (const k of state.known) this.known.set(k.device, k.channelUri);
    this.ends.clear();
    for (const { device, timer } of state.sessionEnds) {
      const done = doneOf(device);
      arm(timer, () => {
        this.ends.set(
          device,
          this.clock.schedule(timer.at, () => done?.(OK)),
        );
      });
    }
  }

  /** The ChannelURI the server holds for a device (what it read in a session), if any. */
  channelUriOf(deviceId: string): string | null {
    return this.known.get(deviceId) ?? null;
  }

  /** Pushes to a device through WNS, at the ChannelURI the server holds for it. */
  push(deviceId: string, options: SendOptions): SendOutcome | null {
    const uri = this.known.get(deviceId);
    if (!uri || !this.cloud) {
      this.sink.emit({
        time: this.clock.now(),
        device: deviceId,
        type: 'push.rejected',
        channelUri: null,
        status: 0,
        reason: this.cloud
          ? 'server holds no ChannelURI for this device'
          : 'no WNS cloud in this process: pushes go through your server',
      });
      return null;
    }
    const outcome = this.cloud.send(uri, options);
    // A real server forgets a channel WNS answers 410 for, and waits for the next session.
    if (outcome.status === 410 || outcome.status === 404) this.known.delete(deviceId);
    return outcome;
  }
}
