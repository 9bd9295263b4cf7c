/**
 * Loading a task suite from YAML or JSON (`tasks:` list, or `train:`/`val:`/`test:` lists) or JSONL
 * (one task per line). A YAML/JSON file whose top level has `tests:` is a promptfoo test file and
 * is converted by promptfoo.ts. Every problem is a UserError naming the file and the field,
 * because a suite is written by hand and the first run is where its mistakes show.
 */
import { extname } from "node:path";
import type { z } from "zod";
import { UserError } from "../config/errors.js";
import { fileKind, parseYamlText, plainData, readText } from "../config/read.js";
import { isPromptfooSuite, promptfooSuite } from "./promptfoo.js";
import { describeIssue, formatPath, SuiteFileSchema, TaskWithSplitSchema, type RawTask } from "./suite-schema.js";
import { SPLITS, type Check, type Split, type Task, type TaskSuite } from "./types.js";

/** A validated task before ids are assigned, with where it came from (`tasks[3]`, `line 4`). */
interface Located {
  raw: RawTask;
  split: Split;
  where: string;
}

/** `tasks[3]` + `id` → `tasks[3].id`; a JSONL line → `line 4: id`. */
function at(where: string, field: string): string {
  if (field === "") return where;
  if (where === "") return field;
  return where.startsWith("line ") ? `${where}: ${field}` : `${where}.${field}`;
}

function fail(file: string, where: string, message: string): never {
  throw new UserError(`${file}: ${where === "" ? "" : `${where}: `}${message}`);
}

function firstIssue(file: string, where: string, error: { issues: Parameters<typeof describeIssue>[0][] }): never {
  const issue = error.issues[0]!;
  const { path, message } = describeIssue(issue);
  const more = error.issues.length > 1 ? ` (and ${error.issues.length - 1} more problem${error.issues.length > 2 ? "s" : ""})` : "";
  fail(file, at(where, formatPath(path)), message + more);
}

function parseYaml(file: string, text: string): unknown {
  const parsed = parseYamlText(text);
  if (!parsed.ok) fail(file, "", `invalid YAML: ${parsed.reason}`);
  return parsed.value;
}

/** JSON text as data, refusing what no check could walk (nesting deeper than the stack). */
function parseJson(file: string, where: string, text: string): unknown {
  if (text.trim() === "") return undefined;
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    fail(file, where, `invalid JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  const problem = plainData(data);
  if (problem !== undefined) fail(file, where, `invalid JSON: ${problem}`);
  return data;
}

/**
 * `schema.safeParse(data)`, with a failure of the validation itself (a stack overflow on a
 * hostile nesting of `all` checks) reported like any other mistake in the file.
 */
function validate<T extends z.ZodType>(schema: T, file: string, where: string, data: unknown): z.output<T> {
  let parsed: ReturnType<T["safeParse"]>;
  try {
    parsed = schema.safeParse(data) as ReturnType<T["safeParse"]>;
  } catch (e) {
    fail(file, where, `could not be read: ${e instanceof RangeError ? "nested too deeply" : String((e as Error)?.message ?? e)}`);
  }
  if (!parsed.success) firstIssue(file, where, parsed.error);
  return parsed.data as z.output<T>;
}

function readSuiteData(file: string, data: unknown): Located[] {
  const suite = validate(SuiteFileSchema, file, "", data);
  const bySplit = SPLITS.some((s) => suite[s] !== undefined);
  if (suite.tasks !== undefined && bySplit) fail(file, "tasks", "use either `tasks:` or `train:`/`val:`/`test:` lists, not both");
  if (suite.tasks !== undefined) return suite.tasks.map((raw, i) => ({ raw, split: raw.split, where: `tasks[${i}]` }));
  const out: Located[] = [];
  for (const split of SPLITS) {
    suite[split]?.forEach((raw, i) => {
      const where = `${split}[${i}]`;
      if (raw.split !== undefined && raw.split !== split) fail(file, at(where, "split"), `says "${raw.split}" but the task is listed under ${split}:`);
      out.push({ raw, split, where });
    });
  }
  return out;
}

function readJsonl(file: string, text: string): Located[] {
  const out: Located[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    const where = `line ${i + 1}`;
    if (line.trim() === "") return;
    const data = parseJson(file, where, line);
    const task = validate(TaskWithSplitSchema, file, where, data);
    out.push({ raw: task, split: task.split, where });
  });
  return out;
}

/** Assign ids (`<split>-<index within the split>` when omitted) and check the suite as a whole. */
function assemble(file: string, located: Located[]): TaskSuite {
  if (located.length === 0) fail(file, "", "the task suite has no tasks");
  const counters: Record<Split, number> = { train: 0, val: 0, test: 0 };
  const seen = new Map<string, string>();
  const tasks: Task[] = located.map(({ raw, split, where }) => {
    const index = counters[split]++;
    const id = raw.id ?? `${split}-${index}`;
    const previous = seen.get(id);
    if (previous !== undefined) fail(file, at(where, "id"), `duplicate task id "${id}" (also ${previous})`);
    seen.set(id, where);
    return { id, split, input: raw.input, check: raw.check as Check };
  });
  for (const split of ["train", "val"] as const) {
    if (counters[split] === 0) {
      fail(file, "", `no ${split} tasks (${split === "train" ? "train tasks are what candidates are scored on" : "val tasks pick the winner"})`);
    }
  }
  return { tasks, source: file };
}

/**
 * Read and validate a task suite; throws UserError naming the file and the field on any problem.
 * `.yaml`/`.yml`/`.json` files hold a suite, or a promptfoo test file (top-level `tests:`);
 * `.jsonl` files hold one task per line.
 */
export function loadTaskSuite(path: string): TaskSuite {
  const kind = fileKind(path);
  if (kind === "missing") throw new UserError(`task suite not found: ${path}`);
  const text = readText(path, path, "a task suite file (.yaml, .yml, .json or .jsonl)");
  const ext = extname(path).toLowerCase();
  if (ext === ".jsonl") return assemble(path, readJsonl(path, text));
  if (ext === ".yaml" || ext === ".yml" || ext === ".json") {
    const data = ext === ".json" ? parseJson(path, "", text) : parseYaml(path, text);
    if (data === null || data === undefined) fail(path, "", "the task suite is empty");
    if (typeof data !== "object" || Array.isArray(data)) {
      fail(path, "", "expected a mapping with `tasks:` or `train:`/`val:`/`test:` lists (or a promptfoo file with `tests:`)");
    }
    if (isPromptfooSuite(data)) return promptfooSuite(path, data);
    return assemble(path, readSuiteData(path, data));
  }
  throw new UserError(`${path}: unknown task suite format "${ext}" (use .yaml, .yml, .json or .jsonl)`);
}

/** Task ids of one split, in file order. */
export function splitIds(suite: TaskSuite, split: Split): string[] {
  return suite.tasks.filter((t) => t.split === split).map((t) => t.id);
}
