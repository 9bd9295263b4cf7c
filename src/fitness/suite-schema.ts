/**
 * The zod schema of a task suite file and the wording of its errors. Errors must let a user fix
 * the file without reading code, so every zod issue becomes `<field path>: <what was expected>`.
 */
import { z } from "zod";
import { showKey } from "../config/format.js";
import { jsAssertionBody, type ProgrammaticCheck } from "./checks.js";
import { readNumber } from "./numbers.js";
import { compileRegex } from "./regex.js";
import { SPLITS } from "./types.js";

export const CHECK_TYPES = ["exact", "regex", "numeric", "json", "rubric", "contains", "js", "all"] as const;

const nonEmpty = z.string().min(1);
const scalarText = z.union([z.string(), z.number(), z.boolean()]).transform(String);

/**
 * `{ type: regex, pattern, flags? }`. The pattern must compile for the linear-time engine the
 * checks run on (regex.ts: RE2 syntax, so no backreferences or lookahead); a task file that
 * uses JS-only syntax is refused here, with the reason, rather than failing every answer later.
 */
const RegexCheck = z
  .object({ type: z.literal("regex"), pattern: nonEmpty, flags: z.string().regex(/^[dgimsuvy]*$/, "only the flags d g i m s u v y").optional() })
  .strict()
  .superRefine((c, ctx) => {
    const compiled = compileRegex(c.pattern, c.flags);
    // The field path already says which pattern; the reason need not quote it again.
    if (!compiled.ok) ctx.addIssue({ code: "custom", path: ["pattern"], message: compiled.reason.replace(/^invalid regex \/[\s\S]*\/: /, "invalid regex: ") });
  });

const NumericCheck = z
  .object({ type: z.literal("numeric"), expected: z.union([z.number(), nonEmpty]), tolerance: z.number().nonnegative().optional() })
  .strict()
  .superRefine((c, ctx) => {
    let r: ReturnType<typeof readNumber>;
    try {
      r = readNumber(c.expected);
    } catch (e) {
      r = { ok: false, reason: e instanceof RangeError ? "the expression is too long" : String(e) };
    }
    if (!r.ok) ctx.addIssue({ code: "custom", path: ["expected"], message: `not a number or arithmetic expression: ${r.reason}` });
  });

const ExactCheck = z.object({ type: z.literal("exact"), expected: scalarText, caseSensitive: z.boolean().optional() }).strict();
const JsonCheck = z.object({ type: z.literal("json"), expected: z.unknown().optional(), schema: z.record(z.string(), z.unknown()).optional() }).strict();
const RubricCheck = z.object({ type: z.literal("rubric"), rubric: nonEmpty }).strict();

/** `{ type: contains, value: "Paris" }`: case-insensitive unless `caseSensitive: true`; `negate: true` for "does not contain". */
const ContainsCheck = z
  .object({
    type: z.literal("contains"),
    value: z.union([nonEmpty, z.number(), z.boolean()]).transform(String),
    caseSensitive: z.boolean().optional(),
    negate: z.boolean().optional(),
  })
  .strict();

/** `{ type: js, code: "output.length < 80" }`: see checks.ts `checkJs`. The code must compile at load time. */
const JsCheck = z
  .object({
    type: z.literal("js"),
    code: nonEmpty,
    vars: z.record(z.string(), z.unknown()).optional(),
    threshold: z.number().min(0).max(1).optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    const r = jsAssertionBody(c.code);
    if (!r.ok) ctx.addIssue({ code: "custom", path: ["code"], message: r.reason });
  });

/** `{ type: all, checks: [...], weights?: [...] }`: every check must pass; the score is the (weighted) mean. No rubrics inside. */
const AllCheck = z
  .object({
    type: z.literal("all"),
    checks: z.array(z.lazy((): z.ZodType<ProgrammaticCheck> => ProgrammaticCheckSchema)).min(1),
    weights: z.array(z.number().nonnegative()).optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.weights === undefined) return;
    if (c.weights.length !== c.checks.length) {
      ctx.addIssue({ code: "custom", path: ["weights"], message: `${c.weights.length} weights for ${c.checks.length} checks (give one weight per check)` });
    } else if (!c.weights.some((w) => w > 0)) {
      ctx.addIssue({ code: "custom", path: ["weights"], message: "at least one weight must be positive" });
    }
  });

