/**
 * The wall clock and timers of the pages' scripts, in one place: the browser has no Clock port,
 * and this is the only browser module the lint lets use `Date.now` and `setTimeout`. The
 * simulation's time never comes from here (the dashboard shows the control API's clock).
 */

/** Milliseconds since the epoch, for throttling redraws. */
export function wallNow(): number {
  return Date.now();
}

/** Runs `fn` once after `ms` milliseconds; returns the timer's id. */
export function later(ms: number, fn: () => void): number {
  return window.setTimeout(fn, ms);
}
