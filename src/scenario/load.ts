import { ValidationError } from '../core/errors.js';
import type { SimulationSpec } from '../core/simulation.js';
import { resolveScenario, type ResolveOptions } from './resolve.js';
import { formatIssues, scenarioSchema, type ScenarioFile } from './schema.js';
import { readYaml } from './yaml-read.js';

/**
 * Parses scenario text (YAML, of which JSON is a subset) within the limits of `yaml-read.ts` and
 * validates it. Throws {@link ValidationError} listing every problem as `path: expected …, got …`;
 * `source` names the file in messages.
 */
export function parseScenario(text: string, source = 'scenario'): ScenarioFile {
  const data = readYaml(text, source);
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new ValidationError([
      `${source}: expected a mapping with "devices" (and optionally seed, start, duration, events), got ${data === null ? 'an empty document' : Array.isArray(data) ? 'a list' : typeof data}`,
    ]);
  }
  const result = scenarioSchema.safeParse(data, { reportInput: true });
  if (!result.success) throw new ValidationError(formatIssues(result.error));
  return result.data;
}

/** Parses, validates and resolves scenario text into a runnable spec. */
export function loadScenario(
  text: string,
  options: ResolveOptions = {},
  source?: string,
): SimulationSpec {
  return resolveScenario(parseScenario(text, source), options);
}
