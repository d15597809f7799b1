import { describe, expect, it } from 'vitest';
import { runCli } from '../src/cli/main.js';

describe('dmpush demo', () => {
  it('lists the built-in demos', async () => {
    let out = '';
    const code = await runCli(['demo'], { stdout: (t) => (out += t), stderr: () => {}, readFile: () => '' });
    expect(code).toBe(0);
    expect(out).toContain('renewal-day-15');
  });
});
