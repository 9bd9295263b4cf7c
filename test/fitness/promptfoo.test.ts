import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { UserError } from "../../src/config/errors.js";
import { runCheck } from "../../src/fitness/checks.js";
import { autoSplits, isPromptfooSuite, promptfooSuite, PROMPTFOO_ASSERT_TYPES } from "../../src/fitness/promptfoo.js";
import { loadTaskSuite, splitIds } from "../../src/fitness/suite.js";
import { TaskFitness } from "../../src/fitness/task-fitness.js";
import type { Check, Split, Task } from "../../src/fitness/types.js";
import { fakeComplete, taskOf } from "./fake-complete.js";

const FIXTURE = "examples/promptfoo/promptfooconfig.yaml";
const dir = mkdtempSync(join(tmpdir(), "promptfoo-test-"));
let n = 0;
function file(ext: string, text: string): string {
  const p = join(dir, `p${n++}${ext}`);
  writeFileSync(p, text);
  return p;
}
const yaml = (data: unknown): string => file(".yaml", stringify(data));

function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(UserError);
    return (e as UserError).message;
  }
  throw new Error("expected a UserError");
}

/** `count` simple tests: question i, answer i. */
function simpleTests(count: number, extra: (i: number) => object = () => ({})): object[] {
  return Array.from({ length: count }, (_, i) => ({ description: `t${i}`, vars: { q: `What is ${i} + 0?` }, assert: [{ type: "equals", value: String(i) }], ...extra(i) }));
}

describe("isPromptfooSuite", () => {
  it("is a mapping with tests:", () => {
    expect(isPromptfooSuite({ tests: [] })).toBe(true);
    expect(isPromptfooSuite({ tasks: [] })).toBe(false);
    expect(isPromptfooSuite([{ tests: [] }])).toBe(false);
    expect(isPromptfooSuite(null)).toBe(false);
  });
});

describe("the example promptfoo file", () => {
  const suite = loadTaskSuite(FIXTURE);
  const byDescription = (i: number): Task => suite.tasks[i]!;

  it("loads every test as a task, in file order, with every split present", () => {
    expect(suite.source).toBe(FIXTURE);
    expect(suite.tasks.length).toBeGreaterThanOrEqual(10);
    expect(suite.tasks.map((t) => t.id)).toEqual(suite.tasks.map((_, i) => `test-${i}`));
    for (const split of ["train", "val", "test"] as const) expect(splitIds(suite, split).length).toBeGreaterThan(0);
    expect(splitIds(suite, "train").length).toBeGreaterThan(splitIds(suite, "val").length);
    expect(suite.tasks.at(-1)!.split).toBe("test"); // metadata.split
  });
  it("maps each assert type", () => {
    const types = new Set(suite.tasks.map((t) => t.check.type));
    for (const t of ["exact", "json", "contains", "regex", "js", "all", "rubric"]) expect(types).toContain(t);
    expect(byDescription(0)).toMatchObject({ input: "What is the capital city of Australia? Give the city name only.", check: { type: "exact", expected: "Canberra", caseSensitive: true } });
    expect(byDescription(5).check).toEqual({ type: "contains", value: "portuguese", caseSensitive: false });
    expect(byDescription(6).check).toEqual({
      type: "all",
      checks: [
        { type: "contains", value: "austen", caseSensitive: false },
        { type: "contains", value: "bronte", caseSensitive: false, negate: true },
      ],
    });
  });
  it("passes right answers and fails wrong ones", () => {
    const right = ["Canberra", "391", "Au", '{"city": "Paris", "country": "France"}', "Mars", "Portuguese", "Jane Austen", "1969-07-20", "0xFF", "Red, Green, Blue", "desserts", "366"];
    const wrong = ["Sydney", "392", "Ag", '{"city": "Lyon", "country": "France"}', "Venus", "Spanish", "Emily Bronte", "20/07/1969", "256", "red, yellow, blue", "stressed", "365"];
    right.forEach((a, i) => expect(runCheck(byDescription(i).check as never, `Reasoning...\nFinal answer: ${a}`), `test-${i}`).toEqual({ pass: true, score: 1 }));
    wrong.forEach((a, i) => expect(runCheck(byDescription(i).check as never, `Final answer: ${a}`).pass, `test-${i}`).toBe(false));
  });
  it("runs under TaskFitness, programmatic checks by runCheck and rubrics by the verifier", async () => {
    const answers: Record<string, string> = { "capital city of Australia": "Canberra", "17 multiplied": "391", "gold": "Au", "Red Planet": "Mars", "Brazil": "portuguese", "Pride": "Jane Austen", "Apollo": "1969-07-20", "255": "FF", "primary colours": "red, green, blue", "stressed": "desserts", "leap year": "366", "Eiffel": '{"country": "France", "city": "Paris"}' };
    const user = fakeComplete((req) => {
      const task = taskOf(req);
      const hit = Object.entries(answers).find(([k]) => task.includes(k));
      return `Final answer: ${hit ? hit[1] : "I do not know"}`;
    });
    const verifier = fakeComplete(() => "Covers every point.\nScore: 10/10");
    const fitness = new TaskFitness(suite);
    for (const split of ["train", "val"] as Split[]) {
      const ev = await fitness.evaluate("Answer briefly.", { split }, { user, verifier });
      expect(ev.error).toBeUndefined();
      for (const r of ev.results) expect(r.pass, `${r.taskId}: ${r.reason}`).toBe(true);
      expect(ev.score).toBeCloseTo(1, 9);
    }
  });
});

