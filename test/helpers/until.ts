/**
 * Waits, turn by turn of the event loop, until `condition` holds; fails after `timeoutMs` of real
 * time (default 10 s). Not a sleep: virtual time does not move, only real socket I/O gets to land,
 * and a busy machine gets its real time rather than a fixed number of turns.
 */
export async function until(
  condition: () => boolean,
  what = 'condition',
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (condition()) return;
    if (performance.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    // eslint-disable-next-line no-restricted-syntax -- one event-loop turn, not a timer
    await new Promise((resolve) => setImmediate(resolve));
  }
}
