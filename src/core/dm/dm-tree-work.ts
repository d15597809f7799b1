/**
 * The staging of a {@link DmTree}'s changes: a {@link Work} holds what one Item (outside an
 * Atomic) or a whole Atomic changes, and the side effects waiting for its commit; nothing is
 * stored until the tree commits it. Also the outcomes of commands that were not executed (215)
 * or were rolled back (216), and the device's own transactions ({@link DmTransaction}).
 */
import type { Command, Item, NodeCommand } from '../syncml/message.js';
import { DmStatus, isSuccess, type CommandOutcome } from './dm-tree-types.js';

export interface MutableStatus {
  code: number;
  readonly target?: string;
  result?: Item;
}

export interface MutableOutcome {
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
export class Work {
  readonly staged = new Map<string, { present: boolean; value: string }>();
  readonly effects: Effect[] = [];
  /** Dynamic children created or deleted: those absent once the work is over are dropped. */
  readonly touched = new Set<string>();
  /** The nodes an Add of this work created (an Atomic refuses a Replace of them). */
  readonly added = new Set<string>();
  /** A command inside the Atomic failed: the rest is not executed. */
  failed = false;
  /**
   * @param atomic - an Atomic (or the device's own transaction): changes wait for its commit.
   * @param serverAtomic - a server's Atomic: a Replace of a node its Add created is refused
   *   ({@link added}); the device's own transactions are not bound by that rule.
   */
  constructor(
    readonly atomic: boolean,
    readonly serverAtomic = false,
  ) {}
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

export function statusOf(code: number, target: string | undefined): MutableStatus {
  return target === undefined ? { code } : { code, target };
}

/** The outcome of a command that was not executed (215), with its Items and inner commands. */
export function notExecuted(command: Command, code: number = DmStatus.NotExecuted): MutableOutcome {
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
export function markRolledBack(outcome: MutableOutcome): void {
  for (const status of outcome.statuses) {
    if (!isSuccess(status.code) || status.code === DmStatus.NotExecuted) continue;
    status.code = DmStatus.AtomicRollbackOk;
    delete status.result;
  }
  outcome.children.forEach(markRolledBack);
}

/** A CmdID must be present and not `0` ([dmc] §2: "CmdIDs are unique and never '0'"). */
export function validCmdId(cmdId: string): boolean {
  return cmdId !== '' && cmdId !== '0';
}
