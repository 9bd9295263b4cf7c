import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { Ledger } from "../budget/ledger.js";
import { budgetCaps } from "../budget/split.js";
import { loadCampaign, type LoadedCampaign, type LoadOptions } from "../config/load.js";
import { loadPreset, type Preset } from "../config/presets.js";
import { UserError } from "../config/errors.js";
import { ROLES, type Role, type TaskFitnessConfig } from "../config/schema.js";
import { CommandFitness } from "../fitness/command-fitness.js";
import { ModuleFitness } from "../fitness/module-fitness.js";
import type { Cost } from "../budget/types.js";
import type { ChatMessage } from "../llm/types.js";
import { chooseMinibatch } from "../fitness/cascade.js";
import { loadTaskSuite } from "../fitness/suite.js";
import { TaskFitness } from "../fitness/task-fitness.js";
import type { TaskSuite } from "../fitness/types.js";
import { createGateway, type Gateway } from "../llm/gateway.js";
import { DEFAULT_MAX_TOKENS } from "../llm/params.js";
import type { RunEvent, SearchContext, StrategyResult } from "../search/context.js";
import { CandidateEvaluator } from "../search/evaluator.js";
import { runIslands } from "../search/islands.js";
import { runBaseline } from "../search/baselines.js";
import { stream } from "../search/rng.js";
import { isSimModel } from "../sim/models.js";
import { startSimServer } from "../sim/server.js";
import { RunStore } from "../store/run-store.js";
import { evaluationBound } from "./bounds.js";
import { simFigures } from "./sim-figures.js";
import { buildSummary, writeSummary, type RunSummary } from "./summary.js";
import { writeReport } from "../report/index.js";

export interface EvolveOptions extends LoadOptions {
  /** The run folder (created). */
  out: string;
  onEvent?: (event: RunEvent) => void;
  /** Islands in this thread instead of worker threads. */
  inProcessIslands?: boolean;
  signal?: AbortSignal;
  env?: Record<string, string | undefined>;
}

export interface RunResult {
  dir: string;
  summary: RunSummary;
}

/** Runs a campaign file end to end and leaves a run folder (run.db, summary.json). */
export async function evolve(campaignFile: string, opts: EvolveOptions): Promise<RunResult> {
  const loaded = loadCampaign(campaignFile, opts);
  return runCampaign(loaded, opts);
}

export async function runCampaign(loaded: LoadedCampaign, opts: EvolveOptions): Promise<RunResult> {
  const started = Date.now();
  const { config } = loaded;
  const suite = loaded.tasksPath ? loadTaskSuite(loaded.tasksPath) : undefined;
  const presets = resolvePresets(loaded);
  const roles = usedRoles(loaded, suite);
  if (existsSync(join(opts.out, "run.db"))) {
    throw new UserError(`--out ${opts.out}: already holds a run (run.db); choose another folder or delete it`);
  }
  const store = RunStore.open(opts.out);
  store.setMeta("campaign", JSON.stringify(config));
  store.setMeta("campaignFile", loaded.file);
  const needsSim = Object.values(config.models).some((m) => isSimModel(m.model) && !m.baseURL);
  const sim = needsSim ? await startSimServer({ world: config.sim.world, latencyMs: config.sim.latencyMs }) : undefined;
  let gateway: Gateway | undefined;
  let closeFitness: (() => Promise<void>) | undefined;
  try {
    const ledger = new Ledger(budgetCaps(config.budget));
    gateway = createGateway({ config, store, ledger, simBaseURL: sim?.baseURL, env: opts.env });
    const g = gateway;
    const built = buildEvaluator(loaded, suite, store, g);
    closeFitness = built.close;
    const evaluator = built.evaluator;
    const emit = (event: RunEvent) => {
      store.appendEvent(event.type, event);
      opts.onEvent?.(event);
    };
    const ctx: SearchContext = {
      turnBound: turnBound(g, evaluator, loaded.seedHarness),
      config,
      seed: config.seed,
      seedHarness: loaded.seedHarness,
      presets,
      ledger,
      bind: (account) => g.bind(account),
      evaluator,
      store,
      emit,
      taskContext: (suite?.tasks ?? [])
        .filter((t) => t.split === "train")
        .slice(0, 3)
        .map((t) => `- ${t.input.replace(/\s+/g, " ").slice(0, 240)}`)
        .join("\n"),
      roles,
      inProcessIslands: opts.inProcessIslands,
      signal: opts.signal,
    };
    const result = await runStrategy(ctx);
    const summary = buildSummary({
      config,
      ...result,
      candidates: result.candidates.length,
      store,
      ledger,
      sim: suite ? simFigures(config, suite, result) : undefined,
      durationMs: Date.now() - started,
    });
    writeSummary(opts.out, summary);
    await writeReportQuietly(opts.out);
    return { dir: opts.out, summary };
  } finally {
    await closeFitness?.();
    await gateway?.close();
    await sim?.close();
    store.close();
  }
}

/**
 * Worst case of one conversation turn, per role: a critic-then-author pair of evolver
 * calls and a full train evaluation (plus its minibatch), for a harness up to twice the
 * seed's length. Rounds shrink their width so that every conversation can afford this.
 */
