/** Argument parsers and options shared by the commands' definitions. */
import { InvalidArgumentError, Option } from 'commander';
import { parseDuration } from '../../core/time/iso.js';
import type { OutputFormat } from '../commands/run.js';

/** `--seed <n>`: a whole number from 0 to 2^31 − 1. */
export function seedArg(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) > 2 ** 31 - 1)
    throw new InvalidArgumentError(
      `expected a whole number from 0 to 2147483647, got ${JSON.stringify(value)}`,
    );
  return Number(value);
}

/**
 * `--provider-id <id>`: the DMClient `{ProviderID}`, one segment of a management tree URI (no `/`,
 * not `.` or `..`, no control characters; spaces are fine: Intune's is `MS DM Server`).
 */
export function providerIdArg(value: string): string {
  const control = [...value].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f);
  if (value === '' || value === '.' || value === '..' || value.includes('/') || control)
    throw new InvalidArgumentError(
      `expected one segment of a management tree URI (no "/", not "." or ".."), got ${JSON.stringify(value)}`,
    );
  return value;
}

/** A comma-separated, repeatable list (`--device a,b --device c`). */
export const list = (value: string, previous: string[] = []): string[] => [
  ...previous,
  ...value.split(',').filter(Boolean),
];

/** `--format` of the timeline commands (`run`, `demo`). */
export const formatOption = (): Option =>
  new Option(
    '--format <format>',
    'output: a text timeline (default), JSON lines, or the HTML report (default when --out ends in .html)',
  ).choices(['text', 'jsonl', 'html']);

/** `--out <file>` of the timeline commands. */
export const outOption = (): Option =>
  new Option('--out <file>', 'write to this file instead of standard output');

/** The flags `run` and `demo` share, as Commander hands them over. */
export interface TimelineFlags {
  seed?: number;
  format?: OutputFormat;
  out?: string;
  until?: string;
  device?: string[];
  type?: string[];
}

/** {@link TimelineFlags} as the timeline commands take them. */
export const timelineOptions = (o: TimelineFlags) => ({
  seed: o.seed,
  format: o.format,
  out: o.out,
  until: o.until,
  filter: { devices: o.device, types: o.type },
});

/** A positive ISO 8601 duration (`PT24H`, `P30D`), kept as text. */
export function durationArg(value: string): string {
  const d = parseDuration(value);
  if (!d || d.toMillis() <= 0)
    throw new InvalidArgumentError(
      `expected a positive ISO 8601 duration such as PT24H or P30D, got ${JSON.stringify(value)}`,
    );
  return value;
}

/** A throttle rate `<per second>/<burst>`, kept as text. */
export function rateArg(value: string): string {
  const m = /^(\d+(?:\.\d+)?)\/(\d+)$/.exec(value);
  if (!m || Number(m[1]) <= 0 || Number(m[2]) < 1)
    throw new InvalidArgumentError(
      `expected <per second>/<burst> such as 1/30, got ${JSON.stringify(value)}`,
    );
  return value;
}

/** A whole number from 1. */
export function countArg(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1)
    throw new InvalidArgumentError(`expected a whole number from 1, got ${JSON.stringify(value)}`);
  return Number(value);
}

/** A TCP port, 0 to 65535 (0: any free port). */
export function portArg(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) > 65535)
    throw new InvalidArgumentError(`expected a port from 0 to 65535, got ${JSON.stringify(value)}`);
  return Number(value);
}
