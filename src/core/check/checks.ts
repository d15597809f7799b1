/**
 * Every check of `dmpush check`, by id: what the README's table, the reports and the runner read.
 * Each definition carries its title, the situation it judges, its source and its judge
 * (`judges/`).
 *
 * @module
 */
import { channelRereadCheck, offlineAcrossExpiryCheck } from './judges/channel-change.js';
import { pollScheduleCheck } from './judges/poll.js';
import { channelReadCheck, pfnSetCheck, statusReadCheck } from './judges/provisioning.js';
import { cachePolicyCheck, pushFormatCheck } from './judges/push.js';
import { pushWakesSessionCheck } from './judges/push-session.js';
import { syncmlHygieneCheck } from './judges/syncml-hygiene.js';
import {
  gone410Check,
  noPushStormCheck,
  throttleBackoffCheck,
  tokenRefreshCheck,
} from './judges/wns-answers.js';
import { CHECK_IDS, type CheckDefinition, type CheckId } from './model.js';

export const CHECKS: Readonly<Record<CheckId, CheckDefinition>> = {
  'pfn-set': pfnSetCheck,
  'channel-read': channelReadCheck,
  'status-read': statusReadCheck,
  'channel-reread-after-renewal': channelRereadCheck,
  'push-format': pushFormatCheck,
  'push-wakes-session': pushWakesSessionCheck,
  'token-refresh-on-401': tokenRefreshCheck,
  'gone-410-stops': gone410Check,
  'throttle-406-backoff': throttleBackoffCheck,
  'cache-policy': cachePolicyCheck,
  'offline-across-expiry': offlineAcrossExpiryCheck,
  'poll-schedule': pollScheduleCheck,
  'no-push-storm': noPushStormCheck,
  'syncml-hygiene': syncmlHygieneCheck,
};

/** The checks named by `--only` / `--skip`, in report order; unknown ids are listed in `unknown`. */
export function selectChecks(
  only: readonly string[] | undefined,
  skip: readonly string[] = [],
): { readonly checks: CheckId[]; readonly unknown: string[] } {
  const named = [...(only ?? []), ...skip];
  const unknown = named.filter((id) => !(CHECK_IDS as readonly string[]).includes(id));
  const checks = CHECK_IDS.filter(
    (id) => (only === undefined || only.includes(id)) && !skip.includes(id),
  );
  return { checks, unknown };
}
