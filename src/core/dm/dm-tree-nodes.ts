/**
 * The node table of a {@link DmTree}: an entry per declared (or dynamically created) node, with
 * its spec, its children and a stored node's presence and value; the other spellings of nodes
 * (aliases); and the tree as a {@link Work} sees it, its staged changes first.
 *
 * Choices, where the reference leaves them open:
 * - Hidden nodes ({@link NodeSpec.hidden}) are the tree owner's bookkeeping, saved with the tree:
 *   to commands they do not exist (Get 404, Add 405) and listings leave them out.
 * - An alias ({@link DmTree.alias}) is another spelling of a node and its subtree (the
 *   CertificateStore CSP's `ROOT` for `Root`); a Result's Source echoes the spelling used.
 */
import { fitsFormat, initialOf, type NodeSpec } from './dm-tree-types.js';
import type { Work } from './dm-tree-work.js';
import { lastSegment, normalizeUri, parentOf } from './dm-uri.js';

export interface Entry {
  readonly uri: string;
  readonly parent: string | null;
  readonly spec: NodeSpec;
  /** Child URIs in definition order. */
  readonly children: string[];
  /** Created as (part of) a dynamic child, not defined with the tree. */
  readonly instance: boolean;
  /** Presence and value of a stored node (unused for bound leaves). */
  present: boolean;
  value: string;
}

/** The nodes of one tree, by normalized URI, the root (`.`) included. */
export class DmNodes {
  private readonly entries = new Map<string, Entry>([
    [
      '.',
      {
        uri: '.',
        parent: null,
        spec: { format: 'node', access: ['Get'] },
        children: [],
        instance: false,
        present: true,
        value: '',
      },
    ],
  ]);

  /** Other spellings of a node: `[from, to]`, absolute normalized URIs. */
  private readonly aliases: [string, string][] = [];

  /** Every entry, parents before their children. */
  all(): IterableIterator<Entry> {
    return this.entries.values();
  }

  get(uri: string): Entry | undefined {
    return this.entries.get(uri);
  }

  has(uri: string): boolean {
    return this.entries.has(uri);
  }

  /** The entry at `uri`; throws when there is none (a programming error). */
  entry(uri: string): Entry {
    const entry = this.entries.get(uri);
    if (!entry) throw new Error(`DmTree: no node '${uri}'`);
    return entry;
  }

  /** The node commands see at `uri`: hidden nodes are not there. */
  visible(uri: string): Entry | undefined {
    const entry = this.entries.get(uri);
    return entry && !entry.spec.hidden ? entry : undefined;
  }

  /**
   * Adds the entry of a node (`instance`: part of a dynamic child) under its parent. Throws an
   * `Error` when the URI is taken, the parent is not an interior node or the initial value does
   * not fit the format.
   */
  add(uri: string, spec: NodeSpec, instance: boolean): Entry {
    if (this.entries.has(uri)) throw new Error(`DmTree.define: '${uri}' is already defined`);
    const parentUri = parentOf(uri) as string;
    const parent = this.entries.get(parentUri);
    if (!parent || parent.spec.format !== 'node')
      throw new Error(`DmTree.define: the parent of '${uri}' is not an interior node`);
    if (spec.value !== undefined && !fitsFormat(spec.format, spec.value))
      throw new Error(`DmTree.define: '${spec.value}' is not a valid ${spec.format} value`);
    parent.children.push(uri);
    const entry: Entry = {
      uri,
      parent: parentUri,
      spec,
      children: [],
      instance,
      ...initialOf(spec),
    };
    this.entries.set(uri, entry);
    return entry;
  }

  /** Removes the entry and those of all its descendants. */
  drop(entry: Entry): void {
    for (const child of [...entry.children]) this.drop(this.entry(child));
    const parent = this.entry(entry.parent as string);
    parent.children.splice(parent.children.indexOf(entry.uri), 1);
    this.entries.delete(entry.uri);
  }

  /** Makes `from` another spelling of `to` (both normalized, neither the root). */
  addAlias(from: string, to: string): void {
    this.aliases.push([from, to]);
  }

  /** The tree's own spelling of a LocURI (normalized, aliases applied), or null when malformed. */
  resolve(uri: string): string | null {
    const normalized = normalizeUri(uri);
    if (normalized === null) return null;
    for (const [from, to] of this.aliases)
      if (normalized === from || normalized.startsWith(`${from}/`))
        return to + normalized.slice(from.length);
    return normalized;
  }

  /** Whether the entry is a child of a dynamic node (created by Add, removed by Delete). */
  isDynamicChild(entry: Entry): boolean {
    return entry.parent !== null && this.entry(entry.parent).spec.children !== undefined;
  }

  /** The node is present and so are all its ancestors. */
  exists(uri: string, work: Work): boolean {
    for (let at: string | null = uri; at !== null; at = parentOf(at)) {
      const entry = this.entries.get(at);
      if (!entry || !this.selfPresent(entry, work)) return false;
    }
    return true;
  }

  selfPresent(entry: Entry, work: Work): boolean {
    const staged = work.staged.get(entry.uri);
    if (staged) return staged.present;
    return entry.spec.read ? entry.spec.read() !== null : entry.present;
  }

  valueOf(entry: Entry, work: Work): string {
    const staged = work.staged.get(entry.uri);
    if (staged) return staged.value;
    return entry.spec.read ? (entry.spec.read() ?? '') : entry.value;
  }

  /** The names of an interior node's present children, `/`-separated (hidden ones left out). */
  childNames(entry: Entry, work: Work): string {
    return entry.children
      .filter((child) => {
        const e = this.entry(child);
        return !e.spec.hidden && this.selfPresent(e, work);
      })
      .map(lastSegment)
      .join('/');
  }
}
