/**
 * A generic OMA-DM management tree: nodes with a format and access rights, addressed by normalized
 * absolute URIs (`./A/B`), answering SyncML node commands with SyncML status codes
 * ([dmc] §2 "Status codes"). Atomic commands are staged and committed all at once; Sequence
 * commands run in order. No XML and no I/O: commands and outcomes are the plain objects of
 * `../syncml/message.ts`.
 *
 * The parts: what nodes and outcomes are (`dm-tree-types.ts`), their URIs (`dm-uri.ts`), the node
 * table (`dm-tree-nodes.ts`), dynamic nodes (`dm-tree-templates.ts`), one Item of a node command
 * (`dm-tree-items.ts`), the staging of changes (`dm-tree-work.ts`); this module runs commands
 * and commits them.
 *
 * Choices, where the reference leaves them open (the others are in those modules):
 * - One status per Item (with its TargetRef), not one per command. A command with no Item gets a
 *   single 400.
 * - The device's own access is not a server's: {@link DmTree.peek} reads any node whatever its
 *   rights (a secret no Get may read), {@link DmTree.poke} writes a stored leaf without hooks, and
 *   {@link DmTree.transaction} runs the device's changes as one Atomic.
 * - A handler that throws makes its Item 500.
 * - Inside an Atomic or a Sequence, an Alert is 406 and a Status or Results 400 (not commands to
 *   run there). A Sequence runs all its commands, each with its own status, and is itself 200.
 * - An element that is not a command the device runs (`Copy`, `Map`, an unknown name: the codec's
 *   `Unsupported`) is 400, wherever it is ([OMA]: "the status code 400 is returned for that
 *   element"); inside an Atomic that fails the Atomic like any other failure.
 * - In an Atomic, processing stops at the first failure: later Items and commands get 215 (not
 *   executed), earlier successes 216 (rolled back), the Atomic 507. A Get inside an Atomic is 500,
 *   and so is a nested Atomic (its commands 215) [dmc §2]; both fail the Atomic.
 */
import { ValidationError } from '../errors.js';
import type {
  Command,
  ContainerCommand,
  NodeCommand,
  UnsupportedCommand,
} from '../syncml/message.js';
import { runItem } from './dm-tree-items.js';
import { DmNodes, type Entry } from './dm-tree-nodes.js';
import { prune, recreateSaved } from './dm-tree-templates.js';
import {
  DmStatus,
  acceptable,
  initialOf,
  isSuccess,
  type CommandOutcome,
  type DmNodeListing,
  type DmTreeState,
  type NodeSpec,
} from './dm-tree-types.js';
import {
  Work,
  markRolledBack,
  notExecuted,
  statusOf,
  validCmdId,
  type DmTransaction,
  type MutableOutcome,
  type MutableStatus,
  type TransactionResult,
} from './dm-tree-work.js';
import { normalizeUri } from './dm-uri.js';

