/** Limits applied by {@link parseSyncML} before and while reading a message. */
export interface SyncMLLimits {
  /** Largest accepted document, in UTF-8 bytes. Default 1 MiB (1 048 576). */
  readonly maxBytes?: number;
  /**
   * Deepest accepted element nesting, the root `SyncML` being depth 1. Default 32. Keep it small:
   * it also bounds the reader's recursion.
   */
  readonly maxDepth?: number;
}

/** {@link SyncMLLimits.maxBytes} when not given: 1 MiB. */
export const DEFAULT_MAX_BYTES = 1_048_576;
/** {@link SyncMLLimits.maxDepth} when not given. */
export const DEFAULT_MAX_DEPTH = 32;
