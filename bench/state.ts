/**
 * Durable-state benchmark (issue 5 §4): what keeping the fleet in SQLite costs `dmpush serve`,
 * side by side in one run:
 *
 * - `memory`: `serve --memory`;
 * - `state`: `serve --state <fresh file>`: every change committed (WAL) after each burst of work
 *   and before every answer.
 *
 * Each side runs the live fleet in process (`startServe`: WNS emulator, devices on real
 * WebSockets, SyncML sessions over HTTP to the reference MDM server, all on 127.0.0.1) with N
 * devices of the built-in fleet (default 200) on a virtual clock, and advances it D days (default
 * 10) through `POST /api/clock/advance`. Reported: wall seconds of the advance, simulated
 * device-days per second, events, commits and the file's size; for `state`, how long a restart
 * from the file takes. Sides alternate within each run (3 by default); medians over runs, and
 * the ratio state/memory of device-days/s within each run.
 *
 * Usage: `node dist/bench/state.js [--devices N] [--days N] [--runs N] [--seed N]`. Nothing exits
 * non-zero on a missed target: this is a report (the issue sets no target for it).
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { startServe, type ServeOptions } from '../src/cli/commands/serve.js';
import { benchArgs, quietIo as io, runBench } from './args.js';
import { median } from './stats.js';

interface Options {
  readonly devices: number;
  readonly days: number;
  readonly runs: number;
  readonly seed: number;
}

const USAGE = 'usage: node dist/bench/state.js [--devices N] [--days N] [--runs N] [--seed N]';

type Side = 'memory' | 'state';

interface Sample {
  readonly side: Side;
  readonly startS: number;
  readonly advanceS: number;
  readonly deviceDaysPerS: number;
  readonly events: number;
  readonly commits: number | null;
  readonly fileMB: number | null;
  readonly restoreS: number | null;
}

function fileBytes(file: string): number {
  let total = 0;
  for (const f of [file, `${file}-wal`]) {
    try {
      total += statSync(f).size;
    } catch {
      // no WAL file after a clean close
    }
  }
  return total;
}

async function runSide(side: Side, o: Options): Promise<Sample> {
  const dir = mkdtempSync(join(tmpdir(), 'dmpush-bench-state-'));
  const file = join(dir, 'state.db');
  const options: ServeOptions = {
    clock: 'virtual',
    host: '127.0.0.1',
    port: 0,
    wnsPort: 0,
    mdmPort: 0,
    logLevel: 'silent',
    timeline: false,
    devices: o.devices,
    seed: o.seed,
    ...(side === 'memory' ? { memory: true } : { state: file }),
  };
  try {
    const t0 = performance.now();
    const s = await startServe(io, options);
    const t1 = performance.now();
    const res = await fetch(`${s.controlUrl}/api/clock/advance`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ duration: `P${o.days}D` }),
    });
    if (res.status !== 200) throw new Error(`advance answered ${res.status}: ${await res.text()}`);
    const t2 = performance.now();
    const events = s.events.list().length;
    const commits = s.durable?.commits ?? null;
    await s.close();
    let restoreS: number | null = null;
    let fileMB: number | null = null;
    if (side === 'state') {
      fileMB = fileBytes(file) / 1e6;
      const t3 = performance.now();
      const again = await startServe(io, options);
      restoreS = (performance.now() - t3) / 1000;
      if (!again.restored) throw new Error('the restart did not restore the fleet');
      await again.close();
    }
    const advanceS = (t2 - t1) / 1000;
    return {
      side,
      startS: (t1 - t0) / 1000,
      advanceS,
      deviceDaysPerS: (o.devices * o.days) / advanceS,
      events,
      commits,
      fileMB,
      restoreS,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const fmt = (x: number | null, digits = 2): string =>
  x === null ? '-' : x.toLocaleString('en-US', { maximumFractionDigits: digits });

function row(run: string, s: Sample): string {
  return [
    run.padEnd(5),
    s.side.padEnd(7),
    fmt(s.startS).padStart(8),
    fmt(s.advanceS).padStart(10),
    fmt(s.deviceDaysPerS, 0).padStart(14),
    fmt(s.events, 0).padStart(8),
    fmt(s.commits, 0).padStart(8),
    fmt(s.fileMB, 1).padStart(8),
    fmt(s.restoreS).padStart(10),
  ].join('  ');
}

async function main(): Promise<void> {
  const o: Options = benchArgs(process.argv.slice(2), USAGE, {
    ints: {
      devices: { default: 200, min: 1 },
      days: { default: 10, min: 1 },
      runs: { default: 3, min: 1 },
      seed: { default: 1, min: 0 },
    },
  });
  console.log(
    `\nDurable state: ${o.devices} live devices, ${o.days} virtual days, ${o.runs} runs (memory and state alternating)\n`,
  );
  console.log(
    'run    side      start s   advance s  device-days/s    events   commits   file MB  restore s',
  );
  const samples: Sample[] = [];
  const ratios: number[] = [];
  for (let run = 1; run <= o.runs; run++) {
    const order: Side[] = run % 2 ? ['memory', 'state'] : ['state', 'memory'];
    const got = new Map<Side, Sample>();
    for (const side of order) {
      const s = await runSide(side, o);
      got.set(side, s);
      samples.push(s);
      console.log(row(String(run), s));
    }
    ratios.push(
      (got.get('state') as Sample).deviceDaysPerS / (got.get('memory') as Sample).deviceDaysPerS,
    );
  }
  for (const side of ['memory', 'state'] as const) {
    const mine = samples.filter((s) => s.side === side);
    const med = (f: (s: Sample) => number | null): number | null => {
      const xs = mine.map(f).filter((x): x is number => x !== null);
      return xs.length ? median(xs) : null;
    };
    console.log(
      row('med', {
        side,
        startS: med((s) => s.startS) ?? 0,
        advanceS: med((s) => s.advanceS) ?? 0,
        deviceDaysPerS: med((s) => s.deviceDaysPerS) ?? 0,
        events: med((s) => s.events) ?? 0,
        commits: med((s) => s.commits),
        fileMB: med((s) => s.fileMB),
        restoreS: med((s) => s.restoreS),
      }),
    );
  }
  console.log(
    `\ndevice-days/s with state vs in memory: median of per-run ratios ${fmt(median(ratios) * 100, 1)} % ` +
      `(runs: ${ratios.map((r) => `${fmt(r * 100, 1)} %`).join(', ')})`,
  );
}

runBench('state', main);
