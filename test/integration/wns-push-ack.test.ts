/**
 * A push a device never acknowledges must not freeze virtual time: it holds the clock only until
 * the device has read it (its ack, or the pong to the ping after it; a real-time bound for a peer
 * that answers neither), and is given up after the emulator's ack deadline on its clock
 * (`push.dropped`, reason `unacknowledged`, and a journal entry). Real sockets on 127.0.0.1.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { SECOND } from '../../src/core/time/iso.js';
import { VirtualClock } from '../../src/core/time/virtual-clock.js';
import { DEFAULT_PUSH_ACK_DEADLINE_MS, WnsEmulator } from '../../src/wns/emulator.js';
import { MemorySink } from '../../src/core/timeline/events.js';
import {
  channel,
  closeAll,
  endpoint,
  expectError,
  helloClient,
  T0,
} from '../helpers/device-sockets.js';
import { until } from '../helpers/until.js';

afterEach(closeAll);

/** Waits (bounded by real time) until `work` settles: a frozen clock fails instead of hanging. */
async function settles<T>(work: Promise<T>, what: string): Promise<T> {
  let done = false;
  const result = work.finally(() => (done = true));
  await until(() => done, what);
  return result;
}

describe('an unacknowledged push', () => {
  it('is given up after the ack deadline while the virtual clock moves on (a client that reads but never acks)', async () => {
    const e = await endpoint({}, undefined, { pushAckDeadlineMs: 10 * SECOND });
    const uri = channel(e, 'd1');
    const c = await helloClient(e.url, 'd1');
    const outcome = e.emulator.cloud.send(uri, { cachePolicy: 'no-cache' });
    expect(outcome.notificationStatus).toBe('received');
    expect(await c.next()).toMatchObject({ type: 'push', msgId: outcome.msgId });

    await settles(e.clock.runUntilIdleAware(T0 + 60 * SECOND), 'a clock advance past the push');
    expect(e.clock.now()).toBe(T0 + 60 * SECOND);
    expect(e.sink.ofType('push.dropped', 'd1')).toEqual([
      expect.objectContaining({
        time: T0 + 10 * SECOND,
        msgId: outcome.msgId,
        channelUri: uri,
        reason: 'unacknowledged',
      }),
    ]);
    expect(e.emulator.service.journalEntries({ op: 'notify' }).at(-1)).toMatchObject({
      time: T0 + 10 * SECOND,
      status: 200,
      deviceId: 'd1',
      msgId: outcome.msgId,
      notificationStatus: 'dropped',
      description: 'not delivered: no ack within 10000 ms',
    });
    // A late ack is told the push was given up; the connection stays.
    c.send({ type: 'ack', msgId: outcome.msgId });
    expectError(await c.next(), /^ack: .*given up after 10000 ms/);
    expect(e.emulator.cloud.isConnected('d1')).toBe(true);
  });

  it('an acked push is not given up', async () => {
    const e = await endpoint();
    const uri = channel(e, 'd1');
    const c = await helloClient(e.url, 'd1');
    const outcome = e.emulator.cloud.send(uri, { cachePolicy: 'no-cache' });
    await c.next();
    c.send({ type: 'ack', msgId: outcome.msgId });
    await until(() => e.clock.nextEventAt() === null, 'the deadline to be cancelled by the ack');
    await e.clock.runUntilIdleAware(T0 + 2 * DEFAULT_PUSH_ACK_DEADLINE_MS);
    expect(e.sink.ofType('push.dropped')).toEqual([]);
  });

  it('a peer that neither acks nor pongs holds virtual time for the receipt timeout of real time at most', async () => {
    const real = new VirtualClock({ start: 0 });
    const e = await endpoint({ realClock: real, receiptTimeoutMs: 5_000 });
    const uri = channel(e, 'd1');
    const c = await helloClient(e.url, 'd1', { client: { autoPong: false } });
    const outcome = e.emulator.cloud.send(uri, { cachePolicy: 'no-cache' });
    await c.next();
    expect(e.clock.busy).toBe(true);
    let idle = false;
    void e.clock.whenIdle().then(() => (idle = true));
    real.advance(4_999);
    for (let i = 0; i < 5; i++) await Promise.resolve();
    expect(idle).toBe(false);
    real.advance(1);
    await settles(e.clock.whenIdle(), 'the hold to end with the receipt timeout');

    await settles(e.clock.runUntilIdleAware(T0 + 60 * SECOND), 'a clock advance past the push');
    expect(e.sink.ofType('push.dropped', 'd1')).toEqual([
      expect.objectContaining({
        time: T0 + DEFAULT_PUSH_ACK_DEADLINE_MS,
        msgId: outcome.msgId,
        reason: 'unacknowledged',
      }),
    ]);
  });

  it('is given up when its socket ends before the ack', async () => {
    const e = await endpoint();
    const uri = channel(e, 'd1');
    const c = await helloClient(e.url, 'd1', { client: { autoPong: false } });
    const outcome = e.emulator.cloud.send(uri, { cachePolicy: 'no-cache' });
    await c.next();
    c.ws.terminate();
    await until(() => e.sink.ofType('push.dropped').length === 1, 'the push to be given up');
    expect(e.sink.ofType('push.dropped')[0]).toMatchObject({
      time: T0,
      msgId: outcome.msgId,
      reason: 'unacknowledged',
    });
    expect(e.emulator.service.journalEntries({ op: 'notify' }).at(-1)?.description).toBe(
      'not delivered: the connection ended before the device acknowledged it',
    );
    await e.clock.whenIdle();
    expect(e.clock.nextEventAt()).toBeNull();
  });

  it('the ack deadline is an emulator option, checked', () => {
    const make = (ms: number): WnsEmulator =>
      new WnsEmulator({
        clock: new VirtualClock({ start: T0 }),
        seed: 1,
        sink: new MemorySink(),
        baseUrl: 'http://127.0.0.1:9/',
        pushAckDeadlineMs: ms,
      });
    expect(make(5000).pushAckDeadlineMs).toBe(5000);
    expect(() => make(0)).toThrow(/pushAckDeadlineMs: expected a positive number/);
  });
});
