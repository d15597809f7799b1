/**
 * A generic OMA-DM management tree: nodes with a format and access rights, addressed by normalized
 * absolute URIs (`./A/B`), answering SyncML node commands with SyncML status codes
 * ([dmc] §2 "Status codes"). Atomic commands are staged and committed all at once; Sequence
 * commands run in order. No XML and no I/O: commands and outcomes are the plain objects of
 * `../syncml/message.ts`.
 *
 * Choices, where the reference leaves them open:
 * - One status per Item (with its TargetRef), not one per command. A command with no Item gets a
 *   single 400.
 * - A malformed LocURI (starting with `/`, containing `//`, a `.` or `..` segment) is 400, "bad
 *   request (bad element)"; [KI] "A LocURI cannot start with '/'".
 * - A value the node's format cannot hold (an `int` that is not an integer, a `bool` other than
 *   `true`/`false`, bad base64) or that the node refuses (its `accepts` check) is 415 "unsupported
 *   type/format". The Item's own Meta Format is not checked: the node's declared format decides.
 * - Only declared nodes exist: Add of an undeclared node under an existing node is 405; under a
 *   missing parent it is 404. The exception is a *dynamic* interior node (a CSP's `{Name}` node,
 *   {@link DynamicChildren}): Add of a new child creates it from the node's template, with its
 *   descendants and their defaults; Delete removes it and all it holds. A child the template
 *   marks `implicit` is created by the Add of one of its leaves instead (CertificateStore's
 *   `{CertHash}`), and a name the template refuses is 405.
 * - Hidden nodes ({@link NodeSpec.hidden}) are the tree owner's bookkeeping, saved with the tree:
 *   to commands they do not exist (Get 404, Add 405) and listings leave them out.
 * - An alias ({@link DmTree.alias}) is another spelling of a node and its subtree (the
 *   CertificateStore CSP's `ROOT` for `Root`); a Result's Source echoes the spelling used.
 * - The device's own access is not a server's: {@link DmTree.peek} reads any node whatever its
 *   rights (a secret no Get may read), {@link DmTree.poke} writes a stored leaf without hooks, and
 *   {@link DmTree.transaction} runs the device's changes as one Atomic.
 * - An Exec on a node without an `exec` handler is 406 "unsupported feature" (not modelled).
 * - A handler that throws makes its Item 500.
 * - Inside an Atomic or a Sequence, an Alert is 406 and a Status or Results 400 (not commands to
 *   run there). A Sequence runs all its commands, each with its own status, and is itself 200.
 * - In an Atomic, processing stops at the first failure: later Items and commands get 215 (not
 *   executed), earlier successes 216 (rolled back), the Atomic 507. A Get inside an Atomic is 500,
 *   and so is a nested Atomic (its commands 215) [dmc §2]; both fail the Atomic.
 */
