/**
 * Waits, turn by turn of the event loop, until `condition` holds; fails after a bounded number
 * of turns. Not a sleep: virtual time does not move, only real socket I/O gets to land.
 */
export async function until(condition: () => boolean, what = 'condition'): Promise<void> {
  for (let i = 0; i < 5000; i++) {
    if (condition()) return;
    // eslint-disable-next-line no-restricted-syntax -- one event-loop turn, not a timer
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error(`timed out waiting for ${what}`);
}
