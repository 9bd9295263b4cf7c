import { z } from "zod";

/** Roles a model can be bound to. */
export const ROLES = ["evolver", "user", "verifier"] as const;
export type Role = (typeof ROLES)[number];

export const STRATEGIES = ["islands", "gepa", "best-of-n", "sequential-revision", "one-pass"] as const;
export type StrategyName = (typeof STRATEGIES)[number];

/** Simulated world presets (their knobs: src/sim/presets.ts; a test keeps the two lists equal). */
export const WORLD_PRESET_NAMES = ["separable", "rugged", "deceptive"] as const;

const positiveInt = z.number().int().positive();
const unit = z.number().min(0).max(1);
const nonNegative = z.number().nonnegative();

export const PriceSchema = z
  .object({
    inputPerM: nonNegative.describe("USD per million input tokens"),
    outputPerM: nonNegative.describe("USD per million output tokens"),
  })
  .strict();

export const ModelSchema = z
  .object({
    /** Model name sent to the endpoint; `sim:<tier>` names a built-in simulated model. */
    model: z.string().min(1),
    /** OpenAI-compatible base URL (…/v1). Omitted for `sim:` models: an in-process sim server is started. */
    baseURL: z.string().url().optional(),
    /** Name of the environment variable that holds the API key (never the key itself). */
    apiKeyEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "an environment variable name").optional(),
    /** Sampling params passed to the endpoint (camelCase is sent as snake_case: maxTokens → max_tokens, reasoningEffort → reasoning_effort). */
    params: z.record(z.string(), z.unknown()).default({}),
    /**
     * A reasoning model (o3, o4-mini, gpt-5, DeepSeek-R1...): no temperature unless params set one,
     * the cap sent as max_completion_tokens, larger default caps. Unset: the built-in table
     * (src/llm/capabilities.ts) decides by model name.
     */
    reasoning: z.boolean().optional(),
    price: PriceSchema.optional(),
    /** Calls in flight at once against this model. */
    concurrency: positiveInt.default(8),
    timeoutMs: positiveInt.default(60_000),
    maxRetries: z.number().int().min(0).max(20).default(5),
    /** Requests per minute the gateway may send to this model (cache hits don't count); spaced evenly. */
    rpm: z.number().positive().optional(),
    /** Tokens (input + output) per minute; a call counts its worst case until its usage is known. */
    tpm: z.number().positive().optional(),
  })
  .strict()
  .superRefine((m, ctx) => {
    // Sim-only knobs sent to a real endpoint get a 400 on every call; refuse them at load instead.
    if (m.model.startsWith("sim:")) return;
    for (const key of Object.keys(m.params)) {
      if (key === "reasoningTokens" || key === "reasoning_tokens") {
        ctx.addIssue({
          code: "custom",
          path: ["params", key],
          message: `a parameter of the simulated models only; '${m.model}' is not one (real endpoints reject it): remove it, or use reasoningEffort for a reasoning model`,
        });
      }
    }
  });

const RoleBindingSchema = z.union([
  z.string().min(1),
  z.array(z.object({ model: z.string().min(1), weight: z.number().positive().default(1) }).strict()).min(1),
]);

export const BudgetSchema = z
  .object({
    usd: z.number().positive().optional(),
    tokens: positiveInt.optional(),
    calls: positiveInt.optional(),
    split: z
      .object({ evolver: nonNegative, user: nonNegative, verifier: nonNegative })
      .strict()
      .refine((s) => Math.abs(s.evolver + s.user + s.verifier - 1) < 1e-6, "the shares must sum to 1")
      .optional(),
    policy: z.enum(["fixed", "adaptive"]).default("fixed"),
  })
  .strict();

