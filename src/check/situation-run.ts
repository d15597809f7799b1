/**
 * One situation of a `dmpush check` run, as it plays: a fresh device in the run's world, the
 * steps the story takes (skip time, wait for the server, trigger, go offline…), and what it
 * recorded (`Recording`). Virtual time skips while the server is idle (`skipTo`); while the
 * situation waits for the server to act it follows real time (`waitFor`), so the instants the
 * judges compare between two actions of the server approximate real seconds.
 *
 * @module
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Mark, Recording, SituationId } from '../core/check/model.js';
import type { DevicePatch } from '../core/device/conditions.js';
import { Simulation, type SimulationSpec } from '../core/simulation.js';
import { MemorySink } from '../core/timeline/events.js';
import type { JournalEntry } from '../core/wns/journal.js';
import type { Trigger, TriggerOutcome } from './trigger.js';
import type { CheckWorld } from './world.js';

/** How often a wait looks again for what it waits for (real ms). */
const LOOK_EVERY_MS = 10;

/** What a situation needs besides the world. */
export interface SituationSettings {
  readonly trigger: Trigger | null;
  readonly timeoutMs: number;
  readonly quietMs: number;
}

/** A situation being played on one device. */
export class SituationRun {
  readonly marks: Mark[] = [];
  readonly sink = new MemorySink();
  readonly simulation: Simulation;
  readonly deviceId: string;
  readonly start: number;
  private readonly journalAfter: number;
  private aborted: string | undefined;

  constructor(
    readonly world: CheckWorld,
    readonly situation: SituationId,
    spec: SimulationSpec,
    readonly settings: SituationSettings,
  ) {
    this.deviceId = (spec.devices[0] as SimulationSpec['devices'][number]).id;
    this.start = world.clock.now();
    this.journalAfter = world.wns.emulator.service.journalEntries().at(-1)?.seq ?? 0;
    this.simulation = new Simulation(spec, this.sink, {
      clock: world.clock,
      wns: world.link,
      wnsControl: world.wns.emulator.cloud,
      mdm: world.client,
      ...(world.enroller ? { enroller: world.enroller } : {}),
    });
    this.simulation.start();
  }

  get clock(): CheckWorld['clock'] {
    return this.world.clock;
  }

  /** The device's DevId, as the server knows it. */
  get devId(): string {
    return this.simulation.device(this.deviceId)?.devId ?? this.deviceId;
  }

  /** The ChannelURI the device holds, or null. */
  get channelUri(): string | null {
    return this.simulation.snapshots()[0]?.channelUri ?? null;
  }

  /** The instant the device's channel expires, or null. */
  get channelExpiresAt(): number | null {
    return this.simulation.snapshots()[0]?.channelExpiresAt ?? null;
  }

  get isAborted(): boolean {
    return this.aborted !== undefined;
  }

  /** Ends the story early: the situation cannot go on (its checks say why). */
  abort(reason: string): void {
    this.aborted ??= reason;
  }

  mark(step: Mark['step'], fields: Omit<Mark, 'time' | 'step'> = {}): void {
    this.marks.push({ time: this.clock.now(), step, deviceId: this.deviceId, ...fields });
  }

  /** Skips virtual time to `at`, letting every exchange with the server finish on the way. */
  async skipTo(at: number, why: string): Promise<void> {
    if (at <= this.clock.now()) return;
    await this.clock.runUntilIdleAware(at);
    this.mark('skipped', { detail: why });
  }

  /**
   * Lets virtual time follow real time until `done` holds or `limitMs` real milliseconds pass
   * (then a `timeout` mark names `what`; none when `what` is null: nothing was owed). Resolves
   * whether `done` held.
   */
  async waitFor(done: () => boolean, what: string | null, limitMs: number): Promise<boolean> {
    const began = performance.now();
    const base = this.clock.now();
    for (;;) {
      await this.clock.runUntilIdleAware(base + (performance.now() - began));
      if (done()) return true;
      if (performance.now() - began >= limitMs) {
        if (what !== null) this.mark('timeout', { detail: what });
        return false;
      }
      await sleep(LOOK_EVERY_MS);
    }
  }

  /**
   * Runs the trigger for the device, virtual time following real time meanwhile (a server may
   * push before its trigger returns); false when there is none or it failed.
   */
  async trigger(): Promise<boolean> {
    const trigger = this.settings.trigger;
    if (!trigger) return false;
    const time = this.clock.now();
    let outcome: TriggerOutcome | null = null;
    const running = trigger({ devId: this.devId, channelUri: this.channelUri ?? '' }).then(
      (o) => (outcome = o),
    );
    await this.waitFor(() => outcome !== null, null, Number.POSITIVE_INFINITY);
    const { ok, detail, realMs } = await running;
    this.marks.push({ time, step: 'trigger', deviceId: this.deviceId, ok, detail, realMs });
    return ok;
  }

  /** Runs the trigger, then waits until a push to the device has been answered (false: none came). */
  async triggerAndWaitForPush(): Promise<boolean> {
    const since = this.clock.now();
    if (!(await this.trigger())) return false;
    return this.waitFor(
      () => this.answeredSince(since),
      'a push after the trigger',
      this.settings.timeoutMs,
    );
  }

  /** Changes the device's conditions. */
  set(patch: DevicePatch): void {
    this.simulation.perform({ kind: 'set', devices: [this.deviceId], patch });
  }

  /** The emulator's journal entries of this situation: token requests and the device's pushes. */
  journal(): JournalEntry[] {
    return this.world.wns.emulator.service
      .journalEntries()
      .filter((e) => e.seq > this.journalAfter && (e.op === 'token' || this.isMine(e)));
  }

  /**
   * True once a push to the device since `since` got an answer other than 401: a server that
   * takes a new token and retries is still at work after the 401, and the story waits for the
   * retry's answer before it goes on.
   */
  answeredSince(since: number): boolean {
    return this.notifiesSince(since).some((e) => e.status !== 401);
  }

  /** Pushes to the device journalled from `since`. */
  notifiesSince(since: number): JournalEntry[] {
    return this.journal().filter((e) => e.op === 'notify' && e.time >= since);
  }

  private isMine(e: JournalEntry): boolean {
    if (e.deviceId !== undefined) return e.deviceId === this.deviceId;
    const uris = this.sink.ofType('channel.issued').map((c) => c.channelUri);
    return e.channelUri !== undefined && uris.includes(e.channelUri);
  }

  /** Ends the situation: the device is switched off (it plays no further part) and the recording made. */
  finish(pfn: string): Recording {
    const end = this.clock.now();
    const poll = this.simulation.saveDevice(this.deviceId).poll;
    const recording: Recording = {
      situation: this.situation,
      start: this.start,
      end,
      devices: [{ id: this.deviceId, devId: this.devId, poll }],
      pfn,
      triggers: this.settings.trigger !== null,
      journal: this.journal(),
      timeline: [...this.sink.events],
      syncml: this.world.exchangesOf(this.deviceId),
      marks: [...this.marks].sort((a, b) => a.time - b.time),
      ...(this.aborted === undefined ? {} : { aborted: this.aborted }),
    };
    this.set({ battery: { level: 0, charging: false } });
    return recording;
  }
}
