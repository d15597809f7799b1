/** The options that say who may call dmpush's servers (`serve`, `wns`). */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { isIP } from 'node:net';
import { hostnameOf } from '../../adapters/http/access.js';

/** A DNS name: dot-separated labels of letters, digits and inner hyphens. */
const DNS_NAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/i;

/** True for what `--allow-host` takes: a DNS name, an IP literal, or `*.` and a DNS name. */
function isHostPattern(name: string): boolean {
  if (name.startsWith('*.')) return DNS_NAME.test(name.slice(2));
  const plain = hostnameOf(name);
  return (
    plain !== null &&
    plain === name.toLowerCase().replace(/^\[|\]$/g, '') &&
    (DNS_NAME.test(plain) || isIP(plain) !== 0)
  );
}

/** `--allow-host <name>` (repeatable, comma-separated): names served besides local ones. */
export function allowHostArg(value: string, previous: string[] = []): string[] {
  const names = value.split(',').map((n) => n.trim().toLowerCase());
  const bad = names.find((n) => !isHostPattern(n));
  if (bad !== undefined)
    throw new InvalidArgumentError(
      `expected a host name such as dmpush.test, 10.0.0.5 or *.example.com (no port), got ${JSON.stringify(bad)}`,
    );
  return [...previous, ...names];
}

/** Shortest API token accepted: a guessable token protects nothing. */
const MIN_API_TOKEN_LENGTH = 16;

/** `--api-token <token>`: visible ASCII, no spaces, at least {@link MIN_API_TOKEN_LENGTH} long. */
export function apiTokenArg(value: string): string {
  if (!/^[\x21-\x7e]+$/.test(value))
    throw new InvalidArgumentError('expected visible ASCII characters without spaces');
  if (value.length < MIN_API_TOKEN_LENGTH)
    throw new InvalidArgumentError(
      `expected at least ${MIN_API_TOKEN_LENGTH} characters (e.g. openssl rand -hex 24), got ${value.length}`,
    );
  return value;
}

/** The access options as Commander hands them over. */
export interface AccessFlags {
  allowHost?: string[];
  apiToken?: string;
}

/** Adds `--allow-host` and `--api-token` to `command`; `protects` names what the token guards. */
export function addAccessOptions(command: Command, protects: string): Command {
  return command
    .option(
      '--allow-host <name>',
      'also answer requests naming this host (repeatable; *.example.com for subdomains); local names always work',
      allowHostArg,
    )
    .addOption(
      new Option(
        '--api-token <token>',
        `require "Authorization: Bearer <token>" on ${protects} (at least ${MIN_API_TOKEN_LENGTH} characters)`,
      )
        .env('DMPUSH_API_TOKEN')
        .argParser(apiTokenArg),
    );
}
