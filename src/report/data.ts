/**
 * Reads a run folder (summary.json and run.db, read-only) into the plain model the
 * HTML report renders. Works on any strategy and on runs that failed, were stopped or
 * never wrote their summary: what the folder lacks is left empty.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import type { RunSummary } from "../campaign/summary.js";
import { ROLES, type Role } from "../config/schema.js";
import { toCandidate, type Row } from "../store/rows.js";
import { timeoutCounts } from "../fitness/verdicts.js";
import { byPosition, RUN_DB, verdictTimeouts } from "../store/run-store.js";
import type { CandidateRecord, EvaluationRecord } from "../store/types.js";

/** What the report reads of an evaluation: its scores, not its per-task results (most of run.db). */
type EvaluationScore = Pick<EvaluationRecord, "candidateId" | "split" | "stage" | "score" | "error">;
import { ancestry, failures, type FailureRow, type LineageRow } from "./lineage.js";

export type { FailureRow, LineageRow } from "./lineage.js";

export interface HarnessView {
  id: string;
  text: string;
  train: number | null;
  val: number | null;
  test: number | null;
}

/** One island after one generation (from the "generation" events). */
export interface IslandPoint {
  generation: number;
  island: string;
  best: number;
  mean: number;
  diversity: number;
  size: number;
}

export interface RoleTotals {
  usd: number;
  tokens: number;
  calls: number;
  cachedCalls: number;
}

/** Cumulative spend of one role at `elapsed` seconds after the run's first call (paid calls only). */
export interface SpendPoint {
  elapsed: number;
  role: Role;
  usd: number;
  tokens: number;
}

export interface ReportModel {
  runDir: string;
  name: string;
  strategy: string;
  status: string;
  reason?: string;
  seed: number | null;
  generations: number;
  candidates: number;
  durationMs: number | null;
  finishedAt: string | null;
  /** False when summary.json is missing (a crashed run): best and spend come from run.db. */
  hasSummary: boolean;
  best: HarnessView;
  seedHarness: HarnessView;
  sim?: { optimum?: number; seed: number; best: number; model: string };
  /** Empty for strategies without islands (baselines). */
  islands: IslandPoint[];
  migrations: number[];
  resets: { generation: number; islands: number[] }[];
  anytime: { round: number; bestTrain: number | null; bestExpected: number | null }[];
  spend: Partial<Record<Role, RoleTotals>>;
  spendOverTime: SpendPoint[];
  lineage: LineageRow[];
  failures: FailureRow[];
  /** User code past its limit twice (js checks; module or command evaluations), from run.db's verdicts. */
  timeouts: { checks: number; evaluations: number };
  /** Responses that were not answers, and prompts a server cut (summary.json spend; 0 in runs before they were counted). */
  replies: { truncated: number; empty: number; refused: number; promptCut: number };
}

/** Samples per role on the spend-over-time curve. */
const SPEND_STEPS = 40;

export function readRun(runDir: string): ReportModel {
  const dbPath = join(runDir, RUN_DB);
  if (!existsSync(dbPath)) throw new Error(`${runDir}: no ${RUN_DB} in this folder`);
  const summaryPath = join(runDir, "summary.json");
  const summary = existsSync(summaryPath) ? (JSON.parse(readFileSync(summaryPath, "utf8")) as RunSummary) : undefined;
  // Not opened `readonly`: a read-only connection to a WAL database leaves empty -wal and -shm
  // files behind, while the last ordinary connection removes them. query_only forbids writes.
  const db = new Database(dbPath, { fileMustExist: true });
  try {
    db.pragma("query_only = ON");
    const all = <T>(sql: string, f: (r: Row) => T): T[] => (db.prepare(sql).all() as Row[]).map(f);
    const events = all("SELECT type, payload FROM events ORDER BY id", (r) => ({ type: r.type as string, p: JSON.parse(r.payload as string) as Record<string, unknown> }));
    // Logical order, as RunStore reads them: insertion order follows timing.
    const candidates = byPosition(all("SELECT * FROM candidates", toCandidate), (c) => c.id);
    const evaluations = byPosition(
      all("SELECT candidate_id, split, stage, score, error FROM evaluations ORDER BY id", (r): EvaluationScore => ({
        candidateId: r.candidate_id as string,
        split: r.split as EvaluationRecord["split"],
        stage: r.stage as EvaluationRecord["stage"],
        score: r.score as number,
        error: r.error as string | null,
      })),
      (e) => e.candidateId,
    );
    const calls = all("SELECT role, cost_usd, input_tokens, output_tokens, cached, ts FROM calls ORDER BY ts, id", (r) => r);
    const meta = db.prepare("SELECT value FROM meta WHERE key = 'campaign'").get() as { value: string } | undefined;
    const campaign = meta ? (JSON.parse(meta.value) as { name?: string; seed?: number; strategy?: { name?: string } }) : {};
    const scores = scoreTable(evaluations);
    const view = (id: string, text?: string): HarnessView => {
      const c = candidates.find((x) => x.id === id);
      const s = scores.get(id);
      return { id, text: text ?? c?.text ?? "", train: s?.train ?? null, val: s?.val ?? null, test: s?.test ?? null };
    };
    const statusEvent = events.filter((e) => e.type === "status").at(-1)?.p;
    const generationEvents = events.filter((e) => e.type === "generation").map((e) => e.p);
    const seedId = summary?.seedHarness.id ?? "seed";
    const bestId = summary?.best.id ?? fallbackBest(candidates, scores) ?? seedId;
    const best = summary
      ? { id: summary.best.id, text: summary.best.text, train: summary.best.trainScore, val: summary.best.valScore, test: summary.best.testScore }
      : view(bestId);
    const seedView = view(seedId);
    const seedHarness = summary ? { ...seedView, train: summary.seedHarness.trainScore, val: summary.seedHarness.valScore, test: summary.seedHarness.testScore } : seedView;
    return {
      runDir,
      name: summary?.name ?? campaign.name ?? "run",
      strategy: summary?.strategy ?? campaign.strategy?.name ?? "unknown",
      status: summary?.status ?? (statusEvent?.status as string | undefined) ?? "incomplete",
      ...((summary?.reason ?? statusEvent?.reason) ? { reason: (summary?.reason ?? statusEvent?.reason) as string } : {}),
      seed: summary?.seed ?? campaign.seed ?? null,
      generations: summary?.generations ?? generationEvents.length,
      candidates: summary?.candidates ?? candidates.length,
      durationMs: summary?.durationMs ?? null,
      finishedAt: summary?.finishedAt ?? null,
      hasSummary: summary !== undefined,
      best,
      seedHarness,
      ...(summary?.simExpected ? { sim: { ...summary.simExpected, ...(summary.simOptimum !== undefined ? { optimum: summary.simOptimum } : {}) } } : {}),
      islands: generationEvents.flatMap((g) =>
        ((g.islands as { id: number; preset: string; size: number; bestScore: number; meanScore: number; diversity: number }[] | undefined) ?? []).map((i) => ({
          generation: g.generation as number,
          island: `island ${i.id}${i.preset ? ` (${i.preset})` : ""}`,
          best: i.bestScore,
          mean: i.meanScore,
          diversity: i.diversity,
          size: i.size,
        })),
      ),
      migrations: events.filter((e) => e.type === "migration").map((e) => e.p.generation as number),
      resets: events.filter((e) => e.type === "reset").map((e) => ({ generation: e.p.generation as number, islands: (e.p.islands as number[]) ?? [] })),
      anytime: (summary?.anytime ?? []).map((a) => ({ round: a.round, bestTrain: a.bestTrain, bestExpected: a.bestExpected ?? null })),
      spend: roleTotals(calls),
      spendOverTime: spendOverTime(calls),
      lineage: ancestry(bestId, candidates, scores),
      failures: failures(events.filter((e) => e.type === "failure").map((e) => e.p), candidates),
      timeouts: timeoutCounts(verdictTimeouts(db)),
      replies: {
        truncated: summary?.spend.truncated ?? 0,
        empty: summary?.spend.empty ?? 0,
        refused: summary?.spend.refused ?? 0,
        promptCut: summary?.spend.promptCut ?? 0,
      },
    };
  } finally {
    db.close();
  }
}

