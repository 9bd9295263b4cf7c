/**
 * Small text helpers shared by checks, the verifier and feedback. Tag escaping lives in protocol/tags.ts.
 */
import { FINAL_ANSWER_PREFIX } from "../protocol/tags.js";


// A line that starts the final answer; tolerate markdown decoration (`**Final answer:**`, `> `, `#`).
const FINAL_LINE = new RegExp(
  `^[ \\t>#*_-]*${FINAL_ANSWER_PREFIX.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}[*_]*`,
  "gim",
);

/**
 * The text a check judges: what follows the LAST `Final answer:` line, or the whole answer
 * (trimmed) when there is none. When the answer starts on the prefix line, only that line
 * counts (models often add a closing pleasantry after it), unless it opens a JSON value or a
 * fence, which usually spans several lines.
 */
export function extractFinalAnswer(answer: string): string {
  let last: RegExpExecArray | undefined;
  for (const m of answer.matchAll(FINAL_LINE)) last = m as RegExpExecArray;
  if (last === undefined) return answer.trim();
  const rest = answer.slice(last.index + last[0].length).replace(/^[*_]+/, "");
  const nl = rest.indexOf("\n");
  const firstLine = (nl === -1 ? rest : rest.slice(0, nl)).trim();
  if (firstLine === "" || /^(\{|\[|```)/.test(firstLine)) return rest.trim();
  return firstLine;
}
export { escapeEngineTags, findEngineTag } from "../protocol/tags.js";

/** Cut to at most `max` chars, marking the cut with an ellipsis. */
export function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`;
}

/** Collapse all whitespace (newlines included) to single spaces: for one-line feedback items. */
export function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

/** Deep structural equality for JSON values (object key order ignored). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== "object") return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((v, i) => jsonEqual(v, bb[i]));
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const ak = Object.keys(ao);
  return ak.length === Object.keys(bo).length && ak.every((k) => Object.hasOwn(bo, k) && jsonEqual(ao[k], bo[k]));
}

export { clip } from "../protocol/tags.js";