export const IslandsStrategySchema = z
  .object({
    name: z.literal("islands"),
    islands: positiveInt.default(4),
    generations: positiveInt.default(10),
    conversations: positiveInt.default(5),
    turns: positiveInt.default(4),
    /** Preset names (files in islands/ or a path to a YAML file), one per island, cycled. */
    presets: z.array(z.string().min(1)).default(["explorer", "refiner"]),
    /** Candidates an island keeps between generations. */
    populationSize: positiveInt.default(20),
    /** Boltzmann temperature of the parent tournament (lower = greedier). */
    selectionTemperature: z.number().positive().default(0.1),
    maxParents: positiveInt.default(5),
    noParentProbability: z.number().min(0).max(1).default(1 / 6),
    migrate: z.object({ every: positiveInt.default(1), count: z.number().int().min(0).default(5) }).strict().default({ every: 1, count: 5 }),
    reset: z
      .object({
        every: positiveInt.default(3),
        islands: z.number().int().min(0).default(2),
        eliteSize: positiveInt.default(5),
        eliteFrom: positiveInt.default(15),
      })
      .strict()
      .default({ every: 3, islands: 2, eliteSize: 5, eliteFrom: 15 }),
    /** Shingle-Jaccard similarity above which a child is a near-duplicate of its island and is not evaluated. */
    nearDuplicate: z.number().min(0).max(1).default(0.92),
    /** Val-evaluated finalists chosen by train score at the end. */
    finalists: positiveInt.default(5),
    /** What a conversation's later turns refine: (Mind Evolution) its latest child, or its best candidate so far. */
    refineFrom: z.enum(["best", "latest"]).default("latest"),
    /** Choose each conversation's first operator with a UCB1 bandit per island, rewarded by improvement per dollar (ShinkaEvolve), instead of the preset's fixed weights. */
    operatorBandit: z.boolean().default(false),
    /** How first-turn parents are picked: the Boltzmann tournament on train score, or GEPA's per-task Pareto front of the island. */
    parentSelection: z.enum(["boltzmann", "pareto"]).default("boltzmann"),
  })
  .strict();

const finalists = positiveInt.default(5);

/** Mind Evolution's best-of-N: independent variants of the seed harness (no feedback loop), best by fitness. */
export const BestOfNStrategySchema = z
  .object({
    name: z.literal("best-of-n"),
    /** Candidates to write; the budget may stop the run sooner. */
    n: positiveInt.default(64),
    /** Candidates written in parallel per round. */
    width: positiveInt.default(8),
    temperature: z.number().min(0).max(2).default(1.0),
    finalists,
  })
  .strict();

/** Mind Evolution's sequential revision: k independent threads, each revised turn after turn (critic, then author). */
export const SequentialRevisionStrategySchema = z
  .object({
    name: z.literal("sequential-revision"),
    threads: positiveInt.default(4),
    turns: positiveInt.default(16),
    temperature: z.number().min(0).max(2).default(0.7),
    finalists,
  })
  .strict();

/** One rewrite of the seed harness's job from scratch; the seed stays a finalist. */
export const OnePassStrategySchema = z
  .object({ name: z.literal("one-pass"), temperature: z.number().min(0).max(2).default(0.7), finalists: positiveInt.default(1) })
  .strict();

/**
 * GEPA (arXiv 2507.19457): parents from the per-task Pareto front of every accepted candidate,
 * reflective mutation (critic, then author) checked on a fresh minibatch, kept only when it
 * beats its parent there; now and then a merge of two front members.
 */
export const GepaStrategySchema = z
  .object({
    name: z.literal("gepa"),
    /** Iterations run in parallel per round (each reads the pool as it was when the round began). */
    width: positiveInt.default(4),
    /** Train tasks per iteration's minibatch (the paper's default is 3). */
    minibatch: positiveInt.default(3),
    /** Chance an iteration merges two front members instead of mutating one. */
    mergeProbability: z.number().min(0).max(1).default(0.2),
    /** Iterations at most; the budget usually stops the run first. */
    iterations: positiveInt.default(10_000),
    temperature: z.number().min(0).max(2).default(0.7),
    finalists,
  })
  .strict();

export const StrategySchema = z.discriminatedUnion("name", [IslandsStrategySchema, GepaStrategySchema, BestOfNStrategySchema, SequentialRevisionStrategySchema, OnePassStrategySchema]);

export const TaskFitnessSchema = z
  .object({
    type: z.literal("tasks"),
    /** Train tasks scored first (cascade); only children that beat their parent here get the full train set. */
    minibatch: positiveInt.default(8),
    /** Samples per task (answers are sampled; more samples, less noise). */
    samples: positiveInt.default(1),
    /** Verifier samples per rubric judgement (they vote). */
    verifierSamples: positiveInt.default(1),
    /** Failed tasks quoted in the feedback text. */
    feedbackItems: positiveInt.default(6),
    /** Output cap of each answer (user role); wins over the user models' params. Unset: their params, else 512 (4096 for a reasoning model). */
    answerMaxTokens: positiveInt.optional(),
    /** Output cap of each verifier judgement; wins over the verifier models' params. Unset: their params, else 1024 (8192 for a reasoning model). */
    verifierMaxTokens: positiveInt.optional(),
  })
  .strict();

