/**
 * Fitness from a task suite: the `user` role answers each task under the candidate harness,
 * and a check (or the verifier, for rubrics) scores each answer.
 */
import { UserError } from "../config/errors.js";
import { FINAL_ANSWER_PREFIX, wrap } from "../protocol/tags.js";
import { runCheck, type CheckResult } from "./checks.js";
import { buildFeedback } from "./feedback.js";
import { CostTally } from "./cost-tally.js";
import { allInOrder } from "./settle.js";
import type { ReplyKind } from "../llm/chat-endpoint.js";
import type { EvaluateOptions, Evaluation, Fitness, FitnessContext, Task, TaskResult, TaskSuite, VerdictCache } from "./types.js";
import { judgeRubric } from "./verifier.js";

export interface TaskFitnessOptions {
  /** Answers sampled per task; the task score is their mean. */
  samples?: number;
  /** Verifier judgements per rubric answer. */
  verifierSamples?: number;
  /** Failed tasks quoted in the feedback. */
  feedbackItems?: number;
  /** Output cap of each answer; unset, the gateway's precedence decides (the model's params, else the role default). */
  answerMaxTokens?: number;
  /** Output cap of each verifier judgement; unset, as above. */
  verifierMaxTokens?: number;
}

/** The user message for a task; the harness goes in the system message. */
export function taskPrompt(input: string): string {
  return `${wrap("task", input)}\n\nEnd your reply with a line \`${FINAL_ANSWER_PREFIX} <your answer>\`.`;
}

interface Scored extends CheckResult {
  answer: string;
  /** Set when the reply was not an answer (see ReplyKind). */
  reply?: Exclude<ReplyKind, "answer">;
}

/** Why a reply that is not an answer fails its task, in words for the feedback and the report. */
export function nonAnswerReason(kind: Exclude<ReplyKind, "answer">, maxTokens: number, blank: boolean): string {
  switch (kind) {
    case "truncated":
      return blank ? `no answer: the reply was cut at the output cap of ${maxTokens} tokens before any text (a reasoning model may have spent it thinking)` : `the reply was cut at the output cap of ${maxTokens} tokens`;
    case "empty":
      return "no answer: the model replied with empty text";
    case "refusal":
      return "no answer: the model refused";
    case "tool_calls":
      return "no answer: the model asked for tools instead of answering";
  }
}

export class TaskFitness implements Fitness {
  private readonly opts: Required<Omit<TaskFitnessOptions, "answerMaxTokens" | "verifierMaxTokens">> & Pick<TaskFitnessOptions, "answerMaxTokens" | "verifierMaxTokens">;

  constructor(
    readonly suite: TaskSuite,
    opts: TaskFitnessOptions = {},
    /** Where time-bounded checks (js) keep their verdicts, so a replay reuses them (run.db). */
    private readonly verdicts?: VerdictCache,
  ) {
    this.opts = {
      samples: opts.samples ?? 1,
      verifierSamples: opts.verifierSamples ?? 1,
      feedbackItems: opts.feedbackItems ?? 6,
      answerMaxTokens: opts.answerMaxTokens,
      verifierMaxTokens: opts.verifierMaxTokens,
    };
    for (const k of ["samples", "verifierSamples"] as const) {
      if (!Number.isInteger(this.opts[k]) || this.opts[k] < 1) throw new RangeError(`TaskFitness: ${k} must be a positive integer`);
    }
  }

  /** The tasks an evaluation covers: the split, or the given ids (which must belong to it). */
  selectTasks(opts: EvaluateOptions): Task[] {
    const inSplit = this.suite.tasks.filter((t) => t.split === opts.split);
    if (opts.taskIds === undefined) return inSplit;
    const byId = new Map(inSplit.map((t) => [t.id, t]));
    return opts.taskIds.map((id) => {
      const t = byId.get(id);
      if (!t) throw new Error(`TaskFitness: no ${opts.split} task with id "${id}" in ${this.suite.source}`);
      return t;
    });
  }

