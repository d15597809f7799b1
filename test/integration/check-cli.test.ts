/**
 * `dmpush check` as a user runs it, in process over real sockets (test/helpers/cli.ts): the
 * reference server passes every check and the JSON report keeps the keys of its contract; the
 * text and JUnit formats; usage errors (exit 2, a message naming what is wrong, no stack, and no
 * check run when the server cannot be reached); a run without a trigger skips what needs one; a
 * `--trigger-cmd` makes a server push. The full reference check runs once (~15 s): the text and
 * JUnit renderings of all 14 checks are drawn from its JSON; the CLI's own format paths run
 * `--only` a few lifecycle checks.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { VERSION } from '../../src/cli/version.js';
import { CHECKS } from '../../src/core/check/checks.js';
import { CHECK_IDS, type CheckReport, type CheckResult } from '../../src/core/check/model.js';
import { renderCheckJunit } from '../../src/core/check/report-junit.js';
import { renderCheckText } from '../../src/core/check/report-text.js';
import { checkJson, freePort, proofServer, resultsOf } from '../helpers/check-cli.js';
import { cli } from '../helpers/cli.js';
import type { ProofServer } from '../helpers/proof-mdm-server.js';

const dir = mkdtempSync(join(tmpdir(), 'dmpush-check-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let proof: ProofServer | null = null;
afterEach(async () => {
  await proof?.close();
  proof = null;
});

/** A proof server making no mistake; the flags that point the run at it, without a trigger. */
async function goodServer(): Promise<{ server: ProofServer; args: string[] }> {
  const { server, args } = await proofServer('none');
  proof = server;
  return { server, args: args.slice(0, args.indexOf('--trigger-url')) };
}

/** The JSON report with every key of its contract. */
type FullJson = Omit<CheckReport, 'checks'> & {
  readonly checks: readonly (Omit<CheckReport['checks'][number], 'situation' | 'evidence'> & {
    readonly evidence: readonly {
      readonly time: string;
      readonly kind: string;
      readonly text: string;
    }[];
  })[];
};

/** The report the JSON was rendered from (the situations from the registry). */
const reportOf = (json: FullJson): CheckReport => ({
  ...json,
  checks: json.checks.map((c) => ({
    ...c,
    situation: CHECKS[c.id].situation,
    evidence: c.evidence.map((e) => ({ ...e, time: Date.parse(e.time) }) as const),
  })) as CheckReport['checks'],
});

interface JunitCase {
  readonly name: string;
  readonly failure?: { readonly type: string; readonly message: string };
  readonly skipped?: unknown;
}
interface Junit {
  readonly testsuites: {
    readonly tests: string;
    readonly failures: string;
    readonly testsuite: { readonly testcase: readonly JunitCase[] };
  };
}

/** JUnit XML, checked well-formed, then parsed (attributes without prefix). */
function parseJunit(xml: string): Junit {
  expect(XMLValidator.validate(xml)).toBe(true);
  return new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '',
    parseAttributeValue: false,
    isArray: (name) => name === 'testcase',
  }).parse(xml) as Junit;
}

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

describe('the reference server', () => {
  const file = join(dir, 'full.json');
  let run: { code: number; out: string; err: string };
  let json: FullJson;

  beforeAll(async () => {
    run = await cli(['check', '--format', 'json', '--out', file]);
    json = JSON.parse(readFileSync(file, 'utf8')) as FullJson;
  }, 90_000);

  it('passes all 14 checks (exit 0), the report written to --out', () => {
    expect(run.code, run.err).toBe(0);
    expect(run.out).toBe('');
    expect(run.err).toContain(`dmpush check: report written to ${file}`);
    expect(json.checks.map((c) => [c.id, c.result])).toEqual(CHECK_IDS.map((id) => [id, 'pass']));
    expect(json.summary).toEqual({ passed: 14, failed: 0, warned: 0, skipped: 0 });
  });

  it("keeps the JSON report's keys, checks in CHECK_IDS order", () => {
    expect(Object.keys(json)).toEqual([
      'server',
      'startedAt',
      'dmpushVersion',
      'checks',
      'summary',
    ]);
    expect(json.server).toBe('reference');
    expect(json.startedAt).toMatch(ISO);
    expect(json.dmpushVersion).toBe(VERSION);
    expect(json.checks.map((c) => c.id)).toEqual([...CHECK_IDS]);
    for (const check of json.checks) {
      expect(Object.keys(check)).toEqual([
        'id',
        'title',
        'result',
        'summary',
        'source',
        'evidence',
        'durationMs',
      ]);
      expect(check.title).toBe(CHECKS[check.id].title);
      expect(check.source).toEqual(CHECKS[check.id].source);
      expect(check.summary.length, check.id).toBeGreaterThan(0);
      // A clean SyncML pass has no violation to show; every other pass shows what decided it.
      if (check.id !== 'syncml-hygiene') expect(check.evidence.length, check.id).toBeGreaterThan(0);
      for (const e of check.evidence) expect(Object.keys(e)).toEqual(['time', 'kind', 'text']);
      expect(check.evidence.every((e) => ISO.test(e.time))).toBe(true);
      expect(Number.isInteger(check.durationMs) && check.durationMs >= 0).toBe(true);
    }
  });

  it('renders as text: a ✔ line per check, then the totals and the server', () => {
    const lines = renderCheckText(reportOf(json)).split('\n');
    const marked = lines.filter((l) => /^[✔✘!–] /.test(l));
    expect(marked.map((l) => l.split(/\s+/).slice(0, 2))).toEqual(CHECK_IDS.map((id) => ['✔', id]));
    expect(lines).toContain('14 checks: 14 passed, 0 failed, 0 warned, 0 skipped');
    expect(lines.some((l) => l.startsWith('server reference · started '))).toBe(true);
  });

  it('renders as JUnit: a passing testcase per check', () => {
    const junit = parseJunit(renderCheckJunit(reportOf(json)));
    const cases = junit.testsuites.testsuite.testcase;
    expect(cases.map((c) => c.name.split(':')[0])).toEqual([...CHECK_IDS]);
    expect(cases.filter((c) => c.failure !== undefined || c.skipped !== undefined)).toEqual([]);
    expect([junit.testsuites.tests, junit.testsuites.failures]).toEqual(['14', '0']);
  });
});

