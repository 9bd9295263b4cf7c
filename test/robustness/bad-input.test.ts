/**
 * Bad input never crashes the engine: every mistake in a campaign file or a task suite is ONE
 * line (a UserError) that starts with the file and names the field, and the CLI prints it as
 * `error: ...` and exits 2, without a stack trace.
 */
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import fc from "fast-check";
import { parse as parseYaml, stringify } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UserError } from "../../src/config/errors.js";
import { loadCampaign } from "../../src/config/load.js";
import { fileKind } from "../../src/config/read.js";
import { CampaignSchema } from "../../src/config/schema.js";
import { loadTaskSuite } from "../../src/fitness/suite.js";
import { CHECK_TYPES } from "../../src/fitness/suite-schema.js";
import { smallCampaign } from "../e2e/helpers.js";
import { CLI } from "../helpers/cli-run.js";

const ROOT = resolve(import.meta.dirname, "../..");
const CAMPAIGN_KEYS = Object.keys(CampaignSchema.shape);

let dir: string;
let base: Record<string, unknown>;
let counter = 0;

beforeAll(() => {
  const small = smallCampaign();
  dir = small.dir;
  base = parseYaml(readFileSync(small.file, "utf8")) as Record<string, unknown>;
  // Files the mutations can point at: a folder, an empty suite, an empty harness, a broken YAML.
  mkdirSync(join(dir, "a-folder"));
  writeFileSync(join(dir, "empty.yaml"), "");
  writeFileSync(join(dir, "empty.md"), "  \n");
  writeFileSync(join(dir, "broken.yaml"), "tasks: [ { id: a\n");
  writeFileSync(join(dir, "fitness.ts"), "export default 1;\n");
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Writes `content` (an object as YAML or JSON, a string or bytes as is) to a fresh file in the campaign folder. */
function writeFile(content: unknown, ext: string): string {
  const file = join(dir, `case-${counter++}.${ext}`);
  if (typeof content === "string" || content instanceof Uint8Array) writeFileSync(file, content);
  else writeFileSync(file, ext === "json" ? (JSON.stringify(content) ?? "null") : stringify(content));
  return file;
}

/** The caught error of `fn`, or undefined when it returned. */
function caught(fn: () => unknown): unknown {
  try {
    fn();
    return undefined;
  } catch (e) {
    return e;
  }
}

/** A user error as the CLI shows it: one non-empty line, no stack frames, starting with `label: `. */
function expectOneLine(e: unknown, label: string): string {
  if (!(e instanceof UserError)) throw new Error(`expected a UserError, got ${e instanceof Error ? `${e.name}: ${e.message}\n${e.stack}` : String(e)}`);
  expect(e.message, e.message).not.toMatch(/[\r\n\u2028\u2029]/);
  expect(e.message).not.toMatch(/\s at \S+ \(/);
  expect(e.message.length).toBeLessThan(2100);
  expect(e.message.startsWith(`${label}: `), `${e.message} should start with ${label}`).toBe(true);
  return e.message.slice(label.length + 2);
}

// ---------------------------------------------------------------------------------------------
// (a) random campaign objects

/** Every path (keys and indices) in a JSON-like value, parents first. */
function paths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = [];
  if (value !== null && typeof value === "object") {
    const entries: [string | number, unknown][] = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
    for (const [k, v] of entries) {
      out.push([...prefix, k]);
      out.push(...paths(v, [...prefix, k]));
    }
  }
  return out;
}

function parentOf(root: unknown, path: (string | number)[]): Record<string | number, unknown> | undefined {
  let node: unknown = root;
  for (const k of path.slice(0, -1)) node = (node as Record<string | number, unknown>)[k];
  return node !== null && typeof node === "object" ? (node as Record<string | number, unknown>) : undefined;
}

const weirdString = fc.oneof(
  fc.string(),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.constantFrom("", " ", "\n", "a\nb", "sim:nope", "gpt-9", "../../../etc/passwd", "./a-folder", "./empty.yaml", "./empty.md", "./broken.yaml", "./tasks.yaml", "./seed-harness.md", "/dev/null", "nope", "__proto__", "constructor", "x".repeat(3000), "a\u0000b", "café ☕", "\u2028"),
);
const weirdNumber = fc.oneof(
  fc.double(),
  fc.integer(),
  fc.constantFrom(0, -1, -0, 0.5, 1e308, -1e308, Number.MAX_SAFE_INTEGER + 2, 1e21, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY),
);
const weirdValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: weirdString },
  { weight: 3, arbitrary: weirdNumber },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
  { weight: 1, arbitrary: fc.constantFrom(null, true, false, [], {}, [1, "a"], { model: "nope" }, { model: "small", weight: -1 }) },
);

