/**
 * Importing a promptfoo test file as a task suite, so evals kept for promptfoo can be evolved
 * against as they are (`tasks: ./promptfooconfig.yaml`).
 *
 * What is read:
 * - `tests:` an inline list of `{ description?, vars?, assert?, metadata?, options? }`
 *   (`options` is ignored; a path or glob instead of the list is refused).
 * - `prompts:` optional; only the FIRST prompt is used, rendered with each test's vars by plain
 *   `{{ name }}` substitution (no nunjucks filters or tags). Without prompts, a test's input is
 *   its only var's value, or `name: value` lines when it has several.
 * - `defaultTest: { vars?, assert? }` merged into every test (the test's vars win; its asserts
 *   come first).
 * - Other top-level keys (`providers`, `description`, ...) are ignored: the campaign's models
 *   answer the tasks.
 *
 * Asserts become checks (all of them judge the text after the answer's last `Final answer:` line,
 * as every check in this engine does; promptfoo would judge the whole output):
 * `equals` → `exact` (case-sensitive; an object value → `json`), `contains`/`icontains` and
 * `not-contains`/`not-icontains` → `contains`, `regex` → `regex`, `javascript` → `js`,
 * `llm-rubric` → `rubric`. Several asserts on one test → one `all` check (passes when every
 * assert passes, scores their mean, weighted by `weight`). String values are rendered with the
 * test's vars like the prompt.
 *
 * Splits: promptfoo has none. A test's `metadata.split` (train | val | test) is honoured; the
 * others are ordered by a hash of their description and vars and cut 60/20/20 into
 * train/val/test, so the assignment does not depend on file order and needs no random state.
 */
import { createHash } from "node:crypto";
import { z } from "zod";
import { UserError } from "../config/errors.js";
import type { ProgrammaticCheck } from "./checks.js";
import { CheckSchema, describeIssue, formatPath } from "./suite-schema.js";
import { SPLITS, type Check, type Split, type Task, type TaskSuite } from "./types.js";

/** The assert types the import understands. */
export const PROMPTFOO_ASSERT_TYPES = ["equals", "contains", "icontains", "not-contains", "not-icontains", "regex", "javascript", "llm-rubric"] as const;

/** Shares of the automatic split (tests without `metadata.split`). */
export const SPLIT_SHARES: Readonly<Record<Split, number>> = { train: 0.6, val: 0.2, test: 0.2 };

/** Fewest tests without `metadata.split` that can be split automatically (one val and one test task at least). */
export const MIN_TESTS_TO_SPLIT = 5;

/** A YAML/JSON document is a promptfoo test file when its top level has `tests:`. */
export function isPromptfooSuite(data: unknown): data is Record<string, unknown> {
  return typeof data === "object" && data !== null && !Array.isArray(data) && Object.hasOwn(data, "tests");
}

const AssertSchema = z
  .object({
    type: z.string().min(1),
    value: z.unknown().optional(),
    threshold: z.number().min(0).max(1).optional(),
    weight: z.number().nonnegative().optional(),
    metric: z.string().optional(), // a label in promptfoo's report; nothing to do here
  })
  .strict();
type Assert = z.output<typeof AssertSchema>;

const VarsSchema = z.record(z.string(), z.unknown());

const TestSchema = z
  .object({
    description: z.string().optional(),
    vars: VarsSchema.optional(),
    assert: z.array(AssertSchema).optional(),
    metadata: z.object({ split: z.enum(SPLITS).optional() }).catchall(z.unknown()).optional(),
    options: z.unknown().optional(), // provider/transform options: ignored
  })
  .strict();

const DefaultTestSchema = z
  .object({
    vars: VarsSchema.optional(),
    assert: z.array(AssertSchema).optional(),
    metadata: z.record(z.string(), z.unknown()).optional(),
    options: z.unknown().optional(),
  })
  .strict();

const PromptSchema = z.union([
  z.string().min(1),
  z.object({ raw: z.string().min(1).optional(), id: z.string().min(1).optional(), label: z.string().optional() }).catchall(z.unknown()),
]);

