/**
 * Resolves once SIGINT or SIGTERM arrived and `close` finished (or failed): how the long-running
 * commands (`wns`, `serve`) stop cleanly.
 */
export function untilStopped(close: () => Promise<void>): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      void close().then(resolve, resolve);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
