import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { hostnameOf, isLocalName, sameSecret, servesHost } from '../../src/adapters/http/access.js';
import { exposureWarning } from '../../src/cli/exposure.js';
import { allowHostArg, apiTokenArg } from '../../src/cli/program/access.js';

describe('Host names a local server answers to', () => {
  it('reads the name of a Host header: lowercase, no port, brackets or final dot', () => {
    expect(hostnameOf('LocalHost:7070')).toBe('localhost');
    expect(hostnameOf('[::1]:8080')).toBe('::1');
    expect(hostnameOf('dmpush.test.')).toBe('dmpush.test');
    expect(hostnameOf('evil.example/x')).toBeNull();
    expect(hostnameOf('user@host')).toBeNull();
    expect(hostnameOf('')).toBeNull();
  });

  it('local names: localhost and below, loopback addresses, the unspecified addresses', () => {
    for (const name of [
      'localhost',
      'app.localhost',
      '127.0.0.1',
      '127.8.9.10',
      '::1',
      '0:0:0:0:0:0:0:1',
      '::ffff:127.0.0.1',
      '0.0.0.0',
      '::',
    ])
      expect(isLocalName(name), name).toBe(true);
    for (const name of ['localhost.evil.example', '10.0.0.5', '128.0.0.1', '::2', 'evil.example'])
      expect(isLocalName(name), name).toBe(false);
  });

  it('a rebound DNS name is refused; the address a request arrived on and --allow-host names are served', () => {
    expect(servesHost({}, 'attacker.example', '127.0.0.1')).toBe(false);
    expect(servesHost({}, '192.168.1.5', '192.168.1.5')).toBe(true);
    expect(servesHost({}, '192.168.1.5', '::ffff:192.168.1.5')).toBe(true);
    expect(servesHost({}, '192.168.1.6', '192.168.1.5')).toBe(false);
    const policy = { allowHosts: ['dmpush.test', '*.corp.example'] };
    expect(servesHost(policy, 'dmpush.test', '127.0.0.1')).toBe(true);
    expect(servesHost(policy, 'mdm.corp.example', '127.0.0.1')).toBe(true);
    expect(servesHost(policy, 'corp.example', '127.0.0.1')).toBe(false);
    expect(servesHost(policy, 'evilcorp.example', '127.0.0.1')).toBe(false);
  });

  it('compares secrets whatever their lengths', () => {
    expect(sameSecret('a-long-api-token-1', 'a-long-api-token-1')).toBe(true);
    expect(sameSecret('a-long-api-token-1', 'a-long-api-token-2')).toBe(false);
    expect(sameSecret('short', 'a-long-api-token-1')).toBe(false);
  });
});

describe('the access options', () => {
  it('--allow-host takes names, addresses and *.domain, repeatable and comma-separated', () => {
    expect(allowHostArg('Dmpush.Test,10.0.0.5', ['a.test'])).toEqual([
      'a.test',
      'dmpush.test',
      '10.0.0.5',
    ]);
    expect(allowHostArg('*.corp.example')).toEqual(['*.corp.example']);
    expect(allowHostArg('[::1]')).toEqual(['[::1]']);
  });

  it.each(['dmpush.test:8080', 'http://dmpush.test', '*', 'a..b', 'bad host', ''])(
    '--allow-host %j is refused naming the value',
    (value) => {
      expect(() => allowHostArg(value)).toThrow(InvalidArgumentError);
      expect(() => allowHostArg(value)).toThrow(/expected a host name/);
    },
  );

  it('--api-token: at least 16 visible characters', () => {
    expect(apiTokenArg('0123456789abcdef')).toBe('0123456789abcdef');
    expect(() => apiTokenArg('short')).toThrow(/at least 16 characters/);
    expect(() => apiTokenArg('with a space in it!')).toThrow(/without spaces/);
  });

  it('binding beyond loopback without a token warns that the APIs have no authentication', () => {
    expect(exposureWarning('127.0.0.1', undefined, 'the control API')).toBeNull();
    expect(exposureWarning('localhost', undefined, 'the control API')).toBeNull();
    expect(exposureWarning('0.0.0.0', 'a-token-of-sixteen', 'the control API')).toBeNull();
    for (const host of ['0.0.0.0', '::', '192.168.1.5'])
      expect(exposureWarning(host, undefined, 'the control API')).toMatch(
        /^warning: --host .* makes the control API reachable from the network without authentication.*--api-token/,
      );
  });
});