describe("promptfoo files: inputs", () => {
  it("renders the first prompt with each test's vars, merging defaultTest", () => {
    const p = yaml({
      prompts: ["Question for a {{ level }} student: {{question}}", "ignored {{nope}}"],
      defaultTest: { vars: { level: "beginner" }, assert: [{ type: "javascript", value: "output.length < 50" }] },
      tests: simpleTests(5, (i) => ({ vars: { question: `q${i}`, ...(i === 0 ? { level: "expert" } : {}) } })),
    });
    const suite = loadTaskSuite(p);
    expect(suite.tasks[0]!.input).toBe("Question for a expert student: q0");
    expect(suite.tasks[1]!.input).toBe("Question for a beginner student: q1");
    expect(suite.tasks[1]!.check).toEqual({
      type: "all",
      checks: [
        { type: "exact", expected: "1", caseSensitive: true },
        { type: "js", code: "output.length < 50", vars: { level: "beginner", question: "q1" } },
      ],
    });
  });
  it("without prompts, asks the only var's value, or name: value lines", () => {
    const p = yaml({
      tests: [
        ...simpleTests(4),
        { vars: { city: "Paris", country: "France", n: 3 }, assert: [{ type: "contains", value: "{{city}}" }] },
      ],
    });
    const suite = loadTaskSuite(p);
    expect(suite.tasks[0]!.input).toBe("What is 0 + 0?");
    expect(suite.tasks[4]!.input).toBe("city: Paris\ncountry: France\nn: 3");
    expect(suite.tasks[4]!.check).toEqual({ type: "contains", value: "Paris", caseSensitive: true }); // assert values are rendered too
  });
  it("reads JSON files too", () => {
    const p = file(".json", JSON.stringify({ prompts: [{ raw: "Say {{word}}", label: "say" }], tests: simpleTests(5, (i) => ({ vars: { word: `w${i}` } })) }));
    expect(loadTaskSuite(p).tasks.map((t) => t.input)).toEqual(["Say w0", "Say w1", "Say w2", "Say w3", "Say w4"]);
  });
  it("maps equals with a mapping to a JSON check, weights to a weighted all, and ignores providers/options/metric", () => {
    const p = yaml({
      providers: ["openai:gpt-4.1-mini"],
      description: "x",
      tests: [
        ...simpleTests(4),
        {
          vars: { q: "json please" },
          options: { provider: "x" },
          assert: [
            { type: "equals", value: { a: 1 }, metric: "shape" },
            { type: "javascript", value: "0.5", threshold: 0.4, weight: 3 },
          ],
        },
      ],
    });
    expect(loadTaskSuite(p).tasks[4]!.check).toEqual({
      type: "all",
      checks: [{ type: "json", expected: { a: 1 } }, { type: "js", code: "0.5", vars: { q: "json please" }, threshold: 0.4 }],
      weights: [1, 3],
    });
  });
});