  async evaluate(harness: string, opts: EvaluateOptions, ctx: FitnessContext): Promise<Evaluation> {
    const tasks = this.selectTasks(opts);
    const tally = new CostTally();
    if (tasks.length === 0) {
      const msg = `no ${opts.split} tasks to evaluate`;
      return { score: 0, feedback: msg, split: opts.split, stage: "full", results: [], cost: tally.cost, error: msg };
    }
    // Fail before spending anything when a rubric cannot be judged.
    const rubric = tasks.find((t) => t.check.type === "rubric");
    if (rubric && !ctx.verifier) throw this.noVerifier(rubric);
    const results = await allInOrder(tasks.map((t) => this.runTask(harness, t, ctx, tally)));
    const score = results.reduce((s, r) => s + r.score, 0) / results.length;
    const feedback = buildFeedback(tasks, results, { split: opts.split, score, items: this.opts.feedbackItems });
    return { score, feedback, split: opts.split, stage: "full", results, cost: tally.cost };
  }

  private noVerifier(task: Task): UserError {
    return new UserError(`${this.suite.source}: task "${task.id}" has a rubric check, but the campaign binds no verifier model (roles.verifier)`);
  }

  private async runTask(harness: string, task: Task, ctx: FitnessContext, tally: CostTally): Promise<TaskResult> {
    const samples = await allInOrder(Array.from({ length: this.opts.samples }, (_, k) => this.runSample(harness, task, k, ctx, tally)));
    const score = samples.reduce((s, r) => s + r.score, 0) / samples.length;
    // Quote a failing sample when there is one: that is what the feedback needs.
    const shown = samples.find((s) => !s.pass) ?? samples[0]!;
    // Each sample passes by its own check's verdict (an `all` check at 0.75 still failed one assert); the task passes when most samples do.
    const passing = samples.filter((x) => x.pass).length;
    const pass = passing * 2 === samples.length ? score >= 0.5 : passing * 2 > samples.length;
    return {
      taskId: task.id,
      pass,
      score,
      answer: shown.answer,
      ...(shown.reason !== undefined && !pass ? { reason: shown.reason } : {}),
      ...(!pass && samples.some((x) => x.timeout) ? { timeout: true } : {}),
      ...(shown.reply !== undefined ? { reply: shown.reply } : {}),
    };
  }

  private async runSample(harness: string, task: Task, k: number, ctx: FitnessContext, tally: CostTally): Promise<Scored> {
    ctx.signal?.throwIfAborted();
    // The key names the position only, never the harness: the cache key already holds the
    // messages, and equal keys give every candidate the same random draw (common random numbers).
    const res = await ctx.user({
      role: "user",
      messages: [
        { role: "system", content: harness },
        { role: "user", content: taskPrompt(task.input) },
      ],
      sampleKey: `eval/task=${task.id}/s=${k}`,
      ...(this.opts.answerMaxTokens !== undefined ? { maxTokens: this.opts.answerMaxTokens } : {}),
    });
    tally.add(res);
    const answer = res.text;
    // A reply that is not an answer fails as such, never as a silent 0 that looks like a weak harness;
    // a cut reply with text is still checked (its answer line may be there).
    if (res.kind !== "answer" && (res.kind !== "truncated" || answer.trim() === "")) {
      return { pass: false, score: 0, reason: nonAnswerReason(res.kind, res.maxTokens, true), answer, reply: res.kind };
    }
    const cut = res.kind === "truncated" ? { reply: "truncated" as const } : {};
    if (task.check.type !== "rubric") {
      const checked = runCheck(task.check, answer, this.verdicts);
      return { ...checked, answer, ...cut, ...(cut.reply && !checked.pass ? { reason: `${nonAnswerReason("truncated", res.maxTokens, false)}; ${checked.reason ?? "check failed"}` } : {}) };
    }
    if (!ctx.verifier) throw this.noVerifier(task);
    const verdict = await judgeRubric(ctx.verifier, task.check.rubric, task.input, answer, {
      keyPrefix: `verify/task=${task.id}/s=${k}`,
      samples: this.opts.verifierSamples,
      ...(this.opts.verifierMaxTokens !== undefined ? { maxTokens: this.opts.verifierMaxTokens } : {}),
      signal: ctx.signal,
    });
    for (const r of verdict.responses) tally.add(r);
    return { pass: verdict.pass, score: verdict.score, reason: verdict.reason, answer, ...cut };
  }
}
