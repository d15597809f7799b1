/**
 * `dmpush check` benchmark (issue 14): the whole run of every check against the reference MDM
 * server, in process (WNS emulator, devices on real WebSockets, SyncML over HTTP, all on
 * 127.0.0.1), with the reference server's own push as the trigger. The issue's target: under a
 * minute of wall time, thanks to time skipping.
 *
 * Reported per run and per story (situation): real seconds, the virtual time it covered and the
 * ratio of the two (virtual seconds per real second), side by side; then the medians over runs
 * and whether the target holds. Each run must pass every check (else the bench fails: a figure
 * of a broken run means nothing).
 *
 * Usage: `node dist/bench/check.js [--runs N]`.
 */
import { performance } from 'node:perf_hooks';
import { pino } from 'pino';
import { runCheck, type CheckRun } from '../src/check/run-check.js';
import { CHECK_IDS, SITUATION_IDS, type SituationId } from '../src/core/check/model.js';
import { benchArgs, quietIo, runBench } from './args.js';
import { median } from './stats.js';

const USAGE = 'usage: node dist/bench/check.js [--runs N]';
/** The issue's target for the whole run, real seconds. */
const TARGET_SECONDS = 60;
const DAY_S = 86_400;

const io = { ...quietIo, stderr: (): void => undefined };
const fmt = (x: number, digits = 1): string =>
  x.toLocaleString('en-US', { maximumFractionDigits: digits });

interface Sample {
  readonly seconds: number;
  /** Per story: real seconds and virtual seconds covered. */
  readonly stories: ReadonlyMap<SituationId, { readonly real: number; readonly virtual: number }>;
}

async function oneRun(seed: number): Promise<Sample> {
  const t0 = performance.now();
  const run: CheckRun = await runCheck(
    io,
    {
      providerId: 'DMPUSH',
      wnsPort: 0,
      seed,
      start: Date.UTC(2026, 0, 1),
      timeoutMs: 10_000,
      quietMs: 1500,
      trigger: null,
      checks: CHECK_IDS,
    },
    pino({ level: 'silent' }),
    { version: 'bench', startedAt: new Date(Date.UTC(2026, 0, 1)) },
  );
  const seconds = (performance.now() - t0) / 1000;
  const bad = run.report.checks.filter((c) => c.result !== 'pass');
  if (bad.length > 0)
    throw new Error(`checks not passed: ${bad.map((c) => `${c.id} (${c.result})`).join(', ')}`);
  const stories = new Map<SituationId, { real: number; virtual: number }>();
  for (const [id, r] of run.recordings) {
    const real = (run.report.checks.find((c) => c.situation === id)?.durationMs ?? 0) / 1000;
    stories.set(id, { real, virtual: (r.end - r.start) / 1000 });
  }
  return { seconds, stories };
}

function row(name: string, real: number, virtual: number): string {
  return [
    name.padEnd(10),
    fmt(real, 2).padStart(9),
    fmt(virtual / DAY_S, 2).padStart(13),
    fmt(virtual / Math.max(real, 1e-3), 0).padStart(14),
  ].join('  ');
}

async function main(): Promise<void> {
  const o = benchArgs(process.argv.slice(2), USAGE, { ints: { runs: { default: 3, min: 1 } } });
  console.log(`\ndmpush check: every check against the reference server, ${o.runs} runs\n`);
  console.log('story       real s   virtual days  virtual s / s');
  const samples: Sample[] = [];
  for (let run = 1; run <= o.runs; run++) {
    const s = await oneRun(run);
    samples.push(s);
    let virtual = 0;
    for (const [id, story] of s.stories) {
      console.log(row(id, story.real, story.virtual));
      virtual += story.virtual;
    }
    console.log(`${row(`run ${run}`, s.seconds, virtual)}\n`);
  }
  for (const id of SITUATION_IDS) {
    const real = median(samples.map((s) => s.stories.get(id)?.real ?? 0));
    const virtual = median(samples.map((s) => s.stories.get(id)?.virtual ?? 0));
    console.log(row(`med ${id}`, real, virtual));
  }
  const whole = median(samples.map((s) => s.seconds));
  const met = whole < TARGET_SECONDS ? 'met' : 'MISSED';
  console.log(
    `\nwhole run: median ${fmt(whole, 2)} s (runs: ${samples.map((s) => fmt(s.seconds, 2)).join(', ')}); ` +
      `target < ${TARGET_SECONDS} s: ${met} (${fmt((whole / TARGET_SECONDS) * 100, 0)} % of it)`,
  );
}

runBench('check', main);
