/**
 * `dmpush serve --provider-id`: the devices' DMClient `{ProviderID}` is the server's own, for
 * servers that assume enrollment already happened. The reference server manages them under it,
 * and a state file keeps the fleet's provider.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startServe } from '../../src/cli/commands/serve.js';
import { capture, cli } from '../helpers/cli.js';
import { TEST_SERVE, api } from '../helpers/serve.js';

interface TreeNode {
  readonly uri: string;
  readonly value: string | null;
}

describe('dmpush serve --provider-id', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dmpush-provider-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('gives every device the provider, and the reference server manages them under it', async () => {
    const s = await startServe(capture().io, { ...TEST_SERVE, providerId: 'Contoso MDM' });
    try {
      const a = api(s);
      await a.advance('PT1M');
      const tree = (await a.json<TreeNode[]>('GET', '/api/devices/laptop/tree')).body;
      const provider = './Vendor/MSFT/DMClient/Provider/Contoso MDM';
      const pfn = tree.find((n) => n.uri === `${provider}/Push/PFN`);
      expect(pfn?.value).toMatch(/_/);
      expect(tree.some((n) => n.uri.startsWith('./Vendor/MSFT/DMClient/Provider/DMPUSH'))).toBe(
        false,
      );
      expect((await a.device('laptop')).channelUri).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//);
    } finally {
      await s.close();
    }
  });

  it('is part of what a state file holds: another provider is refused, naming it', async () => {
    const state = join(dir, 'state.db');
    const options = { ...TEST_SERVE, memory: false, state, providerId: 'Contoso' };
    await (await startServe(capture().io, options)).close();
    await expect(startServe(capture().io, { ...options, providerId: 'Fabrikam' })).rejects.toThrow(
      /providerId "Contoso" \(now "Fabrikam"\)/,
    );
    await (await startServe(capture().io, options)).close();
  });

  it.each(['a/b', '..', ''])('refuses %j with exit 2 naming the flag', async (value) => {
    const r = await cli(['serve', '--provider-id', value]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--provider-id.*one segment of a management tree URI/);
  });
});