describe("promptfoo files: splits", () => {
  it("cuts 60/20/20 by rank of a hash, with at least one val and one test task", () => {
    const count = (s: Split[], x: Split) => s.filter((v) => v === x).length;
    for (const [size, train, val, test] of [
      [5, 3, 1, 1],
      [10, 6, 2, 2],
      [20, 12, 4, 4],
      [6, 4, 1, 1],
    ] as const) {
      const s = autoSplits(Array.from({ length: size }, (_, i) => `k${i}`));
      expect([count(s, "train"), count(s, "val"), count(s, "test")], `n=${size}`).toEqual([train, val, test]);
    }
    expect(() => autoSplits(["a", "b"])).toThrow(RangeError);
  });
  it("does not depend on file order", () => {
    const tests = simpleTests(12);
    const splitOf = (list: object[]) => {
      const suite = loadTaskSuite(yaml({ prompts: ["{{q}}"], tests: list }));
      return new Map(suite.tasks.map((t) => [t.input, t.split]));
    };
    const a = splitOf(tests);
    const b = splitOf([...tests].reverse());
    expect([...a].sort()).toEqual([...b].sort());
    expect(new Set(a.values()).size).toBe(3);
  });
  it("honours metadata.split, and needs at least 5 tests to split the rest", () => {
    const explicit = loadTaskSuite(yaml({ tests: simpleTests(2, (i) => ({ metadata: { split: i === 0 ? "train" : "val", owner: "me" } })) }));
    expect(explicit.tasks.map((t) => t.split)).toEqual(["train", "val"]);
    const few = yaml({ tests: simpleTests(3) });
    expect(errorOf(() => loadTaskSuite(few))).toMatch(new RegExp(`^${few}: tests: the suite needs at least 5 tests to split into train/val/test automatically \\(60/20/20\\), but it has 3;`));
    const mixed = yaml({ tests: simpleTests(6, (i) => (i < 4 ? { metadata: { split: "train" } } : {})) });
    expect(errorOf(() => loadTaskSuite(mixed))).toMatch(/but only 2 have no metadata\.split/);
    const noVal = yaml({ tests: simpleTests(2, () => ({ metadata: { split: "train" } })) });
    expect(errorOf(() => loadTaskSuite(noVal))).toBe(`${noVal}: no val tasks (val tasks pick the winner); check the tests' metadata.split`);
    const badSplit = yaml({ tests: simpleTests(5, (i) => (i === 0 ? { metadata: { split: "dev" } } : {})) });
    expect(errorOf(() => loadTaskSuite(badSplit))).toBe(`${badSplit}: tests[0].metadata.split: expected one of train|val|test`);
  });
});

