import type { Clock, Timer } from '../../core/time/clock.js';
import type { Fault, WnsService } from '../../core/wns/wns-service.js';
import type { Exchange } from './exchange.js';

/** `Retry-After` of an injected 503, in seconds. */
export const FAULT_RETRY_AFTER_SECONDS = 5;

/**
 * Faults injected through the admin API (`POST /_sim/faults`) on the WNS HTTP endpoints: an
 * error status, a dropped connection, or a delayed answer. Delays are timers of the emulator's
 * clock, cancelled by {@link cancelDelays} when the server closes.
 */
export class WnsFaults {
  private readonly delays = new Set<Timer>();

  constructor(
    private readonly service: WnsService,
    private readonly clock: Clock,
  ) {}

  /** True when a fault may hit (the notify path skips the fault machinery otherwise). */
  get any(): boolean {
    return this.service.listFaults().length > 0;
  }

  /**
   * Applies an injected fault of `op`, if one hits. Resolves false when the request was answered
   * (with `answer`) or dropped by the fault, true to go on handling it (after a delay, if that was
   * the fault).
   */
  async apply(
    x: Exchange,
    op: Fault['op'],
    answer: (status: number, headers: Record<string, string>) => void,
  ): Promise<boolean> {
    const fault = this.service.faultFor(op);
    if (!fault) return true;
    const channel = op === 'notify' ? (x.req.url ?? '') : undefined;
    const action = fault.action;
    if ('drop' in action) {
      this.journal(op, 0, 'injected fault: connection dropped', channel);
      x.req.socket.destroy();
      return false;
    }
    if ('status' in action) {
      this.journal(op, action.status, 'injected fault', channel);
      const headers: Record<string, string> = { 'x-wns-error-description': 'injected fault' };
      if (action.status === 503) headers['retry-after'] = String(FAULT_RETRY_AFTER_SECONDS);
      answer(action.status, headers);
      return false;
    }
    await this.delay(x, action.delayMs);
    return !x.closed;
  }

  private journal(op: Fault['op'], status: number, what: string, channel?: string): void {
    if (op !== 'connect') this.service.recordAdapterAnswer(op, status, what, channel);
  }

  /** Waits `ms` on the emulator's clock without holding a virtual clock still meanwhile. */
  private delay(x: Exchange, ms: number): Promise<void> {
    x.inFlight?.end();
    return new Promise<void>((resolve) => {
      const timer = this.clock.schedule(this.clock.now() + ms, () => {
        this.delays.delete(timer);
        // In flight again before anything else runs: the answer is real I/O.
        if (!x.closed) x.inFlight?.start();
        resolve();
      });
      this.delays.add(timer);
    });
  }

  /** Cancels every delayed answer (the server is closing). */
  cancelDelays(): void {
    for (const timer of this.delays) this.clock.cancel(timer);
    this.delays.clear();
  }
}
