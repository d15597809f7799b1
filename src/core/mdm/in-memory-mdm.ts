import type { MdmTransport, SessionRequest, SessionResult } from '../ports.js';
import type { Clock } from '../time/clock.js';
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
  private readonly duration: number;
  private readonly reread: boolean;

  constructor(
    private readonly clock: Clock,
    private readonly sink: EventSink,
    private readonly cloud: WnsCloud,
    options: InMemoryMdmOptions = {},
  ) {
    this.duration = options.sessionDurationMs ?? 3000;
    this.reread = options.rereadChannelUri ?? true;
  }

  startSession(request: SessionRequest, done: (result: SessionResult) => void): void {
    const uri = request.readPush().channelUri;
    if (uri && (this.reread || !this.known.has(request.deviceId)))
      this.known.set(request.deviceId, uri);
    this.clock.after(this.duration, () => done(OK));
  }

  /** The ChannelURI the server holds for a device (what it read in a session), if any. */
  channelUriOf(deviceId: string): string | null {
    return this.known.get(deviceId) ?? null;
  }

  /** Pushes to a device through WNS, at the ChannelURI the server holds for it. */
  push(deviceId: string, options: SendOptions): SendOutcome | null {
    const uri = this.known.get(deviceId);
    if (!uri) {
      this.sink.emit({
        time: this.clock.now(),
        device: deviceId,
        type: 'push.rejected',
        channelUri: null,
        status: 0,
        reason: 'server holds no ChannelURI for this device',
      });
      return null;
    }
    const outcome = this.cloud.send(uri, options);
    // A real server forgets a channel WNS answers 410 for, and waits for the next session.
    if (outcome.status === 410 || outcome.status === 404) this.known.delete(deviceId);
    return outcome;
  }
}
