/**
 * Runs a long-running command (`wns`, `serve`) until SIGINT or SIGTERM: starts it, then closes
 * it cleanly. The signals are taken from before the start, so one that arrives while the command
 * is still starting stops it as soon as it is up (rather than killing the process half started).
 * Resolves once `close` finished (or failed); a failed start rejects with its error.
 */
export async function runUntilStopped(
  start: () => Promise<{ close(): Promise<void> }>,
): Promise<void> {
  let signalled!: () => void;
  const stopped = new Promise<void>((resolve) => (signalled = resolve));
  const stop = (): void => {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    signalled();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  let running: { close(): Promise<void> };
  try {
    running = await start();
  } catch (error) {
    stop();
    throw error;
  }
  await stopped;
  await running.close().catch(() => undefined);
}
