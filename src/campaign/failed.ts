/**
 * The summary of a run that ended with an error instead of a status (the seed harness could
 * not be scored, a model failed for good, a worker died): what run.db holds so far, in the
 * shape of a finished run's summary, with status `failed` and the cause as its reason.
 */
import type { Ledger } from "../budget/ledger.js";
import { oneLineMessage } from "../config/errors.js";
import type { CampaignConfig } from "../config/schema.js";
import { harnessHash } from "../harness/harness.js";
import type { AnytimePoint, IslandStats, RunEvent, ScoredHarness } from "../search/context.js";
import type { RunStore } from "../store/run-store.js";
import { buildSummary, type RunSummary } from "./summary.js";

/** Long enough for an endpoint's message and the hint after it; a reason is read by people, not parsed. */
const MAX_REASON_CHARS = 600;

export function failedSummary(args: {
  config: CampaignConfig;
  seedHarness: string;
  store: RunStore;
  ledger: Ledger;
  error: unknown;
  /** Values that must never reach summary.json (the API keys in use). */
  secrets: readonly string[];
  durationMs: number;
}): RunSummary {
  const { store } = args;
  const train = fullTrainScores(store);
  const held = heldOutScores(store, "seed");
  const seed: ScoredHarness = { id: "seed", hash: harnessHash(args.seedHarness), text: args.seedHarness, trainScore: train.get("seed") ?? null, valScore: held.val, testScore: held.test };
  const evaluated = store.candidates().filter((c) => c.status === "evaluated");
  // The best by train score so far; val never picked a winner, so it has no val or test (the seed keeps its own).
  let best = seed;
  for (const c of evaluated) {
    const score = train.get(c.id);
    if (score !== undefined && score > (best.trainScore ?? -Infinity)) best = { id: c.id, hash: c.hash, text: c.text, trainScore: score, valScore: null, testScore: null };
  }
  const generations = store.events("generation").map((e) => e.payload as Extract<RunEvent, { type: "generation" }>);
  const anytime: AnytimePoint[] = generations.map((g) => {
    let top: { id: string; score: number } | undefined;
    for (const c of evaluated) {
      const score = train.get(c.id);
      if (score !== undefined && c.generation <= g.generation && (!top || score > top.score)) top = { id: c.id, score };
    }
    return { round: g.generation, usd: g.spend.usd, tokens: g.spend.tokens, calls: g.spend.calls, bestTrain: top?.score ?? null, bestId: top?.id ?? null };
  });
  const islands: IslandStats[] = generations.at(-1)?.islands ?? [];
  return buildSummary({
    config: args.config,
    status: "failed",
    reason: failureReason(args.error, args.secrets),
    generations: generations.length,
    candidates: new Set(evaluated.map((c) => c.hash)).size,
    best,
    seedHarness: seed,
    islands,
    anytime,
    store,
    ledger: args.ledger,
    durationMs: args.durationMs,
  });
}

/** The error's message on one short line, any key in use masked: never a stack trace. */
export function failureReason(error: unknown, secrets: readonly string[]): string {
  let text = error instanceof Error ? error.message : String(error);
  for (const s of secrets) if (s.length >= 4) text = text.split(s).join("[redacted]");
  text = oneLineMessage(text.trim() || "unknown error");
  return text.length <= MAX_REASON_CHARS ? text : `${text.slice(0, MAX_REASON_CHARS)}…`;
}

/** Each candidate's latest error-free full train score. */
function fullTrainScores(store: RunStore): Map<string, number> {
  const out = new Map<string, number>();
  for (const e of store.evaluations()) if (!e.error && e.split === "train" && e.stage === "full") out.set(e.candidateId, e.score);
  return out;
}

function heldOutScores(store: RunStore, id: string): { val: number | null; test: number | null } {
  const out = { val: null as number | null, test: null as number | null };
  for (const e of store.evaluations(id)) if (!e.error && (e.split === "val" || e.split === "test")) out[e.split] = e.score;
  return out;
}
