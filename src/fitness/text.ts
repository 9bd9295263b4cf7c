/**
 * Small text helpers shared by checks, the verifier and feedback. Tag escaping lives in protocol/tags.ts.
 */
import { createContext, Script, type Context } from "node:vm";
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

/** Longest text a user regex is run against; longer text fails the check instead. */
export const MAX_REGEX_TEXT = 10_000;
/** Milliseconds a user regex may run before the check fails (catastrophic backtracking). */
export const REGEX_TIMEOUT_MS = 100;

// One context for every regex test: creating a context costs ~1 ms, running in it ~0.2 ms.
// The sandbox holds only the three strings of the call in progress.
const regexSandbox = Object.create(null) as Record<string, unknown>;
let regexContext: Context | undefined;
const REGEX_RUNNER = new Script(`(() => {
  const g = globalThis, p = g.__p, f = g.__f, s = g.__s;
  delete g.__p; delete g.__f; delete g.__s;
  return new RegExp(p, f).test(s);
})()`);

export type RegexTest = { ok: true; match: boolean } | { ok: false; reason: string };

/**
 * `new RegExp(pattern, flags).test(text)` for a pattern from a task file, bounded: text over
 * `maxChars` is not tested, and a run past `timeoutMs` (a pattern like `(a+)+$` backtracks
 * exponentially on a near-miss) is stopped. Both come back as `{ ok: false, reason }`, so a bad
 * pattern fails its check instead of hanging the run. `g` and `y` are dropped (they make `test`
 * stateful).
 */
export function testRegex(pattern: string, flags: string | undefined, text: string, opts: { maxChars?: number; timeoutMs?: number } = {}): RegexTest {
  const maxChars = opts.maxChars ?? MAX_REGEX_TEXT;
  const timeoutMs = opts.timeoutMs ?? REGEX_TIMEOUT_MS;
  const f = (flags ?? "").replace(/[gy]/g, "");
  try {
    new RegExp(pattern, f);
  } catch (e) {
    return { ok: false, reason: `invalid regex /${cut(pattern, 100)}/: ${e instanceof Error ? e.message.replace(/^Invalid regular expression: \/[\s\S]*\/[a-z]*: /, "") : String(e)}` };
  }
  if (text.length > maxChars) return { ok: false, reason: `text of ${text.length} chars is over the ${maxChars} a regex check reads` };
  regexContext ??= createContext(regexSandbox, { codeGeneration: { strings: false, wasm: false } });
  Object.assign(regexSandbox, { __p: pattern, __f: f, __s: text });
  try {
    return { ok: true, match: REGEX_RUNNER.runInContext(regexContext, { timeout: timeoutMs }) === true };
  } catch (e) {
    const timedOut = (e as { code?: unknown } | null)?.code === "ERR_SCRIPT_EXECUTION_TIMEOUT";
    return { ok: false, reason: timedOut ? `the regex /${cut(pattern, 100)}/ did not finish within ${timeoutMs} ms (catastrophic backtracking?)` : `the regex failed: ${e instanceof Error ? e.message : String(e)}` };
  } finally {
    delete regexSandbox.__p;
    delete regexSandbox.__f;
    delete regexSandbox.__s;
  }
}
