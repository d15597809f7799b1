/**
 * One push, one id: the `X-WNS-Msg-ID` a sender gets back is the `msgId` of the push in the
 * timeline (`push.sent`, `push.cached`) and in the emulator's journal, so the two can be joined.
 * Real HTTP on 127.0.0.1 against the emulator; nothing sleeps.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/wns-harness.js';

let h: Harness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

describe('one id per push', () => {
  it('X-WNS-Msg-ID is the msgId of the timeline and of the journal', async () => {
    h = await startHarness();
    const token = await h.token();
    const online = await h.channel('online', { connected: true });
    const offline = await h.channel('offline', { connected: false });
    const a = await h.push(online, token);
    const b = await h.push(offline, token, {
      headers: { 'x-wns-cache-policy': 'cache' },
    });
    expect(a.status).toBe(200);
    expect(b.status).toBe(200);
    const idA = a.headers.get('x-wns-msg-id');
    const idB = b.headers.get('x-wns-msg-id');
    expect(idA).toMatch(/^[0-9A-F]{16}$/);
    expect(idB).toMatch(/^[0-9A-F]{16}$/);
    const sent = h.sink.events.filter((e) => e.type === 'push.sent');
    expect(sent.map((e) => (e as { msgId: string }).msgId)).toEqual([idA, idB]);
    const cached = h.sink.events.find((e) => e.type === 'push.cached') as { msgId: string };
    expect(cached.msgId).toBe(idB);
    const journal = h.emulator.service.journal.list({ op: 'notify' });
    expect(journal.map((j) => j.msgId)).toEqual([idA, idB]);
  });
});