/** A check that needs no model: what an `all` check may combine. */
export const ProgrammaticCheckSchema = z.discriminatedUnion("type", [ExactCheck, RegexCheck, NumericCheck, JsonCheck, ContainsCheck, JsCheck, AllCheck]);

export const CheckSchema = z.discriminatedUnion("type", [ExactCheck, RegexCheck, NumericCheck, JsonCheck, RubricCheck, ContainsCheck, JsCheck, AllCheck]);

const taskFields = {
  id: z.union([nonEmpty, z.number()]).transform(String).optional(),
  input: nonEmpty,
  check: CheckSchema,
};

/** A task in a `tasks:` list or a JSONL line: the split is required. */
export const TaskWithSplitSchema = z.object({ ...taskFields, split: z.enum(SPLITS) }).strict();
/** A task under `train:`/`val:`/`test:`: the split comes from the key (a matching one is tolerated). */
const TaskInSplitSchema = z.object({ ...taskFields, split: z.enum(SPLITS).optional() }).strict();

export const SuiteFileSchema = z
  .object({
    description: z.string().optional(),
    tasks: z.array(TaskWithSplitSchema).optional(),
    train: z.array(TaskInSplitSchema).optional(),
    val: z.array(TaskInSplitSchema).optional(),
    test: z.array(TaskInSplitSchema).optional(),
  })
  .strict();

export type RawTask = z.output<typeof TaskInSplitSchema>;

/** `tasks[3].check.type` from zod's path array; a key that is not a plain name is quoted (`vars."a b"`). */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const p of path) out += typeof p === "number" ? `[${p}]` : `${out === "" ? "" : "."}${showKey(p)}`;
  return out;
}

const received = (message: string): string | undefined => /received (\w+)/.exec(message)?.[1];

/** One zod issue as `{ path, message }` in plain words. */
export function describeIssue(issue: z.core.$ZodIssue): { path: PropertyKey[]; message: string } {
  const path = [...issue.path];
  switch (issue.code) {
    case "invalid_union": {
      const options = (issue as { options?: unknown[] }).options;
      if (options) return { path, message: `expected one of ${options.map(String).join("|")}` };
      const expected = [...new Set(issue.errors.flat().map((e) => (e.code === "invalid_type" ? e.expected : undefined)).filter(Boolean))];
      const got = received(issue.errors.flat()[0]?.message ?? "");
      return { path, message: expected.length ? `expected ${expected.join(" or ")}${got ? `, got ${got}` : ""}` : "invalid value" };
    }
    case "invalid_type": {
      const got = received(issue.message);
      return { path, message: got === "undefined" ? `missing (expected ${issue.expected})` : `expected ${issue.expected}${got ? `, got ${got}` : ""}` };
    }
    case "invalid_value":
      return { path, message: `expected ${issue.values.length === 1 ? JSON.stringify(issue.values[0]) : `one of ${issue.values.map(String).join("|")}`}` };
    case "unrecognized_keys":
      return { path: [...path, issue.keys[0] ?? "?"], message: `unknown field${issue.keys.length > 1 ? ` (also ${issue.keys.slice(1).map(showKey).join(", ")})` : ""}` };
    case "too_small":
      if (issue.origin === "string" && Number(issue.minimum) === 1) return { path, message: "must not be empty" };
      return { path, message: issue.message.replace(/^Too small: /, "") };
    case "invalid_format":
      return { path, message: issue.message.replace(/^Invalid string: /, "") };
    default:
      return { path, message: issue.message.replace(/^Invalid input: /, "") };
  }
}
