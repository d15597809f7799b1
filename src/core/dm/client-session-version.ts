/**
 * The DM session protocol version a session uses: the `SyncApplicationVersion` of the session's
 * provider, read from the tree when the session starts, so a server's Replace of it counts from
 * the next session ([DMC]: "If the server is updated to support 2.0, then you should set this
 * value to 2.0. In the next session, check to see if there is a client behavior change between
 * 1.0 and 2.0"). See `sync-version.ts` for the rules and what 2.0 changes.
 */
import { DMCLIENT, PUSH_PROVIDER } from './dmclient-nodes.js';
import type { DmTree } from './dm-tree.js';
import { DEFAULT_SYNC_VERSION, validSyncVersion } from './sync-version.js';

/**
 * The session's provider: the DM account's (`serverId`), else the one holding the PFN, else the
 * first provider in the tree (**assumption**: a device without enrollment has one provider).
 */
function sessionProvider(tree: DmTree, accountServerId: string | undefined): string | null {
  if (accountServerId !== undefined) return accountServerId;
  const owner = tree.peek(PUSH_PROVIDER);
  if (owner !== null && owner !== '') return owner;
  const first = tree.peek(`${DMCLIENT}/Provider`)?.split('/')[0];
  return first === undefined || first === '' ? null : first;
}

/**
 * The protocol version of a session that starts now: the provider's `SyncApplicationVersion`,
 * `1.0` when there is no provider or the node holds no valid value.
 */
export function sessionSyncVersion(tree: DmTree, accountServerId?: string): string {
  const provider = sessionProvider(tree, accountServerId);
  if (provider === null) return DEFAULT_SYNC_VERSION;
  const value = tree.peek(`${DMCLIENT}/Provider/${provider}/SyncApplicationVersion`);
  return value !== null && validSyncVersion(value) ? value : DEFAULT_SYNC_VERSION;
}
