/**
 * What `dmpush check` asks of the emulator besides its protocol: revoking a sender's tokens (the
 * 401 a server must recover from) and journalling a 406's `Retry-After` (the wait a server must
 * keep).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { APP, OTHER, startHarness, type Harness } from '../helpers/wns-harness.js';

let h: Harness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

describe('the emulator for dmpush check', () => {
  it('POST /_sim/apps/{pfn}/revoke-tokens: the PFN`s tokens answer 401, a new one works, other apps keep theirs', async () => {
    h = await startHarness();
    const token = await h.token();
    const other = await h.token(OTHER);
    const channel = await h.channel('r1');
    const otherChannel = await h.channel('r2', { pfn: OTHER.pfn });
    const revoked = await h.admin(
      'POST',
      `/_sim/apps/${encodeURIComponent(APP.pfn)}/revoke-tokens`,
    );
    expect(revoked).toMatchObject({ status: 200, body: { pfn: APP.pfn, revoked: 1 } });
    expect((await h.push(channel, token)).status).toBe(401);
    expect((await h.push(otherChannel, other)).status).toBe(200);
    expect((await h.push(channel, await h.token())).status).toBe(200);
    const unknown = await h.admin('POST', '/_sim/apps/Nobody.Here_1234567890abc/revoke-tokens');
    expect(unknown.status).toBe(404);
    expect(JSON.stringify(revoked.body)).not.toContain(token);
  });

  it('journals the Retry-After of a throttled push (406), and only of a 406', async () => {
    h = await startHarness({ throttle: { channel: { perSecond: 0.2, burst: 1 } } });
    const token = await h.token();
    const channel = await h.channel('t1');
    expect((await h.push(channel, token)).status).toBe(200);
    const throttled = await h.push(channel, token);
    expect(throttled.status).toBe(406);
    expect(throttled.headers.get('retry-after')).toBe('5');
    const notifies = h.emulator.service.journalEntries({ op: 'notify' });
    expect(notifies.map((e) => [e.status, e.retryAfter])).toEqual([
      [200, undefined],
      [406, 5],
    ]);
  });
});