describe('text report', () => {
  const LIFECYCLE = ['--only', 'pfn-set,channel-read'];

  it('by default: a ✔ line per check and the totals, no evidence', async () => {
    const { code, out, err } = await cli(['check', ...LIFECYCLE]);
    expect(code, err).toBe(0);
    const lines = out.split('\n');
    expect(lines.filter((l) => l.startsWith('✔ ')).map((l) => l.split(/\s+/)[1])).toEqual([
      'pfn-set',
      'channel-read',
    ]);
    expect(lines).toContain('2 checks: 2 passed, 0 failed, 0 warned, 0 skipped');
    expect(out).not.toMatch(/^\s+source: /m);
    expect(out).not.toMatch(/^\s+\d{4}-\d\d-\d\dT/m);
  });

  it('--verbose: each check followed by its evidence and its source', async () => {
    const { code, out, err } = await cli(['check', ...LIFECYCLE, '--verbose']);
    expect(code, err).toBe(0);
    const [pfn = '', channel = ''] = out.split(/^(?=✔ )/m).filter((b) => b.startsWith('✔'));
    expect(pfn).toMatch(/^ {4}\S+Z {2}syncml {2}Add \S+\/Push\/PFN = Contoso\.MDM_8wekyb3d8bbwe/m);
    expect(pfn).toContain(`    source: DMClient CSP <${CHECKS['pfn-set'].source.url}>`);
    expect(channel).toMatch(/^ {4}\S+Z {2}syncml {2}Get \S+\/Push\/ChannelURI/m);
    expect(channel).toContain(`    source: ${CHECKS['channel-read'].source.document} <`);
  });
});

describe('JUnit report', () => {
  it('a server that keeps pushing after 410 gives one <failure> and exit 1', async () => {
    const bad = await proofServer('ignore-410');
    proof = bad.server;
    const file = join(dir, 'ignore-410.xml');
    const { code, out, err } = await cli([
      'check',
      ...bad.args,
      '--only',
      'gone-410-stops',
      '--timeout',
      '5',
      '--format',
      'junit',
      '--out',
      file,
    ]);
    expect(code, err).toBe(1);
    expect(out).toBe('');
    expect(err).toContain('1 check failed');
    const junit = parseJunit(readFileSync(file, 'utf8'));
    const cases = junit.testsuites.testsuite.testcase;
    expect(cases).toHaveLength(1);
    expect(cases[0]?.failure?.type).toBe('gone-410-stops');
    expect(cases[0]?.failure?.message).toMatch(/^After 410 the server pushed \d+ more time/);
    expect([junit.testsuites.tests, junit.testsuites.failures]).toEqual(['1', '1']);
  });
});