export { DmStatus, normalizeUri };
export type {
  AccessType,
  CommandOutcome,
  DmNodeListing,
  DmTreeState,
  DynamicNode,
  NodeFormat,
  NodeSpec,
} from './dm-tree-types.js';
export type { DmTransaction, TransactionResult } from './dm-tree-work.js';

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

  private readonly nodes = new DmNodes();

  /**
   * Declares a node. Its parent must already be declared and be interior; the URI must be new.
   * Throws an `Error` otherwise (a programming error in the tree layout).
   */
  define(uri: string, spec: NodeSpec): this {
    const normalized = normalizeUri(uri);
    if (normalized === null || normalized === '.')
      throw new Error(`DmTree.define: '${uri}' is not a valid node URI`);
    this.nodes.add(normalized, spec, false);
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
    this.nodes.addAlias(f, t);
    return this;
  }

  /**
   * Runs one server command (a node command, an Atomic, a Sequence, or an element that is not a
   * command the device runs: 400) and returns its statuses.
   * Outside an Atomic each Item takes effect (and its hooks run) before the next one.
   */
  run(command: NodeCommand | ContainerCommand | UnsupportedCommand): CommandOutcome {
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
      prune(this.nodes, work);
      throw error;
    }
    let result: TransactionResult = 'rolled-back';
    if (!work.failed) result = this.commitAtomic(work) ? 'committed' : 'side-effect-failed';
    prune(this.nodes, work);
    return result;
  }

  /** The value a Get of `uri` would return (child names for an interior node), or `null`. */
  read(uri: string): string | null {
    const status = runItem(this.nodes, 'Get', { target: uri }, new Work(false));
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
    const resolved = this.nodes.resolve(uri);
    const entry = resolved === null ? undefined : this.nodes.get(resolved);
    if (!entry || !this.nodes.exists(entry.uri, work)) return null;
    return entry.spec.format === 'node'
      ? this.nodes.childNames(entry, work)
      : this.nodes.valueOf(entry, work);
  }

  /**
   * The device's own write of a stored leaf (a hidden one, typically): no access check, no hooks,
   * run as an update of the owner's record. Throws an `Error` for a node that is not a stored
   * leaf or a value its format refuses (programming errors).
   */
  poke(uri: string, value: string): void {
    const resolved = this.nodes.resolve(uri);
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
      const entry = this.nodes.entry(uri);
      if (uri !== '.') {
        if (entry.spec.hidden || !this.nodes.selfPresent(entry, work)) return;
        const leaf = entry.spec.format !== 'node' && entry.spec.access.includes('Get');
        out.push({
          uri,
          format: entry.spec.format,
          access: entry.spec.access,
          value: leaf ? this.nodes.valueOf(entry, work) : null,
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
      case 'Unsupported':
        return { command, statuses: [{ code: DmStatus.BadRequest }], children: [] };
    }
  }

  private runNodeCommand(command: NodeCommand, txn: Work | null): MutableOutcome {
    if (command.items.length === 0)
      return { command, statuses: [{ code: DmStatus.BadRequest }], children: [] };
    const statuses = command.items.map((item) => {
      if (txn?.failed) return statusOf(DmStatus.NotExecuted, item.target);
      const work = txn ?? new Work(false);
      const status = runItem(this.nodes, command.kind, item, work);
      if (!isSuccess(status.code)) {
        if (txn) txn.failed = true;
      } else if (!txn) {
        this.commitItem(work);
      }
      if (!txn) prune(this.nodes, work);
      return status;
    });
    return { command, statuses, children: [] };
  }

  private runAtomic(command: ContainerCommand): MutableOutcome {
    const work = new Work(true, true);
    const children = command.commands.map((c) => this.runCommand(c, work));
    const outcome: MutableOutcome = { command, statuses: [{ code: DmStatus.Ok }], children };
    const [own] = outcome.statuses as [MutableStatus];
    if (work.failed) {
      children.forEach(markRolledBack);
      own.code = DmStatus.AtomicFailed;
    } else if (!this.commitAtomic(work)) {
      own.code = DmStatus.AtomicRollbackFailed;
    }
    prune(this.nodes, work);
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

  /** The stored nodes that differ from their definition (see {@link DmTreeState}). */
  saveState(): DmTreeState {
    const out: { uri: string; present: boolean; value: string }[] = [];
    for (const e of this.nodes.all()) {
      if (e.spec.read || e.uri === '.') continue;
      const initial = initialOf(e.spec);
      const created = e.instance && this.nodes.isDynamicChild(e);
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
      const entry = this.nodes.get(s.uri) ?? recreateSaved(this.nodes, s.uri, created);
      if (!entry || entry.spec.read || entry.uri === '.')
        throw new ValidationError([`tree: '${s.uri}' is not a stored node of this tree`]);
      if (s.present && entry.spec.format !== 'node' && !acceptable(entry.spec, s.value))
        throw new ValidationError([
          `tree: '${s.uri}': ${JSON.stringify(s.value)} is not a valid value of this ${entry.spec.format} node`,
        ]);
      entry.present = s.present;
      entry.value = s.value;
    }
    prune(this.nodes, created);
  }
}
