/** The version of dmpush, as `--version` prints it and reports name it. */
export const VERSION = '0.1.0';
