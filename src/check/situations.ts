/**
 * The stories a `dmpush check` run plays, one fresh device each (decision 0015). Each starts with
 * the bring-up: the device, which has no PFN, opens a session at once; the server is expected to
 * set `Push/PFN`, after which the device gets a channel and opens a session (trigger
 * `provisioned`) in which the server reads it. The judges (`src/core/check/`) read what each
 * story recorded; the checks name the story they judge.
 *
 * @module
 */
import type { SituationId } from '../core/check/model.js';
import { DAY, HOUR } from '../core/time/iso.js';
import type { SituationRun } from './situation-run.js';

/** A story: the steps it takes on its device. */
export type Situation = (run: SituationRun) => Promise<void>;

/** Days after a channel is issued when the device renews it: 30-day channels, renewed with 15 left. */
const RENEWAL_AFTER = 15 * DAY;
/** Pushes the throttle story asks for in a row: the check's emulator takes two at once. */
const THROTTLE_TRIGGERS = 4;
/** Pushes the expiry story asks for while the channel is expired. */
const EXPIRED_TRIGGERS = 3;

/**
 * The first virtual hour: the first session, the server's `Push/PFN`, the channel and the session
 * after it. False (the story aborted, saying why) when the device has no channel by then.
 */
async function bringUp(run: SituationRun): Promise<boolean> {
  await run.skipTo(run.start + HOUR, 'bring-up: the first sessions');
  if (run.channelUri !== null) return true;
  run.abort(whyNoChannel(run));
  return false;
}

/** Why the device has no channel after the bring-up, in the device's own events. */
function whyNoChannel(run: SituationRun): string {
  const enrollment = run.sink.ofType('enrollment.failed')[0];
  if (enrollment && run.sink.ofType('enrollment.completed').length === 0)
    return `the device could not enroll: ${enrollment.stage} failed (${enrollment.reason})`;
  const failed = run.sink.ofType('channel.request-failed')[0];
  if (failed) return `the device's channel request failed (${failed.reason}): see pfn-set`;
  const session = run.sink.ofType('session.failed')[0];
  if (session) return `the device's first session failed: ${session.reason}`;
  return 'the server never set Push/PFN, so the device has no channel: see pfn-set';
}

/** True once a session started by a push has ended (completed or failed) since `since`. */
function pushSessionEnded(run: SituationRun, since: number): boolean {
  return [...run.sink.ofType('session.completed'), ...run.sink.ofType('session.failed')].some(
    (e) => e.trigger === 'push' && e.time >= since,
  );
}

/** pfn-set, channel-read, status-read, push-format, push-wakes-session, cache-policy, poll-schedule, syncml-hygiene. */
const lifecycle: Situation = async (run) => {
  if ((await bringUp(run)) && run.settings.trigger) {
    const since = run.clock.now();
    if (await run.trigger())
      await run.waitFor(
        () => run.answeredSince(since) && pushSessionEnded(run, since),
        'a push after the trigger and the session it starts',
        run.settings.timeoutMs,
      );
  }
  await run.skipTo(run.start + DAY, 'a day of polling');
};

/** channel-reread-after-renewal. */
const renewal: Situation = async (run) => {
  if (!(await bringUp(run))) return;
  const issued = run.sink.ofType('channel.issued')[0]?.time ?? run.start;
  await run.skipTo(issued + RENEWAL_AFTER + 2 * HOUR, 'to the channel renewal (15 days left)');
  if (run.settings.trigger) await run.triggerAndWaitForPush();
};

/**
 * token-refresh-on-401. The emulator stops honouring every token of the server's app (whether the
 * server's was still valid, or had expired with the days the run skipped), then the trigger asks
 * for a push: its first try gets 401, and a good server takes a new token and tries once more.
 */
const token: Situation = async (run) => {
  if (!(await bringUp(run))) return;
  const revoked = run.world.wns.emulator.service.tokens.revoke(run.world.app.pfn);
  run.mark('tokens-revoked', { detail: `${revoked} access tokens of ${run.world.app.pfn}` });
  const since = run.clock.now();
  if (await run.trigger())
    await run.waitFor(
      () => run.notifiesSince(since).some((e) => e.status === 200),
      'a push accepted after the revocation',
      run.settings.timeoutMs,
    );
};

/** throttle-406-backoff. */
const throttle: Situation = async (run) => {
  if (!(await bringUp(run))) return;
  for (let i = 0; i < THROTTLE_TRIGGERS; i++) {
    const since = run.clock.now();
    if (!(await run.trigger())) return;
    await run.waitFor(
      () => run.answeredSince(since),
      i === 0 ? 'a push after the trigger' : null,
      i === 0 ? run.settings.timeoutMs : run.settings.quietMs,
    );
  }
  // Pushes a server put off until Retry-After come meanwhile.
  const wait = Math.max(0, ...run.journal().map((e) => e.retryAfter ?? 0));
  await run.waitFor(() => false, null, wait * 1000 + run.settings.quietMs);
};

/** offline-across-expiry, gone-410-stops, no-push-storm. */
const expiry: Situation = async (run) => {
  if (!(await bringUp(run))) return;
  const expires = run.channelExpiresAt ?? run.start;
  run.set({ network: { connected: false } });
  run.mark('offline', { detail: 'network: none' });
  await run.skipTo(expires + HOUR, "past the channel's expiry, offline");
  for (let i = 0; i < EXPIRED_TRIGGERS && run.settings.trigger; i++) {
    const since = run.clock.now();
    if (!(await run.trigger())) break;
    // A server that heeds the first 410 sends nothing more: the later waits owe nothing.
    await run.waitFor(
      () => run.answeredSince(since),
      i === 0 ? 'a push to the expired channel' : null,
      i === 0 ? run.settings.timeoutMs : run.settings.quietMs,
    );
  }
  run.set({ network: { connected: true } });
  run.mark('online', { detail: 'network back' });
  await run.skipTo(run.clock.now() + DAY, 'a day back online');
  if (run.settings.trigger) await run.triggerAndWaitForPush();
};

/** Every story, by id. */
export const SITUATIONS: Readonly<Record<SituationId, Situation>> = {
  lifecycle,
  renewal,
  token,
  throttle,
  expiry,
};
