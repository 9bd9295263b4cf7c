/**
 * One proposal: an operator's prompt(s) sent to the `evolver` role and the reply parsed into a
 * new harness. Bad replies are retried under new sample keys and end as `ok: false`; errors of
 * the call itself (budget, endpoint) propagate, since only the caller can decide about those.
 */
import type { Complete, CompletionResponse } from "../llm/types.js";
import type { OperatorStep } from "../protocol/tags.js";
import { parseCritiqueReply, parseHarnessReply } from "./parse.js";
import { buildPrompt, type ParentView, type PromptInput } from "./templates.js";

export type OperatorName = "mutate" | "crossover" | "refine" | "rewrite";
export const OPERATORS: readonly OperatorName[] = ["mutate", "crossover", "refine", "rewrite"];

export type ProposalParent = ParentView;

export interface ProposeOptions {
  /** Logical position, e.g. `island=2/gen=5/conv=3/turn=1`; steps append `/op=<step>`, retries `/try=<n>`. */
  sampleKey: string;
  temperature?: number;
  /** Replies tried per step before giving up (default 3). */
  maxAttempts?: number;
  maxTokens?: number;
  /** Example task inputs shown to the evolver. */
  context?: string;
}

export type ProposeResult =
  | { ok: true; harness: string; critique?: string; calls: number; modelKey: string }
  | { ok: false; reason: string; calls: number };

const MIN_PARENTS: Record<OperatorName, number> = { mutate: 1, crossover: 2, refine: 1, rewrite: 0 };

type StepOutcome<T> = { ok: true; value: T; res: CompletionResponse; calls: number } | { ok: false; reason: string; calls: number };

/** Ask for one step until its reply parses, at most `maxAttempts` times. */
async function runStep<T>(
  step: OperatorStep,
  input: PromptInput,
  complete: Complete,
  opts: ProposeOptions,
  parse: (text: string) => { ok: true; value: T } | { ok: false; reason: string },
): Promise<StepOutcome<T>> {
  const messages = buildPrompt(step, input);
  const base = `${opts.sampleKey}/op=${step}`;
  const attempts = Math.max(1, opts.maxAttempts ?? 3);
  let reason = "no attempt";
  for (let n = 0; n < attempts; n++) {
    const res = await complete({
      role: "evolver",
      messages,
      sampleKey: n === 0 ? base : `${base}/try=${n}`,
      ...(opts.maxTokens !== undefined ? { maxTokens: opts.maxTokens } : {}),
      ...(opts.temperature !== undefined ? { temperature: opts.temperature } : {}),
    });
    const parsed = parse(res.text);
    if (parsed.ok) return { ok: true, value: parsed.value, res, calls: n + 1 };
    reason = parsed.reason;
  }
  return { ok: false, reason: `${step}: ${reason} (${attempts} attempt${attempts > 1 ? "s" : ""})`, calls: attempts };
}

const harnessParser = (text: string) => {
  const r = parseHarnessReply(text);
  return r.ok ? { ok: true as const, value: r.harness } : r;
};
const critiqueParser = (text: string) => {
  const r = parseCritiqueReply(text);
  return r.ok ? { ok: true as const, value: r.critique } : r;
};

/**
 * Run operator `op` on `parents`: mutate uses the first parent, crossover all (≥2), refine the
 * first (critic, then author with the critique), rewrite none. Throws RangeError on too few
 * parents (a caller bug), never on a bad reply.
 */
export async function propose(op: OperatorName, parents: readonly ProposalParent[], complete: Complete, opts: ProposeOptions): Promise<ProposeResult> {
  if (parents.length < MIN_PARENTS[op]) throw new RangeError(`${op} needs at least ${MIN_PARENTS[op]} parent(s), got ${parents.length}`);
  const used = op === "rewrite" ? [] : op === "crossover" ? parents : parents.slice(0, 1);
  const input: PromptInput = { parents: used, ...(opts.context !== undefined ? { context: opts.context } : {}) };

  if (op !== "refine") {
    const r = await runStep(op, input, complete, opts, harnessParser);
    return r.ok ? { ok: true, harness: r.value, calls: r.calls, modelKey: r.res.modelKey } : r;
  }
  const critic = await runStep("refine-critic", input, complete, opts, critiqueParser);
  if (!critic.ok) return critic;
  const author = await runStep("refine-author", { ...input, critique: critic.value }, complete, opts, harnessParser);
  const calls = critic.calls + author.calls;
  if (!author.ok) return { ok: false, reason: author.reason, calls };
  return { ok: true, harness: author.value, critique: critic.value, calls, modelKey: author.res.modelKey };
}
