/**
 * Reading a `wap-provisioningdoc` for {@link applyProvisioning}: each element named by its path
 * (`characteristic[type=APPLICATION]/parm[name=ADDR]`), the checks every parm goes through, the
 * error naming the element a document fails on, and the {@link Step} a characteristic maps to.
 *
 * Rules the documents impose (w7 APPLICATION CSP): parm names and characteristic types are case
 * sensitive. A parm's `datatype`, when given, must be `integer`, `boolean` or `string` and fit its
 * value.
 */
import { DmpushError } from '../errors.js';
import type { WapCharacteristic, WapParm } from '../enroll/wap-doc.js';
import { validProviderId } from './dmclient-nodes.js';

/** Longest {@link ProvisioningApplyError} message (values can be certificates). */
const MAX_MESSAGE_LENGTH = 400;

/**
 * A provisioning document the device's tree cannot apply. Code `E_PROVISIONING_APPLY`. The tree
 * is unchanged (unless the reason says a side effect failed after the changes were stored).
 *
 * @example
 * ```ts
 * new ProvisioningApplyError('characteristic[type=APPLICATION]/parm[name=ADDR]', 'missing').message;
 * // 'characteristic[type=APPLICATION]/parm[name=ADDR]: missing'
 * ```
 */
export class ProvisioningApplyError extends DmpushError {
  /**
   * @param path - The element: `characteristic[type=…]` steps from the document's root (with a
   *   1-based `[n]` when several siblings share the type), then `parm[name=…]`; `''` for the
   *   document as a whole.
   * @param reason - What is wrong.
   */
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    const full = path === '' ? reason : `${path}: ${reason}`;
    super(
      'E_PROVISIONING_APPLY',
      full.length > MAX_MESSAGE_LENGTH ? `${full.slice(0, MAX_MESSAGE_LENGTH)}…` : full,
    );
  }
}

/** One change, with the document element it comes from. */
export type Step =
  /** An interior node: Add when absent. */
  | { readonly op: 'node'; readonly path: string; readonly uri: string }
  /** A leaf: Add when absent, else Replace. */
  | { readonly op: 'set'; readonly path: string; readonly uri: string; readonly value: string }
  /** A node to start afresh: Delete when present. */
  | { readonly op: 'clear'; readonly path: string; readonly uri: string };

export function fail(path: string, reason: string): never {
  throw new ProvisioningApplyError(path, reason);
}

/** A value in a message: quoted, cut to 40 characters. */
export function show(value: string): string {
  return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
}

/** `characteristic[type=…]` paths of `children`, with `[n]` when a type repeats. */
export function located(
  parent: string,
  children: readonly WapCharacteristic[],
): [WapCharacteristic, string][] {
  const seen = new Map<string, number>();
  return children.map((c) => {
    const total = children.filter((o) => o.type === c.type).length;
    const n = (seen.get(c.type) ?? 0) + 1;
    seen.set(c.type, n);
    const step = `characteristic[type=${c.type}]${total > 1 ? `[${n}]` : ''}`;
    return [c, parent === '' ? step : `${parent}/${step}`];
  });
}

export function parmPath(path: string, parm: WapParm): string {
  return `${path}/parm[name=${parm.name}]`;
}

/** Checks a parm's `datatype` against its value. */
export function checkDatatype(path: string, parm: WapParm): void {
  if (parm.datatype === undefined) return;
  const value = parm.value ?? '';
  switch (parm.datatype) {
    case 'string':
      return;
    case 'integer':
      if (!/^-?\d+$/.test(value)) fail(path, `${show(value)} is not an integer`);
      return;
    case 'boolean':
      if (value !== 'true' && value !== 'false') fail(path, `${show(value)} is not true or false`);
      return;
    default:
      fail(path, `unknown datatype ${show(parm.datatype)} (integer, boolean or string)`);
  }
}

/** The parm's value; a parm without one is refused. */
export function valueOf(path: string, parm: WapParm): string {
  if (parm.value === undefined) fail(path, 'has no value');
  checkDatatype(path, parm);
  return parm.value;
}

/** The parms of a characteristic by name; a name given twice is refused unless `firstWins`. */
export function parmsByName(
  path: string,
  parms: readonly WapParm[],
  known: readonly string[],
  firstWins: readonly string[] = [],
): Map<string, WapParm> {
  const out = new Map<string, WapParm>();
  for (const parm of parms) {
    const at = parmPath(path, parm);
    if (!known.includes(parm.name))
      fail(at, known.length <= 5 ? `unknown parm (${known.join(', ')})` : 'unknown parm');
    if (out.has(parm.name)) {
      if (firstWins.includes(parm.name)) continue;
      fail(at, 'given twice');
    }
    out.set(parm.name, parm);
  }
  return out;
}

/** The path and value of the parm `name`, which must be there and not empty. */
export function required(
  path: string,
  parms: Map<string, WapParm>,
  name: string,
): [string, string] {
  const parm = parms.get(name);
  if (!parm) fail(`${path}/parm[name=${name}]`, 'missing');
  const at = parmPath(path, parm);
  const value = valueOf(at, parm);
  if (value === '') fail(at, 'is empty');
  return [at, value];
}

export function noChildren(path: string, c: WapCharacteristic): void {
  const [first] = located(path, c.children);
  if (first) fail(first[1], 'unknown characteristic');
}

export function noParms(path: string, c: WapCharacteristic): void {
  const [parm] = c.parms;
  if (parm) fail(parmPath(path, parm), 'unknown parm');
}

/** A node name taken from the document: one URI segment. */
export function segment(path: string, name: string): string {
  if (!validProviderId(name)) fail(path, `${show(name)} is not a node name (one URI segment)`);
  return name;
}

export const WHOLE_NUMBER = /^\d+$/;
