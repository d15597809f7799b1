import { decideRenewal } from '../../core/dmclient/renewal-policy.js';
import { osLabel, osNameOf, osProfile, OS_NAMES_TEXT } from '../../core/os/os-profiles.js';
import { streamFor } from '../../core/random/random.js';
import { formatInstant, humanSpan, parseInstant } from '../../core/time/iso.js';
import { explainRule } from '../../core/timeline/format.js';
import type { CliIo } from '../io.js';
import { UsageError } from '../io.js';

export interface ScheduleOptions {
  readonly os: string;
  readonly now: string;
  readonly expiry: string;
  readonly network: string;
  readonly seed: number;
  readonly json: boolean;
}

function instantFlag(flag: string, value: string): number {
  const ms = parseInstant(value);
  if (ms === null)
    throw new UsageError(
      `${flag}: expected an ISO 8601 time with offset, e.g. 2026-01-16T00:00:00Z, got ${JSON.stringify(value)}`,
    );
  return ms;
}

/** `dmpush schedule`: the decision the DMClient takes at `now`. */
export function scheduleCommand(io: CliIo, o: ScheduleOptions): void {
  const os = osNameOf(o.os);
  if (os === null)
    throw new UsageError(`--os: expected ${OS_NAMES_TEXT}, got ${JSON.stringify(o.os)}`);
  if (o.network !== 'up' && o.network !== 'down')
    throw new UsageError(`--network: expected up or down, got ${JSON.stringify(o.network)}`);
  const now = instantFlag('--now', o.now);
  const expiry = o.expiry === 'none' ? null : instantFlag('--expiry', o.expiry);
  const d = decideRenewal(
    { os, now, expiry, networkConnected: o.network === 'up' },
    streamFor(o.seed, 'schedule'),
  );
  if (o.json) {
    io.stdout(
      JSON.stringify({
        os: d.os,
        rule: d.rule,
        at: formatInstant(d.at),
        earliest: formatInstant(d.earliest),
        latest: formatInstant(d.latest),
      }) + '\n',
    );
    return;
  }
  const left =
    expiry === null
      ? 'no channel'
      : expiry > now
        ? `${humanSpan(expiry - now)} left`
        : `expired ${humanSpan(now - expiry)} ago`;
  const lines = [
    `${osLabel(os)} at ${formatInstant(now)}: channel ${expiry === null ? 'none' : `expires ${formatInstant(expiry)}`} (${left}), network ${o.network}`,
    `rule:     ${d.rule} (${explainRule(d.rule, expiry === null ? 'none' : 'expired')})`,
  ];
  if (osProfile(os).retryLogic === '1511' && o.network === 'down')
    lines.push(
      '          1511 does not check the network first: the attempt is made, fails, and the expiry rules apply',
    );
  if (d.earliest !== d.latest)
    lines.push(`window:   ${formatInstant(d.earliest)} – ${formatInstant(d.latest)}`);
  lines.push(`next try: ${formatInstant(d.at)} (in ${humanSpan(d.at - now)}; seed ${o.seed})`);
  io.stdout(lines.join('\n') + '\n');
}
