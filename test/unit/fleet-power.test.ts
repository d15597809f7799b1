import { describe, expect, it } from 'vitest';
import { DAY } from '../../src/core/time/iso.js';
import { runScenarioFile } from '../helpers/run-scenario.js';

describe('the built-in fleet (fixtures/serve/fleet.yaml)', () => {
  // The fleet `dmpush serve` runs: laptops that charge overnight, on their daily routine.
  const run = runScenarioFile('fixtures/serve/fleet.yaml', { until: 'P30D' });
  const ids = run.spec.devices.map((d) => d.id);

  it('has at least one completed session on every device every day for 30 days', () => {
    expect(ids.length).toBeGreaterThan(0);
    const start = run.spec.start;
    for (const id of ids) {
      const days = new Set(
        run.of('session.completed', id).map((e) => Math.floor((e.time - start) / DAY)),
      );
      const missing = Array.from({ length: 30 }, (_, d) => d).filter((d) => !days.has(d));
      expect(missing, `days without a session on ${id}`).toEqual([]);
    }
  });

  it('charges every device every day and never lets one run empty', () => {
    for (const id of ids) {
      const plugged = run.of('power.changed', id).filter((e) => e.charging);
      expect(plugged.length, id).toBeGreaterThanOrEqual(29);
      expect(run.of('device.powered-off', id), id).toEqual([]);
    }
  });

  it('turns screens on and off with the routine, jittered per device', () => {
    const firstOn = ids.map((id) => run.of('screen.changed', id).find((e) => e.screen === 'on'));
    expect(firstOn.every((e) => e !== undefined)).toBe(true);
    expect(new Set(firstOn.map((e) => e?.time)).size).toBeGreaterThan(1);
  });
});
