/**
 * Proof that the checks judge correctly: `dmpush check` against a small server of the tests that
 * makes one mistake (test/helpers/proof-mdm-server.ts), over real sockets. Each mistake fails (or,
 * where the issue asks for a warning, warns on) exactly the check that names it; the rest pass.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CHECKS } from '../../src/core/check/checks.js';
import { CHECK_IDS, type CheckResult } from '../../src/core/check/model.js';
import { checkJson, proofServer, resultsOf } from '../helpers/check-cli.js';
import type { ProofMistake, ProofServer } from '../helpers/proof-mdm-server.js';

let server: ProofServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

/** The checks judged on the lifecycle situation. */
const LIFECYCLE = CHECK_IDS.filter((id) => CHECKS[id].situation === 'lifecycle');

interface Case {
  readonly mistake: ProofMistake;
  /** What differs from an all-pass report. */
  readonly expected: Readonly<Record<string, CheckResult>>;
  readonly exit: number;
  /** Only these checks (default all). */
  readonly only?: readonly string[];
}

const CASES: readonly Case[] = [
  { mistake: 'none', expected: {}, exit: 0 },
  { mistake: 'read-channel-once', expected: { 'channel-reread-after-renewal': 'fail' }, exit: 1 },
  { mistake: 'ignore-410', expected: { 'gone-410-stops': 'fail' }, exit: 1 },
  { mistake: 'ignore-retry-after', expected: { 'throttle-406-backoff': 'fail' }, exit: 1 },
  {
    mistake: 'never-refresh-token',
    // Its token expires with the days the run skips: later stories' pushes all meet 401, so the
    // checks that judge their answers have nothing to judge.
    expected: {
      'token-refresh-on-401': 'fail',
      'gone-410-stops': 'skip',
      'throttle-406-backoff': 'skip',
    },
    exit: 1,
  },
  { mistake: 'no-cache', expected: { 'cache-policy': 'warn' }, exit: 0 },
  {
    mistake: 'one-minute-poll',
    expected: { 'poll-schedule': 'warn' },
    exit: 0,
    // Polled every minute, the 45 virtual days of the other stories are ~60,000 real sessions:
    // a minute of wall time for stories that do not judge polling.
    only: LIFECYCLE,
  },
  { mistake: 'malformed-syncml', expected: { 'syncml-hygiene': 'fail' }, exit: 1 },
];

describe('dmpush check against a server with one mistake', () => {
  it.each(CASES)(
    '$mistake: $expected, every other check passes (exit $exit)',
    async ({ mistake, expected, exit, only }) => {
      const proof = await proofServer(mistake);
      server = proof.server;
      const args = [...proof.args, '--timeout', '5', ...(only ? ['--only', only.join(',')] : [])];
      const { code, report, err } = await checkJson(args);
      const all = Object.fromEntries((only ?? CHECK_IDS).map((id) => [id, 'pass']));
      expect(resultsOf(report), err).toEqual({ ...all, ...expected });
      expect(code).toBe(exit);
    },
    120_000,
  );
});
