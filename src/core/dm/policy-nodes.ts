/**
 * The part of the Policy CSP the simulator models ([POLICY-NOTIF], docs/model.md §14):
 * `./Vendor/MSFT/Policy/Config/Notifications/DisallowCloudNotification` (device scope, Windows 10
 * 1803 and later; `int`, Add/Delete/Get/Replace, default 0; 1 turns off the connection between
 * Windows and WNS). Older versions have `Policy/Config` but not the `Notifications` area: a Get or
 * Replace of the node is 404 there.
 *
 * Choices, where the reference leaves them open (**assumptions**):
 * - The node always exists on 1803+ and reads its value, `0` (the CSP default) until a server sets
 *   it: Replace sets it (the form Microsoft's Policy CSP examples use), Add is 418 (it exists),
 *   Delete brings back `0` (the policy is no longer configured).
 * - Values other than `0` and `1` are 415.
 * - The value is kept in a hidden node of the tree ({@link DISALLOW_CLOUD_STATE}), so it is saved
 *   with the tree's state and survives a restart.
 */
import { hasNode } from '../os/os-profiles.js';
import { ADGR, G, oneOf } from './csp-nodes.js';
import type { DmTree } from './dm-tree.js';

/** `./Vendor/MSFT/Policy/Config/Notifications/DisallowCloudNotification`. */
export const DISALLOW_CLOUD_NOTIFICATION =
  './Vendor/MSFT/Policy/Config/Notifications/DisallowCloudNotification';

/** The hidden node holding the policy's value (`'0'` or `'1'`): not a CSP node. */
const DISALLOW_CLOUD_STATE = './Vendor/MSFT/Policy/#DisallowCloudNotification';

/**
 * Defines the Policy CSP nodes a device of `build` has. `changed(disallowed)` runs after a server
 * changed the policy (Add/Replace/Delete), with its new meaning.
 */
export function definePolicyNodes(
  tree: DmTree,
  build: number,
  changed: (disallowed: boolean) => void,
): void {
  tree.define('./Vendor/MSFT/Policy', { format: 'node', access: G });
  tree.define('./Vendor/MSFT/Policy/Config', { format: 'node', access: G });
  if (!hasNode(build, DISALLOW_CLOUD_NOTIFICATION)) return;
  tree.define(DISALLOW_CLOUD_STATE, { format: 'int', access: [], value: '0', hidden: true });
  const set = (value: string): void => {
    tree.poke(DISALLOW_CLOUD_STATE, value);
    changed(value === '1');
  };
  tree.define('./Vendor/MSFT/Policy/Config/Notifications', { format: 'node', access: G });
  tree.define(DISALLOW_CLOUD_NOTIFICATION, {
    format: 'int',
    access: ADGR,
    accepts: oneOf('0', '1'),
    read: () => tree.peek(DISALLOW_CLOUD_STATE) ?? '0',
    write: set,
    remove: () => set('0'),
  });
}

/** Whether the tree holds DisallowCloudNotification = 1 (false on versions without the node). */
export function cloudNotificationDisallowed(tree: DmTree): boolean {
  return tree.peek(DISALLOW_CLOUD_STATE) === '1';
}
