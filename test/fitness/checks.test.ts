import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { checkExact, checkJson, checkNumeric, checkRegex, describeExpected, runCheck } from "../../src/fitness/checks.js";
import { readNumber } from "../../src/fitness/numbers.js";
import { escapeEngineTags, extractFinalAnswer } from "../../src/fitness/text.js";

describe("extractFinalAnswer", () => {
  it("reads the text after the LAST Final answer: line", () => {
    expect(extractFinalAnswer("Thinking...\nFinal answer: 3\nWait, no.\nFinal answer: 4")).toBe("4");
  });
  it("returns the whole answer trimmed when there is no Final answer line", () => {
    expect(extractFinalAnswer("  just 42 \n")).toBe("just 42");
  });
  it("ignores a closing sentence after a one-line final answer", () => {
    expect(extractFinalAnswer("Final answer: Paris\n\nHope this helps!")).toBe("Paris");
  });
  it("keeps multi-line JSON and fenced answers", () => {
    expect(extractFinalAnswer('Final answer:\n{\n  "a": 1\n}')).toBe('{\n  "a": 1\n}');
    expect(extractFinalAnswer('Final answer: ```json\n{"a":1}\n```')).toBe('```json\n{"a":1}\n```');
  });
  it("tolerates markdown decoration and case", () => {
    expect(extractFinalAnswer("**Final answer:** 12")).toBe("12");
    expect(extractFinalAnswer("final answer: yes")).toBe("yes");
  });
  it("does not take 'final answer:' in the middle of a line", () => {
    expect(extractFinalAnswer("My final answer: is below\nFinal answer: 7")).toBe("7");
    expect(extractFinalAnswer("We need a final answer: soon")).toBe("We need a final answer: soon");
  });
});

describe("numeric", () => {
  it("evaluates expressions on both sides: 3/4 equals 0.75", () => {
    expect(checkNumeric("3/4", 0.75).pass).toBe(true);
    expect(checkNumeric("0.75", "3/4").pass).toBe(true);
    expect(checkNumeric("0.7", "3/4").pass).toBe(false);
  });
  it("honours a given tolerance as absolute; without one allows only float noise", () => {
    expect(checkNumeric("3.14", "3.14159", 0.01).pass).toBe(true);
    expect(checkNumeric("3.1", "3.14159", 0.01).pass).toBe(false);
    // To the cent means to the cent, however large the amount.
    expect(checkNumeric("3710.00", 3714.23, 0.01).pass).toBe(false);
    expect(checkNumeric("3714.23", 3714.23, 0.01).pass).toBe(true);
    expect(checkNumeric("1000001", 1_000_000, 1e-6).pass).toBe(false);
    expect(checkNumeric("1000000.0000001", 1_000_000).pass).toBe(true); // default: 1e-6 relative
    expect(checkNumeric("1.0000001", 1).pass).toBe(true); // default 1e-6
    expect(checkNumeric("1.001", 1).pass).toBe(false);
  });
  it("strips currency, thousands commas, units and labels", () => {
    expect(checkNumeric("$1,200.00", 1200).pass).toBe(true);
    expect(checkNumeric("$3.00", 3).pass).toBe(true);
    expect(checkNumeric("1,200", "1200").pass).toBe(true);
    expect(checkNumeric("42 apples", 42).pass).toBe(true);
    expect(checkNumeric("x = 3/4", 0.75).pass).toBe(true);
    expect(checkNumeric("-5", -5).pass).toBe(true);
    expect(checkNumeric("about 1.5e3 meters.", 1500).pass).toBe(true);
    expect(checkNumeric("75%", 75).pass).toBe(true);
  });
  it("fails with a reason when no number can be read", () => {
    const r = checkNumeric("no idea", 3);
    expect(r.pass).toBe(false);
    expect(r.reason).toMatch(/expected 3.*no idea/);
    expect(checkNumeric("4", 3).reason).toMatch(/expected 3, got 4/);
  });
  it("never evaluates anything but arithmetic", () => {
    expect(readNumber("ones(10000, 10000)").ok).toBe(true); // reads the last plain number, never calls ones()
    expect(readNumber("import({}, {})").ok).toBe(false);
  });
  it("never throws on arbitrary text", () => {
    fc.assert(fc.property(fc.string(), (s) => {
      const r = checkNumeric(s, "3/4");
      expect(typeof r.pass).toBe("boolean");
    }));
  });
});

