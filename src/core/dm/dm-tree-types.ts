/**
 * What a {@link DmTree} is made of and answers with: the SyncML status codes, the node formats and
 * access rights, how a node behaves ({@link NodeSpec}), and the shapes of its outcomes, listings
 * and saved state.
 *
 * Choices, where the reference leaves them open:
 * - A value the node's format cannot hold (an `int` that is not an integer, a `bool` other than
 *   `true`/`false`, bad base64) or that the node refuses (its `accepts` check) is 415 "unsupported
 *   type/format". The Item's own Meta Format is not checked: the node's declared format decides.
 */
import type { Command, Item } from '../syncml/message.js';

/** The `<Format>` of a node (OMA-DM TND). */
export type NodeFormat = 'chr' | 'int' | 'bool' | 'b64' | 'node' | 'null' | 'xml';

/** The operations a node's access rights can allow. */
export type AccessType = 'Add' | 'Delete' | 'Get' | 'Replace' | 'Exec';

/** The SyncML status codes the tree and the session engine use ([dmc] §2 "Status codes"). */
export const DmStatus = {
  Ok: 200,
  AuthenticationAccepted: 212,
  NotExecuted: 215,
  AtomicRollbackOk: 216,
  BadRequest: 400,
  InvalidCredentials: 401,
  Forbidden: 403,
  NotFound: 404,
  NotAllowed: 405,
  UnsupportedFeature: 406,
  AuthenticationRequired: 407,
  UnsupportedFormat: 415,
  AlreadyExists: 418,
  CommandFailed: 500,
  AtomicFailed: 507,
  AtomicRollbackFailed: 516,
} as const;

/** Whether a status code is a success (2xx). */
export function isSuccess(code: number): boolean {
  return code >= 200 && code < 300;
}

/**
 * How a node behaves. A leaf is either *stored* (the tree keeps its value; `value` is the initial
 * one, and without it the leaf starts absent) or *bound* (`read` gives its value from the device
 * each time; `null` means the node is absent). Interior nodes (`format: 'node'`) always start
 * present. The hooks are side effects that run when a change is committed (at once outside an
 * Atomic, at the Atomic's commit inside one). After a committed change a bound leaf shows what
 * `read` then returns, so its hooks should update what `read` reads (a `remove` that makes `read`
 * return a default brings the node straight back).
 */
export interface NodeSpec {
  readonly format: NodeFormat;
  readonly access: readonly AccessType[];
  /** Initial value of a stored leaf. */
  readonly value?: string;
  /** Makes the leaf bound: its current value, or `null` when it does not exist. */
  readonly read?: () => string | null;
  /** Side effect of a successful Add or Replace of this leaf. */
  readonly write?: (value: string) => void;
  /**
   * Side effect of a Delete of this node or of an ancestor (only while the node is present);
   * `direct` is true when the Delete named this node itself.
   */
  readonly remove?: (direct: boolean) => void;
  /** Side effect of an Exec, given the Item's Data. Without it, Exec is 406. */
  readonly exec?: (data: string | undefined) => void;
  /** A check beyond the format (e.g. non-negative); a refused value is 415. */
  readonly accepts?: (value: string) => boolean;
  /**
   * A check of a change against the leaf's current value (as the Atomic sees it): the status that
   * refuses it, or null. `next` is the value of an Add or Replace, null for a Delete naming this
   * leaf (a Delete of an ancestor is not checked). Runs after `accepts`.
   */
  readonly refuse?: (next: string | null, current: string) => number | null;
  /** A stored leaf that always exists: Delete restores its initial `value` (a CSP default). */
  readonly resetOnDelete?: boolean;
  /** An interior node that starts absent: a server Adds it (DMAcc's `AppAuth`). */
  readonly startsAbsent?: boolean;
  /** Makes an interior node dynamic: its children come and go by name (see {@link DynamicChildren}). */
  readonly children?: DynamicChildren;
  /**
   * The tree owner's bookkeeping, not a node of the management tree: commands, Get listings and
   * {@link DmTree.list} do not see it; {@link DmTree.peek} and {@link DmTree.poke} read and write
   * it, and it is saved with the tree's state.
   */
  readonly hidden?: boolean;
}

/** One node of a dynamic child: its path relative to the child (`''` for the child itself). */
export interface DynamicNode {
  readonly path: string;
  readonly spec: NodeSpec;
}

/** How the children of a dynamic interior node are made (a CSP's `{Name}` node). */
interface DynamicChildren {
  /**
   * The nodes of a child named `name`, parents first, the first being the child itself (an
   * interior node, path `''`); `null` refuses the name (Add is 405). Each call must return new
   * specs bound to that name.
   */
  nodes(name: string): readonly DynamicNode[] | null;
  /**
   * The child is created by the Add of one of its leaves, not by an Add of its own (CertificateStore
   * `{CertHash}`: "implicitly created only when the EncodedCertificate node is added").
   */
  readonly implicit?: boolean;
}

/**
 * What a tree stores beyond its definition (durable state): each stored node whose presence or
 * value differs from what it was defined with, and each child a dynamic node created (its own
 * entry first, then those of its nodes that differ from their template's defaults), in creation
 * order. Bound leaves are the device's state, saved there.
 */
export type DmTreeState = readonly {
  readonly uri: string;
  readonly present: boolean;
  readonly value: string;
}[];

/** One node as {@link DmTree.list} shows it. */
export interface DmNodeListing {
  readonly uri: string;
  readonly format: NodeFormat;
  readonly access: readonly AccessType[];
  /** A leaf's value; `null` for an interior node and for a leaf no Get may read (a secret). */
  readonly value: string | null;
}

/** The status of one Item (or of a whole command that has no per-Item status). */
interface ItemStatus {
  readonly code: number;
  /** The Item's Target LocURI as the server wrote it (the Status' TargetRef). */
  readonly target?: string;
  /** For a successful Get: the Results item (`source`, `meta.format`, `data`). */
  readonly result?: Item;
}

/** What running one command produced. */
export interface CommandOutcome {
  readonly command: Command;
  /** One per Item for node commands; a single one for containers and other commands. */
  readonly statuses: readonly ItemStatus[];
  /** The outcomes of a container's commands, in order. */
  readonly children: readonly CommandOutcome[];
}

/** A node's presence and value as defined. */
export function initialOf(spec: NodeSpec): { present: boolean; value: string } {
  const present = spec.format === 'node' ? spec.startsAbsent !== true : spec.value !== undefined;
  return { present, value: spec.value ?? '' };
}

/** Whether `value` fits the node: its format and its own check. */
export function acceptable(spec: NodeSpec, value: string): boolean {
  return fitsFormat(spec.format, value) && (spec.accepts?.(value) ?? true);
}

/** Whether `value` is a valid value of `format`. */
export function fitsFormat(format: NodeFormat, value: string): boolean {
  switch (format) {
    case 'int':
      return /^-?\d+$/.test(value) && Number.isSafeInteger(Number(value));
    case 'bool':
      return value === 'true' || value === 'false';
    case 'b64': {
      const compact = value.replace(/\s+/g, '');
      return compact.length % 4 === 0 && /^[A-Za-z0-9+/]*={0,2}$/.test(compact);
    }
    default:
      return true;
  }
}
