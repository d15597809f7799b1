/**
 * `dmpush check`: checks the options, makes sure the server answers before any check runs, plays
 * the run (`src/check/run-check.ts`), writes the report in the format asked for, and fails (exit
 * 1) when a check failed.
 *
 * @module
 */
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { pino } from 'pino';
import { SystemClock } from '../../adapters/clock/system-clock.js';
import { renderCheckHtml } from '../../adapters/pages/check-report.js';
import { runCheck, type CheckRun } from '../../check/run-check.js';
import { commandTrigger, urlTrigger, type Trigger } from '../../check/trigger.js';
import { selectChecks } from '../../core/check/checks.js';
import { CHECK_IDS } from '../../core/check/model.js';
import { renderCheckJson } from '../../core/check/report-json.js';
import { renderCheckJunit } from '../../core/check/report-junit.js';
import { renderCheckText } from '../../core/check/report-text.js';
import { DmpushError } from '../../core/errors.js';
import type { CheckFlags } from '../program/check.js';
import type { EnrollConfig } from '../program/enroll.js';
import { UsageError, type CliIo } from '../io.js';
import { VERSION } from '../version.js';
import { REDACT } from './wns.js';

export const CHECK_FORMATS = ['text', 'json', 'junit', 'html'] as const;
export type CheckFormat = (typeof CHECK_FORMATS)[number];

/** Real milliseconds the run watches for pushes a good server does not send. */
const QUIET_MS = 1500;
/** Real milliseconds the first contact with the server may take. */
const REACH_TIMEOUT_MS = 10_000;

/** The server failed a check: exit 1 (the report names it). */
class ChecksFailedError extends DmpushError {
  constructor(failed: number) {
    super('E_CHECK_FAILED', `${failed} check${failed === 1 ? '' : 's'} failed`);
  }
}

/** The trigger the flags ask for, or null. */
function triggerOf(o: CheckFlags, timeoutMs: number): Trigger | null {
  if (o.triggerCmd !== undefined && o.triggerUrl !== undefined)
    throw new UsageError('--trigger-cmd and --trigger-url: give one of them, not both');
  if (o.triggerCmd !== undefined) return commandTrigger(o.triggerCmd, timeoutMs);
  if (o.triggerUrl !== undefined) return urlTrigger(o.triggerUrl, timeoutMs);
  return null;
}

/** Resolves when `url` answers HTTP at all; a usage error naming why when it cannot be reached. */
async function ensureReachable(url: string, flag: string): Promise<void> {
  if (!/^https?:\/\/[^/]/i.test(url))
    throw new UsageError(`${flag}: expected an http(s) URL, got ${JSON.stringify(url)}`);
  try {
    const res = await fetch(url, { method: 'GET', signal: AbortSignal.timeout(REACH_TIMEOUT_MS) });
    await res.arrayBuffer();
  } catch (error) {
    const e = error as Error & { cause?: { code?: string; message?: string } };
    const why =
      e.name === 'TimeoutError'
        ? `no answer within ${REACH_TIMEOUT_MS / 1000} s`
        : (e.cause?.code ?? e.cause?.message ?? e.message);
    throw new UsageError(`${flag}: cannot reach ${url} (${why}); no check was run`);
  }
}

/** The report in `format`. */
function render(run: CheckRun, format: CheckFormat, verbose: boolean): string {
  switch (format) {
    case 'json':
      return renderCheckJson(run.report);
    case 'junit':
      return renderCheckJunit(run.report);
    case 'html':
      return renderCheckHtml(run.report, run.recordings);
    default:
      return renderCheckText(run.report, { verbose });
  }
}

/** `dmpush check`. */
export async function checkCommand(
  io: CliIo,
  o: CheckFlags,
  enroll: EnrollConfig | null = null,
): Promise<void> {
  const timeoutMs = o.timeout * 1000;
  const { checks, unknown } = selectChecks(o.only, o.skip);
  if (unknown.length > 0)
    throw new UsageError(
      `unknown check id${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}; the checks are: ${CHECK_IDS.join(', ')}`,
    );
  if (checks.length === 0) throw new UsageError('--only/--skip leave no check to run');
  const trigger = triggerOf(o, timeoutMs);
  if (o.out !== undefined) ensureWritableDir(o.out);
  if (o.mdmUrl !== undefined) await ensureReachable(o.mdmUrl, '--mdm-url');
  if (enroll) await ensureReachable(enroll.url, '--enroll-url');
  const logger = pino(
    { level: 'warn', redact: { paths: REDACT, censor: '[redacted]' } },
    pino.destination(2),
  );
  const startedAt = new Date(new SystemClock().now());
  const run = await runCheck(
    io,
    {
      ...(o.mdmUrl === undefined ? {} : { mdmUrl: o.mdmUrl }),
      enroll,
      ...(o.enrollRetry === undefined ? {} : { enrollRetry: o.enrollRetry }),
      providerId: o.providerId,
      ...(o.pfn === undefined ? {} : { pfn: o.pfn }),
      ...(o.apps === undefined ? {} : { apps: o.apps }),
      wnsPort: o.wnsPort,
      seed: o.seed,
      start: startedAt.getTime(),
      timeoutMs,
      quietMs: QUIET_MS,
      trigger,
      checks,
    },
    logger,
    { version: VERSION, startedAt },
  );
  const text = render(run, o.format, o.verbose);
  if (o.out === undefined) io.stdout(text);
  else writeOut(o.out, text, io);
  if (run.report.summary.failed > 0) throw new ChecksFailedError(run.report.summary.failed);
}

/** Refuses, before anything runs, an `--out` whose directory does not exist. */
function ensureWritableDir(file: string): void {
  const dir = dirname(file);
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw new UsageError(`--out: cannot write ${file}: no directory ${dir}`);
}

/** Writes the report to `file`; a usage error names the file when it cannot. */
function writeOut(file: string, text: string, io: CliIo): void {
  try {
    writeFileSync(file, text);
  } catch (e) {
    throw new UsageError(
      `--out: cannot write ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
  io.stderr(`dmpush check: report written to ${file}\n`);
}