describe("exact", () => {
  it("is trimmed, case-insensitive and ignores a trailing period", () => {
    expect(checkExact("  Paris. ", "paris").pass).toBe(true);
    expect(checkExact("**Paris**", "Paris").pass).toBe(true);
    expect(checkExact("Lyon", "Paris").pass).toBe(false);
    expect(checkExact("Lyon", "Paris").reason).toBe('expected "Paris", got "Lyon"');
  });
  it("respects caseSensitive", () => {
    expect(checkExact("paris", "Paris", true).pass).toBe(false);
    expect(checkExact("Paris", "Paris", true).pass).toBe(true);
  });
});

describe("regex", () => {
  it("tests the final-answer text", () => {
    expect(runCheck({ type: "regex", pattern: "^\\d{3}-\\d{4}$" }, "Let me see.\nFinal answer: 555-1234").pass).toBe(true);
    expect(runCheck({ type: "regex", pattern: "^yes$", flags: "i" }, "Final answer: YES").pass).toBe(true);
    expect(checkRegex("no", "^yes$").reason).toMatch(/expected a match for \/\^yes\$\//);
  });
  it("fails cleanly on an invalid pattern", () => {
    expect(checkRegex("x", "(").pass).toBe(false);
  });
});

describe("json", () => {
  const schema = {
    type: "object",
    required: ["name", "tags"],
    properties: { name: { type: "string" }, age: { type: "integer" }, tags: { type: "array", items: { enum: ["a", "b"] } } },
  };
  it("parses a ```json fence and deep-equals the expected value (key order ignored)", () => {
    const answer = 'Here it is.\nFinal answer:\n```json\n{"b": [1, 2], "a": {"x": null}}\n```';
    expect(runCheck({ type: "json", expected: { a: { x: null }, b: [1, 2] } }, answer).pass).toBe(true);
    expect(runCheck({ type: "json", expected: { a: 1 } }, 'Final answer: {"a": 2}').reason).toBe('expected {"a":1}, got {"a":2}');
  });
  it("validates the schema subset with a JSON path in the reason", () => {
    expect(checkJson('{"name": "x", "tags": ["a"]}', undefined, schema).pass).toBe(true);
    expect(checkJson('{"name": "x"}', undefined, schema).reason).toMatch(/missing required property "tags"/);
    expect(checkJson('{"name": 3, "tags": []}', undefined, schema).reason).toMatch(/\$\.name: expected string, got integer/);
    expect(checkJson('{"name": "x", "tags": ["c"]}', undefined, schema).reason).toMatch(/\$\.tags\[0\]: expected one of "a"\|"b"/);
    expect(checkJson('{"name": "x", "tags": [], "age": 1.5}', undefined, schema).reason).toMatch(/\$\.age: expected integer, got number/);
    expect(checkJson("[1]", undefined, { type: "array", items: { type: "number" } }).pass).toBe(true);
  });
  it("fails with a reason on text that is not JSON", () => {
    const r = checkJson("not json", { a: 1 });
    expect(r.pass).toBe(false);
    expect(r.reason).toMatch(/expected JSON/);
  });
  it("finds the JSON value inside surrounding prose", () => {
    expect(checkJson('The result is {"a": 1} as requested', { a: 1 }).pass).toBe(true);
  });
});

describe("helpers", () => {
  it("describes the expected side of each check", () => {
    expect(describeExpected({ type: "numeric", expected: "3/4", tolerance: 0.01 })).toBe("3/4 (±0.01)");
    expect(describeExpected({ type: "regex", pattern: "a+", flags: "i" })).toBe("text matching /a+/i");
  });
  it("escapes only the engine's tags", () => {
    expect(escapeEngineTags("<answer>x</answer> <b>keep</b> <Task id=1>")).toBe("&lt;answer>x&lt;/answer> <b>keep</b> &lt;Task id=1>");
  });
});
