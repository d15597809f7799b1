import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { holdReason } from '../../src/core/device/wns-priority.js';
import { MINUTE } from '../../src/core/time/iso.js';
import { runScenarioText } from '../helpers/run-scenario.js';

const PFN = 'Contoso.MDM_8wekyb3d8bbwe';

/** One change of the power timeline, as a scenario `set` body. */
const changeArb = fc.constantFrom(
  '{ battery: { charging: true } }',
  '{ battery: { charging: false } }',
  '{ screen: on }',
  '{ screen: off }',
  '{ battery: { saverOn: true } }',
  '{ battery: { saverOn: false } }',
);

const timelineArb = fc.record({
  level: fc.integer({ min: 5, max: 100 }),
  drain: fc.constantFrom(0, 1, 5, 20),
  exempt: fc.boolean(),
  changes: fc.array(fc.tuple(fc.integer({ min: 1, max: 24 * 60 }), changeArb), {
    maxLength: 12,
  }),
  pushAt: fc.integer({ min: 1, max: 24 * 60 }),
  ttlMinutes: fc.integer({ min: 1, max: 36 * 60 }),
  cachePolicy: fc.constantFrom('cache', 'no-cache'),
});

describe('WNS priorities under any power timeline (property)', () => {
  it('a Low push to a screen-off device on battery reaches the DMClient only after plug-in or screen on, and is delivered or dropped by its TTL', () => {
    fc.assert(
      fc.property(timelineArb, (t) => {
        const events = [
          ...t.changes.map(([m, set]) => `  - { at: PT${m}M, device: d, set: ${set} }`),
          `  - { at: PT${t.pushAt}M, push: { device: d, cachePolicy: ${t.cachePolicy}, ttlSeconds: ${t.ttlMinutes * 60} } }`,
        ];
        const run = runScenarioText(`
duration: P3D
devices:
  - { id: d, os: "1607", pfn: ${PFN}, screen: off, wnsPriorityExempt: ${t.exempt}, battery: { level: ${t.level}, charging: false, drainPerHour: ${t.drain} }, poll: { first: { intervalMinutes: 1440, count: 0 } } }
events:
${events.join('\n')}
`);
        const sent = run.of('push.sent')[0];
        if (!sent) return; // no channel at that moment: rejected, nothing to follow
        const deadline = sent.time + t.ttlMinutes * MINUTE;
        // Replay the conditions in timeline order; check each hand-over to the DMClient.
        let charging = false;
        let screenOn = false;
        let saverOn = false;
        const outcomes: { type: string; time: number }[] = [];
        for (const e of run.events) {
          if (e.type === 'power.changed') charging = e.charging;
          if (e.type === 'screen.changed') screenOn = e.screen === 'on';
          if (e.type === 'battery-saver.changed') saverOn = e.on;
          if (e.type === 'push.received' && e.msgId === sent.msgId) {
            expect(e.priority).toBe(3);
            // The default (not exempt): never handed over with the screen off on battery.
            if (!t.exempt)
              expect(charging || screenOn, 'delivered while screen off on battery').toBe(true);
            const view = { charging, screenOn, saverOn, exempt: t.exempt };
            expect(holdReason(3, view)).toBeNull();
            outcomes.push(e);
          }
          if (e.type === 'push.dropped' && e.msgId === sent.msgId) outcomes.push(e);
        }
        // Delivered or dropped exactly once, and never after its deadline.
        const end = run.spec.end;
        if (deadline < end) expect(outcomes).toHaveLength(1);
        else expect(outcomes.length).toBeLessThanOrEqual(1);
        for (const o of outcomes) expect(o.time).toBeLessThanOrEqual(deadline);
      }),
      { numRuns: 150 },
    );
  });
});
