import type { Timer } from '../time/clock.js';
import {
  limitReachedAt,
  nextLimitCrossing,
  nextReset,
  usedAt,
  type DataSenseConfig,
} from './data-sense.js';
import { hasInternet, type NetworkConfig } from './network.js';
import {
  crossingLevel,
  levelAt,
  nextPowerCrossing,
  offAt,
  saverOnAt,
  settle,
  type PowerConfig,
} from './power.js';
import {
  firstCursor,
  jittered,
  nextCursor,
  routineStateAt,
  type RoutineCursor,
  type RoutineStep,
  type Screen,
} from './routine.js';
import { DeviceBase } from './device-base.js';
import { round2 } from './device-base.js';

/** A device's conditions: power, screen and Battery Saver, its daily routine, network, Data Sense. */
export abstract class ConditionsDevice extends DeviceBase {
  // ---- power ----------------------------------------------------------------------------------

  protected powerConfig(): PowerConfig {
    const { since: _since, ...config } = this.power;
    return config;
  }

  protected setPower(patch: Partial<PowerConfig>): void {
    const p = this.power;
    const wasCharging = p.charging;
    const wasExempt = p.pushAllowedInSaver;
    settle(p, this.now());
    // Field by field: keeps the record's shape stable (Object.assign is a slow generic path).
    if (patch.level !== undefined) p.level = patch.level;
    if (patch.charging !== undefined) p.charging = patch.charging;
    if (patch.drainPerHour !== undefined) p.drainPerHour = patch.drainPerHour;
    if (patch.chargePerHour !== undefined) p.chargePerHour = patch.chargePerHour;
    if (patch.saverThreshold !== undefined) p.saverThreshold = patch.saverThreshold;
    if (patch.saverSwitch !== undefined) p.saverSwitch = patch.saverSwitch;
    if (patch.pushAllowedInSaver !== undefined) p.pushAllowedInSaver = patch.pushAllowedInSaver;
    if (p.charging !== wasCharging || patch.level !== undefined) {
      this.ctx.sink.emit({
        time: this.now(),
        device: this.id,
        type: 'power.changed',
        charging: p.charging,
        level: round2(p.level),
      });
    }
    if (p.pushAllowedInSaver !== wasExempt) this.updateConnection();
    this.refreshPower();
  }

  /**
   * Brings Battery Saver and the on/off state in line with the level now, re-arms the timer of
   * the next crossing, and hands over held pushes whose condition cleared.
   */
  protected refreshPower(): void {
    const now = this.now();
    const off = offAt(this.power, now);
    if (off && !this.poweredOff) this.switchOff();
    const on = saverOnAt(this.power, now);
    if (on !== this.saverOn) {
      this.saverOn = on;
      this.ctx.sink.emit({
        time: this.now(),
        device: this.id,
        type: 'battery-saver.changed',
        on,
        level: round2(levelAt(this.power, now)),
      });
      this.updateConnection();
      if (!on) this.runDelayedPoll();
    }
    if (!off && this.poweredOff) this.switchOn();
    this.ctx.clock.cancel(this.powerTimer);
    const at = nextPowerCrossing(this.power, now);
    this.powerTimer = at === null ? null : this.armPower(at);
    this.releaseHeld();
  }

  protected armPower(at: number): Timer {
    return this.at(at, () => {
      this.powerTimer = null;
      settle(this.power, at, crossingLevel(this.power, at));
      this.refreshPower();
    });
  }

  // ---- screen and the daily routine -------------------------------------------------------------

  protected setScreen(screen: Screen): void {
    if (screen === this.screen) return;
    this.screen = screen;
    this.ctx.sink.emit({ time: this.now(), device: this.id, type: 'screen.changed', screen });
    this.releaseHeld();
  }

  /** At start: takes the state the routine gives this time of day (silently), arms its next step. */
  protected startRoutine(): void {
    const r = this.routine;
    if (!r) return;
    const state = routineStateAt(r, this.now(), this.zone);
    if (state.charging !== undefined) this.power.charging = state.charging;
    if (state.screen !== undefined) this.screen = state.screen;
    this.scheduleRoutine(firstCursor(r, this.now(), this.zone));
  }