/** A TypeScript or JavaScript module whose default export is `defineFitness(...)`; run in a worker thread. */
export const ModuleFitnessSchema = z
  .object({
    type: z.literal("module"),
    /** Path to the module (relative to the campaign file). */
    path: z.string().min(1),
    /** Per evaluation; past it the candidate fails with the reason and the worker is replaced. */
    timeoutMs: positiveInt.default(60_000),
    /** Heap limit of the worker thread; a module that passes it fails that candidate. */
    memoryMb: positiveInt.default(512),
    /** Options handed to the module as `ctx.options`. */
    options: z.record(z.string(), z.unknown()).default({}),
  })
  .strict();

/** Any program: the harness on stdin (and its path in HARNESS_FILE), a JSON `{ score, feedback? }` on stdout. */
export const CommandFitnessSchema = z
  .object({
    type: z.literal("command"),
    /** The command line, run by the shell in the campaign file's folder (or `cwd`). */
    run: z.string().min(1),
    cwd: z.string().optional(),
    timeoutMs: positiveInt.default(60_000),
  })
  .strict();

export const FitnessSchema = z.discriminatedUnion("type", [TaskFitnessSchema, ModuleFitnessSchema, CommandFitnessSchema]);

export const CampaignSchema = z
  .object({
    name: z.string().min(1).default("campaign"),
    seed: z.number().int().default(0),
    /** Path to the seed harness (relative to the campaign file). */
    harness: z.string().min(1),
    /** Path to the task suite, YAML or JSONL, or a promptfoo test file (relative to the campaign file). Required by `fitness: { type: tasks }`. */
    tasks: z.string().min(1).optional(),
    models: z.record(z.string().regex(/^[A-Za-z0-9_.-]+$/, "a model key of letters, digits, _ . -"), ModelSchema).refine((m) => Object.keys(m).length > 0, "at least one model"),
    roles: z.object({ evolver: RoleBindingSchema, user: RoleBindingSchema, verifier: RoleBindingSchema.optional() }).strict(),
    fitness: FitnessSchema.default({ type: "tasks", minibatch: 8, samples: 1, verifierSamples: 1, feedbackItems: 6 }),
    strategy: StrategySchema,
    budget: BudgetSchema.default({ policy: "fixed" }),
    sim: z
      .object({
        world: z.number().int().default(1),
        latencyMs: z.number().int().min(0).default(0),
        /** How rugged the simulated landscape is (src/sim/presets.ts, docs/SIM-WORLD.md). */
        preset: z.enum(WORLD_PRESET_NAMES).default("separable"),
        /** Single knobs over the preset's. */
        knobs: z
          .object({
            epistasis: unit.optional(),
            deceptive: unit.optional(),
            misdiagnosis: unit.optional(),
            userNoise: unit.optional(),
            collapse: unit.optional(),
          })
          .strict()
          .default({}),
      })
      .strict()
      .default({ world: 1, latencyMs: 0, preset: "separable", knobs: {} }),
    /** Calls in flight across all models at once. */
    concurrency: positiveInt.default(16),
    /** Settings `harness-evolve bench` uses: each strategy's parameters when it is compared. */
    bench: z
      .object({
        strategies: z.partialRecord(z.enum(STRATEGIES), z.record(z.string(), z.unknown())).default({}),
        /** Ablation rows: a label and full strategy settings (with `name`), compared like a strategy (`--strategies <label>`). */
        variants: z.record(z.string().regex(/^[A-Za-z0-9_.+-]+$/, "a label of letters, digits, _ . + -"), z.record(z.string(), z.unknown())).default({}),
      })
      .strict()
      .optional(),
  })
  .strict();

export type CampaignInput = z.input<typeof CampaignSchema>;
export type CampaignConfig = z.output<typeof CampaignSchema>;
export type ModelConfig = z.output<typeof ModelSchema>;
export type BudgetConfig = z.output<typeof BudgetSchema>;
export type IslandsStrategyConfig = z.output<typeof IslandsStrategySchema>;
export type BestOfNStrategyConfig = z.output<typeof BestOfNStrategySchema>;
export type SequentialRevisionStrategyConfig = z.output<typeof SequentialRevisionStrategySchema>;
export type OnePassStrategyConfig = z.output<typeof OnePassStrategySchema>;
export type GepaStrategyConfig = z.output<typeof GepaStrategySchema>;
export type StrategyConfig = z.output<typeof StrategySchema>;
export type FitnessConfig = z.output<typeof FitnessSchema>;
export type TaskFitnessConfig = z.output<typeof TaskFitnessSchema>;
export type ModuleFitnessConfig = z.output<typeof ModuleFitnessSchema>;
export type CommandFitnessConfig = z.output<typeof CommandFitnessSchema>;
export type RoleBinding = z.output<typeof RoleBindingSchema>;
export type Price = z.output<typeof PriceSchema>;
