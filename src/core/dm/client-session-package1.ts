/**
 * The commands of package 1, the device's first message of a management session ([MS-MDM] 4
 * protocol examples; Learn, "OMA DM protocol support"): Alert 1201 (or 1200), Alert 1224
 * LoginStatus, with `unenroll` the 1226 user-unenrollment alert, and a Replace of the DevInfo
 * values. Package 1 numbers its commands from CmdID 1; the reference's example starts at 2.
 */
import type { Command } from '../syncml/message.js';
import type { DmTree } from './dm-tree.js';

/** The Meta Type of the package 1 login-status alert ([dmc] §2 "Alerts"). */
export const LOGIN_STATUS_TYPE = 'com.microsoft/MDM/LoginStatus';

/**
 * The Meta Type of the 1226 generic alert a device sends when the user unenrolls it: Item Meta
 * Type this, Format `int`, Data `1`, in the first package of a new session (Learn, "Disconnecting
 * from the management infrastructure (unenrollment)",
 * https://learn.microsoft.com/windows/client-management/disconnecting-from-mdm-unenrollment;
 * Fleet `server/mdm/microsoft/syncml/syncml.go` `AlertUserUnenrollmentRequest` and its test
 * client's `Unenroll`, `pkg/mdm/mdmtest/windows.go`).
 */
export const UNENROLL_ALERT_TYPE = 'com.microsoft:mdm.unenrollment.userrequest';

const DEVINFO_NODES = ['DevId', 'Man', 'Mod', 'DmV', 'Lang'] as const;

/** What package 1 says. */
export interface Package1Options {
  readonly tree: DmTree;
  readonly alertCode?: '1201' | '1200';
  readonly loginStatus?: 'user' | 'others' | 'none';
  readonly unenroll?: boolean;
}

/** The commands of package 1, numbered by `nextCmdId`; DevInfo nodes missing from the tree are empty. */
export function package1Commands(options: Package1Options, nextCmdId: () => string): Command[] {
  const commands: Command[] = [
    { kind: 'Alert', cmdId: nextCmdId(), data: options.alertCode ?? '1201', items: [] },
    {
      kind: 'Alert',
      cmdId: nextCmdId(),
      data: '1224',
      items: [{ meta: { type: LOGIN_STATUS_TYPE }, data: options.loginStatus ?? 'user' }],
    },
  ];
  if (options.unenroll === true)
    commands.push({
      kind: 'Alert',
      cmdId: nextCmdId(),
      data: '1226',
      items: [{ meta: { format: 'int', type: UNENROLL_ALERT_TYPE }, data: '1' }],
    });
  commands.push({
    kind: 'Replace',
    cmdId: nextCmdId(),
    items: DEVINFO_NODES.map((name) => {
      const source = `./DevInfo/${name}`;
      return { source, data: options.tree.read(source) ?? '' };
    }),
  });
  return commands;
}
