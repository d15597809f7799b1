/**
 * Enrollment benchmark (issue 12): what MS-MDE2 enrollment costs a live fleet's start, side by
 * side in one run:
 *
 * - `managed`: `serve --no-enrollment`: devices managed at once, unauthenticated sessions;
 * - `enrolled`: `serve` (the default): every device enrolls with the reference server (its key
 *   pair and PKCS#10 request, discovery, policy, enrollment, a certificate from the local CA, the
 *   provisioning document applied), then opens digest-authenticated sessions.
 *
 * Each side starts the live fleet in process (`startServe`: WNS emulator, devices on real
 * WebSockets, SyncML and SOAP over HTTP to the reference server, all on 127.0.0.1) with N devices
 * of the built-in fleet (default 50) on a virtual clock, and advances it one minute, when every
 * device has had its first session. Reported: wall seconds to the end of that minute, devices
 * managed per second, devices enrolled, sessions completed and failed. Sides alternate within
 * each run (3 by default); medians over runs, and the ratio enrolled/managed within each run.
 *
 * Usage: `node dist/bench/enrollment.js [--devices N] [--runs N]`. A report: nothing exits
 * non-zero on a figure (the issue sets no target), only when a device fails to enroll.
 */
import { performance } from 'node:perf_hooks';
import { startServe, type ServeOptions } from '../src/cli/commands/serve.js';
import { benchArgs, quietIo as io, runBench } from './args.js';
import { median } from './stats.js';

type Side = 'managed' | 'enrolled';

interface Sample {
  readonly side: Side;
  readonly seconds: number;
  readonly devicesPerS: number;
  readonly enrolled: number;
  readonly completed: number;
  readonly failed: number;
}

const USAGE = 'usage: node dist/bench/enrollment.js [--devices N] [--runs N]';

async function runSide(side: Side, devices: number): Promise<Sample> {
  const options: ServeOptions = {
    clock: 'virtual',
    host: '127.0.0.1',
    port: 0,
    wnsPort: 0,
    mdmPort: 0,
    logLevel: 'silent',
    timeline: false,
    memory: true,
    devices,
    enrollment: side === 'enrolled',
  };
  const t0 = performance.now();
  const s = await startServe(io, options);
  try {
    const res = await fetch(`${s.controlUrl}/api/clock/advance`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ duration: 'PT1M' }),
    });
    if (res.status !== 200) throw new Error(`advance answered ${res.status}: ${await res.text()}`);
    const seconds = (performance.now() - t0) / 1000;
    const events = s.events.list();
    const count = (type: string): number => events.filter((e) => e.type === type).length;
    const enrolled = count('enrollment.completed');
    if (side === 'enrolled' && enrolled !== devices)
      throw new Error(`${devices - enrolled} of ${devices} devices did not enroll`);
    return {
      side,
      seconds,
      devicesPerS: devices / seconds,
      enrolled,
      completed: count('session.completed'),
      failed: count('session.failed'),
    };
  } finally {
    await s.close();
  }
}

const fmt = (x: number, digits = 2): string =>
  x.toLocaleString('en-US', { maximumFractionDigits: digits });

function row(run: string, s: Sample): string {
  return [
    run.padEnd(5),
    s.side.padEnd(9),
    fmt(s.seconds).padStart(9),
    fmt(s.devicesPerS, 1).padStart(10),
    fmt(s.enrolled, 0).padStart(9),
    fmt(s.completed, 0).padStart(10),
    fmt(s.failed, 0).padStart(7),
  ].join('  ');
}

async function main(): Promise<void> {
  const o = benchArgs(process.argv.slice(2), USAGE, {
    ints: { devices: { default: 50, min: 1 }, runs: { default: 3, min: 1 } },
  });
  console.log(
    `\nEnrollment: ${o.devices} live devices to the end of their first minute, ${o.runs} runs (managed and enrolled alternating)\n`,
  );
  console.log('run    side       seconds  devices/s  enrolled  completed  failed');
  const samples: Sample[] = [];
  const ratios: number[] = [];
  for (let run = 1; run <= o.runs; run++) {
    const order: Side[] = run % 2 ? ['managed', 'enrolled'] : ['enrolled', 'managed'];
    const got = new Map<Side, Sample>();
    for (const side of order) {
      const s = await runSide(side, o.devices);
      got.set(side, s);
      samples.push(s);
      console.log(row(String(run), s));
    }
    ratios.push(
      (got.get('enrolled') as Sample).devicesPerS / (got.get('managed') as Sample).devicesPerS,
    );
  }
  for (const side of ['managed', 'enrolled'] as const) {
    const mine = samples.filter((s) => s.side === side);
    const med = (f: (s: Sample) => number): number => median(mine.map(f));
    console.log(
      row('med', {
        side,
        seconds: med((s) => s.seconds),
        devicesPerS: med((s) => s.devicesPerS),
        enrolled: med((s) => s.enrolled),
        completed: med((s) => s.completed),
        failed: med((s) => s.failed),
      }),
    );
  }
  console.log(
    `\ndevices/s enrolled vs managed: median of per-run ratios ${fmt(median(ratios) * 100, 1)} % ` +
      `(runs: ${ratios.map((r) => `${fmt(r * 100, 1)} %`).join(', ')})`,
  );
}

runBench('enrollment', main);
