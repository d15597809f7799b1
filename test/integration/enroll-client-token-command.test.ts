/**
 * `--enroll-token-cmd`: each device's token from a command, its values passed safely, its run
 * bounded. Real processes (`/bin/sh`).
 */
import { describe, expect, it } from 'vitest';
import {
  runTokenCommand,
  TokenCommandError,
  tokenCommandScript,
} from '../../src/adapters/enroll/token-command.js';

describe('token command', () => {
  it('substitutes {deviceId} and {n} and returns the trimmed output', async () => {
    const token = await runTokenCommand("printf '  tok:%s:%s\\n\\n' {deviceId} {n}", {
      deviceId: 'sim-0007',
      n: 7,
    });
    expect(token).toBe('tok:sim-0007:7');
  });

  it('passes hostile values as data, never as shell code', async () => {
    const deviceId = `a'b"c; echo INJECTED; $(echo SUBST) \`echo BACKTICK\` $HOME\nline2`;
    expect(tokenCommandScript('printf %s {deviceId}')).toBe('printf %s "$DMPUSH_DEVICE_ID"');
    const token = await runTokenCommand('printf %s {deviceId}', { deviceId, n: 1 });
    expect(token).toBe(deviceId.trim());
  });

  it('a non-zero exit names the exit code, never the output', async () => {
    const run = runTokenCommand('echo TOP-SECRET-TOKEN; exit 3', { deviceId: 'd', n: 1 });
    await expect(run).rejects.toThrow(TokenCommandError);
    await expect(run).rejects.toThrow('the token command exited with code 3');
    await expect(run).rejects.not.toThrow(/TOP-SECRET/);
  });

  it('a command that runs too long is killed, with its children', async () => {
    const started = performance.now();
    const run = runTokenCommand('sleep 30; echo late', { deviceId: 'd', n: 1 }, { timeoutMs: 200 });
    await expect(run).rejects.toThrow('the token command did not finish within 200 ms');
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it('too much output, or none, is an error', async () => {
    await expect(
      runTokenCommand(
        'head -c 5000 /dev/zero | tr "\\0" x',
        { deviceId: 'd', n: 1 },
        { maxOutputBytes: 1000 },
      ),
    ).rejects.toThrow('the token command wrote more than 1000 bytes');
    await expect(runTokenCommand('true', { deviceId: 'd', n: 1 })).rejects.toThrow(
      'the token command printed no token',
    );
  });

  it('the error code is stable', async () => {
    const error = await runTokenCommand('exit 1', { deviceId: 'd', n: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TokenCommandError);
    expect((error as TokenCommandError).code).toBe('E_TOKEN_COMMAND');
  });
});
