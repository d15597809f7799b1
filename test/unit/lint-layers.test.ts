/**
 * The layer rules of eslint.config.js (core ← domain parts ← adapters ← cli), run through ESLint's
 * Node API on snippets placed in each layer. Only the import-x rules run, untyped, so a snippet
 * can sit at a path that does not exist.
 */
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/run-scenario.js';

const eslint = new ESLint({
  cwd: ROOT,
  overrideConfig: { languageOptions: { parserOptions: { projectService: false } } },
  ruleFilter: ({ ruleId }) => ruleId.startsWith('import-x/'),
});

/** The rule ids ESLint reports for `code` at `filePath` (relative to the repository root). */
async function reports(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).map((m) => m.ruleId ?? m.message);
}

const importing = (from: string): string => `import * as m from '${from}';\nexport const x = m;\n`;
const LAYER_RULE = 'import-x/no-restricted-paths';

describe('layer rules', () => {
  it('the core may not import an adapter', async () => {
    expect(await reports('src/core/x.ts', importing('../adapters/clock/system-clock.js'))).toEqual([
      LAYER_RULE,
    ]);
  });

  it('the core may import the core', async () => {
    expect(await reports('src/core/x.ts', importing('./time/iso.js'))).toEqual([]);
    expect(await reports('src/core/dm/x.ts', importing('../syncml/codec.js'))).toEqual([]);
  });

  it('a domain part imports the core, not another domain part nor an adapter', async () => {
    expect(await reports('src/wns/x.ts', importing('../core/wns/wns-cloud.js'))).toEqual([]);
    expect(await reports('src/wns/x.ts', importing('../scenario/load.js'))).toEqual([LAYER_RULE]);
    expect(await reports('src/scenario/x.ts', importing('../adapters/metrics.js'))).toEqual([
      LAYER_RULE,
    ]);
  });

  it('adapters import the domain and the core, never the CLI', async () => {
    expect(await reports('src/adapters/x.ts', importing('../wns/emulator.js'))).toEqual([]);
    expect(await reports('src/adapters/x.ts', importing('../cli/io.js'))).toEqual([LAYER_RULE]);
  });

  it('a domain part does no I/O through an adapter or the CLI (no file is exempt)', async () => {
    // The reference MDM server's HTTP endpoint and sender once lived in src/mdm-server/, and the
    // report read its browser bundle through the CLI's packageRoot; both are adapters now.
    expect(
      await reports('src/mdm-server/http-server.ts', importing('../adapters/http/service.js')),
    ).toEqual([LAYER_RULE]);
    expect(await reports('src/report/browser-bundle.ts', importing('../cli/io.js'))).toEqual([
      LAYER_RULE,
    ]);
  });

  it('the CLI may import any layer', async () => {
    expect(await reports('src/cli/x.ts', importing('../adapters/metrics.js'))).toEqual([]);
  });

  it('nothing in src imports tests, benchmarks or the package entries', async () => {
    expect(await reports('src/cli/x.ts', importing('../../test/helpers/until.js'))).toEqual([
      LAYER_RULE,
    ]);
    expect(await reports('src/cli/x.ts', importing('../../bench/stats.js'))).toEqual([LAYER_RULE]);
    expect(await reports('src/cli/x.ts', importing('../index.js'))).toEqual([LAYER_RULE]);
  });
});
