/**
 * Programmatic checks: pure functions from (check, answer) to a verdict. Rubric checks need a
 * model and live in verifier.ts.
 */
import type { Check } from "./types.js";
import { readJson, schemaError } from "./json-check.js";
import { numbersClose, readNumber } from "./numbers.js";
import { cut, extractFinalAnswer, jsonEqual, oneLine } from "./text.js";

export interface CheckResult {
  pass: boolean;
  /** In [0,1]; programmatic checks give 0 or 1. */
  score: number;
  /** Why it failed, in words (expected vs got). */
  reason?: string;
}

/** Every check that needs no model. */
export type ProgrammaticCheck = Exclude<Check, { type: "rubric" }>;

export const DEFAULT_TOLERANCE = 1e-6;

const PASS: CheckResult = { pass: true, score: 1 };
const fail = (reason: string): CheckResult => ({ pass: false, score: 0, reason });
const show = (s: string): string => `"${cut(oneLine(s), 100)}"`;

/** Comparable form for `exact`: trimmed, whitespace collapsed, wrapping quotes/markup and a trailing period dropped. */
function normalizeExact(s: string, caseSensitive: boolean): string {
  let t = oneLine(s);
  for (let i = 0; i < 3; i++) {
    const m = /^(["'`*_])([\s\S]*)\1$/.exec(t); // "**x**" peels in two rounds
    if (!m) break;
    t = (m[2] ?? "").trim();
  }
  t = t.replace(/\.$/, "").trim();
  return caseSensitive ? t : t.toLowerCase();
}

export function checkExact(text: string, expected: string, caseSensitive = false): CheckResult {
  return normalizeExact(text, caseSensitive) === normalizeExact(expected, caseSensitive)
    ? PASS
    : fail(`expected ${show(expected)}, got ${show(text)}`);
}

export function checkRegex(text: string, pattern: string, flags?: string): CheckResult {
  let re: RegExp;
  try {
    re = new RegExp(pattern, (flags ?? "").replace(/[gy]/g, "")); // g/y would make test() stateful
  } catch (e) {
    return fail(`invalid regex /${pattern}/: ${e instanceof Error ? e.message : String(e)}`);
  }
  return re.test(text) ? PASS : fail(`expected a match for /${pattern}/${flags ?? ""}, got ${show(text)}`);
}

/**
 * A given `tolerance` is absolute (`tolerance: 0.01` means to the cent); without one the
 * comparison allows 1e-6, absolute or relative, which only absorbs float noise.
 */
export function checkNumeric(text: string, expected: string | number, tolerance?: number): CheckResult {
  const want = readNumber(expected);
  if (!want.ok) return fail(`the expected value ${JSON.stringify(expected)} is not a number: ${want.reason}`);
  const got = readNumber(text);
  if (!got.ok) return fail(`expected ${expected} (= ${want.value}), got ${show(text)}: ${got.reason}`);
  const close = tolerance === undefined ? numbersClose(got.value, want.value, DEFAULT_TOLERANCE) : Math.abs(got.value - want.value) <= tolerance + 1e-12 * Math.abs(want.value);
  return close
    ? PASS
    : fail(`expected ${expected}${String(expected) === String(want.value) ? "" : ` (= ${want.value})`}, got ${got.text} (= ${got.value})`);
}

export function checkJson(text: string, expected?: unknown, schema?: Record<string, unknown>): CheckResult {
  const parsed = readJson(text);
  if (!parsed.ok) return fail(`expected JSON, got ${show(text)}: ${parsed.reason}`);
  if (schema !== undefined) {
    const err = schemaError(parsed.value, schema);
    if (err !== undefined) return fail(`JSON does not match the schema: ${err}`);
  }
  if (expected !== undefined && !jsonEqual(parsed.value, expected)) {
    return fail(`expected ${cut(JSON.stringify(expected), 150)}, got ${cut(JSON.stringify(parsed.value), 150)}`);
  }
  return PASS;
}

/** Judge a full answer: the check reads the text after its last `Final answer:` line. */
export function runCheck(check: ProgrammaticCheck, answer: string): CheckResult {
  const text = extractFinalAnswer(answer);
  switch (check.type) {
    case "exact":
      return checkExact(text, check.expected, check.caseSensitive ?? false);
    case "regex":
      return checkRegex(text, check.pattern, check.flags);
    case "numeric":
      return checkNumeric(text, check.expected, check.tolerance);
    case "json":
      return checkJson(text, check.expected, check.schema);
  }
}

/** The expected side of a check in a few words, for feedback lines. */
export function describeExpected(check: Check): string {
  switch (check.type) {
    case "exact":
      return cut(oneLine(check.expected), 100);
    case "regex":
      return `text matching /${check.pattern}/${check.flags ?? ""}`;
    case "numeric":
      return `${check.expected}${check.tolerance !== undefined ? ` (±${check.tolerance})` : ""}`;
    case "json":
      return check.expected !== undefined ? cut(JSON.stringify(check.expected), 100) : "JSON matching the schema";
    case "rubric":
      return `meets the rubric: ${cut(oneLine(check.rubric), 100)}`;
  }
}
