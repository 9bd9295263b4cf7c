/**
 * A mistake the user can fix (bad campaign file, missing file, unset key variable).
 * The CLI prints its message as one line, without a stack trace.
 */
export class UserError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UserError";
  }
}
