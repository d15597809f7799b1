/**
 * A whole `dmpush check` run: start the world, play the situations the chosen checks need, one
 * after another on devices of their own, judge each check on its situation's recording, stop
 * everything, and hand back the report and the recordings (the HTML report draws them).
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { BaseLogger } from 'pino';
import { performance } from 'node:perf_hooks';
import { packageRoot } from '../adapters/package-root.js';
import { CHECKS } from '../core/check/checks.js';
import {
  SITUATION_IDS,
  summarize,
  type CheckId,
  type CheckOutcome,
  type CheckReport,
  type Recording,
  type SituationId,
  type Verdict,
} from '../core/check/model.js';
import type { SimulationSpec } from '../core/simulation.js';
import { formatInstant } from '../core/time/iso.js';
import type { CliIo } from '../cli/io.js';
import { parseScenario } from '../scenario/load.js';
import { resolveScenario } from '../scenario/resolve.js';
import type { ScenarioFile } from '../scenario/schema.js';
import type { CheckRunOptions } from './options.js';
import { SituationRun } from './situation-run.js';
import { SITUATIONS } from './situations.js';
import { referenceTrigger } from './trigger.js';
import { CheckWorld } from './world.js';

/** What a run hands back. */
export interface CheckRun {
  readonly report: CheckReport;
  readonly recordings: ReadonlyMap<SituationId, Recording>;
}

/**
 * The simulator id of a situation's device in run `runId`: `check-renewal-3fa2c1`. Every run
 * brings new devices (new DevIds), so a server that keeps its records across runs meets each as
 * a device it has never seen, with no PFN.
 */
const deviceIdOf = (situation: SituationId, runId: string): string => `check-${situation}-${runId}`;

/** The situations `checks` need, in the order they are played. */
function situationsFor(checks: readonly CheckId[]): SituationId[] {
  const needed = new Set(checks.map((id) => CHECKS[id].situation));
  return SITUATION_IDS.filter((s) => needed.has(s));
}

/** Plays the situations and judges the checks of `o`. */
export async function runCheck(
  io: CliIo,
  o: CheckRunOptions,
  logger: BaseLogger,
  meta: { readonly version: string; readonly startedAt: Date },
): Promise<CheckRun> {
  const runId = randomBytes(3).toString('hex');
  const deviceIds = SITUATION_IDS.map((s) => deviceIdOf(s, runId));
  const world = await CheckWorld.start(io, o, logger, deviceIds);
  try {
    const trigger = o.trigger ?? (world.reference ? referenceTrigger(world.reference) : null);
    io.stderr(
      `dmpush check: ${serverOf(o)}${world.reference ? ' (the reference server, enrolling its devices)' : ''}; ` +
        `WNS emulator ${world.wns.url} (token endpoint ${world.wns.url}/accesstoken.srf), ` +
        `app ${world.app.pfn}\n`,
    );
    const device = readDeviceTemplate(io);
    const recordings = new Map<SituationId, Recording>();
    const durations = new Map<SituationId, number>();
    for (const situation of situationsFor(o.checks)) {
      const began = performance.now();
      io.stderr(`dmpush check: ${situation}…\n`);
      const spec = specFor(device, deviceIdOf(situation, runId), o, world);
      const run = new SituationRun(world, situation, spec, {
        trigger,
        timeoutMs: o.timeoutMs,
        quietMs: o.quietMs,
      });
      await SITUATIONS[situation](run);
      recordings.set(situation, run.finish(world.app.pfn));
      durations.set(situation, Math.round(performance.now() - began));
    }
    const checks = o.checks.map((id) =>
      outcome(id, recordings.get(CHECKS[id].situation) as Recording, durations),
    );
    const report: CheckReport = {
      server: serverOf(o),
      startedAt: meta.startedAt.toISOString(),
      dmpushVersion: meta.version,
      checks,
      summary: summarize(checks),
    };
    return { report, recordings };
  } finally {
    await world.close();
  }
}

/** The server a report names: the management URL, else the enrollment URL, else `reference`. */
const serverOf = (o: CheckRunOptions): string => o.mdmUrl ?? o.enroll?.url ?? 'reference';

/** A check judged on its situation's recording (skipped without a trigger when it needs one). */
function outcome(
  id: CheckId,
  recording: Recording,
  durations: ReadonlyMap<SituationId, number>,
): CheckOutcome {
  const def = CHECKS[id];
  const verdict: Verdict =
    def.needsTrigger && !recording.triggers
      ? {
          result: 'skip',
          summary: 'needs a server-initiated push: give --trigger-cmd or --trigger-url',
          evidence: [],
        }
      : def.judge(recording);
  return {
    id,
    title: def.title,
    situation: def.situation,
    source: def.source,
    ...verdict,
    durationMs: durations.get(def.situation) ?? 0,
  };
}

/** The device template every situation starts afresh (`fixtures/check/device.yaml`). */
function readDeviceTemplate(io: CliIo): ScenarioFile {
  const file = join(packageRoot(), 'fixtures', 'check', 'device.yaml');
  return parseScenario(io.readFile(file), file);
}

/** The spec of a situation's one device (`id`), starting now on the run's clock. */
function specFor(
  template: ScenarioFile,
  id: string,
  o: CheckRunOptions,
  world: CheckWorld,
): SimulationSpec {
  const device = template.devices[0] as ScenarioFile['devices'][number];
  return resolveScenario(
    {
      ...template,
      start: formatInstant(world.clock.now()),
      devices: [{ ...device, id, providerId: o.providerId }],
    },
    { seed: o.seed },
  );
}
