/**
 * Regex checks on a linear-time engine. Patterns come from task files and answers from
 * models, so a backtracking engine (V8's RegExp) can take exponential time on a near-miss
 * (`(a+)+$`). Bounding that by wall time made a verdict depend on how busy the machine was;
 * RE2 semantics bound the work by the text's length instead, so the same pattern and text
 * always give the same verdict. Engine: `re2js`, a pure-JS port of RE2 (no native build,
 * maintained); the price is RE2's syntax: no backreferences and no lookahead.
 */
import { createRequire } from "node:module";
import type { RE2JS } from "re2js";
import { cut } from "./text.js";

/** re2js, loaded by the first regex compiled (campaigns without regex checks never need it). */
let engine: typeof RE2JS | undefined;
function re2(): typeof RE2JS {
  return (engine ??= (createRequire(import.meta.url)("re2js") as { RE2JS: typeof RE2JS }).RE2JS);
}

/** Longest text a regex check reads; longer text fails the check (the work stays bounded by size). */
export const MAX_REGEX_TEXT = 10_000;

export type RegexTest = { ok: true; match: boolean } | { ok: false; reason: string };
type Compiled = { ok: true; re: RE2JS } | { ok: false; reason: string };

// Task files hold few distinct patterns and every evaluation reuses them.
const compiled = new Map<string, Compiled>();
const MAX_CACHED = 1000;

/** JS flags as RE2 flags: `i`, `m`, `s` carry over; `g`, `y`, `d`, `u`, `v` do not change whether `test` matches. */
function flagBits(flags: string): number {
  const { CASE_INSENSITIVE, MULTILINE, DOTALL, LOOKBEHINDS } = re2();
  let bits = 0;
  if (flags.includes("i")) bits |= CASE_INSENSITIVE;
  if (flags.includes("m")) bits |= MULTILINE;
  if (flags.includes("s")) bits |= DOTALL;
  return bits | LOOKBEHINDS;
}

/** The pattern compiled for RE2, or why it cannot be (a syntax error, or JS-only syntax named as such). */
export function compileRegex(pattern: string, flags = ""): Compiled {
  const key = `${flags}\u0000${pattern}`;
  const hit = compiled.get(key);
  if (hit) return hit;
  const result = compileUncached(pattern, flags);
  if (compiled.size >= MAX_CACHED) compiled.clear();
  compiled.set(key, result);
  return result;
}

function compileUncached(pattern: string, flags: string): Compiled {
  try {
    const RE2 = re2();
    return { ok: true, re: RE2.compile(RE2.translateRegExp(pattern), flagBits(flags)) };
  } catch (e) {
    // RE2 quotes the offending part of the pattern, which can be the whole (long) pattern.
    const why = cut((e instanceof Error ? e.message : String(e)).replace(/^error parsing regexp: /, "").replace(/\s+/g, " "), 120);
    const jsOnly = /\\[1-9]|\(\?[=!]|\(\?<[=!]|\\k</.test(pattern);
    const hint = jsOnly ? " (backreferences and lookahead are not supported: regex checks use RE2 syntax, which runs in linear time)" : "";
    return { ok: false, reason: `invalid regex /${cut(pattern, 100)}/: ${why}${hint}` };
  }
}

/** Whether `pattern` matches somewhere in `text`. Text over `maxChars` is not tested and fails instead. */
export function testRegex(pattern: string, flags: string | undefined, text: string, opts: { maxChars?: number } = {}): RegexTest {
  const maxChars = opts.maxChars ?? MAX_REGEX_TEXT;
  const c = compileRegex(pattern, flags ?? "");
  if (!c.ok) return c;
  if (text.length > maxChars) return { ok: false, reason: `text of ${text.length} chars is over the ${maxChars} a regex check reads` };
  return { ok: true, match: c.re.matcher(text).find() };
}