describe("promptfoo files: what is refused, in words", () => {
  const with5 = (over: object, first: object = {}) => yaml({ tests: [{ ...simpleTests(1)[0], ...first }, ...simpleTests(4)], ...over });
  it("a missing var names the test and the var", () => {
    const p = yaml({ prompts: ["{{q}} in {{ unit }}"], tests: simpleTests(5, (i) => (i === 2 ? {} : { vars: { q: "x", unit: "cm" } })) });
    expect(errorOf(() => loadTaskSuite(p))).toBe(`${p}: tests[2]: prompts[0] uses {{ unit }}, but the test has no var "unit"`);
    const inAssert = with5({}, { assert: [{ type: "contains", value: "{{answer}}" }] });
    expect(errorOf(() => loadTaskSuite(inAssert))).toBe(`${inAssert}: tests[0]: tests[0].assert[0].value uses {{ answer }}, but the test has no var "answer"`);
  });
  it("unknown assert types name the field and the supported list", () => {
    const p = with5({}, { assert: [{ type: "equals", value: "0" }, { type: "is-json" }] });
    expect(errorOf(() => loadTaskSuite(p))).toBe(`${p}: tests[0].assert[1].type: unknown assert type "is-json" (supported: ${PROMPTFOO_ASSERT_TYPES.join(", ")})`);
  });
  it("llm-rubric cannot share a test with other asserts", () => {
    const p = with5({}, { assert: [{ type: "equals", value: "0" }, { type: "llm-rubric", value: "is zero" }] });
    expect(errorOf(() => loadTaskSuite(p))).toMatch(new RegExp(`^${p}: tests\\[0\\]\\.assert\\[1\\]: llm-rubric cannot be combined with other asserts.*in separate tests$`));
    const viaDefault = yaml({ defaultTest: { assert: [{ type: "contains", value: "a" }] }, tests: simpleTests(5, () => ({ assert: [{ type: "llm-rubric", value: "ok" }] })) });
    expect(errorOf(() => loadTaskSuite(viaDefault))).toMatch(/tests\[0\]\.assert\[0\]: llm-rubric cannot be combined/);
    const alone = loadTaskSuite(with5({}, { assert: [{ type: "llm-rubric", value: "Says {{q}} is zero" }] }));
    expect(alone.tasks[0]!.check).toEqual({ type: "rubric", rubric: "Says What is 0 + 0? is zero" });
  });
  it("out-of-scope forms: test paths, file:// prompts and values, templates, var lists", () => {
    const glob = yaml({ tests: "tests/*.yaml" });
    expect(errorOf(() => loadTaskSuite(glob))).toBe(`${glob}: tests: a path or glob ("tests/*.yaml") is not supported; list the tests inline in this file`);
    const path = yaml({ tests: ["file://tests.csv"] });
    expect(errorOf(() => loadTaskSuite(path))).toMatch(/tests\[0\]: a path \("file:\/\/tests.csv"\) is not supported/);
    const filePrompt = with5({ prompts: ["file://prompt.txt"] });
    expect(errorOf(() => loadTaskSuite(filePrompt))).toBe(`${filePrompt}: prompts[0]: a file:// prompt is not supported; write the prompt inline`);
    const barePath = with5({ prompts: ["prompts/main.txt"] });
    expect(errorOf(() => loadTaskSuite(barePath))).toMatch(/prompts\[0\]: "prompts\/main.txt" looks like a prompt file/);
    const filter = with5({ prompts: ["{{ q | upper }}"] });
    expect(errorOf(() => loadTaskSuite(filter))).toMatch(/prompts\[0\]: only plain \{\{ name \}\} placeholders are supported/);
    const list = with5({}, { vars: { q: ["a", "b"] } });
    expect(errorOf(() => loadTaskSuite(list))).toMatch(/tests\[0\]\.vars\.q: a list of values .* is not supported/);
    const fileJs = with5({}, { assert: [{ type: "javascript", value: "file://check.js" }] });
    expect(errorOf(() => loadTaskSuite(fileJs))).toMatch(/tests\[0\]\.assert\[0\]\.value: a file:\/\/ value is not supported/);
    const empty = with5({ prompts: [] });
    expect(errorOf(() => loadTaskSuite(empty))).toMatch(/prompts: the list is empty/);
  });
  it("bad values, missing asserts, unsupported fields", () => {
    const regex = with5({}, { assert: [{ type: "regex", value: "(unclosed" }] });
    expect(errorOf(() => loadTaskSuite(regex))).toMatch(new RegExp(`^${regex}: tests\\[0\\]\\.assert\\[0\\]\\.value: invalid regex`));
    const js = with5({}, { assert: [{ type: "javascript", value: "return (" }] });
    expect(errorOf(() => loadTaskSuite(js))).toMatch(/tests\[0\]\.assert\[0\]\.value: invalid JavaScript/);
    const noValue = with5({}, { assert: [{ type: "contains" }] });
    expect(errorOf(() => loadTaskSuite(noValue))).toBe(`${noValue}: tests[0].assert[0].value: missing`);
    const threshold = with5({}, { assert: [{ type: "contains", value: "0", threshold: 0.5 }] });
    expect(errorOf(() => loadTaskSuite(threshold))).toBe(`${threshold}: tests[0].assert[0].threshold: only supported on javascript asserts`);
    const none = with5({}, { assert: [] });
    expect(errorOf(() => loadTaskSuite(none))).toMatch(/tests\[0\]: no asserts: nothing to check/);
    const provider = with5({}, { assert: [{ type: "llm-rubric", value: "x", provider: "openai:gpt-4o" }] });
    expect(errorOf(() => loadTaskSuite(provider))).toBe(`${provider}: tests[0].assert[0].provider: not supported by the promptfoo import`);
    const noVars = with5({}, { vars: {} });
    expect(errorOf(() => loadTaskSuite(noVars))).toMatch(/tests\[0\]: no vars, and the file has no prompts/);
    const emptyTests = yaml({ tests: [] });
    expect(errorOf(() => loadTaskSuite(emptyTests))).toBe(`${emptyTests}: tests: the list is empty`);
    const zeroWeights = with5({}, { assert: [{ type: "contains", value: "0", weight: 0 }, { type: "regex", value: "0", weight: 0 }] });
    expect(errorOf(() => loadTaskSuite(zeroWeights))).toMatch(/tests\[0\]: every assert has weight 0/);
  });
  it("is reachable directly, with the file named in messages", () => {
    expect(errorOf(() => promptfooSuite("my.yaml", { tests: 3 }))).toBe("my.yaml: tests: expected array, got number");
    const suite = promptfooSuite("my.yaml", { tests: simpleTests(5) });
    expect(suite.tasks.map((t) => t.check as Check)).toContainEqual({ type: "exact", expected: "3", caseSensitive: true });
  });
});
