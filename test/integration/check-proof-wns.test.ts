/**
 * Proof that the checks judge correctly, part 2 (the server's dealings with WNS): a server that
 * ignores 410, ignores `Retry-After`, never refreshes its token, or pushes `no-cache` fails (or
 * warns on) exactly the check that names it; the rest pass. Part 1: check-proof.test.ts.
 */
import { describe, it } from 'vitest';
import { expectProof, type ProofCase } from '../helpers/check-cli.js';

const CASES: readonly ProofCase[] = [
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
];

describe('dmpush check against a server with one WNS mistake', () => {
  it.each(CASES)(
    '$mistake: $expected, every other check passes (exit $exit)',
    expectProof,
    120_000,
  );
});
