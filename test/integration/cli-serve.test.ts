import { describe, expect, it } from 'vitest';
import { cli, startProcess } from '../helpers/cli.js';

describe('dmpush serve: bad input exits 2 naming it', () => {
  it.each([
    [['serve', '--devices', '0'], /--devices.*expected a whole number from 1/],
    [['serve', '--mdm-url', 'ftp://x'], /--mdm-url: expected an http\(s\) URL, got "ftp:\/\/x"/],
    [
      ['serve', '--scenario', 'fixtures/serve/e2e.yaml', '--devices', '3'],
      /--devices sizes the built-in fleet: leave it out with --scenario/,
    ],
    [
      ['serve', '--scenario', '/nonexistent.yaml'],
      /cannot read scenario \/nonexistent\.yaml: ENOENT/,
    ],
    [
      ['serve', '--scenario', 'fixtures/scenarios/invalid-battery-level.yaml', '--port', '0'],
      /is not a valid scenario:\n {2}devices\[2\]\.battery\.level: expected a number from 0 to 100/,
    ],
    [
      ['serve', '--pfn', 'Fabrikam.Other_8wekyb3d8bbwe', '--port', '0'],
      /--pfn Fabrikam\.Other_8wekyb3d8bbwe: .*knows Contoso\.MDM_8wekyb3d8bbwe/,
    ],
    [['serve', '--push-alert', '1222'], /--push-alert.*1222.*invalid/i],
  ])('%j', async (argv, message) => {
    const { code, err } = await cli([...argv, '--memory']);
    expect(code).toBe(2);
    expect(err).toMatch(message);
  });
});

describe('dmpush serve as a process (what npm start runs)', () => {
  it('prints where everything listens, serves a live fleet, and stops cleanly on SIGTERM', async () => {
    const serve = await startProcess(
      [
        'serve',
        '--port',
        '0',
        '--devices',
        '3',
        '--no-timeline',
        '--log-level',
        'silent',
        '--memory',
      ],
      /control API: +(\S+)\/api\/devices[^\n]*\n {2}WNS emulator: (\S+)[^\n]*\n {2}MDM server: +(\S+)/,
    );
    try {
      const [, control, wns, mdm] = serve.match as unknown as [string, string, string, string];
      const devices = (await (await fetch(`${control}/api/devices`)).json()) as Array<{
        id: string;
      }>;
      expect(devices.map((d) => d.id)).toEqual(['pc-1', 'pc-2', 'pc-3']);
      expect((await fetch(`${wns}/_sim/health`)).status).toBe(200);
      // The reference server answers SyncML only.
      expect((await fetch(mdm, { method: 'POST', body: 'x' })).status).toBe(415);
    } finally {
      expect(await serve.stop()).toBe(0);
    }
  });
});
