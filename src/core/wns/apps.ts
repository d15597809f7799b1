import { ValidationError } from '../errors.js';
import { isWellFormedPfn, PFN_FORM } from '../dmclient/pfn.js';
import { MapTable, type RecordTable } from '../state/state-store.js';

/**
 * An app registered with WNS: its Package Family Name, Package SID and client secret (the
 * classic credentials), optionally an Entra application id and tenant (the Windows App SDK flow).
 */
export interface WnsApp {
  readonly pfn: string;
  /** `ms-app://S-1-15-2-…` */
  readonly sid: string;
  readonly secret: string;
  readonly entraAppId?: string;
  readonly tenant?: string;
}

const SID_PATTERN = /^ms-app:\/\/S-1-15-2(-\d+){7}$/;
const SID_FORM = 'ms-app://S-1-15-2- followed by seven dash-separated numbers';

/** The problems of an app entry, each as `field: expected …` (empty when valid). */
export function appProblems(app: Partial<Record<keyof WnsApp, unknown>>, path = ''): string[] {
  const at = (field: string): string => (path ? `${path}.${field}` : field);
  const problems: string[] = [];
  if (typeof app.pfn !== 'string' || !isWellFormedPfn(app.pfn)) {
    problems.push(
      `${at('pfn')}: expected a Package Family Name (${PFN_FORM}), got ${JSON.stringify(app.pfn)}`,
    );
  }
  if (typeof app.sid !== 'string' || !SID_PATTERN.test(app.sid)) {
    problems.push(
      `${at('sid')}: expected a Package SID (${SID_FORM}), got ${JSON.stringify(app.sid)}`,
    );
  }
  if (typeof app.secret !== 'string' || app.secret.length < 8) {
    problems.push(`${at('secret')}: expected a client secret of at least 8 characters`);
  }
  for (const field of ['entraAppId', 'tenant'] as const) {
    if (app[field] !== undefined && (typeof app[field] !== 'string' || app[field] === '')) {
      problems.push(`${at(field)}: expected a non-empty string`);
    }
  }
  return problems;
}

/** The apps WNS knows, looked up by PFN, SID or Entra application id. */
export class AppRegistry {
  private readonly bySid = new Map<string, WnsApp>();
  private readonly byEntraId = new Map<string, WnsApp>();

  constructor(
    apps: Iterable<WnsApp> = [],
    /** Where the apps are kept, by PFN (a state store's `wns-app` table); the rest are indexes. */
    private readonly byPfn: RecordTable<WnsApp> = new MapTable('wns-app'),
  ) {
    for (const app of apps) this.add(app);
  }

  /** Apps registered. */
  get size(): number {
    return this.byPfn.size;
  }

  /** Registers an app. Throws {@link ValidationError} naming the bad field or the clash. */
  add(app: WnsApp): void {
    const problems = appProblems(app);
    if (this.byPfn.has(app.pfn))
      problems.push(`pfn: an app with PFN ${app.pfn} is already registered`);
    if (this.bySid.has(app.sid))
      problems.push(`sid: an app with SID ${app.sid} is already registered`);
    if (app.entraAppId && this.byEntraId.has(app.entraAppId)) {
      problems.push(
        `entraAppId: an app with Entra application id ${app.entraAppId} is already registered`,
      );
    }
    if (problems.length) throw new ValidationError(problems);
    const copy: WnsApp = { ...app };
    this.byPfn.set(app.pfn, copy);
    this.bySid.set(app.sid, copy);
    if (app.entraAppId) this.byEntraId.set(app.entraAppId, copy);
  }

  byPackageSid(sid: string): WnsApp | undefined {
    return this.bySid.get(sid);
  }

  byEntraAppId(id: string): WnsApp | undefined {
    return this.byEntraId.get(id);
  }

  byPackageFamilyName(pfn: string): WnsApp | undefined {
    return this.byPfn.get(pfn);
  }

  has(pfn: string): boolean {
    return this.byPfn.has(pfn);
  }

  /** Every app with its secret, in registration order (for durable state only). */
  all(): WnsApp[] {
    return [...this.byPfn.values()].map((app) => ({ ...app }));
  }

  /** Every app, without secrets (for listings and logs). */
  list(): Array<Omit<WnsApp, 'secret'>> {
    return [...this.byPfn.values()].map(({ secret: _secret, ...rest }) => rest);
  }

  clear(): void {
    this.byPfn.clear();
    this.bySid.clear();
    this.byEntraId.clear();
  }
}
