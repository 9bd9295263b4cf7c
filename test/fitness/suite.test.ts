import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { UserError } from "../../src/config/errors.js";
import { loadTaskSuite, splitIds } from "../../src/fitness/suite.js";

const dir = mkdtempSync(join(tmpdir(), "suite-test-"));
let n = 0;
function file(ext: string, text: string): string {
  const p = join(dir, `s${n++}${ext}`);
  writeFileSync(p, text);
  return p;
}

function errorOf(fn: () => unknown): UserError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(UserError);
    return e as UserError;
  }
  throw new Error("expected a UserError");
}

const GOOD_TASKS = `
tasks:
  - { id: a, split: train, input: "2+2?", check: { type: numeric, expected: 4 } }
  - { split: train, input: "Capital of France?", check: { type: exact, expected: Paris } }
  - { id: c, split: val, input: "Say hi", check: { type: regex, pattern: "^hi", flags: i } }
  - { split: test, input: "Write a haiku", check: { type: rubric, rubric: "5-7-5 syllables" } }
`;

describe("loadTaskSuite: YAML", () => {
  it("loads a tasks: list and names missing ids <split>-<index>", () => {
    const p = file(".yaml", GOOD_TASKS);
    const suite = loadTaskSuite(p);
    expect(suite.source).toBe(p);
    expect(suite.tasks.map((t) => t.id)).toEqual(["a", "train-1", "c", "test-0"]);
    expect(splitIds(suite, "train")).toEqual(["a", "train-1"]);
    expect(suite.tasks[0]!.check).toEqual({ type: "numeric", expected: 4 });
  });
  it("loads train:/val:/test: lists with the split implied", () => {
    const p = file(".yml", `train:\n  - { input: q1, check: { type: exact, expected: 42 } }\nval:\n  - { input: q2, check: { type: json, expected: { a: 1 }, schema: { type: object } } }\n`);
    const suite = loadTaskSuite(p);
    expect(suite.tasks.map((t) => [t.id, t.split])).toEqual([
      ["train-0", "train"],
      ["val-0", "val"],
    ]);
    expect(suite.tasks[0]!.check).toEqual({ type: "exact", expected: "42" }); // scalars become text
  });
  it("names the file and the field path of a bad check type", () => {
    const p = file(".yaml", GOOD_TASKS.replace("type: regex", "type: regexp"));
    expect(errorOf(() => loadTaskSuite(p)).message).toBe(`${p}: tasks[2].check.type: expected one of exact|regex|numeric|json|rubric|contains|js|all`);
  });
  it("names missing and unknown fields", () => {
    const missing = file(".yaml", `tasks:\n  - { split: train, check: { type: exact, expected: x } }\n`);
    expect(errorOf(() => loadTaskSuite(missing)).message).toBe(`${missing}: tasks[0].input: missing (expected string)`);
    const unknown = file(".yaml", `train:\n  - { input: q, check: { type: exact, expected: x, tolerance: 1 } }\n`);
    expect(errorOf(() => loadTaskSuite(unknown)).message).toBe(`${unknown}: train[0].check.tolerance: unknown field`);
    const split = file(".yaml", `tasks:\n  - { split: dev, input: q, check: { type: exact, expected: x } }\n`);
    expect(errorOf(() => loadTaskSuite(split)).message).toBe(`${split}: tasks[0].split: expected one of train|val|test`);
  });
  it("rejects an invalid regex at load time", () => {
    const p = file(".yaml", GOOD_TASKS.replace('pattern: "^hi"', 'pattern: "(unclosed"'));
    expect(errorOf(() => loadTaskSuite(p)).message).toMatch(new RegExp(`^${p}: tasks\\[2\\]\\.check\\.pattern: invalid regex`));
  });
  it("rejects a numeric expectation that is not a number", () => {
    const p = file(".yaml", GOOD_TASKS.replace("expected: 4", "expected: four"));
    expect(errorOf(() => loadTaskSuite(p)).message).toMatch(/tasks\[0\]\.check\.expected: not a number/);
  });
  it("rejects an empty suite, duplicate ids and missing train/val tasks", () => {
    const empty = file(".yaml", "");
    expect(errorOf(() => loadTaskSuite(empty)).message).toBe(`${empty}: the task suite is empty`);
    const none = file(".yaml", "tasks: []\n");
    expect(errorOf(() => loadTaskSuite(none)).message).toBe(`${none}: the task suite has no tasks`);
    const dup = file(".yaml", GOOD_TASKS.replace("id: c", "id: a"));
    expect(errorOf(() => loadTaskSuite(dup)).message).toBe(`${dup}: tasks[2].id: duplicate task id "a" (also tasks[0])`);
    const noVal = file(".yaml", `train:\n  - { input: q, check: { type: exact, expected: x } }\ntest:\n  - { input: q, check: { type: exact, expected: x } }\n`);
    expect(errorOf(() => loadTaskSuite(noVal)).message).toMatch(new RegExp(`^${noVal}: no val tasks`));
    const noTrain = file(".yaml", `val:\n  - { input: q, check: { type: exact, expected: x } }\n`);
    expect(errorOf(() => loadTaskSuite(noTrain)).message).toMatch(/no train tasks/);
  });
  it("rejects mixing tasks: with split lists, and invalid YAML", () => {
    const mixed = file(".yaml", `tasks: []\ntrain: []\n`);
    expect(errorOf(() => loadTaskSuite(mixed)).message).toMatch(/tasks: use either/);
    const bad = file(".yaml", "tasks: [\n  {");
    expect(errorOf(() => loadTaskSuite(bad)).message).toMatch(new RegExp(`^${bad}: invalid YAML`));
  });
});

describe("loadTaskSuite: JSONL and files", () => {
  const line = (o: object) => JSON.stringify(o);
  it("loads one task per line, skipping blank lines", () => {
    const p = file(".jsonl", [line({ split: "train", input: "q", check: { type: "exact", expected: "x" } }), "", line({ id: "v", split: "val", input: "q", check: { type: "numeric", expected: "3/4", tolerance: 0.01 } })].join("\n"));
    expect(loadTaskSuite(p).tasks.map((t) => t.id)).toEqual(["train-0", "v"]);
  });
  it("names the line number in errors", () => {
    const p = file(".jsonl", [line({ split: "train", input: "q", check: { type: "exact", expected: "x" } }), line({ split: "val", input: "q", check: { type: "nope" } })].join("\n"));
    expect(errorOf(() => loadTaskSuite(p)).message).toBe(`${p}: line 2: check.type: expected one of exact|regex|numeric|json|rubric|contains|js|all`);
    const broken = file(".jsonl", `${line({ split: "train", input: "q", check: { type: "exact", expected: "x" } })}\n{oops\n`);
    expect(errorOf(() => loadTaskSuite(broken)).message).toMatch(new RegExp(`^${broken}: line 2: invalid JSON`));
    const dup = file(".jsonl", [1, 2].map(() => line({ id: "same", split: "train", input: "q", check: { type: "exact", expected: "x" } })).join("\n"));
    expect(errorOf(() => loadTaskSuite(dup)).message).toBe(`${dup}: line 2: id: duplicate task id "same" (also line 1)`);
  });
  it("reports a missing file and an unknown extension", () => {
    const missing = join(dir, "nope.yaml");
    expect(errorOf(() => loadTaskSuite(missing)).message).toBe(`task suite not found: ${missing}`);
    const txt = file(".txt", "x");
    expect(errorOf(() => loadTaskSuite(txt)).message).toMatch(/unknown task suite format/);
  });
});