function turnBound(g: Gateway, evaluator: CandidateEvaluator, seedHarness: string): Partial<Record<Role, Cost>> {
  const probe = seedHarness + " ".repeat(seedHarness.length + 2000);
  const evolverCall = g.worstCase({ role: "evolver", sampleKey: "bound", messages: [{ role: "system", content: " ".repeat(1500) }, { role: "user", content: probe + probe + " ".repeat(3000) }] });
  const evaluation = evaluator.worstCase(probe, evaluator.tasksOf("train"));
  const minibatch = evaluator.worstCase(probe, evaluator.tasksOf("train", evaluator.minibatchIds));
  const sum = (a?: Cost, b?: Cost): Cost => ({ usd: (a?.usd ?? 0) + (b?.usd ?? 0), tokens: (a?.tokens ?? 0) + (b?.tokens ?? 0), calls: (a?.calls ?? 0) + (b?.calls ?? 0) });
  return {
    evolver: sum(evolverCall, evolverCall),
    ...(evaluation.user ? { user: sum(evaluation.user, minibatch.user) } : {}),
    ...(evaluation.verifier ? { verifier: sum(evaluation.verifier, minibatch.verifier) } : {}),
  };
}

/**
 * The fitness the campaign names, wrapped for the search: a task suite (cascade, carved
 * worst case), a module (worker threads) or a command (any program).
 */
function buildEvaluator(loaded: LoadedCampaign, suite: TaskSuite | undefined, store: RunStore, g: Gateway): { evaluator: CandidateEvaluator; close?: () => Promise<void> } {
  const { config } = loaded;
  const f = config.fitness;
  const dir = dirname(loaded.file);
  const common = { tasks: suite?.tasks ?? [], store, bind: (account: Ledger) => g.bind(account) };
  if (f.type === "module") {
    const fitness = new ModuleFitness({ file: resolve(dir, f.path), timeoutMs: f.timeoutMs, memoryMb: f.memoryMb, options: f.options, seed: config.seed, tasks: suite?.tasks });
    return { evaluator: new CandidateEvaluator({ ...common, fitness, minibatchIds: [] }), close: () => fitness.close() };
  }
  if (f.type === "command") {
    const fitness = new CommandFitness({ run: f.run, cwd: resolve(dir, f.cwd ?? "."), timeoutMs: f.timeoutMs });
    return { evaluator: new CandidateEvaluator({ ...common, fitness, minibatchIds: [] }) };
  }
  if (!suite) throw new UserError(`${loaded.file}: tasks: required by fitness type "tasks"`);
  const trainIds = suite.tasks.filter((t) => t.split === "train").map((t) => t.id);
  const worstCase = (role: Role, messages: ChatMessage[], maxTokens: number) => g.worstCase({ role, messages, maxTokens, sampleKey: "bound" });
  const bound = (fitness: TaskFitnessConfig) => evaluationBound({ fitness, worstCase, answerMaxTokens: 512, verifierMaxTokens: 1024 });
  const thorough = { ...f, samples: f.samples * 2 };
  const evaluator = new CandidateEvaluator({
    ...common,
    fitness: new TaskFitness(suite, f),
    thorough: config.budget.policy === "adaptive" ? { fitness: new TaskFitness(suite, thorough), bound: bound(thorough) } : undefined,
    bound: bound(f),
    minibatchIds: chooseMinibatch(trainIds, f.minibatch, stream(config.seed, "minibatch")),
  });
  return { evaluator };
}

/** The report is a view of the run: if it cannot be drawn, the run still stands, and `report <run-dir>` can retry. */
async function writeReportQuietly(dir: string): Promise<void> {
  try {
    await writeReport(dir);
  } catch (e) {
    process.stderr.write(`warning: report.html not written (${(e as Error).message}); run \`harness-evolve report ${dir}\` to retry\n`);
  }
}

function runStrategy(ctx: SearchContext): Promise<StrategyResult> {
  switch (ctx.config.strategy.name) {
    case "islands":
      return runIslands(ctx);
    default:
      return runBaseline(ctx);
  }
}

function resolvePresets(loaded: LoadedCampaign): Preset[] {
  const s = loaded.config.strategy;
  if (s.name !== "islands") return [];
  const names = s.presets.length ? s.presets : ["balanced"];
  const presets = Array.from({ length: s.islands }, (_, i) => loadPreset(names[i % names.length]!, dirname(loaded.file), `strategy.presets[${i % names.length}]`));
  presets.forEach((p, i) => {
    if (p.evolver && !(p.evolver in loaded.config.models)) {
      throw new UserError(`strategy.presets[${i % names.length}]: preset ${p.name} names evolver model "${p.evolver}", which models does not define`);
    }
  });
  return presets;
}

function usedRoles(loaded: LoadedCampaign, suite: TaskSuite | undefined): Role[] {
  if (!suite || loaded.config.fitness.type !== "tasks") return ROLES.filter((r) => r !== "verifier" || loaded.config.roles.verifier !== undefined);
  const rubric = suite.tasks.some((t) => t.check.type === "rubric");
  if (rubric && !loaded.config.roles.verifier) {
    throw new UserError(`roles.verifier: required because ${loaded.config.tasks} has rubric tasks`);
  }
  return ROLES.filter((r) => r !== "verifier" || rubric);
}

export { DEFAULT_MAX_TOKENS };
