/**
 * Proof that the checks judge correctly, part 1 (what the server writes and reads in SyncML):
 * `dmpush check` against a small server of the tests that makes one mistake
 * (test/helpers/proof-mdm-server.ts), over real sockets. Each mistake fails (or, where the issue
 * asks for a warning, warns on) exactly the check that names it; the rest pass. Part 2, the
 * server's dealings with WNS, is check-proof-wns.test.ts (two files, so they run side by side).
 */
import { describe, it } from 'vitest';
import { CHECKS } from '../../src/core/check/checks.js';
import { CHECK_IDS } from '../../src/core/check/model.js';
import { expectProof, type ProofCase } from '../helpers/check-cli.js';

/** The checks judged on the lifecycle situation. */
const LIFECYCLE = CHECK_IDS.filter((id) => CHECKS[id].situation === 'lifecycle');

const CASES: readonly ProofCase[] = [
  { mistake: 'none', expected: {}, exit: 0 },
  { mistake: 'read-channel-once', expected: { 'channel-reread-after-renewal': 'fail' }, exit: 1 },
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

describe('dmpush check against a server with one SyncML mistake', () => {
  it.each(CASES)(
    '$mistake: $expected, every other check passes (exit $exit)',
    expectProof,
    120_000,
  );
});
