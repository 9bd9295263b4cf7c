/** Longest message a UserError keeps; the rest is cut with a note. */
export const MAX_USER_ERROR_CHARS = 2000;

/**
 * One line: line breaks and other control characters (which a campaign's keys, values or paths
 * may hold) are written as escapes, so the message can neither span lines nor drive a terminal.
 */
export function oneLineMessage(message: string): string {
  const flat = message.replace(/[\u0000-\u001f\u007f\u2028\u2029]/g, (c) => {
    if (c === "\n") return "\\n";
    if (c === "\r") return "\\r";
    if (c === "\t") return "\\t";
    return `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`;
  });
  if (flat.length <= MAX_USER_ERROR_CHARS) return flat;
  return `${flat.slice(0, MAX_USER_ERROR_CHARS)} [… cut: ${flat.length - MAX_USER_ERROR_CHARS} chars …]`;
}

/**
 * A mistake the user can fix (bad campaign file, missing file, unset key variable).
 * The CLI prints its message as one line, without a stack trace; the message is kept to one
 * line here, whatever text it quotes.
 */
export class UserError extends Error {
  constructor(message: string) {
    super(oneLineMessage(message));
    this.name = "UserError";
  }
}

/** Plain words for the causes of a failed write that the user can act on. */
const WRITE_FAILURES: Record<string, string> = {
  ENOSPC: "disk full",
  SQLITE_FULL: "disk full",
  // WAL mode's shared-memory file could not grow: no room left for it.
  SQLITE_IOERR_SHMSIZE: "disk full",
  EDQUOT: "disk quota exceeded",
  EROFS: "read-only file system",
  SQLITE_READONLY: "read-only file system",
  EACCES: "permission denied",
  EPERM: "permission denied",
  ENOTDIR: "a part of the path is a file, not a folder",
};

/**
 * SQLite's and the OS's own words for a full disk or a read-only database: an error that
 * was caught and re-thrown as text (a failed seed evaluation, say) keeps only those.
 */
const WRITE_FAILURE_TEXT: [RegExp, string][] = [
  [/database or disk is full|no space left on device/i, "disk full"],
  [/attempt to write a readonly database|read-only file system/i, "read-only file system"],
];

/**
 * The cause of `e` in plain words ("disk full", "read-only file system", "permission
 * denied") when it is a failed write to the file system or to SQLite; undefined otherwise.
 */
export function writeFailureCause(e: unknown): string | undefined {
  const { code, message } = (e ?? {}) as { code?: unknown; message?: unknown };
  if (typeof code === "string") {
    // SQLite's extended codes (SQLITE_READONLY_DBMOVED, ...) share the cause of their base code.
    const cause = WRITE_FAILURES[code] ?? WRITE_FAILURES[code.split("_").slice(0, 2).join("_")];
    if (cause) return cause;
  }
  if (typeof message !== "string") return undefined;
  return WRITE_FAILURE_TEXT.find(([re]) => re.test(message))?.[1];
}
