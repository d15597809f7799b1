/**
 * Building blocks of the CSP layouts in `windows-tree.ts`, `dmclient-nodes.ts`, `dmacc-nodes.ts`
 * and `certstore-nodes.ts`: the access-right sets the CSP tables use, value checks, and a list
 * of nodes (a dynamic child's template).
 */
import type { AccessType, DynamicNode, NodeFormat, NodeSpec } from './dm-tree.js';

export const G: readonly AccessType[] = ['Get'];
export const GR: readonly AccessType[] = ['Get', 'Replace'];
export const AG: readonly AccessType[] = ['Add', 'Get'];
export const AR: readonly AccessType[] = ['Add', 'Replace'];
export const AGR: readonly AccessType[] = ['Add', 'Get', 'Replace'];
export const DG: readonly AccessType[] = ['Delete', 'Get'];
export const ADG: readonly AccessType[] = ['Add', 'Delete', 'Get'];
export const ADGR: readonly AccessType[] = ['Add', 'Delete', 'Get', 'Replace'];

/** Minutes, counts, milliseconds: whole numbers from 0 (the format already refuses the rest). */
export function nonNegative(value: string): boolean {
  return Number(value) >= 0;
}

/** A check accepting an integer in `[min, max]` (the format already makes it an integer). */
export function between(min: number, max: number): (value: string) => boolean {
  return (value) => Number(value) >= min && Number(value) <= max;
}

/** A check accepting exactly one of `values`. */
export function oneOf(...values: string[]): (value: string) => boolean {
  return (value) => values.includes(value);
}

/** Nodes in definition order, parents first, with paths relative to a base. */
export class NodeList {
  readonly nodes: DynamicNode[] = [];

  /** An interior node (present unless `extra.startsAbsent`). */
  node(path: string, access: readonly AccessType[], extra: Partial<NodeSpec> = {}): this {
    this.nodes.push({ path, spec: { ...extra, format: 'node', access } });
    return this;
  }

  /** A stored leaf: present with `value`, or absent when `value` is undefined. */
  leaf(
    path: string,
    format: NodeFormat,
    value: string | undefined,
    access: readonly AccessType[],
    extra: Partial<NodeSpec> = {},
  ): this {
    const spec: NodeSpec =
      value === undefined ? { ...extra, format, access } : { ...extra, format, access, value };
    this.nodes.push({ path, spec });
    return this;
  }

  /** Any node, spec as given. */
  add(path: string, spec: NodeSpec): this {
    this.nodes.push({ path, spec });
    return this;
  }
}
