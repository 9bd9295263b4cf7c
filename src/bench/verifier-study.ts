/**
 * The reasoning verifier, measured: on a campaign's rubric tasks, how often the verifier's
 * verdict agrees with ground truth as a function of its reasoning budget and of the number of
 * judgements averaged, and what one judgement costs. Ground truth is known only in the
 * simulated world, so the study runs on `sim:` models only.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { Ledger } from "../budget/ledger.js";
import { UserError } from "../config/errors.js";
import { loadCampaign } from "../config/load.js";
import type { CampaignConfig, ModelConfig, RoleBinding } from "../config/schema.js";
import { loadTaskSuite } from "../fitness/suite.js";
import { taskPrompt } from "../fitness/task-fitness.js";
import type { Task } from "../fitness/types.js";
import { judgeRubric } from "../fitness/verifier.js";
import { createGateway, type Gateway } from "../llm/gateway.js";
import { DEFAULT_MAX_TOKENS } from "../llm/params.js";
import type { Complete } from "../llm/types.js";
import { simOptimum } from "../sim/optimum.js";
import { isSimModel } from "../sim/models.js";
import { startSimServer, type SimServer } from "../sim/server.js";
import { groundTruth } from "../sim/verifier.js";
import { createWorld, lookupTask } from "../sim/world.js";
import { simKnobs, simServerOptions } from "../campaign/sim-world.js";
import { RunStore } from "../store/run-store.js";
import { lineChartSvg } from "./charts.js";
import { verifierStudyMarkdown, wilsonInterval, type VerifierStudy, type VerifierStudyRow } from "./verifier-study-report.js";

export { verifierStudyMarkdown, wilsonInterval, type VerifierStudy, type VerifierStudyRow } from "./verifier-study-report.js";

export const DEFAULT_REASONING: readonly number[] = [0, 50, 100, 200, 400, 800, 1600];
export const DEFAULT_SAMPLES: readonly number[] = [1, 3, 5];
export const DEFAULT_ANSWERS_PER_TASK = 3;
/** Written into the study's folder. */
export const STUDY_FILE = "verifier-study.json";
/** Output cap of the user role's answers (as TaskFitness uses). */
const ANSWER_MAX_TOKENS = 512;

export interface VerifierStudyOptions {
  /** The study's folder (created): run.db (every call, and the cache a rerun replays) and verifier-study.json. */
  out: string;
  /** Reasoning budgets (tokens) to measure. */
  reasoning?: readonly number[];
  /** Judgements averaged into one verdict (mean score, pass at 0.5). */
  samples?: readonly number[];
  /** Answers the user role writes per rubric task. */
  answersPerTask?: number;
  seed?: number;
  sets?: readonly string[];
}

/** The model key the study adds for reasoning budget `r`. */
export function judgeKey(r: number): string {
  return `judge_r${r}`;
}

/** Output cap of a judgement at reasoning budget `r`: room for the reasoning and the score line. */
export function judgeMaxTokens(r: number): number {
  return Math.max(DEFAULT_MAX_TOKENS.verifier, r + 512);
}

function bindingKeys(binding: RoleBinding | undefined): string[] {
  if (binding === undefined) return [];
  return typeof binding === "string" ? [binding] : [...new Set(binding.map((b) => b.model))];
}

function sortedUnique(values: readonly number[], what: string, min: number): number[] {
  if (values.length === 0) throw new UserError(`verifier study: ${what}: give at least one value`);
  for (const v of values) {
    if (!Number.isInteger(v) || v < min) throw new UserError(`verifier study: ${what}: ${v} is not an integer >= ${min}`);
  }
  return [...new Set(values)].sort((a, b) => a - b);
}

/** Models and roles the study's gateway serves: the user role's models, the verifier, and one judge per budget. */
function studyConfig(config: CampaignConfig, verifierKey: string, verifier: ModelConfig, budgets: readonly number[]): CampaignConfig {
  const models: Record<string, ModelConfig> = {};
  for (const key of bindingKeys(config.roles.user)) models[key] = config.models[key]!;
  models[verifierKey] = verifier;
  for (const r of budgets) {
    const key = judgeKey(r);
    if (key in config.models) throw new UserError(`models.${key}: the verifier study adds a model of this name; rename yours`);
    models[key] = { ...verifier, params: { ...verifier.params, reasoningTokens: r } };
  }
  // Only the models the study calls: an unused real model would otherwise need its API key.
  return { ...config, models, roles: { evolver: config.roles.user, user: config.roles.user, verifier: verifierKey }, budget: { policy: "fixed" } };
}

interface StudyAnswer {
  task: Task & { check: { type: "rubric"; rubric: string } };
  k: number;
  text: string;
  truth: boolean;
}

