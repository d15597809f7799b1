/**
 * Running `dmpush check` in process against a server of the tests, and reading its JSON report.
 */
import { createServer } from 'node:net';
import { expect } from 'vitest';
import { CHECK_IDS, type CheckResult } from '../../src/core/check/model.js';
import { cli } from './cli.js';
import { startProofServer, type ProofMistake, type ProofServer } from './proof-mdm-server.js';

/** The built-in demo app (fixtures/apps/demo.yaml): the proof servers send as it. */
export const DEMO_APP = {
  pfn: 'Contoso.MDM_8wekyb3d8bbwe',
  sid: 'ms-app://S-1-15-2-2411136829-3422574390-1218575391-4088406412-1652238325-1536734281-1962548315',
  secret: 'dmpush-demo-secret-0001',
};

/** A JSON report, as far as the tests read it. */
export interface JsonReport {
  readonly server: string;
  readonly checks: readonly {
    readonly id: string;
    readonly result: CheckResult;
    readonly summary: string;
    readonly evidence: readonly { readonly text: string }[];
  }[];
  readonly summary: Record<'passed' | 'failed' | 'warned' | 'skipped', number>;
}

/** A port free on 127.0.0.1 now (the emulator's, which a server must know before it starts). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** `dmpush check … --format json`; resolves with the exit code, the report and standard error. */
export async function checkJson(
  args: readonly string[],
): Promise<{ code: number; report: JsonReport | null; err: string }> {
  const { code, out, err } = await cli(['check', ...args, '--format', 'json']);
  return { code, report: out ? (JSON.parse(out) as JsonReport) : null, err };
}

/** The results by check id. */
export const resultsOf = (report: JsonReport | null): Record<string, CheckResult> =>
  Object.fromEntries((report?.checks ?? []).map((c) => [c.id, c.result]));

/** A proof server making `mistake`, with the emulator it will talk to on `wnsPort`. */
export async function proofServer(mistake: ProofMistake): Promise<{
  server: ProofServer;
  args: string[];
}> {
  const wnsPort = await freePort();
  const server = await startProofServer({
    providerId: 'PROOF',
    pfn: DEMO_APP.pfn,
    mistake,
    wns: {
      tokenUrl: `http://127.0.0.1:${wnsPort}/accesstoken.srf`,
      sid: DEMO_APP.sid,
      secret: DEMO_APP.secret,
    },
  });
  const args = [
    '--mdm-url',
    server.url,
    '--provider-id',
    'PROOF',
    '--wns-port',
    String(wnsPort),
    '--trigger-url',
    `POST ${server.triggerUrl}/{deviceId}`,
  ];
  return { server, args };
}

/** A proof: a server with one mistake and the report it must get. */
export interface ProofCase {
  readonly mistake: ProofMistake;
  /** What differs from an all-pass report. */
  readonly expected: Readonly<Record<string, CheckResult>>;
  readonly exit: number;
  /** Only these checks (default all). */
  readonly only?: readonly string[];
}

/** Runs `dmpush check` against a proof server making the case's mistake; asserts the report. */
export async function expectProof(c: ProofCase): Promise<void> {
  const proof = await proofServer(c.mistake);
  try {
    const only = c.only ? ['--only', c.only.join(',')] : [];
    const { code, report, err } = await checkJson([...proof.args, '--timeout', '3', ...only]);
    const all = Object.fromEntries((c.only ?? CHECK_IDS).map((id) => [id, 'pass']));
    expect(resultsOf(report), err).toEqual({ ...all, ...c.expected });
    expect(code).toBe(c.exit);
  } finally {
    await proof.server.close();
  }
}
