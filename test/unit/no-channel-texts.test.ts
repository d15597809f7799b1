/**
 * "No channel yet" is explained as such, not as an expired channel: the renewal rule `expired`
 * also fires when the device never held a channel (its first request failed, or no PFN yet).
 */
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { describe as describeEvent, explainRule } from '../../src/core/timeline/format.js';
import { buildTimelineModel } from '../../src/report/timeline-model.js';
import { runScenarioText } from '../helpers/run-scenario.js';

const PFN = 'Contoso.MDM_8wekyb3d8bbwe';

describe('no channel yet, in words', () => {
  it('explainRule names the case it knows, and both when it does not', () => {
    expect(explainRule('expired', 'none')).toBe('no channel yet: retry in 1 day ± 4 h');
    expect(explainRule('expired', 'expired')).toBe('channel expired: retry in 1 day ± 4 h');
    expect(explainRule('expired')).toMatch(/^no valid channel \(none yet, or it expired\)/);
    expect(
      describeEvent({
        time: 0,
        device: 'd',
        type: 'renewal.scheduled',
        os: '1607',
        rule: 'expired',
        at: 20 * 3600_000,
        earliest: 20 * 3600_000,
        latest: 28 * 3600_000,
      }),
    ).toMatch(/^1607: no valid channel \(none yet, or it expired\)/);
  });

  it('the report explains the retry window after a first request that failed as no channel yet', () => {
    const run = runScenarioText(
      `wns: { unknownPfns: [${PFN}] }\nduration: P2D\ndevices: [{ id: laptop, pfn: ${PFN} }]`,
    );
    const model = buildTimelineModel(run.events, {
      start: run.spec.start,
      end: run.spec.end,
      devices: ['laptop'],
    });
    const renewal = model.devices[0]?.lanes.find((l) => l.kind === 'renewal');
    const windows = (renewal?.items ?? []).filter((i) => i.kind === 'renewal-window');
    expect(windows.length).toBeGreaterThan(0);
    for (const w of windows) {
      expect(w.explanation).toContain('no channel yet');
      expect(w.explanation).not.toContain('channel expired');
    }
  });

  it('dmpush schedule --expiry none says no channel yet', async () => {
    let out = '';
    const code = await runCli(
      ['schedule', '--os', '1607', '--now', '2026-01-01T00:00:00Z', '--expiry', 'none'],
      { stdout: (s) => void (out += s), stderr: () => undefined, readFile: () => '' },
    );
    expect(code).toBe(0);
    expect(out).toMatch(/rule: +expired \(no channel yet: retry in 1 day ± 4 h\)/);
    expect(out).not.toContain('channel expired');
  });
});
