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
