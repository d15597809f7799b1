/**
 * Error classes with stable names and codes. Every error dmpush raises on purpose is one of these,
 * so callers (the CLI, later the servers) can map them to exit codes or protocol statuses.
 */
export class DmpushError extends Error {
  /** A stable, machine-readable code, e.g. `E_VALIDATION`. */
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = new.target.name;
    this.code = code;
  }
}

/** Bad input: a scenario file, a flag, a request. `issues` lists each problem with its path. */
export class ValidationError extends DmpushError {
  readonly issues: readonly string[];
  constructor(issues: readonly string[]) {
    super('E_VALIDATION', issues.join('\n'));
    this.issues = issues;
  }
}

/** The virtual clock ran more events in one call than its loop limit allows. */
export class ClockLoopLimitError extends DmpushError {
  constructor(limit: number, now: string) {
    super(
      'E_LOOP_LIMIT',
      `virtual clock: more than ${limit} events in one run (stopped at ${now}); ` +
        'an event is probably rescheduling itself at the same instant. Raise loopLimit if this is expected.',
    );
  }
}

/** Something the simulator deliberately does not model. */
export class NotModelledError extends DmpushError {
  constructor(what: string) {
    super('E_NOT_MODELLED', `not modelled: ${what}`);
  }
}
