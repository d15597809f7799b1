/**
 * The dynamic nodes of a {@link DmTree}: children of an interior node that come and go by name
 * (a CSP's `{Name}` node), made from the node's template ({@link NodeSpec.children}).
 *
 * Choices, where the reference leaves them open:
 * - Only declared nodes exist: Add of an undeclared node under an existing node is 405; under a
 *   missing parent it is 404. The exception is a *dynamic* interior node (a CSP's `{Name}` node,
 *   {@link DynamicChildren}): Add of a new child creates it from the node's template, with its
 *   descendants and their defaults; Delete removes it and all it holds. A child the template
 *   marks `implicit` is created by the Add of one of its leaves instead (CertificateStore's
 *   `{CertHash}`), and a name the template refuses is 405.
 */
import type { DmNodes, Entry } from './dm-tree-nodes.js';
import { DmStatus, initialOf } from './dm-tree-types.js';
import type { Work } from './dm-tree-work.js';
import { lastSegment, parentOf } from './dm-uri.js';

/**
 * For an Add of an undeclared node: the dynamic child it names (not yet present: the Add's own
 * rights and rules then apply to it), or, below a missing implicit child, the leaf after that
 * child was created. Otherwise the Add's status: 404 under a missing parent, 405 for a node
 * nobody may create.
 */
export function materialize(nodes: DmNodes, uri: string, work: Work): Entry | number {
  const parentUri = parentOf(uri);
  if (parentUri === null) return DmStatus.NotFound;
  const parent = nodes.visible(parentUri);
  if (parent) {
    if (!nodes.exists(parentUri, work)) return DmStatus.NotFound;
    const dynamic = parent.spec.children;
    if (!dynamic || dynamic.implicit) return DmStatus.NotAllowed;
    return instantiate(nodes, parent, lastSegment(uri), work) ?? DmStatus.NotAllowed;
  }
  const grandUri = parentOf(parentUri);
  const grand = grandUri === null ? undefined : nodes.visible(grandUri);
  if (!grand || grandUri === null || !nodes.exists(grandUri, work)) return DmStatus.NotFound;
  if (!grand.spec.children?.implicit) return DmStatus.NotFound;
  const child = instantiate(nodes, grand, lastSegment(parentUri), work);
  if (!child) return DmStatus.NotAllowed;
  resetChild(nodes, child, work);
  return nodes.visible(uri) ?? DmStatus.NotAllowed;
}

/** A saved dynamic child: created again (absent until its saved entry says otherwise). */
export function recreateSaved(nodes: DmNodes, uri: string, work: Work): Entry | undefined {
  const parentUri = parentOf(uri);
  const parent = parentUri === null ? undefined : nodes.get(parentUri);
  if (!parent?.spec.children) return undefined;
  return instantiate(nodes, parent, lastSegment(uri), work) ?? undefined;
}

/**
 * Defines the nodes of a new dynamic child of `parent` (the child itself absent: an Add stages
 * it present), or returns null when the template refuses the name.
 */
function instantiate(nodes: DmNodes, parent: Entry, name: string, work: Work): Entry | null {
  const uri = `${parent.uri}/${name}`;
  const template = parent.spec.children?.nodes(name);
  if (!template || nodes.has(uri)) return null;
  const [first] = template;
  if (first?.path !== '' || first.spec.format !== 'node')
    throw new Error(`DmTree: the template of '${parent.uri}' must start with its child node`);
  let root: Entry | undefined;
  for (const { path, spec } of template) {
    const entry = nodes.add(path === '' ? uri : `${uri}/${path}`, spec, true);
    root ??= entry;
  }
  const child = root as Entry;
  child.present = false;
  work.touched.add(uri);
  return child;
}

/**
 * Stages a dynamic child present with every node at its default: stored nodes as defined, and
 * dynamic children of its own gone (an Add after a Delete starts afresh, as a new child does).
 */
export function resetChild(nodes: DmNodes, entry: Entry, work: Work): void {
  work.staged.set(entry.uri, { present: true, value: '' });
  const visit = (uri: string): void => {
    const e = nodes.entry(uri);
    if (e.instance && nodes.isDynamicChild(e)) {
      stageAbsent(nodes, e, work);
      return;
    }
    if (!e.spec.read) work.staged.set(uri, initialOf(e.spec));
    e.children.forEach(visit);
  };
  entry.children.forEach(visit);
}

function stageAbsent(nodes: DmNodes, entry: Entry, work: Work): void {
  work.staged.set(entry.uri, { present: false, value: '' });
  if (entry.instance && nodes.isDynamicChild(entry)) work.touched.add(entry.uri);
  for (const child of entry.children) stageAbsent(nodes, nodes.entry(child), work);
}

/**
 * Drops the dynamic children the work created or deleted that are absent now that it is over
 * (deleted, or created by a command that failed or was rolled back), with all their nodes.
 */
export function prune(nodes: DmNodes, work: Work): void {
  for (const uri of work.touched) {
    const entry = nodes.get(uri);
    if (entry && entry.instance && !entry.present) nodes.drop(entry);
  }
}
