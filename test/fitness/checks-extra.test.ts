import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkAll, checkContains, checkJs, describeExpected, jsAssertionBody, JS_CHECK_RETRY_TIMEOUT_MS, JS_CHECK_TIMEOUT_MS, runCheck } from "../../src/fitness/checks.js";
import { loadTaskSuite } from "../../src/fitness/suite.js";
import { CheckSchema, describeIssue, formatPath } from "../../src/fitness/suite-schema.js";
import type { Check } from "../../src/fitness/types.js";

describe("contains", () => {
  it("is a substring test, case-insensitive unless caseSensitive", () => {
    expect(checkContains("The Red Planet is Mars.", "mars")).toEqual({ pass: true, score: 1 });
    expect(checkContains("The Red Planet is Mars.", "mars", true).pass).toBe(false);
    expect(checkContains("The Red Planet is Mars.", "Mars", true).pass).toBe(true);
  });
  it("negates, and says what it expected", () => {
    expect(checkContains("Jane Austen", "bronte", false, true).pass).toBe(true);
    const r = checkContains("Charlotte Bronte", "bronte", false, true);
    expect(r).toEqual({ pass: false, score: 0, reason: 'expected text not containing "bronte", got "Charlotte Bronte"' });
    expect(checkContains("Venus", "Mars").reason).toBe('expected text containing "Mars", got "Venus"');
  });
  it("reads the final answer through runCheck", () => {
    const check: Check = { type: "contains", value: "Mars" };
    expect(runCheck(check, "Mars is red.\nFinal answer: Venus").pass).toBe(false);
    expect(runCheck(check, "Thinking about Venus.\nFinal answer: Mars").pass).toBe(true);
  });
});

describe("js", () => {
  it("takes an expression or a function body, with output and context.vars bound", () => {
    expect(checkJs("hello", "output.length === 5").pass).toBe(true);
    expect(checkJs("hello", "output.startsWith('h') &&\n  output.endsWith('o');").pass).toBe(true);
    expect(checkJs("hello", "const n = output.length;\nreturn n > 10;").pass).toBe(false);
    expect(checkJs("hello", "return output === 'hello'").pass).toBe(true);
    expect(checkJs("desserts", "output === context.vars.word.split('').reverse().join('')", { vars: { word: "stressed" } }).pass).toBe(true);
    expect(jsAssertionBody("output.length")).toEqual({ ok: true, body: "return (\noutput.length\n);" });
  });
  it("turns a number into a score that passes at the threshold", () => {
    expect(checkJs("x", "0.75")).toEqual({ pass: true, score: 0.75 });
    const low = checkJs("x", "0.25");
    expect(low.pass).toBe(false);
    expect(low.score).toBe(0.25);
    expect(low.reason).toMatch(/scored 0.25 \(pass mark 0.5\)/);
    expect(checkJs("x", "0.75", { threshold: 0.9 }).pass).toBe(false);
    expect(checkJs("x", "1.5").reason).toMatch(/returned 1.5; a number must be in \[0,1\]/);
    expect(checkJs("x", "NaN").pass).toBe(false);
  });
  it("accepts a { pass, score, reason } result", () => {
    expect(checkJs("x", "({ pass: false, score: 0.3, reason: 'too short' })")).toEqual({ pass: false, score: 0.3, reason: "too short" });
    expect(checkJs("x", "({ pass: true })")).toEqual({ pass: true, score: 1 });
    expect(checkJs("x", "({ nothing: 1 })").reason).toMatch(/without a boolean `pass`/);
  });
  it("fails, with a reason, on errors, wrong result types and promises", () => {
    expect(checkJs("x", "output.nope.deeper").reason).toMatch(/^the JavaScript assertion threw: .*undefined/);
    expect(checkJs("x", "throw new Error('boom')").reason).toBe("the JavaScript assertion threw: boom");
    expect(checkJs("x", "'yes'").reason).toMatch(/returned string "yes"; expected a boolean/);
    expect(checkJs("x", "undefined").reason).toMatch(/returned undefined/);
    expect(checkJs("x", "Promise.resolve(true)").reason).toMatch(/returned a Promise/);
    expect(checkJs("x", "return (").reason).toMatch(/does not compile: invalid JavaScript/);
  });
  it("cannot hang the run: loops and microtask loops time out", () => {
    const t0 = Date.now();
    expect(checkJs("x", "while (true) {}")).toEqual({
      pass: false,
      score: 0,
      reason: `the JavaScript assertion timed out twice (no verdict within ${JS_CHECK_TIMEOUT_MS} ms, then ${JS_CHECK_RETRY_TIMEOUT_MS} ms alone)`,
      timeout: true,
    });
    expect(checkJs("x", "Promise.resolve().then(() => { for (;;) {} }); return true").pass).toBe(false);
    expect(Date.now() - t0).toBeLessThan(60_000); // bounded, not forever: a guard, not a benchmark
  });
  it("cannot reach the process", () => {
    expect(checkJs("x", "typeof process === 'undefined' && typeof require === 'undefined'").pass).toBe(true);
    expect(checkJs("x", "this.constructor.constructor('return typeof process')() === 'undefined'").pass).toBe(true);
    expect(checkJs("x", "(function () { return this })().constructor.constructor('return typeof process')() === 'undefined'").pass).toBe(true);
    // Globals set by one assertion do not leak into the next.
    checkJs("x", "globalThis.leak = 1; return true");
    expect(checkJs("x", "typeof leak === 'undefined'").pass).toBe(true);
  });
});