  protected scheduleRoutine(cursor: RoutineCursor): void {
    const r = this.routine;
    if (!r) return;
    this.ctx.clock.cancel(this.routineTimer);
    this.routineCursor = cursor;
    this.routineTimer = this.armRoutine(jittered(r, cursor, this.now(), this.ctx.random));
  }

  protected armRoutine(at: number): Timer {
    return this.at(at, () => {
      this.routineTimer = null;
      const r = this.routine;
      const cursor = this.routineCursor;
      if (!r || !cursor) return;
      this.routineStep(r.steps[cursor.index] as RoutineStep);
      this.scheduleRoutine(nextCursor(r, cursor, this.zone));
    });
  }

  private routineStep(step: RoutineStep): void {
    if (step.charging !== undefined && step.charging !== this.power.charging)
      this.setPower({ charging: step.charging });
    if (step.screen !== undefined) this.setScreen(step.screen);
  }

  // ---- network --------------------------------------------------------------------------------

  protected setNetwork(patch: Partial<NetworkConfig>): void {
    const before = this.network;
    // Settle Data Sense usage up to now under the old network before switching.
    this.settleDataSense();
    this.network = { ...before, ...patch };
    const n = this.network;
    if (
      n.connected !== before.connected ||
      n.internet !== before.internet ||
      n.metered !== before.metered ||
      n.type !== before.type
    ) {
      this.ctx.sink.emit({
        time: this.now(),
        device: this.id,
        type: 'network.changed',
        connected: n.connected,
        internet: n.internet,
        metered: n.metered,
        networkType: n.type,
      });
    }
    this.refreshDataSense();
    this.updateConnection();
  }

  // ---- Data Sense -------------------------------------------------------------------------------

  protected dataSenseConfig(): DataSenseConfig {
    const { since: _since, accruing: _accruing, ...config } = this.dataSense;
    return config;
  }

  /** Folds usage so far into `usedMB` at now. */
  protected settleDataSense(): void {
    const now = this.now();
    this.dataSense = { ...this.dataSense, usedMB: usedAt(this.dataSense, now), since: now };
  }

  protected setDataSense(patch: Partial<DataSenseConfig>): void {
    this.settleDataSense();
    const resetDayChanged =
      patch.resetDay !== undefined && patch.resetDay !== this.dataSense.resetDay;
    this.dataSense = { ...this.dataSense, ...patch };
    this.refreshDataSense();
    if (resetDayChanged) this.scheduleReset();
  }

  protected useData(mb: number): void {
    if (mb <= 0 || !this.network.metered || !hasInternet(this.network)) return;
    this.settleDataSense();
    this.dataSense = { ...this.dataSense, usedMB: this.dataSense.usedMB + mb };
    this.refreshDataSense();
  }

  protected refreshDataSense(): void {
    const now = this.now();
    const s = this.dataSense;
    const reached = limitReachedAt(s, now);
    const accruing = this.network.metered && hasInternet(this.network) && !reached;
    this.dataSense = { ...s, usedMB: usedAt(s, now), since: now, accruing };
    if (reached !== this.limitReached) {
      this.limitReached = reached;
      this.ctx.sink.emit({
        time: this.now(),
        device: this.id,
        type: 'data-sense.changed',
        limitReached: reached,
        usedMB: round2(this.dataSense.usedMB),
      });
      this.updateConnection();
    }
    this.ctx.clock.cancel(this.limitTimer);
    const at = nextLimitCrossing(this.dataSense, now);
    this.limitTimer = at === null ? null : this.armLimit(at);
  }

  protected armLimit(at: number): Timer {
    return this.at(at, () => {
      this.limitTimer = null;
      this.dataSense = {
        ...this.dataSense,
        usedMB: this.dataSense.limitMB ?? this.dataSense.usedMB,
        since: at,
      };
      this.refreshDataSense();
    });
  }

  protected scheduleReset(): void {
    this.ctx.clock.cancel(this.resetTimer);
    this.resetTimer = this.armReset(nextReset(this.now(), this.dataSense.resetDay, this.zone));
  }

  protected armReset(at: number): Timer {
    return this.at(at, () => {
      this.dataSense = { ...this.dataSense, usedMB: 0, since: at };
      this.refreshDataSense();
      this.scheduleReset();
    });
  }
}