describe('usage errors: exit 2, a message naming the problem, no stack', () => {
  const closedPort = async (): Promise<string[]> => [
    '--mdm-url',
    `http://127.0.0.1:${await freePort()}/ManagementServer/MDM.svc`,
    '--provider-id',
    'PROOF',
  ];
  const CASES: readonly (readonly [string, () => Promise<string[]> | string[], RegExp])[] = [
    [
      'an unknown id in --only',
      () => ['--only', 'pfn-set,nope'],
      /unknown check id nope; the checks are: pfn-set, channel-read, .*syncml-hygiene/,
    ],
    [
      'an unknown id in --skip',
      () => ['--skip', 'bogus'],
      /unknown check id bogus; the checks are: pfn-set, /,
    ],
    [
      '--only and --skip leaving none',
      () => ['--only', 'pfn-set', '--skip', 'pfn-set'],
      /--only\/--skip leave no check to run/,
    ],
    [
      'both triggers',
      () => ['--trigger-cmd', 'true', '--trigger-url', 'POST http://127.0.0.1:9/x'],
      /--trigger-cmd and --trigger-url: give one of them, not both/,
    ],
    [
      'a method that is none',
      () => ['--trigger-url', 'GETT http://127.0.0.1:9/x'],
      /--trigger-url: expected "METHOD URL" with METHOD one of GET, POST/,
    ],
    [
      'a URL that is not http',
      () => ['--trigger-url', 'POST ftp://x'],
      /--trigger-url: expected an http\(s\) URL, got "ftp:\/\/x"/,
    ],
    [
      'a server that cannot be reached',
      closedPort,
      /--mdm-url: cannot reach http:\/\/127\.0\.0\.1:\d+\/\S+ \(ECONNREFUSED\); no check was run/,
    ],
    [
      '--timeout 0',
      () => ['--timeout', '0'],
      /--timeout <seconds>.*expected whole seconds from 1 to 600, got "0"/,
    ],
    [
      '--timeout abc',
      () => ['--timeout', 'abc'],
      /--timeout <seconds>.*expected whole seconds from 1 to 600, got "abc"/,
    ],
    [
      '--out in no directory',
      () => ['--only', 'pfn-set', '--out', join(dir, 'none', 'r.json')],
      /--out: cannot write \S+none\/r\.json: no directory \S+none/,
    ],
    [
      'a --pfn not among the apps',
      () => ['--only', 'pfn-set', '--pfn', 'Nope.App_1234567890abc'],
      /--pfn Nope\.App_1234567890abc: the emulator knows no such app/,
    ],
    [
      '--format xml',
      () => ['--format', 'xml'],
      /--format <format>.*'xml' is invalid\. Allowed choices are text, json, junit, html/,
    ],
  ];

  it.each(CASES)('%s', async (_what, args, message) => {
    const { code, out, err } = await cli(['check', ...(await args())]);
    expect(code, err).toBe(2);
    expect(err).toMatch(message);
    expect(err).not.toMatch(/^\s+at /m);
    expect(out).toBe('');
  });

  it('runs no check when the server cannot be reached', async () => {
    const { code, err } = await cli(['check', ...(await closedPort())]);
    expect(code).toBe(2);
    expect(err).toContain('cannot reach');
    expect(err).not.toContain('dmpush check: lifecycle');
  });
});

describe('a server pushed by the user', () => {
  it('without a trigger: the checks that need a push are skipped, naming the flags; exit 0', async () => {
    const { args } = await goodServer();
    const { code, report, err } = await checkJson([...args, '--timeout', '5']);
    expect(code, err).toBe(0);
    const results = resultsOf(report);
    // push-format and cache-policy judge pushes: without a trigger there are none to judge.
    const pushless = new Set(['push-format', 'cache-policy']);
    const expected = Object.fromEntries(
      CHECK_IDS.map((id): [string, CheckResult] => [
        id,
        CHECKS[id].needsTrigger || pushless.has(id) ? 'skip' : 'pass',
      ]),
    );
    expect(results).toEqual(expected);
    for (const check of report?.checks.filter((c) => c.result === 'skip') ?? []) {
      expect(check.summary, check.id).toContain('--trigger-cmd');
      expect(check.summary, check.id).toContain('--trigger-url');
    }
  });

  /** A command that POSTs to `url` and exits 3 unless the answer is 2xx. */
  const post = (url: string, suffix: string): string =>
    `node -e "fetch(process.argv[1]${suffix},{method:'POST'}).then(r=>process.exit(r.ok?0:3))" ${url}`;

  it.each([
    [
      '$DMPUSH_DEVICE_ID',
      (url: string) => post(url, "+'/'+encodeURIComponent(process.env.DMPUSH_DEVICE_ID)"),
    ],
    ['{deviceId}', (url: string) => `${post(url, '')}/{deviceId}`],
  ])('--trigger-cmd naming the device by %s: push-wakes-session passes', async (_how, command) => {
    const { server, args } = await goodServer();
    const { code, report, err } = await checkJson([
      ...args,
      '--only',
      'push-wakes-session',
      '--timeout',
      '5',
      '--trigger-cmd',
      command(server.triggerUrl),
    ]);
    expect(code, err).toBe(0);
    const check = report?.checks[0];
    expect(check?.result, check?.summary).toBe('pass');
    expect(check?.summary).toMatch(/^trigger→push \d+ ms .*push→session \d+ ms/);
    expect(check?.evidence[0]?.text).toMatch(/trigger command: exit 0$/);
    expect(server.pushes).toHaveLength(1);
  });

  it('a --trigger-cmd that fails fails push-wakes-session, naming its exit code (exit 1)', async () => {
    const { server, args } = await goodServer();
    const command = `${post(server.triggerUrl, '')}/no-such-device`;
    const { code, report } = await checkJson([
      ...args,
      '--only',
      'push-wakes-session',
      '--trigger-cmd',
      command,
    ]);
    expect(code).toBe(1);
    expect(report?.checks[0]?.result).toBe('fail');
    expect(report?.checks[0]?.summary).toContain('the trigger command exited with code 3');
    expect(server.pushes).toHaveLength(0);
  });
});