export interface Scores {
  train: number | null;
  val: number | null;
  test: number | null;
  minibatch: number | null;
}

/** The latest error-free score per candidate and split (full train, else the minibatch). */
function scoreTable(evaluations: readonly EvaluationScore[]): Map<string, Scores> {
  const out = new Map<string, Scores>();
  for (const e of evaluations) {
    if (e.error) continue;
    const s = out.get(e.candidateId) ?? { train: null, val: null, test: null, minibatch: null };
    if (e.split === "train" && e.stage === "minibatch") s.minibatch = e.score;
    else s[e.split] = e.score;
    out.set(e.candidateId, s);
  }
  return out;
}

/** Without a summary: the best by val, else by full train. */
function fallbackBest(candidates: readonly CandidateRecord[], scores: Map<string, Scores>): string | undefined {
  const rank = (k: "val" | "train") =>
    candidates.filter((c) => scores.get(c.id)?.[k] != null).sort((a, b) => scores.get(b.id)![k]! - scores.get(a.id)![k]!)[0]?.id;
  return rank("val") ?? rank("train");
}

function roleTotals(calls: readonly Row[]): Partial<Record<Role, RoleTotals>> {
  const out: Partial<Record<Role, RoleTotals>> = {};
  for (const c of calls) {
    const t = (out[c.role as Role] ??= { usd: 0, tokens: 0, calls: 0, cachedCalls: 0 });
    t.calls++;
    if (c.cached) t.cachedCalls++;
    else {
      t.usd += c.cost_usd as number;
      t.tokens += (c.input_tokens as number) + (c.output_tokens as number);
    }
  }
  return out;
}

/** Cumulative paid spend per role, sampled at SPEND_STEPS + 1 evenly spaced times. */
function spendOverTime(calls: readonly Row[]): SpendPoint[] {
  if (calls.length === 0) return [];
  const t0 = calls[0]!.ts as number;
  const span = Math.max(1, (calls[calls.length - 1]!.ts as number) - t0);
  const roles = ROLES.filter((r) => calls.some((c) => c.role === r));
  const sum = Object.fromEntries(roles.map((r) => [r, { usd: 0, tokens: 0 }])) as Record<Role, { usd: number; tokens: number }>;
  const out: SpendPoint[] = [];
  let i = 0;
  for (let step = 0; step <= SPEND_STEPS; step++) {
    const until = t0 + (span * step) / SPEND_STEPS;
    for (; i < calls.length && (calls[i]!.ts as number) <= until; i++) {
      const c = calls[i]!;
      if (c.cached) continue;
      const s = sum[c.role as Role] as { usd: number; tokens: number } | undefined;
      if (!s) continue;
      s.usd += c.cost_usd as number;
      s.tokens += (c.input_tokens as number) + (c.output_tokens as number);
    }
    for (const r of roles) out.push({ elapsed: (until - t0) / 1000, role: r, usd: sum[r].usd, tokens: sum[r].tokens });
  }
  return out;
}
