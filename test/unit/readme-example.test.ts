import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { expect, it } from 'vitest';
// Imported through the package entries, as a user would (`from 'dmpush'`, `'dmpush/testing'`).
import { decideRenewal, SeededRandom, DAY, HOUR } from '../../src/index.js';
import { renewalInputArb } from '../../src/testing/index.js';
import { fixture } from '../helpers/run-scenario.js';

it('README example: unless waiting for the 15-day mark, a device tries again within 28 h', () => {
  fc.assert(
    fc.property(renewalInputArb, fc.integer(), (input, seed) => {
      const d = decideRenewal(input, new SeededRandom(seed));
      if (d.rule === 'fifteen-day-mark') return d.at === input.expiry! - 15 * DAY;
      return d.at - input.now <= 28 * HOUR;
    }),
  );
});

it('README example: the 28 h bound is tight (an expired channel can wait the whole 28 h)', () => {
  const now = Date.UTC(2026, 0, 20);
  const latest = decideRenewal(
    { os: '1511', now, expiry: now, networkConnected: true },
    new SeededRandom(1),
  ).latest;
  expect(latest - now).toBe(28 * HOUR);
});

/** The trimmed lines of the `fc.property(renewalInputArb, …)` call in a text, up to its `}),`. */
function propertyLines(text: string): string[] {
  const lines = text.split('\n').map((line) => line.trim());
  const start = lines.findIndex((line) => line.startsWith('fc.property(renewalInputArb'));
  return start < 0 ? [] : lines.slice(start, lines.indexOf('}),', start) + 1);
}

it('the README shows the property this file checks', () => {
  const readme = propertyLines(readFileSync(fixture('README.md'), 'utf8'));
  const here = propertyLines(readFileSync(fixture('test/unit/readme-example.test.ts'), 'utf8'));
  expect(here.length).toBeGreaterThan(2);
  expect(readme).toEqual(here);
});