import { ValidationError } from '../errors.js';
import type { Command, ContainerCommand, Item, NodeCommand } from '../syncml/message.js';

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
function isSuccess(code: number): boolean {
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

/**
 * Normalizes a LocURI to the tree's absolute form: `./A/B`, or `.` for the root. A trailing `/`
 * is dropped, a relative URI (`A/B`) is taken from the root, and `./Device/Vendor/…` is the same
 * node as `./Vendor/…` (Windows' device-scope alias; `./User/…` is not modelled). Returns `null`
 * for a malformed URI: empty, starting with `/`, or with an empty, `.` or `..` segment.
 */
export function normalizeUri(uri: string): string | null {
  let rest = uri.length > 1 && uri.endsWith('/') ? uri.slice(0, -1) : uri;
  if (rest === '.') return '.';
  if (rest.startsWith('./')) rest = rest.slice(2);
  const segments = rest.split('/');
  if (segments.some((s) => s === '' || s === '.' || s === '..')) return null;
  if (segments[0] === 'Device' && segments[1] === 'Vendor') segments.shift();
  return `./${segments.join('/')}`;
}

function parentOf(uri: string): string | null {
  if (uri === '.') return null;
  return uri.slice(0, uri.lastIndexOf('/'));
}

/** A node's presence and value as defined. */
function initialOf(spec: NodeSpec): { present: boolean; value: string } {
  const present = spec.format === 'node' ? spec.startsAbsent !== true : spec.value !== undefined;
  return { present, value: spec.value ?? '' };
}

/** Whether `value` fits the node: its format and its own check. */
function acceptable(spec: NodeSpec, value: string): boolean {
  return fitsFormat(spec.format, value) && (spec.accepts?.(value) ?? true);
}

function lastSegment(uri: string): string {
  return uri.slice(uri.lastIndexOf('/') + 1);
}

/** Whether `value` is a valid value of `format`. */
function fitsFormat(format: NodeFormat, value: string): boolean {
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

interface Entry {
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

interface MutableStatus {
  code: number;
  readonly target?: string;
  result?: Item;
}

interface MutableOutcome {
  readonly command: Command;
  readonly statuses: MutableStatus[];
  readonly children: MutableOutcome[];
}

/** A side effect waiting for its commit, and the status to mark 500 if it throws. */
interface Effect {
  readonly run: () => void;
  readonly status: MutableStatus;
}

/** Staged changes: one Item outside an Atomic, the whole Atomic inside one. */
class Work {
  readonly staged = new Map<string, { present: boolean; value: string }>();
  readonly effects: Effect[] = [];
  /** Dynamic children created or deleted: those absent once the work is over are dropped. */
  readonly touched = new Set<string>();
  /** A command inside the Atomic failed: the rest is not executed. */
  failed = false;
  constructor(readonly atomic: boolean) {}
}

/** The device's own changes as one Atomic: see {@link DmTree.transaction}. */
export interface DmTransaction {
  /** Runs a node command inside the transaction (a Get is 500, as in an Atomic). */
  run(command: NodeCommand): CommandOutcome;
  /** {@link DmTree.peek} as the transaction sees the tree: its staged changes included. */
  peek(uri: string): string | null;
}

/** How a {@link DmTree.transaction} ended. */
export type TransactionResult =
  /** Every change is stored and every side effect ran. */
  | 'committed'
  /** A command failed: nothing changed. */
  | 'rolled-back'
  /** Stored, but a side effect threw (its Item's status is 500; an Atomic's 516). */
  | 'side-effect-failed';

const NODE_COMMANDS: ReadonlySet<Command['kind']> = new Set([
  'Get',
  'Add',
  'Replace',
  'Delete',
  'Exec',
]);

function isNodeCommand(command: Command): command is NodeCommand {
  return NODE_COMMANDS.has(command.kind);
}

function statusOf(code: number, target: string | undefined): MutableStatus {
  return target === undefined ? { code } : { code, target };
}

/** The outcome of a command that was not executed (215), with its Items and inner commands. */
function notExecuted(command: Command, code: number = DmStatus.NotExecuted): MutableOutcome {
  if (command.kind === 'Atomic' || command.kind === 'Sequence')
    return {
      command,
      statuses: [{ code }],
      children: command.commands.map((c) => notExecuted(c)),
    };
  const statuses =
    isNodeCommand(command) && command.items.length > 0
      ? command.items.map((item) => statusOf(code, item.target))
      : [{ code }];
  return { command, statuses, children: [] };
}

/** After a failed Atomic: every executed success becomes 216 and loses its result. */
function markRolledBack(outcome: MutableOutcome): void {
  for (const status of outcome.statuses) {
    if (!isSuccess(status.code) || status.code === DmStatus.NotExecuted) continue;
    status.code = DmStatus.AtomicRollbackOk;
    delete status.result;
  }
  outcome.children.forEach(markRolledBack);
}

/** A CmdID must be present and not `0` ([dmc] §2: "CmdIDs are unique and never '0'"). */
function validCmdId(cmdId: string): boolean {
  return cmdId !== '' && cmdId !== '0';
}

/**
 * A DM tree. Declare nodes with {@link DmTree.define} (parents first), then run server commands
 * with {@link DmTree.run}.
 *
 * @example
 * ```ts
 * const tree = new DmTree()
 *   .define('./DevInfo', { format: 'node', access: ['Get'] })
 *   .define('./DevInfo/Lang', { format: 'chr', access: ['Get'], value: 'en-US' });
 * tree.run({ kind: 'Replace', cmdId: '2', items: [{ target: './DevInfo/Lang', data: 'fr' }] });
 * // statuses: [{ code: 405, target: './DevInfo/Lang' }]
 * ```
 */
export class DmTree {
  /**
   * @param update runs each change of the stored nodes: the tree is part of its owner's record
   *   (a device's), so its changes run as updates of that record (see `RecordTable.update`).
   */
  constructor(private readonly update: (change: () => void) => void = (change) => change()) {}

  private readonly nodes = new Map<string, Entry>([
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

  /**
   * Declares a node. Its parent must already be declared and be interior; the URI must be new.
   * Throws an `Error` otherwise (a programming error in the tree layout).
   */
  define(uri: string, spec: NodeSpec): this {
    const normalized = normalizeUri(uri);
    if (normalized === null || normalized === '.')
      throw new Error(`DmTree.define: '${uri}' is not a valid node URI`);
    this.add(normalized, spec, false);
    return this;
  }

  /**
   * Makes `from` another spelling of the node `to` and of everything below it (a CSP that
   * documents its nodes in one case and is addressed in another). Both are absolute URIs.
   */
  alias(from: string, to: string): this {
    const f = normalizeUri(from);
    const t = normalizeUri(to);
    if (f === null || t === null || f === '.' || t === '.')
      throw new Error(`DmTree.alias: '${from}' → '${to}' is not a pair of node URIs`);
    this.aliases.push([f, t]);
    return this;
  }

  private add(uri: string, spec: NodeSpec, instance: boolean): Entry {
    if (this.nodes.has(uri)) throw new Error(`DmTree.define: '${uri}' is already defined`);
    const parentUri = parentOf(uri) as string;
    const parent = this.nodes.get(parentUri);
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
    this.nodes.set(uri, entry);
    return entry;
  }

  /** The tree's own spelling of a LocURI (normalized, aliases applied), or null when malformed. */
  private resolve(uri: string): string | null {
    const normalized = normalizeUri(uri);
    if (normalized === null) return null;
    for (const [from, to] of this.aliases)
      if (normalized === from || normalized.startsWith(`${from}/`))
        return to + normalized.slice(from.length);
    return normalized;
  }

  /**
   * Runs one server command (a node command, an Atomic or a Sequence) and returns its statuses.
   * Outside an Atomic each Item takes effect (and its hooks run) before the next one.
   */
  run(command: NodeCommand | ContainerCommand): CommandOutcome {
    return this.runCommand(command, null);
  }

  /**
   * Runs the device's own changes (a provisioning document, not a server's commands) as one
   * Atomic: each `tx.run` is staged and seen by the later ones and by `tx.peek`; when `body`
   * returns, everything is stored and the side effects run, unless a command failed (then nothing
   * changes, and the later commands were not executed: 215). If `body` throws, nothing changes and
   * the error propagates.
   */
  transaction(body: (tx: DmTransaction) => void): TransactionResult {
    const work = new Work(true);
    try {
      body({
        run: (command) => this.runCommand(command, work),
        peek: (uri) => this.peekIn(uri, work),
      });
    } catch (error) {
      this.prune(work);
      throw error;
    }
    let result: TransactionResult = 'rolled-back';
    if (!work.failed) result = this.commitAtomic(work) ? 'committed' : 'side-effect-failed';
    this.prune(work);
    return result;
  }

  /** The value a Get of `uri` would return (child names for an interior node), or `null`. */
  read(uri: string): string | null {
    const status = this.runItem('Get', { target: uri }, new Work(false));
    return status.result?.data ?? (status.code === DmStatus.Ok ? '' : null);
  }

  /**
   * What the device itself reads at `uri` (its own code, not a server's Get): the value whatever
   * the access rights (a secret a Get may not read, a hidden node), the present children's names
   * for an interior node (`A/B`), or `null` when the node or one of its ancestors is absent.
   */
  peek(uri: string): string | null {
    return this.peekIn(uri, new Work(false));
  }

  private peekIn(uri: string, work: Work): string | null {
    const resolved = this.resolve(uri);
    const entry = resolved === null ? undefined : this.nodes.get(resolved);
    if (!entry || !this.exists(entry.uri, work)) return null;
    return entry.spec.format === 'node' ? this.childNames(entry, work) : this.valueOf(entry, work);
  }

  /**
   * The device's own write of a stored leaf (a hidden one, typically): no access check, no hooks,
   * run as an update of the owner's record. Throws an `Error` for a node that is not a stored
   * leaf or a value its format refuses (programming errors).
   */
  poke(uri: string, value: string): void {
    const resolved = this.resolve(uri);
    const entry = resolved === null ? undefined : this.nodes.get(resolved);
    if (!entry || entry.spec.read || entry.spec.format === 'node')
      throw new Error(`DmTree.poke: '${uri}' is not a stored leaf`);
    if (!acceptable(entry.spec, value))
      throw new Error(`DmTree.poke: '${value}' is not a valid value of '${uri}'`);
    this.update(() => {
      entry.present = true;
      entry.value = value;
    });
  }

  /**
   * The present nodes below the root, depth first in definition order: each with its format,
   * access rights and, for a leaf, its value (a bound leaf's is read now; `null` for a leaf no Get
   * may read). Read-only: no hooks run. Hidden nodes are left out.
   */
  list(): DmNodeListing[] {
    const out: DmNodeListing[] = [];
    const work = new Work(false);
    const visit = (uri: string): void => {
      const entry = this.entry(uri);
      if (uri !== '.') {
        if (entry.spec.hidden || !this.selfPresent(entry, work)) return;
        const leaf = entry.spec.format !== 'node' && entry.spec.access.includes('Get');
        out.push({
          uri,
          format: entry.spec.format,
          access: entry.spec.access,
          value: leaf ? this.valueOf(entry, work) : null,
        });
      }
      for (const child of entry.children) visit(child);
    };
    visit('.');
    return out;
  }

  private runCommand(command: Command, txn: Work | null): MutableOutcome {
    if (txn?.failed) return notExecuted(command);
    const outcome = this.dispatch(command, txn);
    if (txn && !outcome.statuses.every((s) => isSuccess(s.code))) txn.failed = true;
    return outcome;
  }

  private dispatch(command: Command, txn: Work | null): MutableOutcome {
    if (!validCmdId(command.cmdId)) return notExecuted(command, DmStatus.BadRequest);
    switch (command.kind) {
      case 'Get':
      case 'Add':
      case 'Replace':
      case 'Delete':
      case 'Exec':
        return this.runNodeCommand(command, txn);
      case 'Atomic':
        // An Atomic inside an Atomic fails ([dmc] §2: 500 "also nested Atomic").
        if (txn) return { ...notExecuted(command), statuses: [{ code: DmStatus.CommandFailed }] };
        return this.runAtomic(command);
      case 'Sequence':
        return {
          command,
          statuses: [{ code: DmStatus.Ok }],
          children: command.commands.map((c) => this.runCommand(c, txn)),
        };
      case 'Alert':
        return { command, statuses: [{ code: DmStatus.UnsupportedFeature }], children: [] };
      case 'Status':
      case 'Results':
        return { command, statuses: [{ code: DmStatus.BadRequest }], children: [] };
    }
  }

  private runNodeCommand(command: NodeCommand, txn: Work | null): MutableOutcome {
    if (command.items.length === 0)
      return { command, statuses: [{ code: DmStatus.BadRequest }], children: [] };
    const statuses = command.items.map((item) => {
      if (txn?.failed) return statusOf(DmStatus.NotExecuted, item.target);
      const work = txn ?? new Work(false);
      const status = this.runItem(command.kind, item, work);
      if (!isSuccess(status.code)) {
        if (txn) txn.failed = true;
      } else if (!txn) {
        this.commitItem(work);
      }
      if (!txn) this.prune(work);
      return status;
    });
    return { command, statuses, children: [] };
  }

  private runAtomic(command: ContainerCommand): MutableOutcome {
    const work = new Work(true);
    const children = command.commands.map((c) => this.runCommand(c, work));
    const outcome: MutableOutcome = { command, statuses: [{ code: DmStatus.Ok }], children };
    const [own] = outcome.statuses as [MutableStatus];
    if (work.failed) {
      children.forEach(markRolledBack);
      own.code = DmStatus.AtomicFailed;
    } else if (!this.commitAtomic(work)) {
      own.code = DmStatus.AtomicRollbackFailed;
    }
    this.prune(work);
    return outcome;
  }

  /** Outside an Atomic: runs the hooks; if one throws, the Item is 500 and nothing is stored. */
  private commitItem(work: Work): void {
    for (const effect of work.effects) {
      try {
        effect.run();
      } catch {
        effect.status.code = DmStatus.CommandFailed;
        return;
      }
    }
    this.install(work);
  }

  /**
   * At an Atomic's commit: stores everything, then runs every hook in command order. A hook that
   * throws marks its Item 500 and the result is `false` (516: side effects that already ran cannot
   * be undone, so the rest stays applied).
   */
  private commitAtomic(work: Work): boolean {
    this.install(work);
    let ok = true;
    for (const effect of work.effects) {
      try {
        effect.run();
      } catch {
        effect.status.code = DmStatus.CommandFailed;
        ok = false;
      }
    }
    return ok;
  }

  private install(work: Work): void {
    const changes = [...work.staged].filter(([uri]) => {
      const entry = this.nodes.get(uri);
      return entry !== undefined && !entry.spec.read;
    });
    if (changes.length === 0) return;
    this.update(() => {
      for (const [uri, change] of changes) {
        const entry = this.nodes.get(uri) as Entry;
        entry.present = change.present;
        entry.value = change.value;
      }
    });
  }

  /**
   * Drops the dynamic children the work created or deleted that are absent now that it is over
   * (deleted, or created by a command that failed or was rolled back), with all their nodes.
   */
  private prune(work: Work): void {
    for (const uri of work.touched) {
      const entry = this.nodes.get(uri);
      if (entry && entry.instance && !entry.present) this.drop(entry);
    }
  }

  private drop(entry: Entry): void {
    for (const child of [...entry.children]) this.drop(this.entry(child));
    const parent = this.entry(entry.parent as string);
    parent.children.splice(parent.children.indexOf(entry.uri), 1);
    this.nodes.delete(entry.uri);
  }

  /** Whether the entry is a child of a dynamic node (created by Add, removed by Delete). */
  private isDynamicChild(entry: Entry): boolean {
    return entry.parent !== null && this.entry(entry.parent).spec.children !== undefined;
  }

  /** The stored nodes that differ from their definition (see {@link DmTreeState}). */
  saveState(): DmTreeState {
    const out: { uri: string; present: boolean; value: string }[] = [];
    for (const e of this.nodes.values()) {
      if (e.spec.read || e.uri === '.') continue;
      const initial = initialOf(e.spec);
      const created = e.instance && this.isDynamicChild(e);
      if (created || e.present !== initial.present || e.value !== initial.value)
        out.push({ uri: e.uri, present: e.present, value: e.value });
    }
    return out;
  }

  /**
   * Takes back what {@link saveState} returned, on a tree defined the same way (dynamic children
   * are created again from their entries). Throws {@link ValidationError} naming a node that is not
   * a stored node of this tree, or a value the node refuses.
   */
  loadState(state: DmTreeState): void {
    const created = new Work(false);
    for (const s of state) {
      const entry = this.nodes.get(s.uri) ?? this.recreateSaved(s.uri, created);
      if (!entry || entry.spec.read || entry.uri === '.')
        throw new ValidationError([`tree: '${s.uri}' is not a stored node of this tree`]);
      if (s.present && entry.spec.format !== 'node' && !acceptable(entry.spec, s.value))
        throw new ValidationError([
          `tree: '${s.uri}': ${JSON.stringify(s.value)} is not a valid value of this ${entry.spec.format} node`,
        ]);
      entry.present = s.present;
      entry.value = s.value;
    }
    this.prune(created);
  }

  /** A saved dynamic child: created again (absent until its saved entry says otherwise). */
  private recreateSaved(uri: string, work: Work): Entry | undefined {
    const parentUri = parentOf(uri);
    const parent = parentUri === null ? undefined : this.nodes.get(parentUri);
    if (!parent?.spec.children) return undefined;
    return this.instantiate(parent, lastSegment(uri), work) ?? undefined;
  }

  private runItem(kind: NodeCommand['kind'], item: Item, work: Work): MutableStatus {
    const target = item.target;
    const status = statusOf(DmStatus.Ok, target);
    const fail = (code: number): MutableStatus => ({ ...status, code });
    if (target === undefined) return fail(DmStatus.BadRequest);
    const uri = this.resolve(target);
    if (uri === null) return fail(DmStatus.BadRequest);
    // [dmc] §2: 500 for a "Get inside Atomic".
    if (kind === 'Get' && work.atomic) return fail(DmStatus.CommandFailed);
    try {
      const code = this.apply(kind, uri, item, work, status);
      return code === DmStatus.Ok ? status : fail(code);
    } catch {
      return fail(DmStatus.CommandFailed);
    }
  }

  /** The node commands see at `uri`: hidden nodes are not there. */
  private visible(uri: string): Entry | undefined {
    const entry = this.nodes.get(uri);
    return entry && !entry.spec.hidden ? entry : undefined;
  }

  /** Validates and stages one Item; returns its status code. */
  private apply(
    kind: NodeCommand['kind'],
    uri: string,
    item: Item,
    work: Work,
    status: MutableStatus,
  ): number {
    let entry = this.visible(uri);
    if (!entry) {
      if (kind !== 'Add') return DmStatus.NotFound;
      const created = this.materialize(uri, work);
      if (typeof created === 'number') return created;
      entry = created;
    }
    const { spec } = entry;
    if (!spec.access.includes(kind)) return DmStatus.NotAllowed;
    const interior = spec.format === 'node';
    switch (kind) {
      case 'Add': {
        if (entry.parent !== null && !this.exists(entry.parent, work)) return DmStatus.NotFound;
        if (this.selfPresent(entry, work)) return DmStatus.AlreadyExists;
        if (!interior) return this.write(entry, item, work, status);
        if (this.isDynamicChild(entry)) this.reset(entry, work);
        else this.stage(entry, '', work);
        return DmStatus.Ok;
      }
      case 'Replace':
        if (!this.exists(uri, work)) return DmStatus.NotFound;
        return interior ? DmStatus.NotAllowed : this.write(entry, item, work, status);
      case 'Delete':
        if (!this.exists(uri, work)) return DmStatus.NotFound;
        this.removeSubtree(entry, work, status, true);
        return DmStatus.Ok;
      case 'Exec': {
        if (!this.exists(uri, work)) return DmStatus.NotFound;
        const exec = spec.exec;
        if (!exec) return DmStatus.UnsupportedFeature;
        work.effects.push({ run: () => exec(item.data), status });
        return DmStatus.Ok;
      }
      case 'Get': {
        if (!this.exists(uri, work)) return DmStatus.NotFound;
        const data = interior ? this.childNames(entry, work) : this.valueOf(entry, work);
        status.result =
          spec.format === 'null'
            ? { source: status.target ?? uri, meta: { format: spec.format } }
            : { source: status.target ?? uri, meta: { format: spec.format }, data };
        return DmStatus.Ok;
      }
    }
  }

  /**
   * For an Add of an undeclared node: the dynamic child it names (not yet present: the Add's own
   * rights and rules then apply to it), or, below a missing implicit child, the leaf after that
   * child was created. Otherwise the Add's status: 404 under a missing parent, 405 for a node
   * nobody may create.
   */
  private materialize(uri: string, work: Work): Entry | number {
    const parentUri = parentOf(uri);
    if (parentUri === null) return DmStatus.NotFound;
    const parent = this.visible(parentUri);
    if (parent) {
      if (!this.exists(parentUri, work)) return DmStatus.NotFound;
      const dynamic = parent.spec.children;
      if (!dynamic || dynamic.implicit) return DmStatus.NotAllowed;
      return this.instantiate(parent, lastSegment(uri), work) ?? DmStatus.NotAllowed;
    }
    const grandUri = parentOf(parentUri);
    const grand = grandUri === null ? undefined : this.visible(grandUri);
    if (!grand || grandUri === null || !this.exists(grandUri, work)) return DmStatus.NotFound;
    if (!grand.spec.children?.implicit) return DmStatus.NotFound;
    const child = this.instantiate(grand, lastSegment(parentUri), work);
    if (!child) return DmStatus.NotAllowed;
    this.reset(child, work);
    return this.visible(uri) ?? DmStatus.NotAllowed;
  }

  /**
   * Defines the nodes of a new dynamic child of `parent` (the child itself absent: an Add stages
   * it present), or returns null when the template refuses the name.
   */
  private instantiate(parent: Entry, name: string, work: Work): Entry | null {
    const uri = `${parent.uri}/${name}`;
    const nodes = parent.spec.children?.nodes(name);
    if (!nodes || this.nodes.has(uri)) return null;
    const [first] = nodes;
    if (first?.path !== '' || first.spec.format !== 'node')
      throw new Error(`DmTree: the template of '${parent.uri}' must start with its child node`);
    let root: Entry | undefined;
    for (const { path, spec } of nodes) {
      const entry = this.add(path === '' ? uri : `${uri}/${path}`, spec, true);
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
  private reset(entry: Entry, work: Work): void {
    work.staged.set(entry.uri, { present: true, value: '' });
    const visit = (uri: string): void => {
      const e = this.entry(uri);
      if (e.instance && this.isDynamicChild(e)) {
        this.stageAbsent(e, work);
        return;
      }
      if (!e.spec.read) work.staged.set(uri, initialOf(e.spec));
      e.children.forEach(visit);
    };
    entry.children.forEach(visit);
  }

  private stageAbsent(entry: Entry, work: Work): void {
    work.staged.set(entry.uri, { present: false, value: '' });
    if (entry.instance && this.isDynamicChild(entry)) work.touched.add(entry.uri);
    for (const child of entry.children) this.stageAbsent(this.entry(child), work);
  }

  private childNames(entry: Entry, work: Work): string {
    return entry.children
      .filter((child) => {
        const e = this.entry(child);
        return !e.spec.hidden && this.selfPresent(e, work);
      })
      .map(lastSegment)
      .join('/');
  }

  private write(entry: Entry, item: Item, work: Work, status: MutableStatus): number {
    const value = entry.spec.format === 'null' ? '' : (item.data ?? '');
    if (!acceptable(entry.spec, value)) return DmStatus.UnsupportedFormat;
    const hook = entry.spec.write;
    if (hook) work.effects.push({ run: () => hook(value), status });
    return this.stage(entry, value, work);
  }

  private stage(entry: Entry, value: string, work: Work): number {
    work.staged.set(entry.uri, { present: true, value });
    return DmStatus.Ok;
  }

  /** Stages the node and its present descendants as absent, queuing their `remove` hooks. */
  private removeSubtree(entry: Entry, work: Work, status: MutableStatus, direct: boolean): void {
    if (!this.selfPresent(entry, work)) return;
    const { resetOnDelete, value } = entry.spec;
    work.staged.set(
      entry.uri,
      resetOnDelete && value !== undefined
        ? { present: true, value }
        : { present: false, value: '' },
    );
    if (entry.instance && this.isDynamicChild(entry)) work.touched.add(entry.uri);
    const hook = entry.spec.remove;
    if (hook) work.effects.push({ run: () => hook(direct), status });
    for (const child of entry.children) this.removeSubtree(this.entry(child), work, status, false);
  }

  private entry(uri: string): Entry {
    const entry = this.nodes.get(uri);
    if (!entry) throw new Error(`DmTree: no node '${uri}'`);
    return entry;
  }

  /** The node is present and so are all its ancestors. */
  private exists(uri: string, work: Work): boolean {
    for (let at: string | null = uri; at !== null; at = parentOf(at)) {
      const entry = this.nodes.get(at);
      if (!entry || !this.selfPresent(entry, work)) return false;
    }
    return true;
  }

  private selfPresent(entry: Entry, work: Work): boolean {
    const staged = work.staged.get(entry.uri);
    if (staged) return staged.present;
    return entry.spec.read ? entry.spec.read() !== null : entry.present;
  }

  private valueOf(entry: Entry, work: Work): string {
    const staged = work.staged.get(entry.uri);
    if (staged) return staged.value;
    return entry.spec.read ? (entry.spec.read() ?? '') : entry.value;
  }
}