type Mutation =
  | { op: "delete"; at: number }
  | { op: "replace"; at: number; value: unknown }
  | { op: "add"; at: number; key: string; value: unknown }
  | { op: "model"; name: string }
  | { op: "path"; field: "harness" | "tasks" | "preset" | "module"; value: string };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant("delete" as const), at: fc.nat() }),
  fc.record({ op: fc.constant("replace" as const), at: fc.nat(), value: weirdValue }),
  fc.record({ op: fc.constant("add" as const), at: fc.nat(), key: fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom("islandz", "budjet", "modle", "a.b", "x y", "\n")), value: weirdValue }),
  fc.record({ op: fc.constant("model" as const), name: weirdString }),
  fc.record({ op: fc.constant("path" as const), field: fc.constantFrom("harness" as const, "tasks" as const, "preset" as const, "module" as const), value: weirdString }),
);

function applyMutation(root: Record<string, unknown>, m: Mutation): void {
  const all = paths(root);
  switch (m.op) {
    case "delete":
    case "replace": {
      if (all.length === 0) return;
      const path = all[m.at % all.length]!;
      const parent = parentOf(root, path);
      if (!parent) return;
      const key = path[path.length - 1]!;
      if (m.op === "delete") {
        if (Array.isArray(parent)) parent.splice(key as number, 1);
        else delete parent[key];
      } else parent[key] = structuredClone(m.value);
      return;
    }
    case "add": {
      const objects = [[], ...all].filter((p) => {
        const v = p.length === 0 ? root : (parentOf(root, p)?.[p[p.length - 1]!] as unknown);
        return v !== null && typeof v === "object" && !Array.isArray(v);
      });
      const path = objects[m.at % objects.length]!;
      const target = (path.length === 0 ? root : parentOf(root, path)![path[path.length - 1]!]) as Record<string, unknown>;
      if (m.key === "__proto__") return; // not a key a YAML file can give a plain object
      target[m.key] = structuredClone(m.value);
      return;
    }
    case "model": {
      const roles = root.roles;
      if (roles !== null && typeof roles === "object" && !Array.isArray(roles)) (roles as Record<string, unknown>).user = m.name;
      return;
    }
    case "path": {
      if (m.field === "harness" || m.field === "tasks") root[m.field] = m.value;
      else if (m.field === "module") root.fitness = { type: "module", path: m.value };
      else {
        const s = root.strategy;
        if (s !== null && typeof s === "object" && !Array.isArray(s)) (s as Record<string, unknown>).presets = [m.value];
      }
      return;
    }
  }
}

/** A campaign file, written as YAML, JSON or raw text, from the base campaign and some mutations. */
const campaignFile = fc.record({
  mutations: fc.array(mutation, { minLength: 1, maxLength: 4 }),
  format: fc.constantFrom("yaml", "yaml", "json", "raw"),
  raw: fc.oneof(fc.string({ unit: "binary", maxLength: 200 }), fc.constantFrom("a: [1, 2\n", "{{{", "- 1\n- 2\n", "42", "", "a: &x [*x]\n", "\ufeff{}", "!!js/function 'x'\n", "a: 1\na: 2\n")),
});

