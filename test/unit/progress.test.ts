import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { CliIo } from '../../src/cli/io.js';
import { runCli } from '../../src/cli/main.js';
import { isLongRun } from '../../src/cli/progress.js';
import { loadScenario } from '../../src/scenario/load.js';

/** A stand-in terminal: what a progress bar draws on it, as text. */
function terminal(): { stream: NodeJS.WritableStream; text: () => string } {
  let text = '';
  const stream = Object.assign(
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        text += chunk.toString();
        done();
      },
    }),
    { isTTY: true, columns: 120 },
  );
  return { stream, text: () => text };
}

function capture(progress: NodeJS.WritableStream | undefined): { io: CliIo; out: () => string } {
  let out = '';
  return {
    io: {
      stdout: (t) => (out += t),
      stderr: () => undefined,
      readFile: (p) => readFileSync(p, 'utf8'),
      isTty: false,
      progress,
    },
    out: () => out,
  };
}

const LONG = 'fixtures/scenarios/long.yaml';

describe('progress bar of long runs', () => {
  it('a run is long from 5,000 device-days', () => {
    expect(isLongRun(loadScenario(readFileSync(LONG, 'utf8')))).toBe(true);
    expect(isLongRun(loadScenario(readFileSync(LONG, 'utf8'), { until: 'P99D' }))).toBe(false);
  });

  it('is drawn on a terminal for a long run and cleared; the timeline is the same without it', async () => {
    const tty = terminal();
    const withBar = capture(tty.stream);
    expect(await runCli(['run', LONG], withBar.io)).toBe(0);
    expect(tty.text()).toMatch(/long\.yaml \[[█░]+\] 100% \| day 120\/120 \| [\d,]+ events/);
    // Cleared at the end: the last thing drawn erases the line.
    expect(tty.text().endsWith('\u001b[2K')).toBe(true);
    const plain = capture(undefined);
    expect(await runCli(['run', LONG], plain.io)).toBe(0);
    expect(withBar.out()).toBe(plain.out());
  });

  it('never for JSONL, nor for a short run', async () => {
    const tty = terminal();
    expect(await runCli(['run', LONG, '--format', 'jsonl'], capture(tty.stream).io)).toBe(0);
    expect(await runCli(['run', LONG, '--until', 'P30D'], capture(tty.stream).io)).toBe(0);
    expect(tty.text()).toBe('');
  });
});
