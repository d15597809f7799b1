import type { IncomingMessage } from 'node:http';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  firstHeaderValues,
  hasTokenParameter,
  requestTarget,
  safeHeaderValue,
} from '../../src/adapters/http/http-util.js';

const withRawHeaders = (rawHeaders: string[]): IncomingMessage =>
  ({ rawHeaders }) as unknown as IncomingMessage;

describe('requestTarget', () => {
  it('splits origin-form targets by hand and parses the query only when asked', () => {
    const t = requestTarget('//x/path?token=abc&b=2');
    expect(t.path).toBe('//x/path');
    expect(t.search).toBe('token=abc&b=2');
    expect(t.query.get('b')).toBe('2');
    expect(requestTarget('?token=a').path).toBe('/');
    expect(requestTarget(undefined).path).toBe('/');
  });

  it('reads absolute-form targets through URL', () => {
    const t = requestTarget('http://host:1/a/b?token=t');
    expect(t.path).toBe('/a/b');
    expect(t.search).toBe('token=t');
    expect(t.query.get('token')).toBe('t');
  });
});

describe('hasTokenParameter', () => {
  it.each([
    ['token=abc', true],
    ['a=1&token=abc', true],
    ['token', true],
    ['token&x=1', true],
    ['%74oken=abc', true],
    ['tokens=abc', false],
    ['mytoken=abc', false],
    ['', false],
    ['x=token', false],
  ])('%s → %s', (search, expected) => {
    expect(hasTokenParameter(search)).toBe(expected);
  });

  it('agrees with URLSearchParams on arbitrary query strings', () => {
    const part = fc.stringMatching(/^[a-z%0-9=&+]{0,12}$/);
    fc.assert(
      fc.property(fc.array(part, { maxLength: 4 }), (parts) => {
        const search = parts.join('&');
        let expected: boolean;
        try {
          expected = new URLSearchParams(search).has('token');
        } catch {
          return;
        }
        expect(hasTokenParameter(search)).toBe(expected);
      }),
    );
  });
});

describe('firstHeaderValues', () => {
  it('lowercases names and keeps the first value of a repeated header', () => {
    const h = firstHeaderValues(
      withRawHeaders(['X-WNS-Type', 'wns/raw', 'x-wns-type', 'wns/toast', 'Host', 'h']),
    );
    expect({ ...h }).toEqual({ 'x-wns-type': 'wns/raw', host: 'h' });
  });

  it('has no prototype: a header named like an Object method is just a header', () => {
    const h = firstHeaderValues(withRawHeaders(['constructor', 'c', '__proto__', 'p']));
    expect(h['constructor']).toBe('c');
    expect(h['__proto__']).toBe('p');
    expect('toString' in h).toBe(false);
  });
});

describe('safeHeaderValue', () => {
  it('keeps valid values as they are and replaces characters Node refuses', () => {
    const valid = 'abc \t~\u00e9';
    expect(safeHeaderValue(valid)).toBe(valid);
    expect(safeHeaderValue('a\nb\u0000c\u2028')).toBe('a?b?c?');
  });
});
