/**
 * How far the admin API may move the WNS emulator's virtual clock (`POST /_sim/clock/advance`):
 * never past the last instant a `Date` holds, less the longest span the emulator adds to the time
 * (a channel's lifetime, an access token's), so that every instant it then issues, schedules or
 * answers can still be formatted. An advance beyond is refused with a 400 naming the field, and
 * the state never gets there.
 */
import { RENEWAL_TIMING } from '../../core/dmclient/renewal-policy.js';
import {
  addDuration,
  formatInstant,
  humanSpan,
  LAST_INSTANT,
  parseDuration,
} from '../../core/time/iso.js';
import type { WnsEmulator } from '../../wns/emulator.js';
import { HttpError } from './http-util.js';
import { durationField, show, type JsonObject } from './json-body.js';

/** The latest instant the emulator's clock may be moved to, and the span reserved after it. */
function latestClockInstant(emulator: WnsEmulator): { at: number; reserved: number } {
  const channel = emulator.options.channelLifetimeMs ?? RENEWAL_TIMING.channelLifetime;
  const reserved = Math.max(channel, emulator.tokens.lifetimeMs);
  return { at: LAST_INSTANT - reserved, reserved };
}

/**
 * The milliseconds `body.duration` (an ISO 8601 duration) moves the clock from `now`. A 400
 * naming `duration` when it is not a duration of zero or more, or when it would move the clock
 * past {@link latestClockInstant}.
 */
export function clockAdvance(emulator: WnsEmulator, body: JsonObject, now: number): number {
  const value = body['duration'];
  const duration = typeof value === 'string' ? parseDuration(value) : null;
  const latest = latestClockInstant(emulator);
  const target = duration ? addDuration(now, duration) : now;
  // NaN is an instant Luxon cannot represent: past the last one too. Zero is always allowed.
  const past = !(target < now) && target !== now && !(target <= latest.at);
  if (past)
    throw new HttpError(
      400,
      `duration: ${show(value)} would move the clock past ${formatInstant(latest.at)}, the ` +
        `latest it can go: the last instant a date can hold (${formatInstant(LAST_INSTANT)}) ` +
        `less ${humanSpan(latest.reserved)}, the longest a channel or an access token issued ` +
        `then lasts`,
    );
  return durationField(body, 'duration', now);
}
