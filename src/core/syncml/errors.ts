import { DmpushError } from '../errors.js';

/** Longest {@link SyncMLError} message. */
const MAX_MESSAGE_LENGTH = 300;

/**
 * A message that cannot be read (or, from the serializer, written) as SyncML DM 1.2. Code
 * `E_SYNCML`; `status` is the wire status: 400 (Bad request) for a message that cannot be read,
 * 500 (Command failed) for one that cannot be written.
 */
export class SyncMLError extends DmpushError {
  /**
   * @param path - Where the problem is, as element names from the root's children with 1-based
   *   positions for commands and items (`SyncBody/Get[2]/Item[1]`), or `''` for the document as a
   *   whole (size, well-formedness).
   * @param message - What is wrong. The error's `message` is the path, `: ` and this, cut to
   *   300 characters (hostile input can make names and texts huge).
   * @param status - The wire status: 400 when reading (the default), 500 when writing.
   */
  constructor(
    readonly path: string,
    message: string,
    readonly status: 400 | 500 = 400,
  ) {
    const full = path === '' ? message : `${path}: ${message}`;
    super(
      'E_SYNCML',
      full.length > MAX_MESSAGE_LENGTH ? `${full.slice(0, MAX_MESSAGE_LENGTH)}…` : full,
    );
  }
}