/** Measure the campaign's verifier against ground truth over reasoning budgets and sample counts. */
export async function verifierStudy(campaignFile: string, opts: VerifierStudyOptions): Promise<VerifierStudy> {
  const budgets = sortedUnique(opts.reasoning ?? DEFAULT_REASONING, "reasoning", 0);
  const sampleCounts = sortedUnique(opts.samples ?? DEFAULT_SAMPLES, "samples", 1);
  const perTask = opts.answersPerTask ?? DEFAULT_ANSWERS_PER_TASK;
  if (!Number.isInteger(perTask) || perTask < 1) throw new UserError(`verifier study: answersPerTask: ${perTask} is not a positive integer`);

  const loaded = loadCampaign(campaignFile, { sets: opts.sets, seed: opts.seed });
  const { config } = loaded;
  const verifierKeys = bindingKeys(config.roles.verifier);
  if (verifierKeys.length === 0) throw new UserError(`roles.verifier: the verifier study needs a verifier; bind one model to roles.verifier`);
  if (verifierKeys.length > 1) {
    throw new UserError(`roles.verifier: the verifier study measures one model, but the role is bound to ${verifierKeys.length} (${verifierKeys.join(", ")}); bind it to a single model`);
  }
  const verifierKey = verifierKeys[0]!;
  const verifier = config.models[verifierKey]!;
  if (!loaded.tasksPath) throw new UserError(`${loaded.file}: tasks: the verifier study needs a task suite with rubric tasks`);
  const suite = loadTaskSuite(loaded.tasksPath);
  const tasks = suite.tasks.filter((t): t is StudyAnswer["task"] => t.check.type === "rubric");
  if (tasks.length === 0) throw new UserError(`${config.tasks}: no rubric tasks (check.type: rubric); the verifier study judges rubric tasks only`);
  for (const [role, keys] of [["verifier", verifierKeys], ["user", bindingKeys(config.roles.user)]] as const) {
    for (const key of keys) {
      const m = config.models[key]!;
      if (!isSimModel(m.model)) {
        throw new UserError(
          `roles.${role}: model ${key} (${m.model}) is not simulated; agreement with ground truth is only measurable on simulated (sim:) models, since for real models the ground truth is unknown`,
        );
      }
    }
  }

  const study = studyConfig(config, verifierKey, verifier, budgets);
  const world = createWorld(config.sim.world, simKnobs(config));
  const store = RunStore.open(opts.out);
  store.setMeta("campaign", JSON.stringify(config));
  store.setMeta("campaignFile", loaded.file);
  store.setMeta("verifierStudy", JSON.stringify({ reasoning: budgets, samples: sampleCounts, answersPerTask: perTask }));
  let sim: SimServer | undefined;
  let gateway: Gateway | undefined;
  try {
    if (Object.values(study.models).some((m) => isSimModel(m.model) && !m.baseURL)) {
      sim = await startSimServer(simServerOptions(config));
    }
    gateway = createGateway({ config: study, store, ledger: new Ledger({ total: {} }), simBaseURL: sim?.baseURL });
    const complete = gateway.bind();

    // Answers written under the seed harness and under the world's best harness alternate,
    // so the verifier sees right answers as well as wrong ones.
    const userModel = config.models[bindingKeys(config.roles.user)[0]!]!.model;
    const strong = simOptimum(world, userModel, suite.tasks.filter((t) => t.split === "val").map((t) => t.id)).harness;
    const answers: StudyAnswer[] = await Promise.all(
      tasks.flatMap((task) =>
        Array.from({ length: perTask }, async (_, k) => {
          const res = await complete({
            role: "user",
            messages: [
              { role: "system", content: k % 2 === 0 ? loaded.seedHarness : strong },
              { role: "user", content: taskPrompt(task.input) },
            ],
            sampleKey: `study/answer/task=${task.id}/k=${k}`,
            maxTokens: ANSWER_MAX_TOKENS,
          });
          const truth = groundTruth(world, lookupTask(world, task.input), task.check.rubric, res.text).pass;
          return { task, k, text: res.text, truth };
        }),
      ),
    );

    const points = budgets.flatMap((r) => sampleCounts.map((s) => ({ r, s })));
    const rows = await Promise.all(
      points.map(async ({ r, s }): Promise<VerifierStudyRow> => {
        const judge: Complete = (req) => complete({ ...req, model: judgeKey(r) });
        const verdicts = await Promise.all(
          answers.map((a) =>
            judgeRubric(judge, a.task.check.rubric, a.task.input, a.text, {
              keyPrefix: `study/judge/r=${r}/task=${a.task.id}/k=${a.k}`,
              samples: s,
              maxTokens: judgeMaxTokens(r),
            }),
          ),
        );
        let onPass = 0, onFail = 0, usd = 0, tokens = 0;
        verdicts.forEach((v, i) => {
          const truth = answers[i]!.truth;
          if (v.pass === truth) truth ? onPass++ : onFail++;
          // Cached responses count at their stored cost: the figure is what a fresh verdict costs.
          for (const res of v.responses) {
            usd += res.costUsd;
            tokens += res.usage.inputTokens + res.usage.outputTokens;
          }
        });
        const n = answers.length;
        const [low, high] = wilsonInterval(onPass + onFail, n);
        return {
          reasoningTokens: r,
          samples: s,
          agreement: (onPass + onFail) / n,
          low,
          high,
          usdPerJudgement: usd / n,
          tokensPerJudgement: tokens / n,
          agreedOnPass: onPass,
          agreedOnFail: onFail,
        };
      }),
    );

    const result: VerifierStudy = { model: verifier.model, answers: answers.length, positives: answers.filter((a) => a.truth).length, rows };
    writeFileSync(join(opts.out, STUDY_FILE), `${JSON.stringify(result, null, 2)}\n`);
    return result;
  } finally {
    await gateway?.close();
    await sim?.close();
    store.close();
  }
}

/** verifier.md and verifier.svg (agreement against reasoning budget, one line per sample count) beside the JSON. */
export async function writeVerifierStudy(out: string, study: VerifierStudy): Promise<void> {
  const svg = await lineChartSvg({
    title: `Verifier agreement with ground truth (${study.model}, simulated)`,
    x: { field: "reasoningTokens", title: "reasoning tokens per judgement" },
    y: { field: "agreement", title: "agreement with ground truth" },
    series: { field: "samples", title: "samples per answer" },
    band: { low: "low", high: "high" },
    data: study.rows.map((r) => ({ ...r, samples: `${r.samples}` })),
    yDomain: [0, 1],
  });
  writeFileSync(join(out, "verifier.svg"), svg);
  writeFileSync(join(out, "verifier.md"), `${verifierStudyMarkdown(study)}\n![verifier agreement](verifier.svg)\n`);
}