function writeCampaign(c: { mutations: Mutation[]; format: string; raw: string }): { file: string; campaign: Record<string, unknown> } {
  const campaign = structuredClone(base);
  for (const m of c.mutations) applyMutation(campaign, m);
  const file = c.format === "raw" ? writeFile(c.raw, "yaml") : writeFile(campaign, c.format);
  return { file, campaign };
}

/** What follows `<file>: ` names a field of the campaign (or of what the file holds), or says what is wrong with a file. */
function expectNamesAField(rest: string, campaign: Record<string, unknown>): void {
  const fileProblem = /^(not valid (YAML|JSON)|expected a map|file not found|is a directory)/.test(rest);
  if (fileProblem) return;
  const keys = new Set([...CAMPAIGN_KEYS, ...Object.keys(campaign)]);
  const quoted = /^("(?:[^"\\]|\\.)*")/.exec(rest)?.[1];
  const first = quoted !== undefined ? (JSON.parse(quoted) as string) : /^([^.[,:]*)/.exec(rest)![1]!;
  expect(keys.has(first) || first === "(top level)", `"${rest}" should name a field`).toBe(true);
}

describe("campaign files: random mistakes are one line naming the field", () => {
  it("loadCampaign (+ loadTaskSuite) returns a valid campaign or throws a one-line UserError", () => {
    let valid = 0;
    fc.assert(
      fc.property(campaignFile, (c) => {
        const { file, campaign } = writeCampaign(c);
        let loaded: ReturnType<typeof loadCampaign> | undefined;
        const e = caught(() => (loaded = loadCampaign(file)));
        if (e !== undefined) {
          expectNamesAField(expectOneLine(e, file), campaign);
          return;
        }
        valid++;
        expect(CampaignSchema.safeParse(loaded!.config).success).toBe(true);
        expect(loaded!.seedHarness.trim()).not.toBe("");
        if (loaded!.tasksPath !== undefined) {
          const tasksPath = loaded!.tasksPath;
          const te = caught(() => loadTaskSuite(tasksPath));
          if (te !== undefined) expectOneLine(te, tasksPath);
        }
      }),
      { numRuns: 150, seed: 5150 },
    );
    // Some mutations leave the campaign valid (a deleted optional field): the property saw both sides.
    expect(valid).toBeGreaterThan(0);
  }, 300_000);

  // Named cases: each mistake of the issue, and the field its message must name.
  const cases: [string, (c: Record<string, any>) => void, RegExp][] = [
    ["unknown key", (c) => (c.strategy.islandz = 2), /^strategy\.islandz: unknown key/],
    ["wrong type", (c) => (c.concurrency = "many"), /^concurrency: .*"many"/],
    ["missing harness", (c) => (c.harness = "./nope.md"), /^harness: file not found: "\.\/nope\.md"/],
    ["harness is a folder", (c) => (c.harness = "./a-folder"), /^harness: "\.\/a-folder" is a directory/],
    ["harness is a device", (c) => (c.harness = "/dev/null"), /^harness: "\/dev\/null" is not a regular file/],
    ["missing tasks", (c) => (c.tasks = "./nope.yaml"), /^tasks: file not found/],
    ["tasks is a folder", (c) => (c.tasks = "./a-folder"), /^tasks: .*is a directory/],
    ["missing module", (c) => (c.fitness = { type: "module", path: "./nope.ts" }), /^fitness\.path: file not found/],
    ["module is a folder", (c) => (c.fitness = { type: "module", path: "./a-folder" }), /^fitness\.path: .*is a directory/],
    ["command cwd missing", (c) => (c.fitness = { type: "command", run: "true", cwd: "./nope" }), /^fitness\.cwd: folder not found/],
    ["unknown model in a role", (c) => (c.roles.user = "gpt9"), /^roles\.user: unknown model "gpt9"/],
    ["unknown model with a newline", (c) => (c.roles.user = "gpt\n9"), /^roles\.user: unknown model "gpt\\n9"/],
    ["split not summing to 1", (c) => (c.budget = { usd: 1, split: { evolver: 0.5, user: 0.3, verifier: 0.1 } }), /^budget\.split: .*sum to 1/],
    ["zero islands", (c) => (c.strategy.islands = 0), /^strategy\.islands: /],
    ["unknown preset", (c) => (c.strategy.presets = ["explorer", "wizard"]), /^strategy\.presets\[1\]: unknown island preset "wizard"/],
    ["preset file that is broken", (c) => (c.strategy.presets = ["./broken.yaml"]), /^strategy\.presets\[0\]: .*not valid YAML/],
    ["unknown key with a newline", (c) => (c["bad\nkey"] = 1), /^"bad\\nkey": unknown key/],
    ["a model key that is not a name", (c) => (c.models["a b"] = { model: "sim:mid" }), /^models\."a b": /],
    ["NaN", (c) => (c.strategy.selectionTemperature = Number.NaN), /^strategy\.selectionTemperature: /],
    ["infinity", (c) => (c.budget = { usd: Number.POSITIVE_INFINITY }), /^budget\.usd: /],
  ];
  for (const [name, edit, field] of cases) {
    it(`${name}`, () => {
      const campaign = structuredClone(base) as Record<string, any>;
      edit(campaign);
      const file = writeFile(campaign, "yaml");
      expect(expectOneLine(caught(() => loadCampaign(file)), file)).toMatch(field);
    });
  }

  it("an empty task suite is one line naming the suite", () => {
    const campaign = { ...structuredClone(base), tasks: "./empty.yaml" };
    const file = writeFile(campaign, "yaml");
    const loaded = loadCampaign(file);
    expectOneLine(caught(() => loadTaskSuite(loaded.tasksPath!)), loaded.tasksPath!);
  });

  it("an invalid or unreadable YAML campaign is one line naming the file", () => {
    for (const text of ["a: [1, 2\n", "a: 1\na: 2\n", "x: *nope\n", "\t- a\n", "a: &x [1, *x]\n", "--- a\n--- b\n"]) {
      const file = writeFile(text, "yaml");
      expect(expectOneLine(caught(() => loadCampaign(file)), file)).toMatch(/^(not valid YAML|expected a map)/);
    }
    const bomb = writeFile(`a: &a ["x","x","x","x","x","x","x","x","x"]\n${Array.from({ length: 9 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)}]`).join("\n")}\n`, "yaml");
    expect(expectOneLine(caught(() => loadCampaign(bomb)), bomb)).toMatch(/^not valid YAML/);
  });
});

// ---------------------------------------------------------------------------------------------
// (b) random task files

const checkArb: fc.Arbitrary<unknown> = fc.oneof(
  fc.record({ type: fc.constantFrom(...CHECK_TYPES, "nope", ""), expected: weirdValue }, { requiredKeys: ["type"] }),
  fc.record({ type: fc.constant("regex"), pattern: fc.oneof(fc.constantFrom("(", "[a-", "*", "a{2,1}", "(?<n>a)(?<n>b)", "\\", "^\\d+$", "(a+)+$"), fc.string({ maxLength: 10 })), flags: fc.option(fc.constantFrom("i", "gimsuy", "q", "uv"), { nil: undefined }) }, { requiredKeys: ["type", "pattern"] }),
  fc.record({ type: fc.constant("numeric"), expected: fc.oneof(weirdNumber, fc.constantFrom("3/4", "1/0", "x", "sqrt(2)", "1e400", "(((1")), tolerance: fc.option(weirdNumber, { nil: undefined }) }),
  fc.record({ type: fc.constant("js"), code: fc.oneof(fc.constantFrom("output.length > 1", "return {", "while(true){}", "}", "output =>"), fc.string({ maxLength: 10 })) }),
  fc.record({ type: fc.constant("all"), checks: fc.array(fc.record({ type: fc.constantFrom("exact", "rubric", "all"), expected: fc.string() }), { maxLength: 3 }), weights: fc.option(fc.array(weirdNumber, { maxLength: 3 }), { nil: undefined }) }),
  weirdValue,
);
const validCheck = fc.constantFrom<unknown>(
  { type: "exact", expected: "Paris" },
  { type: "numeric", expected: "3/4", tolerance: 0.01 },
  { type: "regex", pattern: "^\\d{4}-\\d{2}$", flags: "i" },
  { type: "regex", pattern: "(a+)+$" },
  { type: "json", expected: { ok: true } },
  { type: "rubric", rubric: "Names the cause." },
  { type: "contains", value: "Mars", negate: true },
  { type: "js", code: "output.length < 80" },
  { type: "all", checks: [{ type: "exact", expected: "x" }, { type: "contains", value: "y" }], weights: [1, 2] },
);
const validTask = fc.record(
  { id: fc.oneof(fc.stringMatching(/^[a-z0-9]{1,8}$/), fc.integer({ min: 0, max: 1000 })), split: fc.constantFrom("train", "train", "val", "test"), input: fc.oneof(fc.string({ minLength: 1, maxLength: 30 }), fc.constant("x".repeat(200_000))), check: validCheck },
  { requiredKeys: ["split", "input", "check"] },
);
const brokenTask = fc.record(
  { id: fc.oneof(fc.constantFrom("a", "b", "a\nb", ""), fc.integer(), fc.string({ maxLength: 5 })), split: fc.oneof(fc.constantFrom("train", "val", "test"), weirdString), input: fc.oneof(fc.string({ maxLength: 30 }), fc.constantFrom("", "x".repeat(200_000))), check: checkArb, extra: weirdValue },
  { requiredKeys: ["split", "input", "check"] },
);
const taskArb: fc.Arbitrary<unknown> = fc.oneof({ weight: 6, arbitrary: validTask }, { weight: 3, arbitrary: brokenTask }, { weight: 1, arbitrary: weirdValue });
const suiteArb = fc.oneof(
  fc.record({ kind: fc.constant("tasks" as const), tasks: fc.array(validTask, { minLength: 2, maxLength: 6 }) }),
  fc.record({ kind: fc.constant("splits" as const), train: fc.array(validTask, { minLength: 1, maxLength: 3 }), val: fc.array(validTask, { minLength: 1, maxLength: 2 }), test: fc.constant(undefined) }),
  fc.record({ kind: fc.constant("tasks" as const), tasks: fc.array(taskArb, { maxLength: 6 }) }),
  fc.record({ kind: fc.constant("splits" as const), train: fc.array(taskArb, { maxLength: 3 }), val: fc.array(taskArb, { maxLength: 3 }), test: fc.option(fc.array(taskArb, { maxLength: 3 }), { nil: undefined }) }),
  fc.record({ kind: fc.constant("promptfoo" as const), tests: fc.oneof(fc.array(fc.record({ vars: fc.dictionary(fc.string({ maxLength: 4 }), weirdValue, { maxKeys: 2 }), assert: fc.array(fc.record({ type: fc.constantFrom("equals", "contains", "regex", "javascript", "llm-rubric", "is-json", ""), value: weirdValue }), { maxLength: 2 }), metadata: fc.option(fc.record({ split: weirdString }), { nil: undefined }) }, { requiredKeys: [] }), { maxLength: 7 }), weirdString), prompts: fc.option(fc.oneof(fc.array(weirdString, { maxLength: 2 }), weirdString), { nil: undefined }) }),
  fc.record({ kind: fc.constant("junk" as const), value: weirdValue }),
);
const suiteFile = fc.record({
  suite: suiteArb,
  format: fc.constantFrom("yaml", "yaml", "yml", "json", "json", "jsonl", "jsonl", "bytes", "txt"),
  bytes: fc.uint8Array({ maxLength: 300 }),
  duplicate: fc.boolean(),
});

function suiteData(suite: { kind: string } & Record<string, unknown>): unknown {
  const { kind, ...rest } = suite;
  if (kind === "junk") return rest.value;
  if (kind === "splits" && rest.test === undefined) delete rest.test;
  if (kind === "promptfoo" && rest.prompts === undefined) delete rest.prompts;
  return rest;
}

/** The suite's tasks as JSONL lines: listed under their split's key, they carry the split instead. */
function jsonlLines(suite: { kind: string } & Record<string, unknown>, data: unknown): unknown[] {
  if (suite.kind === "tasks") return suite.tasks as unknown[];
  if (suite.kind !== "splits") return [data];
  return (["train", "val", "test"] as const).flatMap((split) =>
    ((suite[split] as unknown[] | undefined) ?? []).map((t) => (t !== null && typeof t === "object" && !Array.isArray(t) ? { ...t, split } : t)),
  );
}

describe("task files: random mistakes are one line naming the file", () => {
  it("loadTaskSuite returns a valid suite or throws a one-line UserError naming the file", () => {
    let valid = 0;
    fc.assert(
      fc.property(suiteFile, ({ suite, format, bytes, duplicate }) => {
        const data = suiteData(suite as { kind: string });
        const tasks = (suite as { tasks?: unknown[] }).tasks;
        if (duplicate && tasks !== undefined && tasks.length > 0) tasks.push(tasks[0]);
        let file: string;
        if (format === "bytes") file = writeFile(bytes, duplicate ? "yaml" : "jsonl");
        else if (format === "jsonl") file = writeFile(jsonlLines(suite as { kind: string }, data).map((t) => JSON.stringify(t) ?? "undefined").join("\n"), "jsonl");
        else file = writeFile(data, format === "txt" ? "txt" : format);
        let result: ReturnType<typeof loadTaskSuite> | undefined;
        const e = caught(() => (result = loadTaskSuite(file)));
        if (e !== undefined) {
          expectOneLine(e, file);
          return;
        }
        valid++;
        const ids = result!.tasks.map((t) => t.id);
        expect(new Set(ids).size).toBe(ids.length);
        expect(result!.tasks.some((t) => t.split === "train")).toBe(true);
        expect(result!.tasks.some((t) => t.split === "val")).toBe(true);
      }),
      { numRuns: 150, seed: 4242 },
    );
    expect(valid).toBeGreaterThan(0);
  }, 300_000);

  it("a suite file that is a folder, missing, empty or a bomb is one line naming it", () => {
    const folder = join(dir, "a-folder");
    expect(caught(() => loadTaskSuite(folder))).toBeInstanceOf(UserError);
    expect((caught(() => loadTaskSuite(folder)) as Error).message).toContain(folder);
    expect((caught(() => loadTaskSuite(folder)) as Error).message).not.toMatch(/\n/);
    for (const [text, ext] of [["", "yaml"], ["", "json"], ["", "jsonl"], ["\n\n", "jsonl"], ["null", "json"], ["[]", "json"], ["tasks: []\n", "yaml"]] as const) {
      const file = writeFile(text, ext);
      expectOneLine(caught(() => loadTaskSuite(file)), file);
    }
    expect((caught(() => loadTaskSuite("/dev/null")) as Error).message).toBe("/dev/null: is not a regular file, expected a task suite file (.yaml, .yml, .json or .jsonl)");
    const deep = writeFile("[".repeat(200_000), "json");
    expectOneLine(caught(() => loadTaskSuite(deep)), deep);
    // `all` checks nested thousands deep: the validation itself must not overflow into a crash.
    for (const depth of [1_000, 3_000, 100_000]) {
      const nested = `${'{"type":"all","checks":['.repeat(depth)}{"type":"exact","expected":"x"}${"]}".repeat(depth)}`;
      const deepAll = writeFile(`{"tasks":[{"split":"train","input":"q","check":${nested}}]}`, "json");
      expectOneLine(caught(() => loadTaskSuite(deepAll)), deepAll);
      const deepLine = writeFile(`{"split":"train","input":"q","check":${nested}}`, "jsonl");
      expectOneLine(caught(() => loadTaskSuite(deepLine)), deepLine);
    }
    const deepYaml = writeFile("a: ".concat("[".repeat(50_000)), "yaml");
    expectOneLine(caught(() => loadTaskSuite(deepYaml)), deepYaml);
    const aliases = writeFile(`a: &a [x, x, x, x, x, x, x, x, x, x]\n${Array.from({ length: 8 }, (_, i) => `${"bcdefghi"[i]}: &${"bcdefghi"[i]} [${Array(10).fill(`*${"abcdefgh"[i]}`).join(", ")}]`).join("\n")}\ntasks: []\n`, "yaml");
    expectOneLine(caught(() => loadTaskSuite(aliases)), aliases);
    const badRegex = writeFile({ tasks: [{ split: "train", input: "q", check: { type: "regex", pattern: `(${"\n".repeat(3)}${"x".repeat(5000)}` } }] }, "yaml");
    const rest = expectOneLine(caught(() => loadTaskSuite(badRegex)), badRegex);
    expect(rest).toMatch(/^tasks\[0\]\.check\.pattern: invalid regex/);
    expect(rest.length).toBeLessThan(300);
  });
});

// ---------------------------------------------------------------------------------------------
// (c) the CLI

function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(CLI[0], [...CLI.slice(1), ...args], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], timeout: 60_000 });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.on("close", (code) => done({ code, stdout, stderr }));
  });
}

describe("the CLI with random bad campaign files", () => {
  it("exits 2 with exactly one `error:` line on stderr and no stack trace", async () => {
    // Random mutations that loadCampaign rejects, plus four of the named mistakes, run side by side.
    const random = fc
      .sample(campaignFile, { numRuns: 60, seed: 77 })
      .map(writeCampaign)
      .filter(({ file }) => caught(() => loadCampaign(file)) instanceof UserError)
      .slice(0, 3)
      .map(({ file }) => file);
    const named = [
      (c: Record<string, any>) => (c.tasks = "./a-folder"),
      (c: Record<string, any>) => (c.strategy.presets = ["wizard"]),
      (c: Record<string, any>) => (c.roles.user = "gpt\n9"),
    ].map((edit) => {
      const campaign = structuredClone(base) as Record<string, any>;
      edit(campaign);
      return writeFile(campaign, "yaml");
    });
    const emptyTasks = writeFile({ ...structuredClone(base), tasks: "./empty.yaml" }, "yaml");
    const files = [...random, ...named, emptyTasks];
    expect(files.length).toBe(7);
    const out = mkdtempSync(join(tmpdir(), "he-bad-cli-"));
    const results = await Promise.all(files.map((f, i) => runCli(["run", f, "--out", join(out, `run-${i}`)])));
    results.forEach((r, i) => {
      const what = `${files[i]}: ${r.stderr}`;
      // The very line loading gives in process, and no run folder left behind.
      const expected = caught(() => loadTaskSuite(loadCampaign(files[i]!).tasksPath!)) as Error;
      expect(r.stderr, what).toBe(`error: ${expected.message}\n`);
      expect(fileKind(join(out, `run-${i}`)), what).toBe("missing");
      expect(r.code, what).toBe(2);
      expect(r.stdout, what).toBe("");
      const lines = r.stderr.replace(/\n$/, "").split("\n");
      expect(lines, what).toHaveLength(1);
      expect(lines[0], what).toMatch(/^error: \S/);
      expect(r.stderr, what).not.toMatch(/^\s+at /m);
    });
    rmSync(out, { recursive: true, force: true });
  }, 300_000);
});