const PromptfooFileSchema = z
  .object({
    tests: z.array(TestSchema),
    prompts: z.union([z.string().min(1), z.array(PromptSchema)]).optional(),
    defaultTest: DefaultTestSchema.optional(),
  })
  .catchall(z.unknown());

type Vars = Record<string, unknown>;

function fail(file: string, where: string, message: string): never {
  throw new UserError(`${file}: ${where === "" ? "" : `${where}: `}${message}`);
}

const isFileRef = (v: unknown): boolean => typeof v === "string" && v.trimStart().startsWith("file://");

/** Refusals that deserve their own words before the schema's generic ones. */
function precheck(file: string, data: Record<string, unknown>): void {
  const tests = data["tests"];
  if (typeof tests === "string") {
    fail(file, "tests", `a path or glob (${JSON.stringify(tests)}) is not supported; list the tests inline in this file`);
  }
  if (Array.isArray(tests)) {
    tests.forEach((t, i) => {
      if (typeof t === "string") fail(file, `tests[${i}]`, `a path (${JSON.stringify(t)}) is not supported; write the test inline`);
      const vars = (t as { vars?: unknown } | null)?.vars;
      if (typeof vars === "string") fail(file, `tests[${i}].vars`, `a path (${JSON.stringify(vars)}) is not supported; write the vars inline`);
    });
  }
  if (typeof data["defaultTest"] === "string") fail(file, "defaultTest", "a path is not supported; write defaultTest inline");
}

function schemaError(file: string, error: z.ZodError): never {
  const issue = error.issues[0]!;
  const { path, message } = describeIssue(issue);
  const words = issue.code === "unrecognized_keys" ? "not supported by the promptfoo import" : message;
  const more = error.issues.length > 1 ? ` (and ${error.issues.length - 1} more problem${error.issues.length > 2 ? "s" : ""})` : "";
  fail(file, formatPath(path), words + more);
}

/** The first prompt's template, or undefined when the file has no prompts. */
function firstPrompt(file: string, prompts: string | z.output<typeof PromptSchema>[] | undefined): string | undefined {
  if (prompts === undefined) return undefined;
  const first = typeof prompts === "string" ? prompts : prompts[0];
  const where = typeof prompts === "string" ? "prompts" : "prompts[0]";
  if (first === undefined) fail(file, "prompts", "the list is empty (give a prompt, or leave prompts out to ask each test's vars)");
  let text: string;
  if (typeof first === "string") text = first;
  else if (first.raw !== undefined) text = first.raw;
  else if (first.id !== undefined) text = first.id;
  else fail(file, where, "expected a prompt text or `{ raw: <text> }`");
  if (isFileRef(text)) fail(file, where, "a file:// prompt is not supported; write the prompt inline");
  if (/^\S+\.(txt|md|json|jsonl|ya?ml|js|mjs|cjs|ts|py|j2|jinja2?|njk)$/i.test(text.trim())) {
    fail(file, where, `"${text.trim()}" looks like a prompt file, which is not supported; write the prompt inline`);
  }
  return text;
}

const PLACEHOLDER = /\{\{\s*([A-Za-z_$][\w$]*)\s*\}\}/g;

