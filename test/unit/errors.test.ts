import { CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import { StateFileError } from '../../src/adapters/state/state-store.js';
import { EXIT_STATUS, exitStatus, failure } from '../../src/cli/exit-codes.js';
import { UsageError } from '../../src/cli/io.js';
import { runCli } from '../../src/cli/main.js';
import { ClockLoopLimitError, DmpushError, ValidationError } from '../../src/core/errors.js';
import { SyncMLError } from '../../src/core/syncml/codec.js';

describe('every deliberate error is a DmpushError with a stable code and name', () => {
  it.each([
    [new ValidationError(['a: expected b']), 'ValidationError', 'E_VALIDATION'],
    [
      new ClockLoopLimitError(10, '2026-01-01T00:00:00.000Z'),
      'ClockLoopLimitError',
      'E_LOOP_LIMIT',
    ],
    [new SyncMLError('SyncBody', 'bad'), 'SyncMLError', 'E_SYNCML'],
    [new StateFileError('x.db: damaged'), 'StateFileError', 'E_STATE_FILE'],
    [new UsageError('--os: expected 1511'), 'UsageError', 'E_USAGE'],
  ] as const)('%s', (error, name, code) => {
    expect(error).toBeInstanceOf(DmpushError);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe(name);
    expect(error.code).toBe(code);
  });

  it('SyncMLError carries the wire status: 400 reading, 500 writing', () => {
    expect(new SyncMLError('', 'bad').status).toBe(400);
    expect(new SyncMLError('SyncHdr', 'cannot write', 500).status).toBe(500);
  });
});

describe('exit status by code, in one table', () => {
  it('usage, validation and state file problems exit 2', () => {
    expect(exitStatus('E_USAGE')).toBe(2);
    expect(exitStatus('E_VALIDATION')).toBe(2);
    expect(exitStatus('E_STATE_FILE')).toBe(2);
  });

  it('Commander: help and version exit 0, its other codes (bad flags) 2', () => {
    expect(exitStatus('commander.helpDisplayed')).toBe(0);
    expect(exitStatus('commander.version')).toBe(0);
    expect(exitStatus('commander.unknownOption')).toBe(2);
    expect(exitStatus('commander.missingMandatoryOptionValue')).toBe(2);
  });

  it('anything else exits 1', () => {
    expect(exitStatus('E_SYNCML')).toBe(1);
    expect(exitStatus('E_LOOP_LIMIT')).toBe(1);
    expect(exitStatus('E_SOMETHING_NEW')).toBe(1);
    expect(exitStatus(undefined)).toBe(1);
    expect(Object.values(EXIT_STATUS).every((s) => s === 0 || s === 2)).toBe(true);
  });
});

describe('what the CLI prints for an error', () => {
  it('a usage or validation error: its whole message (one problem per line)', () => {
    expect(failure(new ValidationError(['a: expected b', 'c: expected d']))).toEqual({
      status: 2,
      message: 'dmpush: a: expected b\nc: expected d\n',
    });
    expect(failure(new StateFileError('x.db: damaged'))).toEqual({
      status: 2,
      message: 'dmpush: x.db: damaged\n',
    });
  });

  it('any other error: one line, with its code when it has one, and no stack trace', () => {
    const unexpected = new TypeError('cannot read x\nsecond line');
    expect(unexpected.stack).toContain('errors.test.ts');
    expect(failure(unexpected)).toEqual({
      status: 1,
      message: 'dmpush: unexpected error: TypeError: cannot read x\n',
    });
    const loop = failure(new ClockLoopLimitError(10, 'T'));
    expect(loop.status).toBe(1);
    expect(loop.message).toMatch(
      /^dmpush: virtual clock: more than 10 events.*\(E_LOOP_LIMIT\)\n$/,
    );
    expect(failure('thrown text')).toEqual({
      status: 1,
      message: 'dmpush: unexpected error: thrown text\n',
    });
  });

  it('Commander errors print nothing more (Commander has said it)', () => {
    expect(failure(new CommanderError(2, 'commander.unknownOption', 'x'))).toEqual({
      status: 2,
      message: null,
    });
  });

  it('runCli exits 2 on a usage error and says why on standard error', async () => {
    let err = '';
    const code = await runCli(['schedule', '--os', '95', '--now', 'x', '--expiry', 'none'], {
      stdout: () => {},
      stderr: (t) => (err += t),
      readFile: () => '',
    });
    expect(code).toBe(2);
    expect(err).toMatch(/^dmpush: .+\n$/);
  });
});
