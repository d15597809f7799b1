/**
 * Reading back the reference server's enrollment records from a state file (`dmpush serve
 * --state`): the rows of table `mdm-enrollment`, checked, for `EnrollmentRegistry.load` after a
 * restart. A damaged row is a {@link StateFileError} naming the file and the device.
 */
import { z } from 'zod';
import { formatIssues } from '../../core/validation.js';
import { ENROLLMENT_TABLE, type EnrollmentRecord } from '../../mdm-server/enrollment/registry.js';
import type { StoredState } from '../state/state-store.js';
import { StateFileError } from '../state/state-store.js';

const nullableString = z.string().nullable();

const recordSchema = z
  .object({
    deviceId: z.string().min(1),
    hwDevId: z.string(),
    enrollmentType: z.string(),
    deviceName: nullableString,
    osVersion: z.string(),
    osEdition: z.string(),
    applicationVersion: nullableString,
    authPolicy: z.enum(['OnPremise', 'Federated']),
    user: nullableString,
    authName: z.string(),
    credentialHash: z.string().regex(/^[A-Za-z0-9+/]{22}==$/),
    nonce: nullableString,
    nonceIssuedAt: z.number().nullable(),
    certificateThumbprint: z.string().regex(/^[0-9A-F]{40}$/),
    enrolledAt: z.number(),
    unenrolledAt: z.number().nullable(),
  })
  .strict();

/**
 * The enrollment records `stored` holds (a state file's rows, as `SqliteStateStore.read()` or
 * `StateFile.read()` returns them); `file` names the file in errors.
 */
export function readSavedEnrollments(file: string, stored: StoredState): EnrollmentRecord[] {
  const rows = stored.rows.get(ENROLLMENT_TABLE) ?? new Map<string, string>();
  return [...rows].map(([id, text]) => {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new StateFileError(
        `${file}: the enrollment of ${id} is not JSON: the state file is damaged`,
      );
    }
    const result = recordSchema.safeParse(value);
    if (!result.success)
      throw new StateFileError(
        `${file}: the enrollment of ${id} is not valid:\n${formatIssues(result.error)
          .map((l) => `  ${l}`)
          .join('\n')}`,
      );
    return result.data;
  });
}
