/**
 * One Item of a node command (Get, Add, Replace, Delete, Exec) run against a {@link DmTree}:
 * checked against the node's rights, format and presence, and staged in a {@link Work} with its
 * side effects; the status says how it went.
 *
 * Choices, where the reference leaves them open:
 * - An Exec on a node without an `exec` handler is 406 "unsupported feature" (not modelled).
 * - Inside an Atomic, a Replace of a node an earlier Add of the same Atomic created is 406 ([OMA]
 *   DM protocol commands: "Performing an Add command followed by Replace on the same node within an
 *   Atomic element isn't supported"; the code is an assumption: 406 "Optional feature not
 *   supported"), which fails the Atomic.
 */
import type { Item, NodeCommand } from '../syncml/message.js';
import type { DmNodes, Entry } from './dm-tree-nodes.js';
import { materialize, resetChild } from './dm-tree-templates.js';
import { DmStatus, acceptable } from './dm-tree-types.js';
import { statusOf, type MutableStatus, type Work } from './dm-tree-work.js';

/**
 * Runs one Item in `work` and returns its status: 400 for a missing or malformed Target, 500 for
 * a Get inside an Atomic or when the node's own code (a bound `read`, an `accepts` check, a
 * template) throws.
 */
export function runItem(
  nodes: DmNodes,
  kind: NodeCommand['kind'],
  item: Item,
  work: Work,
): MutableStatus {
  const target = item.target;
  const status = statusOf(DmStatus.Ok, target);
  const fail = (code: number): MutableStatus => ({ ...status, code });
  if (target === undefined) return fail(DmStatus.BadRequest);
  const uri = nodes.resolve(target);
  if (uri === null) return fail(DmStatus.BadRequest);
  // [dmc] §2: 500 for a "Get inside Atomic".
  if (kind === 'Get' && work.atomic) return fail(DmStatus.CommandFailed);
  try {
    const code = apply(nodes, kind, uri, item, work, status);
    return code === DmStatus.Ok ? status : fail(code);
  } catch {
    return fail(DmStatus.CommandFailed);
  }
}

/** Validates and stages one Item; returns its status code. */
function apply(
  nodes: DmNodes,
  kind: NodeCommand['kind'],
  uri: string,
  item: Item,
  work: Work,
  status: MutableStatus,
): number {
  let entry = nodes.visible(uri);
  if (!entry) {
    if (kind !== 'Add') return DmStatus.NotFound;
    const created = materialize(nodes, uri, work);
    if (typeof created === 'number') return created;
    entry = created;
  }
  const { spec } = entry;
  if (!spec.access.includes(kind)) return DmStatus.NotAllowed;
  const interior = spec.format === 'node';
  switch (kind) {
    case 'Add': {
      if (entry.parent !== null && !nodes.exists(entry.parent, work)) return DmStatus.NotFound;
      if (nodes.selfPresent(entry, work)) return DmStatus.AlreadyExists;
      work.added.add(entry.uri);
      if (!interior) return write(entry, item, work, status, nodes);
      if (nodes.isDynamicChild(entry)) resetChild(nodes, entry, work);
      else stage(entry, '', work);
      return DmStatus.Ok;
    }
    case 'Replace':
      if (!nodes.exists(uri, work)) return DmStatus.NotFound;
      if (work.serverAtomic && work.added.has(entry.uri)) return DmStatus.UnsupportedFeature;
      return interior ? DmStatus.NotAllowed : write(entry, item, work, status, nodes);
    case 'Delete': {
      if (!nodes.exists(uri, work)) return DmStatus.NotFound;
      const refused = entry.spec.refuse?.(null, nodes.valueOf(entry, work)) ?? null;
      if (refused !== null) return refused;
      removeSubtree(nodes, entry, work, status, true);
      return DmStatus.Ok;
    }
    case 'Exec': {
      if (!nodes.exists(uri, work)) return DmStatus.NotFound;
      const exec = spec.exec;
      if (!exec) return DmStatus.UnsupportedFeature;
      work.effects.push({ run: () => exec(item.data), status });
      return DmStatus.Ok;
    }
    case 'Get': {
      if (!nodes.exists(uri, work)) return DmStatus.NotFound;
      const data = interior ? nodes.childNames(entry, work) : nodes.valueOf(entry, work);
      status.result =
        spec.format === 'null'
          ? { source: status.target ?? uri, meta: { format: spec.format } }
          : { source: status.target ?? uri, meta: { format: spec.format }, data };
      return DmStatus.Ok;
    }
  }
}

function write(
  entry: Entry,
  item: Item,
  work: Work,
  status: MutableStatus,
  nodes: DmNodes,
): number {
  const value = entry.spec.format === 'null' ? '' : (item.data ?? '');
  if (!acceptable(entry.spec, value)) return DmStatus.UnsupportedFormat;
  const refused = entry.spec.refuse?.(value, nodes.valueOf(entry, work)) ?? null;
  if (refused !== null) return refused;
  const hook = entry.spec.write;
  if (hook) work.effects.push({ run: () => hook(value), status });
  return stage(entry, value, work);
}

function stage(entry: Entry, value: string, work: Work): number {
  work.staged.set(entry.uri, { present: true, value });
  return DmStatus.Ok;
}

/** Stages the node and its present descendants as absent, queuing their `remove` hooks. */
function removeSubtree(
  nodes: DmNodes,
  entry: Entry,
  work: Work,
  status: MutableStatus,
  direct: boolean,
): void {
  if (!nodes.selfPresent(entry, work)) return;
  const { resetOnDelete, value } = entry.spec;
  work.staged.set(
    entry.uri,
    resetOnDelete && value !== undefined ? { present: true, value } : { present: false, value: '' },
  );
  if (entry.instance && nodes.isDynamicChild(entry)) work.touched.add(entry.uri);
  const hook = entry.spec.remove;
  if (hook) work.effects.push({ run: () => hook(direct), status });
  for (const child of entry.children) removeSubtree(nodes, nodes.entry(child), work, status, false);
}