/** The text a var stands for in a template; lists (one promptfoo test per value) are refused. */
function varText(file: string, where: string, value: unknown): string {
  if (Array.isArray(value)) fail(file, where, "a list of values (promptfoo runs one test per value) is not supported; write one test per value");
  if (isFileRef(value)) fail(file, where, "a file:// value is not supported; put the value inline");
  if (value === null || value === undefined) return "";
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

/**
 * `{{ name }}` → the var's text. `template` is named `what` in messages (`prompts[0]`,
 * `tests[2].assert[0].value`); a missing var names the test and the var.
 */
function render(file: string, template: string, vars: ReadonlyMap<string, string>, what: string, testWhere: string): string {
  if (/\{\{|\{%/.test(template.replace(PLACEHOLDER, ""))) {
    fail(file, what, "only plain {{ name }} placeholders are supported (no nunjucks filters, expressions or {% %} tags)");
  }
  return template.replace(PLACEHOLDER, (_, name: string) => {
    const text = vars.get(name);
    if (text === undefined) fail(file, testWhere, `${what} uses {{ ${name} }}, but the test has no var "${name}"`);
    return text;
  });
}

interface Located {
  assert: Assert;
  where: string;
}

/** One assert as a check, validated like a check in a native suite. */
function convertAssert(file: string, { assert: a, where }: Located, vars: Vars, texts: ReadonlyMap<string, string>, testWhere: string): Check {
  if (!(PROMPTFOO_ASSERT_TYPES as readonly string[]).includes(a.type)) {
    fail(file, `${where}.type`, `unknown assert type "${a.type}" (supported: ${PROMPTFOO_ASSERT_TYPES.join(", ")})`);
  }
  if (a.threshold !== undefined && a.type !== "javascript") fail(file, `${where}.threshold`, "only supported on javascript asserts");
  const value = a.value;
  if (value === undefined || value === null || value === "") fail(file, `${where}.value`, "missing");
  if (isFileRef(value)) fail(file, `${where}.value`, "a file:// value is not supported; put the value inline");
  const valueWhere = `${where}.value`;
  const text = (): string => {
    if (typeof value === "object") fail(file, valueWhere, `expected text for a ${a.type} assert, got ${Array.isArray(value) ? "a list" : "a mapping"}`);
    return render(file, String(value), texts, valueWhere, testWhere);
  };
  let check: Check;
  switch (a.type) {
    case "equals":
      check = typeof value === "object" ? { type: "json", expected: value } : { type: "exact", expected: text(), caseSensitive: true };
      break;
    case "contains":
    case "icontains":
    case "not-contains":
    case "not-icontains":
      check = { type: "contains", value: text(), caseSensitive: !a.type.includes("icontains"), ...(a.type.startsWith("not-") ? { negate: true } : {}) };
      break;
    case "regex":
      check = { type: "regex", pattern: text() };
      break;
    case "javascript":
      if (typeof value !== "string") fail(file, valueWhere, "expected JavaScript code (an expression or a function body)");
      check = { type: "js", code: value, vars, ...(a.threshold !== undefined ? { threshold: a.threshold } : {}) };
      break;
    default: // llm-rubric
      check = { type: "rubric", rubric: text() };
  }
  const parsed = CheckSchema.safeParse(check);
  if (!parsed.success) {
    const { path, message } = describeIssue(parsed.error.issues[0]!);
    // The check's own field (pattern, code, rubric...) is the assert's value.
    fail(file, path.length > 0 && path[0] !== "type" ? valueWhere : where, message);
  }
  return parsed.data as Check;
}

/** A test's asserts as one check: the check itself, or `all` over several. */
function combine(file: string, testWhere: string, asserts: readonly Located[], checks: readonly Check[]): Check {
  if (checks.length === 1) return checks[0]!;
  const rubric = checks.findIndex((c) => c.type === "rubric");
  if (rubric !== -1) {
    fail(
      file,
      asserts[rubric]!.where,
      "llm-rubric cannot be combined with other asserts on one test (the verifier judges it on its own); combine llm-rubric with other asserts in separate tests",
    );
  }
  const weights = asserts.map((l) => l.assert.weight ?? 1);
  if (!weights.some((w) => w > 0)) fail(file, testWhere, "every assert has weight 0; at least one must count");
  const all: Check = { type: "all", checks: checks as ProgrammaticCheck[] };
  return weights.every((w) => w === 1) ? all : { ...all, weights };
}

function inputOf(file: string, template: string | undefined, texts: ReadonlyMap<string, string>, testWhere: string): string {
  let input: string;
  if (template !== undefined) input = render(file, template, texts, "prompts[0]", testWhere);
  else if (texts.size === 0) fail(file, testWhere, "no vars, and the file has no prompts: nothing to ask");
  else if (texts.size === 1) input = [...texts.values()][0]!;
  else input = [...texts].map(([k, v]) => `${k}: ${v}`).join("\n");
  if (input.trim() === "") fail(file, testWhere, "the task input is empty once the vars are filled in");
  return input;
}

/** JSON with sorted keys, so the split does not depend on the order vars are written in. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const o = value as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/**
 * Splits for tests without `metadata.split`: ordered by a hash of (description, vars), ties by
 * index, the first 60% go to train, the next 20% (at least one) to val, the rest (at least one) to test.
 * `keys[i]` is the hash input of the i-th such test; the result is in the same order.
 */
export function autoSplits(keys: readonly string[]): Split[] {
  const n = keys.length;
  if (n < MIN_TESTS_TO_SPLIT) throw new RangeError(`autoSplits: at least ${MIN_TESTS_TO_SPLIT} tests, got ${n}`);
  const val = Math.max(1, Math.round(n * SPLIT_SHARES.val));
  const train = Math.min(Math.round(n * SPLIT_SHARES.train), n - val - 1);
  const hashed = keys.map((k, i) => ({ i, h: createHash("sha256").update(k).digest("hex") }));
  hashed.sort((a, b) => (a.h < b.h ? -1 : a.h > b.h ? 1 : a.i - b.i));
  const out: Split[] = new Array<Split>(n);
  hashed.forEach(({ i }, rank) => {
    out[i] = rank < train ? "train" : rank < train + val ? "val" : "test";
  });
  return out;
}

/** Convert a parsed promptfoo file (see isPromptfooSuite) to a task suite; UserError naming the file and field on any problem. */
export function promptfooSuite(file: string, data: Record<string, unknown>): TaskSuite {
  precheck(file, data);
  const parsed = PromptfooFileSchema.safeParse(data);
  if (!parsed.success) schemaError(file, parsed.error);
  const { tests, prompts, defaultTest } = parsed.data;
  if (tests.length === 0) fail(file, "tests", "the list is empty");
  const template = firstPrompt(file, prompts);
  const defaults = (defaultTest?.assert ?? []).map((assert, j): Located => ({ assert, where: `defaultTest.assert[${j}]` }));

  const converted = tests.map((t, i) => {
    const testWhere = `tests[${i}]`;
    const vars: Vars = { ...(defaultTest?.vars ?? {}), ...(t.vars ?? {}) };
    const texts = new Map<string, string>();
    for (const [k, v] of Object.entries(vars)) {
      const from = t.vars !== undefined && Object.hasOwn(t.vars, k) ? `${testWhere}.vars.${k}` : `defaultTest.vars.${k}`;
      texts.set(k, varText(file, from, v));
    }
    const asserts = [...(t.assert ?? []).map((assert, j): Located => ({ assert, where: `${testWhere}.assert[${j}]` })), ...defaults];
    if (asserts.length === 0) fail(file, testWhere, "no asserts: nothing to check (add `assert:` to the test or to defaultTest)");
    const checks = asserts.map((l) => convertAssert(file, l, vars, texts, testWhere));
    return {
      input: inputOf(file, template, texts, testWhere),
      check: combine(file, testWhere, asserts, checks),
      split: t.metadata?.split,
      key: canonical([t.description ?? "", vars]),
    };
  });

  const unsplit = converted.flatMap((c, i) => (c.split === undefined ? [i] : []));
  if (unsplit.length > 0 && unsplit.length < MIN_TESTS_TO_SPLIT) {
    const all = unsplit.length === converted.length;
    fail(
      file,
      "tests",
      `the suite needs at least ${MIN_TESTS_TO_SPLIT} tests to split into train/val/test automatically (60/20/20), ` +
        `but ${all ? "it has" : "only"} ${unsplit.length}${all ? "" : " have no metadata.split"}; add tests, or give each test \`metadata: { split: train|val|test }\``,
    );
  }
  const auto = unsplit.length > 0 ? autoSplits(unsplit.map((i) => converted[i]!.key)) : [];
  unsplit.forEach((i, k) => (converted[i]!.split = auto[k]));

  const tasks: Task[] = converted.map((c, i) => ({ id: `test-${i}`, split: c.split!, input: c.input, check: c.check }));
  for (const split of ["train", "val"] as const) {
    if (!tasks.some((t) => t.split === split)) {
      fail(file, "", `no ${split} tasks (${split === "train" ? "train tasks are what candidates are scored on" : "val tasks pick the winner"}); check the tests' metadata.split`);
    }
  }
  return { tasks, source: file };
}
