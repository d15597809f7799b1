/**
 * Error classes with stable names and codes. Every error dmpush raises on purpose is a
 * {@link DmpushError}, so callers (the CLI, the servers) map them to exit codes or protocol
 * statuses by `code`, never by message. The codes:
 *
 * | code                   | class                          | where                                        |
 * | ---------------------- | ------------------------------ | -------------------------------------------- |
 * | `E_VALIDATION`         | `ValidationError`              | bad input: scenario files, flags, requests   |
 * | `E_LOOP_LIMIT`         | `ClockLoopLimitError`          | the virtual clock's loop limit               |
 * | `E_SYNCML`             | `SyncMLError`                  | a message that is not SyncML DM 1.2 (status) |
 * | `E_HTTP`               | `HttpError`                    | an HTTP handler's answer (status)            |
 * | `E_STATE_FILE`         | `StateFileError`               | a state file that cannot be used             |
 * | `E_USAGE`              | `UsageError`                   | the CLI's usage problems                     |
 * | `E_NOT_BUILT`          | `BrowserBundleMissingError`    | the browser bundles are not built            |
 * | `E_CREDENTIAL_REFUSED` | `DeviceCredentialRefusedError` | WNS refused a device's credential            |
 * | `E_PROVISIONING_DOC`   | `ProvisioningDocError`         | a wap-provisioningdoc that cannot be used    |
 * | `E_ENROLL_MESSAGE`     | `EnrollMessageError`           | an enrollment SOAP message not understood    |
 * | `E_TOKEN_COMMAND`      | `TokenCommandError`            | an enrollment token command that failed      |
 * | `E_CHECK_FAILED`       | `ChecksFailedError`            | `dmpush check`: a check failed (exit 1)      |
 *
 * Protocol errors carry the wire status (`status`).
 */
export class DmpushError extends Error {
  /** A stable, machine-readable code, e.g. `E_VALIDATION`. */
  readonly code: string;
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
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
