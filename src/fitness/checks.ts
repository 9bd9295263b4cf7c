/**
 * Programmatic checks: pure functions from (check, answer) to a verdict, apart from the time
 * limit of js assertions (whose verdicts a VerdictCache can hold, see verdicts.ts). Rubric checks
 * need a model and live in verifier.ts.
 */
import { testRegex } from "./regex.js";
import { Script, createContext } from "node:vm";
import type { Check, VerdictCache } from "./types.js";
import { readJson, schemaError } from "./json-check.js";
import { numbersClose, readNumber } from "./numbers.js";
import { cut, extractFinalAnswer, jsonEqual, oneLine } from "./text.js";
import { RETRY_LIMIT_FACTOR, storedVerdict, verdictKey } from "./verdicts.js";

export interface CheckResult {
  pass: boolean;
  /** In [0,1]; programmatic checks give 0 or 1. */
  score: number;
  /** Why it failed, in words (expected vs got). */
  reason?: string;
  /** A js assertion ran past its limit twice (see checkJs): a time-out, not a wrong answer. */
  timeout?: boolean;
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

/** Patterns come from task files: run on a linear-time engine with a cap on the text, so no pattern can hang the run or depend on its speed. */
export function checkRegex(text: string, pattern: string, flags?: string): CheckResult {
  const r = testRegex(pattern, flags, text);
  if (!r.ok) return fail(r.reason);
  return r.match ? PASS : fail(`expected a match for /${pattern}/${flags ?? ""}, got ${show(text)}`);
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

/**
 * The text contains `value`: a plain substring test (no whitespace or markup normalization),
 * case-insensitive unless `caseSensitive`; `negate` passes when it does NOT contain it.
 */
export function checkContains(text: string, value: string, caseSensitive = false, negate = false): CheckResult {
  const found = caseSensitive ? text.includes(value) : text.toLowerCase().includes(value.toLowerCase());
  return found !== negate ? PASS : fail(`expected text ${negate ? "not " : ""}containing ${show(value)}, got ${show(text)}`);
}

/** Milliseconds a JavaScript assertion may run before it is stopped (and retried once, see checkJs). */
export const JS_CHECK_TIMEOUT_MS = 250;

/** The limit of that retry. */
export const JS_CHECK_RETRY_TIMEOUT_MS = JS_CHECK_TIMEOUT_MS * RETRY_LIMIT_FACTOR;

/** Pass mark of a JavaScript assertion that returns a number, unless the check gives a `threshold`. */
export const JS_DEFAULT_THRESHOLD = 0.5;

const jsBodies = new Map<string, { ok: true; body: string } | { ok: false; reason: string }>();

function compiles(body: string): string | undefined {
  try {
    // Compiled, never run: only the syntax is checked here.
    new Script(`(function (output, context) {\n${body}\n})`);
    return undefined;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

/**
 * The function body of a JavaScript assertion: an expression (`output.includes("x")`, possibly
 * over several lines) becomes `return (<expression>);`; anything else is taken as a function body
 * that must `return` its verdict. Reports a syntax error in words.
 */
export function jsAssertionBody(code: string): { ok: true; body: string } | { ok: false; reason: string } {
  const known = jsBodies.get(code);
  if (known) return known;
  const asExpression = `return (\n${code.trim().replace(/;+\s*$/, "")}\n);`;
  let out: { ok: true; body: string } | { ok: false; reason: string };
  if (compiles(asExpression) === undefined) out = { ok: true, body: asExpression };
  else {
    const err = compiles(code);
    out = err === undefined ? { ok: true, body: code } : { ok: false, reason: `invalid JavaScript: ${err}` };
  }
  jsBodies.set(code, out);
  return out;
}

// Runs inside the sandbox. It reads its inputs from (and removes them off) the sandbox global,
// builds the assertion with the sandbox's own `Function`, and hands back a JSON string only, so
// the host never touches an object made by the user's code (whose getters could run unbounded).
const JS_RUNNER = new Script(`(() => {
  const g = globalThis, stringify = JSON.stringify, parse = JSON.parse, S = String;
  const body = g.__body, output = g.__output, vars = g.__vars;
  delete g.__body; delete g.__output; delete g.__vars;
  try {
    const f = new Function("output", "context", body);
    const r = f(output, Object.freeze({ vars: Object.freeze(parse(vars)) }));
    if (typeof r === "boolean") return stringify({ kind: "boolean", value: r });
    if (typeof r === "number") return stringify({ kind: "number", value: S(r) });
    if (r !== null && typeof r === "object") {
      if (typeof r.then === "function") return stringify({ kind: "promise" });
      const reason = r.reason === undefined ? undefined : S(r.reason);
      return stringify({ kind: "object", pass: r.pass, score: typeof r.score === "number" ? S(r.score) : undefined, reason });
    }
    return stringify({ kind: r === null ? "null" : typeof r, text: S(r).slice(0, 80) });
  } catch (e) {
    let message;
    try { message = S(e !== null && typeof e === "object" && "message" in e ? e.message : e); } catch { message = "(unprintable error)"; }
    return stringify({ kind: "error", message: message.slice(0, 200) });
  }
})()`);

/** One run of an assertion in a fresh context: what the sandbox returned, why it could not run, or a time-out. */
function runSandboxed(body: string, text: string, vars: string, timeoutMs: number): { raw: unknown } | { failed: string } | "timeout" {
  const sandbox = Object.assign(Object.create(null) as Record<string, unknown>, { __body: body, __output: text, __vars: vars });
  try {
    const context = createContext(sandbox, { microtaskMode: "afterEvaluate", codeGeneration: { strings: true, wasm: false } });
    return { raw: JS_RUNNER.runInContext(context, { timeout: timeoutMs }) };
  } catch (e) {
    if ((e as { code?: unknown } | null)?.code === "ERR_SCRIPT_EXECUTION_TIMEOUT") return "timeout";
    return { failed: `the JavaScript assertion failed to run: ${e instanceof Error ? e.message : String(e)}` };
  }
}

interface JsOutcome {
  kind: string;
  value?: unknown;
  pass?: unknown;
  score?: string;
  reason?: string;
  text?: string;
  message?: string;
}

function scoreOf(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  return Number.isFinite(n) && n >= 0 && n <= 1 ? n : undefined;
}

/**
 * A JavaScript assertion (promptfoo's `javascript` assert). `code` is an expression or a function
 * body, run with `output` bound to the text judged and `context.vars` to the test's variables; it
 * returns a boolean, a number in [0,1] (the score; it passes at `threshold`, default 0.5), or
 * `{ pass, score?, reason? }`.
 *
 * This runs user-provided code: the code comes from the user's own suite file, exactly as it would
 * under promptfoo. It is built with `new Function` inside a fresh `node:vm` context that holds no
 * host object (only the strings it needs), with microtasks drained inside the same
 * `JS_CHECK_TIMEOUT_MS` limit, so a bad assertion fails the check instead of hanging the run or
 * reaching `process`/`require`. `node:vm` is not a security boundary against hostile code; do not
 * evaluate suites you would not run yourself.
 *
 * Past its limit the assertion runs once more with `JS_CHECK_RETRY_TIMEOUT_MS`; only a second
 * time-out counts, as a failure marked `timeout` (a paused or busy machine must not turn a
 * passing answer into a failing one).
 */
export function checkJs(text: string, code: string, opts: { vars?: Record<string, unknown>; threshold?: number } = {}): CheckResult {
  const compiled = jsAssertionBody(code);
  if (!compiled.ok) return fail(`the JavaScript assertion does not compile: ${compiled.reason}`);
  let vars: string;
  try {
    vars = JSON.stringify(opts.vars ?? {});
  } catch (e) {
    return fail(`the JavaScript assertion's vars are not JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  let run = runSandboxed(compiled.body, text, vars, JS_CHECK_TIMEOUT_MS);
  // Checks run synchronously on this thread, so the retry runs alone (no other check can overlap it).
  if (run === "timeout") run = runSandboxed(compiled.body, text, vars, JS_CHECK_RETRY_TIMEOUT_MS);
  if (run === "timeout") {
    return { ...fail(`the JavaScript assertion timed out twice (no verdict within ${JS_CHECK_TIMEOUT_MS} ms, then ${JS_CHECK_RETRY_TIMEOUT_MS} ms alone)`), timeout: true };
  }
  if ("failed" in run) return fail(run.failed);
  const raw = run.raw;
  let r: JsOutcome;
  try {
    r = typeof raw === "string" ? (JSON.parse(raw) as JsOutcome) : { kind: "error", message: "the sandbox returned no verdict" };
  } catch {
    r = { kind: "error", message: "the sandbox returned no verdict" };
  }
  const threshold = opts.threshold ?? JS_DEFAULT_THRESHOLD;
  const got = show(text);
  const graded = (score: number, pass: boolean, reason?: string): CheckResult =>
    pass ? { pass, score } : { pass, score, reason: reason ?? `the JavaScript assertion scored ${score} (pass mark ${threshold}) for ${got}` };
  switch (r.kind) {
    case "boolean":
      return r.value === true ? PASS : fail(`the JavaScript assertion returned false for ${got}`);
    case "number": {
      const score = scoreOf(String(r.value));
      if (score === undefined) return fail(`the JavaScript assertion returned ${String(r.value)}; a number must be in [0,1]`);
      return graded(score, score >= threshold);
    }
    case "object": {
      const score = scoreOf(r.score);
      if (r.score !== undefined && score === undefined) return fail(`the JavaScript assertion returned score ${r.score}; it must be in [0,1]`);
      if (typeof r.pass === "boolean") return graded(score ?? (r.pass ? 1 : 0), r.pass, r.reason);
      if (score !== undefined) return graded(score, score >= threshold, r.reason);
      return fail("the JavaScript assertion returned an object without a boolean `pass` or a numeric `score`");
    }
    case "promise":
      return fail("the JavaScript assertion returned a Promise; asynchronous assertions are not supported");
    case "error":
      return fail(`the JavaScript assertion threw: ${r.message ?? "(no message)"}`);
    default:
      return fail(`the JavaScript assertion returned ${r.kind}${r.text !== undefined && r.kind === "string" ? ` "${cut(r.text, 40)}"` : ""}; expected a boolean, a number in [0,1] or { pass, score, reason }`);
  }
}

/**
 * Every sub-check of an `all` check, against the same answer: it passes when all pass, and its
 * score is their mean (weighted by `weights` when given). The reason lists the failures.
 */
export function checkAll(checks: readonly ProgrammaticCheck[], answer: string, weights?: readonly number[], verdicts?: VerdictCache): CheckResult {
  if (checks.length === 0) return fail("an `all` check with no sub-checks");
  const results = checks.map((c) => runCheck(c, answer, verdicts));
  const w = checks.map((_, i) => weights?.[i] ?? 1);
  const total = w.reduce((a, b) => a + b, 0);
  const score = total > 0 ? results.reduce((s, r, i) => s + r.score * w[i]!, 0) / total : results.reduce((s, r) => s + r.score, 0) / results.length;
  const failed = results.flatMap((r, i) => (r.pass ? [] : [`[${i + 1}] ${r.reason ?? "failed"}`]));
  if (failed.length === 0) return { pass: true, score };
  const timeout = results.some((r) => r.timeout === true) ? { timeout: true } : {};
  return { pass: false, score, reason: `${failed.length} of ${checks.length} checks failed: ${failed.join("; ")}`, ...timeout };
}

function isCheckResult(v: unknown): v is CheckResult {
  const o = v as Partial<CheckResult> | null;
  return typeof o === "object" && o !== null && typeof o.pass === "boolean" && typeof o.score === "number" && (o.reason === undefined || typeof o.reason === "string");
}

/** A js assertion's verdict: the stored one when `verdicts` holds it, else a fresh run, then stored. */
function judgeJs(text: string, check: Extract<ProgrammaticCheck, { type: "js" }>, verdicts: VerdictCache | undefined): CheckResult {
  const run = () => checkJs(text, check.code, { ...(check.vars !== undefined ? { vars: check.vars } : {}), ...(check.threshold !== undefined ? { threshold: check.threshold } : {}) });
  if (!verdicts) return run();
  let key: string;
  try {
    key = verdictKey("js", [check.code, check.vars ?? null, check.threshold ?? null, text]);
  } catch {
    return run(); // vars that are not JSON: checkJs says so, and there is nothing to key on
  }
  const stored = storedVerdict(verdicts, key, isCheckResult);
  if (stored) return stored;
  const result = run();
  verdicts.putVerdict(key, result);
  return result;
}

/**
 * Judge a full answer: the check reads the text after its last `Final answer:` line. With
 * `verdicts`, a js assertion already judged on the same text is not run again.
 */
export function runCheck(check: ProgrammaticCheck, answer: string, verdicts?: VerdictCache): CheckResult {
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
    case "contains":
      return checkContains(text, check.value, check.caseSensitive ?? false, check.negate ?? false);
    case "js":
      return judgeJs(text, check, verdicts);
    case "all":
      return checkAll(check.checks, answer, check.weights, verdicts);
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
    case "contains":
      return `text ${check.negate ? "not " : ""}containing "${cut(oneLine(check.value), 100)}"${check.caseSensitive ? " (case-sensitive)" : ""}`;
    case "js":
      return `passes the JavaScript assertion \`${cut(oneLine(check.code), 100)}\``;
    case "all":
      return cut(`all of: ${check.checks.map((c) => describeExpected(c)).join("; ")}`, 300);
  }
}