describe("all", () => {
  const checks: Check[] = [
    { type: "contains", value: "austen" },
    { type: "contains", value: "bronte", negate: true },
    { type: "regex", pattern: "^Jane" },
  ];
  it("passes when every sub-check passes; the score is the mean", () => {
    expect(runCheck({ type: "all", checks: checks as never }, "Final answer: Jane Austen")).toEqual({ pass: true, score: 1 });
    const r = runCheck({ type: "all", checks: checks as never }, "Final answer: J. Austen");
    expect(r.pass).toBe(false);
    expect(r.score).toBeCloseTo(2 / 3, 9);
    expect(r.reason).toBe('1 of 3 checks failed: [3] expected a match for /^Jane/, got "J. Austen"');
  });
  it("weights the mean, and nests", () => {
    const r = checkAll([{ type: "exact", expected: "4" }, { type: "js", code: "false" }], "Final answer: 4", [3, 1]);
    expect(r.score).toBeCloseTo(0.75, 9);
    expect(r.pass).toBe(false);
    const nested = runCheck({ type: "all", checks: [{ type: "all", checks: [{ type: "numeric", expected: 4 }] }, { type: "js", code: "output === '4'" }] }, "Final answer: 4");
    expect(nested).toEqual({ pass: true, score: 1 });
  });
});

describe("describeExpected for the new checks", () => {
  it("says what was wanted", () => {
    expect(describeExpected({ type: "contains", value: "Mars", caseSensitive: true })).toBe('text containing "Mars" (case-sensitive)');
    expect(describeExpected({ type: "contains", value: "x", negate: true })).toBe('text not containing "x"');
    expect(describeExpected({ type: "js", code: "output.length\n < 5" })).toBe("passes the JavaScript assertion `output.length < 5`");
    expect(describeExpected({ type: "all", checks: [{ type: "exact", expected: "4" }, { type: "regex", pattern: "^4$" }] })).toBe("all of: 4; text matching /^4$/");
  });
});

describe("the suite schema for the new checks", () => {
  const issue = (c: unknown): string => {
    const r = CheckSchema.safeParse(c);
    if (r.success) return "ok";
    const { path, message } = describeIssue(r.error.issues[0]!);
    return `${formatPath(path)}: ${message}`;
  };
  it("accepts them and makes contains values text", () => {
    expect(CheckSchema.parse({ type: "contains", value: 42 })).toEqual({ type: "contains", value: "42" });
    expect(issue({ type: "js", code: "output === 'a'", vars: { a: 1 }, threshold: 0.8 })).toBe("ok");
    expect(issue({ type: "all", checks: [{ type: "exact", expected: 1 }, { type: "all", checks: [{ type: "js", code: "true" }] }], weights: [1, 2] })).toBe("ok");
  });
  it("names what is wrong", () => {
    expect(issue({ type: "contains", value: "" })).toBe("value: must not be empty");
    expect(issue({ type: "js", code: "return (" })).toMatch(/^code: invalid JavaScript/);
    expect(issue({ type: "js", code: "true", threshold: 2 })).toMatch(/^threshold: /);
    expect(issue({ type: "all", checks: [] })).toMatch(/^checks: /);
    expect(issue({ type: "all", checks: [{ type: "rubric", rubric: "r" }] })).toBe("checks[0].type: expected one of exact|regex|numeric|json|contains|js|all");
    expect(issue({ type: "all", checks: [{ type: "js", code: "true" }], weights: [1, 2] })).toBe("weights: 2 weights for 1 checks (give one weight per check)");
    expect(issue({ type: "all", checks: [{ type: "js", code: "true" }], weights: [0] })).toBe("weights: at least one weight must be positive");
    expect(issue({ type: "all", checks: [{ type: "regex", pattern: "(" }] })).toMatch(/^checks\[0\]\.pattern: invalid regex/);
  });
  it("loads them from a native suite file", () => {
    const dir = mkdtempSync(join(tmpdir(), "checks-extra-"));
    const p = join(dir, "tasks.yaml");
    writeFileSync(
      p,
      [
        "train:",
        "  - { input: q1, check: { type: contains, value: Mars } }",
        "  - { input: q2, check: { type: js, code: 'output.length < 5' } }",
        "val:",
        "  - { input: q3, check: { type: all, checks: [ { type: exact, expected: 4 }, { type: regex, pattern: '^\\d$' } ] } }",
      ].join("\n"),
    );
    const suite = loadTaskSuite(p);
    expect(suite.tasks.map((t) => t.check.type)).toEqual(["contains", "js", "all"]);
    expect(runCheck(suite.tasks[2]!.check as never, "Final answer: 4")).toEqual({ pass: true, score: 1 });
  });
});
