import type { ServeOptions } from '../../src/cli/commands/serve.js';

/** `dmpush serve` for tests: the e2e fleet, a virtual clock, any free ports, no output. */
export const TEST_SERVE: ServeOptions = {
  scenario: 'fixtures/serve/e2e.yaml',
  clock: 'virtual',
  host: '127.0.0.1',
  port: 0,
  wnsPort: 0,
  mdmPort: 0,
  logLevel: 'silent',
  timeline: false,
};
