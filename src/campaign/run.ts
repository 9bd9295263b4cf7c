import { existsSync, mkdirSync, rmdirSync, unlinkSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { Ledger } from "../budget/ledger.js";
import { budgetCaps } from "../budget/split.js";
import { loadCampaign, type LoadedCampaign, type LoadOptions } from "../config/load.js";
import { loadPreset, type Preset } from "../config/presets.js";
import { UserError, writeFailureCause } from "../config/errors.js";
import { showPath } from "../config/read.js";
import { type CampaignConfig, type Role } from "../config/schema.js";
import { CommandFitness } from "../fitness/command-fitness.js";
import { ModuleFitness } from "../fitness/module-fitness.js";
import type { Cost } from "../budget/types.js";
import type { Complete } from "../llm/types.js";
import { RunStoppedError } from "../search/context.js";
import { harnessHash } from "../harness/harness.js";
import { loadTaskSuite } from "../fitness/suite.js";
import { TaskFitness } from "../fitness/task-fitness.js";
import type { TaskSuite } from "../fitness/types.js";
import { createGateway, type Gateway } from "../llm/gateway.js";
import { DEFAULT_MAX_TOKENS } from "../llm/params.js";
import type { RunEvent, SearchContext, StrategyResult } from "../search/context.js";
import { CandidateEvaluator } from "../search/evaluator.js";
import { runIslands } from "../search/islands.js";
import { runGepa } from "../search/gepa.js";
import { runBaseline } from "../search/baselines.js";
import { isSimModel } from "../sim/models.js";
import { startSimServerThread } from "../sim/server-thread.js";
import { simServerOptions } from "./sim-world.js";
import { RUN_DB, RunStore } from "../store/run-store.js";
import { minibatchOf, taskBound, type WorstCall } from "./bounds.js";
import { checkSeedBudget, preflight, usedRoles } from "./preflight.js";
import { lockRunFolder, type RunLock } from "./lock.js";
import { simFigures } from "./sim-figures.js";
import { buildSummary, type RunSummary } from "./summary.js";
import { failedSummary } from "./failed.js";
import { markRunning, recordOutcome } from "./outcome.js";
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

/** The earlier run a fork replays up to `until` (its stored campaign, suite and presets). */
export interface ForkSource {
  loaded: LoadedCampaign;
  suite: TaskSuite | undefined;
  presets: Preset[];
  until: number;
}

export interface RunResult {
  dir: string;
  summary: RunSummary;
  /** `resume` found the run already completed and changed nothing. */
  alreadyCompleted?: boolean;
}

/** Runs a campaign file end to end and leaves a run folder (run.db, summary.json). */
export async function evolve(campaignFile: string, opts: EvolveOptions): Promise<RunResult> {
  const loaded = loadCampaign(campaignFile, opts);
  return runCampaign(loaded, opts);
}

export async function runCampaign(loaded: LoadedCampaign, opts: EvolveOptions): Promise<RunResult> {
  const suite = loaded.tasksPath ? loadTaskSuite(loaded.tasksPath) : undefined;
  preflight(loaded, suite, opts.env ?? process.env);
  checkSeedBudget(loaded, suite, loaded.config.budget);
  return inRunFolder(opts.out, { command: "harness-evolve run", label: `--out ${opts.out}`, create: true }, async ({ store, begun }) => {
    // A run.db without its campaign is a run killed before it began: start it afresh.
    if (store.getMeta("campaign") !== undefined) {
      throw new UserError(`--out ${opts.out}: already holds a run (run.db); choose another folder, delete it, or continue it with: harness-evolve resume ${opts.out}`);
    }
    // Everything a resume needs to replay this run exactly, whatever happens to the files later.
    const record = () => {
      store.transaction(() => {
        store.setMeta("campaign", JSON.stringify(loaded.config));
        store.setMeta("campaignFile", loaded.file);
        store.setMeta("seedHarness", loaded.seedHarness);
        store.setMeta("suite", JSON.stringify(suite ?? null));
        markRunning(store);
      });
      begun();
    };
    return execute(loaded, suite, store, opts, undefined, record);
  });
}

/** What `inRunFolder` hands its command. */
export interface RunFolder {
  store: RunStore;
  /** run.db did not exist before this call. */
  fresh: boolean;
  /** Say that the campaign is recorded: from then on a failure leaves a resumable run, not litter to remove. */
  begun: () => void;
}

/**
 * Runs `go` as the one owner of run folder `dir` (lock.ts): creates the folder when
 * `create` (else it must hold a run.db), locks it, opens run.db. If `go` fails before
 * the campaign is recorded, what this call created goes again (a folder `run` would
 * refuse and `resume` could not continue); a failed write becomes one line naming the
 * folder (`label`) and its cause.
 */
export async function inRunFolder<T>(dir: string, how: { command: string; label: string; create: boolean }, go: (folder: RunFolder) => Promise<T>): Promise<T> {
  let made: string[] = [];
  let lock: RunLock | undefined;
  let store: RunStore | undefined;
  let fresh = false;
  let begun = false;
  try {
    if (how.create) made = makeFolders(dir);
    lock = lockRunFolder(dir, how.command);
    fresh = !existsSync(join(dir, RUN_DB));
    // Checked under the lock: a run that holds it may not have made its run.db yet.
    if (fresh && !how.create) throw new UserError(`${dir}: no run.db here (not a run folder)`);
    store = RunStore.open(dir);
    return await go({ store, fresh, begun: () => (begun = true) });
  } catch (e) {
    throw asWriteFailure(e, how.label, dir, begun);
  } finally {
    quietly(() => store?.close());
    if (lock && fresh && !begun) quietly(() => removeRunDb(dir));
    quietly(() => lock?.release());
    if (!begun) removeEmptyFolders(made);
  }
}

/**
 * Creates `dir` and its missing parents one at a time, so that a failure keeps its real
 * code (Node 20's recursive mkdir reports EROFS as ENOENT); returns the folders it made,
 * outermost first.
 */
function makeFolders(dir: string): string[] {
  const missing: string[] = [];
  for (let d = resolve(dir); !existsSync(d) && dirname(d) !== d; d = dirname(d)) missing.unshift(d);
  const made: string[] = [];
  for (const d of missing) {
    try {
      mkdirSync(d);
      made.push(d);
    } catch (e) {
      // Made by a run racing into the same folder: it is that run's.
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
  }
  return made;
}

/** Innermost first; stops at the first folder that holds anything (another run's files, or the user's). */
function removeEmptyFolders(made: readonly string[]): void {
  for (const d of [...made].reverse()) {
    try {
      rmdirSync(d);
    } catch {
      return;
    }
  }
}

function removeRunDb(dir: string): void {
  for (const name of [RUN_DB, `${RUN_DB}-wal`, `${RUN_DB}-shm`]) {
    try {
      unlinkSync(join(dir, name));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
    }
  }
}

/** Clean-up after a failure must not hide the failure. */
function quietly(f: () => void): void {
  try {
    f();
  } catch {
    // the original error is the one to report
  }
}

/**
 * A full disk, a read-only file system or a folder without write permission, met while
 * writing the run folder, as a one-line UserError; anything else unchanged. SQLite
 * rolls a failed write back, so a run that had begun stays resumable.
 */
function asWriteFailure(e: unknown, label: string, dir: string, begun: boolean): unknown {
  if (e instanceof UserError) return e;
  const cause = writeFailureCause(e);
  const err = e as NodeJS.ErrnoException;
  if (!cause || (err.path !== undefined && !related(err.path, dir))) return e;
  const where = err.syscall && err.path ? ` (${err.syscall} ${showPath(err.path)})` : "";
  const after = begun ? `; what is stored stays valid: once that is fixed, continue with: harness-evolve resume ${dir}` : "";
  return new UserError(`${label}: ${cause}${where}${after}`);
}

/** `a` is `b`, inside it, or one of its parents. */
function related(a: string, b: string): boolean {
  const inside = (x: string, y: string) => !relative(y, x).startsWith("..");
  return inside(resolve(a), resolve(b)) || inside(resolve(b), resolve(a));
}

/**
 * Runs (or, on a store that already holds responses, replays and continues) a campaign.
 * `begin` starts the attempt once everything the run needs is built (a new run records
 * its campaign, a resume drops what its replay rebuilds; either marks the run `running`,
 * see outcome.ts), so a setup failure leaves no half-begun run behind. A run that has begun and then ends with an error writes
 * summary.json with status `failed` and the cause, and stays resumable.
 */
export async function execute(loaded: LoadedCampaign, suite: TaskSuite | undefined, store: RunStore, opts: EvolveOptions, fork: ForkSource | undefined, begin: () => void): Promise<RunResult> {
  const started = Date.now();
  const { config } = loaded;
  const ledger = new Ledger(budgetCaps(config.budget));
  // A resumed run began long ago; a new one begins when `begin` records its campaign.
  let begun = store.getMeta("campaign") !== undefined;
  let sim: Awaited<ReturnType<typeof startSimServerThread>> | undefined;
  let gateway: Gateway | undefined;
  let forkGateway: Gateway | undefined;
  let closeFitness: (() => Promise<void>) | undefined;
  try {
    // A replay uses the presets the run started with, even if the preset files changed since.
    const stored = store.getMeta("presets");
    const presets: Preset[] = stored ? (JSON.parse(stored) as Preset[]) : resolvePresets(loaded);
    if (!stored) store.setMeta("presets", JSON.stringify(presets));
    const roles: Role[] = usedRoles(loaded, suite);
    const needsSim = [config, ...(fork ? [fork.loaded.config] : [])].some((c) => Object.values(c.models).some((m) => isSimModel(m.model) && !m.baseURL));
    sim = needsSim ? await startSimServerThread(simServerOptions(config)) : undefined;
    gateway = createGateway({ config, store, ledger, simBaseURL: sim?.baseURL, env: opts.env, baseDir: dirname(loaded.file), httpThread: true });
    const g = gateway;
    const built = buildEvaluator(loaded, suite, store, g, opts.signal);
    closeFitness = built.close;
    const evaluator = built.evaluator;
    const emit = (event: RunEvent) => {
      store.appendEvent(event.type, event);
      if (event.type !== "generation") return opts.onEvent?.(event);
      const { truncated, empty, refused, promptCut } = g.stats();
      opts.onEvent?.({ ...event, replies: { truncated, empty, refused, promptCut } });
    };
    const ctx: SearchContext = {
      turnBound: turnBound(g, evaluator, loaded.seedHarness),
      config,
      seed: config.seed,
      seedHarness: loaded.seedHarness,
      presets,
      ledger,
      bind: (account) => stoppable(g.bind(account), opts.signal),
      evaluator,
      store,
      emit,
      taskContext: taskContext(suite),
      roles,
      inProcessIslands: opts.inProcessIslands,
      signal: opts.signal,
    };
    if (fork) {
      // The replayed part runs under the earlier campaign, through its own models and fitness, on this run's budget.
      forkGateway = createGateway({ config: fork.loaded.config, store, ledger, simBaseURL: sim?.baseURL, env: opts.env, baseDir: dirname(fork.loaded.file), httpThread: true });
      const fg = forkGateway;
      const builtOld = buildEvaluator(fork.loaded, fork.suite, store, fg, opts.signal);
      const closeNew = closeFitness;
      closeFitness = async () => {
        await closeNew?.();
        await builtOld.close?.();
      };
      ctx.fork = {
        until: fork.until,
        ctx: {
          ...ctx,
          config: fork.loaded.config,
          presets: fork.presets,
          bind: (account) => stoppable(fg.bind(account), opts.signal),
          evaluator: builtOld.evaluator,
          turnBound: turnBound(fg, builtOld.evaluator, fork.loaded.seedHarness),
          taskContext: taskContext(fork.suite),
          roles: usedRoles(fork.loaded, fork.suite),
        },
      };
    }
    begin();
    begun = true;
    let result: StrategyResult;
    try {
      result = await runStrategy(ctx);
    } catch (e) {
      if ((e as Error).name !== "RunStoppedError") throw e;
      result = stoppedBeforeSeed(loaded.seedHarness);
    }
    const summary = buildSummary({
      config,
      ...result,
      candidates: result.candidates.length,
      store,
      ledger,
      sim: suite ? simFigures(config, suite, result) : undefined,
      durationMs: Date.now() - started,
    });
    recordOutcome(store, opts.out, summary);
    await writeReportQuietly(opts.out);
    return { dir: opts.out, summary };
  } catch (e) {
    if (begun) await recordFailure(e, { config, seedHarness: loaded.seedHarness, store, ledger, secrets: secretsOf([config, fork?.loaded.config], opts.env ?? process.env), durationMs: Date.now() - started }, opts.out);
    throw e;
  } finally {
    await closeFitness?.();
    await forkGateway?.close();
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
function buildEvaluator(loaded: LoadedCampaign, suite: TaskSuite | undefined, store: RunStore, g: Gateway, signal?: AbortSignal): { evaluator: CandidateEvaluator; close?: () => Promise<void> } {
  const { config } = loaded;
  const f = config.fitness;
  const dir = dirname(loaded.file);
  const common = { tasks: suite?.tasks ?? [], store, bind: (account: Ledger) => stoppable(g.bind(account), signal) };
  if (f.type === "module") {
    const fitness = new ModuleFitness({ file: resolve(dir, f.path), timeoutMs: f.timeoutMs, memoryMb: f.memoryMb, options: f.options, seed: config.seed, tasks: suite?.tasks, verdicts: store });
    return { evaluator: new CandidateEvaluator({ ...common, fitness, minibatchIds: [] }), close: () => fitness.close() };
  }
  if (f.type === "command") {
    const fitness = new CommandFitness({ run: f.run, cwd: resolve(dir, f.cwd ?? "."), timeoutMs: f.timeoutMs, seed: config.seed, verdicts: store });
    return { evaluator: new CandidateEvaluator({ ...common, fitness, minibatchIds: [] }) };
  }
  if (!suite) throw new UserError(`${loaded.file}: tasks: required by fitness type "tasks"`);
  const worstCall: WorstCall = (role, messages, maxTokens) => g.worstCase({ role, messages, maxTokens, sampleKey: "bound" });
  const thorough = { ...f, samples: f.samples * 2 };
  const evaluator = new CandidateEvaluator({
    ...common,
    fitness: new TaskFitness(suite, f, store),
    thorough: config.budget.policy === "adaptive" ? { fitness: new TaskFitness(suite, thorough, store), bound: taskBound(thorough, worstCall) } : undefined,
    bound: taskBound(f, worstCall),
    minibatchIds: minibatchOf(config, f, suite),
  });
  return { evaluator };
}

/** The gateway's worst case for one call of a role (max over the role's models). */

/** A few example task inputs, shown to evolvers (also by `models check`, to send what the run sends). */
export function taskContext(suite: TaskSuite | undefined): string {
  return (suite?.tasks ?? [])
    .filter((t) => t.split === "train")
    .slice(0, 3)
    .map((t) => `- ${t.input.replace(/\s+/g, " ").slice(0, 240)}`)
    .join("\n");
}

/** Stopped before the seed harness was even scored: nothing to report but the seed itself. */
function stoppedBeforeSeed(text: string): StrategyResult {
  const seed = { id: "seed", hash: harnessHash(text), text, trainScore: null, valScore: null, testScore: null };
  return { status: "stopped", reason: "stopped before the seed harness was scored; continue with: harness-evolve resume <run-dir>", generations: 0, candidates: [], best: seed, seedHarness: seed, islands: [], anytime: [] };
}

/**
 * Once a stop is asked for, no new model call starts: the conversations see it as the
 * end of their budget and wind down, and calls already in flight finish and are stored.
 */
function stoppable(complete: Complete, signal: AbortSignal | undefined): Complete {
  if (!signal) return complete;
  return (req) => (signal.aborted ? Promise.reject(new RunStoppedError()) : complete(req));
}

/** Errors that ended a run after it began, and the run folder whose summary.json now says so (for the CLI's hint). */
const failedRuns = new WeakMap<object, string>();

/** The run folder `e` ended as `failed`, when it ended one. */
export function failedRunFolder(e: unknown): string | undefined {
  return typeof e === "object" && e !== null ? failedRuns.get(e) : undefined;
}

/**
 * Writes the failed run's summary (and report) from what run.db holds. Best effort: the
 * error that ended the run is the one to report, even if the disk that caused it takes this too.
 */
async function recordFailure(error: unknown, args: Omit<Parameters<typeof failedSummary>[0], "error">, dir: string): Promise<void> {
  try {
    recordOutcome(args.store, dir, failedSummary({ ...args, error }));
  } catch {
    return;
  }
  if (typeof error === "object" && error !== null) failedRuns.set(error, dir);
  try {
    await writeReport(dir);
  } catch {
    // one line on stderr: the error's; `harness-evolve report` can draw it later
  }
}

/** The API keys the campaigns' models read from the environment: never written into a summary. */
function secretsOf(configs: readonly (CampaignConfig | undefined)[], env: Record<string, string | undefined>): string[] {
  const keys = configs.flatMap((c) => Object.values(c?.models ?? {}).map((m) => (m.apiKeyEnv ? env[m.apiKeyEnv] : undefined)));
  return keys.filter((k): k is string => typeof k === "string" && k !== "");
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
    case "gepa":
      return runGepa(ctx);
    default:
      return runBaseline(ctx);
  }
}

/** The island presets of a campaign, one per island (none for a baseline); `models check` sends their temperatures too. */
export function resolvePresets(loaded: LoadedCampaign): Preset[] {
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

export { DEFAULT_MAX_TOKENS };
