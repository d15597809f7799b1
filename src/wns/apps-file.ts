import { parseDocument } from 'yaml';
import { ValidationError } from '../core/errors.js';
import { appProblems, type WnsApp } from '../core/wns/apps.js';

/**
 * Parses an apps file: a YAML or JSON list of `{pfn, sid, secret}` (optionally `entraAppId`,
 * `tenant`). Throws {@link ValidationError} naming each bad entry, e.g. `apps[1].sid: …`.
 */
export function parseAppsFile(text: string, source = 'apps'): WnsApp[] {
  const doc = parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length)
    throw new ValidationError(doc.errors.map((e) => `${source}: ${e.message.split('\n')[0]}`));
  const data: unknown = doc.toJS();
  if (!Array.isArray(data)) {
    throw new ValidationError([
      `${source}: expected a list of apps, each {pfn, sid, secret}, got ${data === null ? 'nothing' : typeof data}`,
    ]);
  }
  const problems: string[] = [];
  const apps: WnsApp[] = [];
  const seen = new Set<string>();
  const seenEntra = new Set<string>();
  data.forEach((entry: unknown, i) => {
    const path = `apps[${i}]`;
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
      problems.push(`${path}: expected an object {pfn, sid, secret}`);
      return;
    }
    const e = entry as Record<string, unknown>;
    const unknown = Object.keys(e).filter(
      (k) => !['pfn', 'sid', 'secret', 'entraAppId', 'tenant'].includes(k),
    );
    for (const k of unknown) problems.push(`${path}.${k}: unknown field`);
    const found = appProblems(e, path);
    problems.push(...found);
    if (found.length === 0 && unknown.length === 0) {
      const app = e as unknown as WnsApp;
      if (seen.has(app.pfn)) problems.push(`${path}.pfn: ${app.pfn} is listed twice`);
      seen.add(app.pfn);
      if (app.entraAppId) {
        if (seenEntra.has(app.entraAppId))
          problems.push(`${path}.entraAppId: ${app.entraAppId} is listed twice`);
        seenEntra.add(app.entraAppId);
      }
      apps.push(app);
    }
  });
  if (problems.length) throw new ValidationError(problems);
  return apps;
}
