import type { IncomingMessage } from 'node:http';

/** Bytes a request may still send past its limit that are read and thrown away, not refused. */
const DEFAULT_DRAIN_LIMIT = 1024 * 1024;

/** A request body read with a hard cap. */
export type BodyResult =
  | { readonly kind: 'ok'; readonly body: Buffer }
  | {
      readonly kind: 'too-large';
      /** Bytes announced by Content-Length, or read before giving up. */
      readonly length: number;
      /**
       * Part of the body is still unread (it was far over the limit): answer with
       * `Connection: close` so the connection is not reused.
       */
      readonly unread: boolean;
    }
  | { readonly kind: 'aborted' };

export interface ReadBodyOptions {
  /** Most bytes kept; a longer body is `too-large` and its bytes are not kept. */
  readonly limit: number;
  /**
   * Most bytes read in all. A body over `limit` is still read (and discarded) up to this many
   * bytes, so the answer reaches a client that is still writing; beyond it, reading stops.
   */
  readonly drainLimit?: number;
}

/**
 * Reads a request body, keeping at most `limit` bytes, and calls `done` exactly once (a callback,
 * not a promise: the WNS notify path answers in the turn its body ends). A Content-Length over
 * the limit is known to be too large before any byte is read; a streamed body is counted as it
 * arrives. Bodies over the limit are drained (not kept) up to `drainLimit`, so the client can read
 * the answer without a reset; a body beyond that is left unread.
 */
export function readBodyThen(
  req: IncomingMessage,
  options: ReadBodyOptions,
  done: (result: BodyResult) => void,
): void {
  const { limit } = options;
  const drainLimit = Math.max(limit, options.drainLimit ?? DEFAULT_DRAIN_LIMIT);
  const announcedText = req.headers['content-length'];
  const announced = announcedText === undefined ? null : Number(announcedText);
  let settled = false;
  const settle = (result: BodyResult): void => {
    if (settled) return;
    settled = true;
    done(result);
  };
  if (announced !== null && Number.isFinite(announced) && announced > drainLimit) {
    // Far too large: answer now, read nothing more (Node discards the rest after the answer).
    settle({ kind: 'too-large', length: announced, unread: true });
    return;
  }
  const chunks: Buffer[] = [];
  let received = 0;
  let tooLarge = announced !== null && announced > limit;
  req.on('data', (chunk: Buffer) => {
    if (settled) return;
    received += chunk.length;
    if (received > limit) {
      tooLarge = true;
      chunks.length = 0;
    }
    if (!tooLarge) chunks.push(chunk);
    else if (received > drainLimit) {
      req.pause();
      settle({ kind: 'too-large', length: received, unread: true });
    }
  });
  req.on('end', () => {
    if (tooLarge)
      settle({ kind: 'too-large', length: Math.max(received, announced ?? 0), unread: false });
    else settle({ kind: 'ok', body: Buffer.concat(chunks, received) });
  });
  req.on('error', () => settle({ kind: 'aborted' }));
  req.on('close', () => {
    if (!req.complete) settle({ kind: 'aborted' });
  });
}
