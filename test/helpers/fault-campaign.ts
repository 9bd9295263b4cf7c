import { createHash } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { stringify } from "yaml";
import type { RunSummary } from "../../src/campaign/summary.js";
import { genericModelReply, type FakeReply, type RecordedRequest } from "./fake-openai-server.js";

/**
 * Campaigns against the fake endpoint for the fault, secret and budget tests: a task suite
 * the fake can answer, a "model" whose answers depend on the harness (so the search has
 * something to find and its result is not just the seed), and faults injected into a
 * deterministic fifth of the requests.
 */

/** The line genericModelReply adds to every child harness; the graded model rewards it. */
export const CHECK_LINE = "Check the result before answering";

/** The fake model of the fault campaigns, every role in one. */
export function gradedModelReply(req: RecordedRequest): FakeReply {
  const messages = (req.body?.messages ?? []) as { role: string; content: string }[];
  const prompt = messages.map((m) => m.content).join("\n");
  // Evolver prompts (critic, author, mutate, ...): the generic model's replies.
  if (/<operator>/.test(prompt)) return genericModelReply(req);
  if (prompt.includes("<rubric>")) {
    const answer = /<answer>([\s\S]*?)<\/answer>/.exec(prompt)?.[1] ?? "";
    return { kind: "ok", text: /Final answer:\s*4\b/.test(answer) ? "The answer is right.\nScore: 9/10" : "The answer is wrong.\nScore: 2/10" };
  }
  // A task: right with a chance that grows with each CHECK_LINE in the harness, drawn from a
  // hash of the request (messages and seed), so the same request always gets the same answer.
  const system = messages.find((m) => m.role === "system")?.content ?? "";
  const depth = system.split(CHECK_LINE).length - 1;
  const chance = Math.min(0.9, 0.3 + 0.15 * depth);
  const right = unit(`${prompt}\u0000${req.body?.seed}`) < chance;
  return { kind: "ok", text: right ? "2 + 2 = 4.\nFinal answer: 4" : "2 + 2 = 5.\nFinal answer: 5" };
}

/** A number in [0, 1) from a hash of `text`. */
export function unit(text: string): number {
  return parseInt(createHash("sha256").update(text).digest("hex").slice(0, 8), 16) / 2 ** 32;
}

export type FaultKind = "429-retry-after" | "429" | "500" | "503" | "hang" | "drop" | "non-json" | "no-choices" | "no-usage";

/** What the fake does instead of `healthy` for one faulted request. */
export function faultReply(kind: FaultKind, healthy: FakeReply): FakeReply {
  switch (kind) {
    case "429-retry-after":
      return { kind: "status", status: 429, headers: { "retry-after-ms": "5", "retry-after": "0" }, body: { error: { message: "Rate limit reached", type: "requests" } } };
    case "429":
      return { kind: "status", status: 429, body: { error: { message: "Rate limit reached", type: "requests" } } };
    case "500":
      return { kind: "status", status: 500, body: { error: { message: "The server had an error while processing your request." } } };
    case "503":
      return { kind: "status", status: 503, body: { error: { message: "The engine is currently overloaded." } } };
    case "hang":
      return { kind: "hang" };
    case "drop":
      return { kind: "drop" };
    case "non-json":
      return { kind: "non-json" };
    case "no-choices":
      return { kind: "no-choices" };
    case "no-usage":
      return healthy.kind === "ok" ? { ...healthy, usage: null } : healthy;
  }
}

export interface FaultInjector {
  /** Use as the fake's `fallback`. */
  reply: (req: RecordedRequest) => FakeReply;
  /** Bodies (JSON) that got the fault. */
  faulted: Set<string>;
  /** How many times each body (JSON) was received. */
  seen: Map<string, number>;
  /** Faults sent, by kind (`custom` for a function). */
  byKind: Map<string, number>;
}

/**
 * Faults the FIRST request of about one body in `every` (chosen by a hash of the request
 * body, so the same calls fault whatever the timing); that body's retries get the healthy
 * reply. `kind` is one fault, several (each faulted body gets one, by hash) or a function
 * of the healthy reply. A body is a call's identity here: messages, model, params and the seed derived
 * from its sample key.
 */
export function injectFaults(
  healthy: (req: RecordedRequest) => FakeReply,
  kind: FaultKind | readonly FaultKind[] | ((healthy: FakeReply, req: RecordedRequest) => FakeReply),
  every = 5,
): FaultInjector {
  const faulted = new Set<string>();
  const seen = new Map<string, number>();
  const byKind = new Map<string, number>();
  const count = (k: string) => byKind.set(k, (byKind.get(k) ?? 0) + 1);
  return {
    faulted,
    seen,
    byKind,
    reply(req) {
      const key = JSON.stringify(req.body);
      const n = (seen.get(key) ?? 0) + 1;
      seen.set(key, n);
      const ok = healthy(req);
      if (n === 1 && unit(`fault\u0000${key}`) < 1 / every) {
        faulted.add(key);
        if (typeof kind === "function") {
          count("custom");
          return kind(ok, req);
        }
        // Several kinds: each faulted body gets one of them, also chosen by its hash.
        const kinds: readonly FaultKind[] = typeof kind === "string" ? [kind] : kind;
        const chosen = kinds[Math.floor(unit(`kind\u0000${key}`) * kinds.length)]!;
        count(chosen);
        return faultReply(chosen, ok);
      }
      return ok;
    },
  };
}

/** The numeric tasks all expect 4 (the graded model answers 4 or 5); the rubric tasks go to the verifier. */
function suite(): string {
  const numeric = (split: string, n: number) =>
    Array.from({ length: n }, (_, i) => ({ id: `${split}-n${i}`, split, input: `What is 2 + 2? (question ${split} ${i})`, check: { type: "numeric", expected: 4 } }));
  const rubric = (split: string, n: number) =>
    Array.from({ length: n }, (_, i) => ({ id: `${split}-r${i}`, split, input: `Add 2 and 2 and say the sum. (question ${split} ${i})`, check: { type: "rubric", rubric: "The sum given is 4." } }));
  return stringify({ tasks: [...numeric("train", 8), ...rubric("train", 2), ...numeric("val", 4), ...rubric("val", 1), ...numeric("test", 4), ...rubric("test", 1)] });
}

const SEED_HARNESS = ["You solve short arithmetic tasks.", "", "## Output", "- End with a line that starts with \"Final answer:\" followed by the answer.", ""].join("\n");

export interface FaultCampaignOptions {
  /** Fields of every model (maxRetries, timeoutMs, ...). */
  model?: Record<string, unknown>;
  /** Fields of one model only, by key (writer, agent, judge). */
  only?: Record<string, Record<string, unknown>>;
  /** Top-level campaign fields. */
  extra?: Record<string, unknown>;
  /** The environment variable that holds the key (default FAKE_ENDPOINT_KEY). */
  keyEnv?: string;
}

/** A small islands campaign (2 islands × 2 generations), every role on the fake at `baseURL`. */
export function faultCampaign(baseURL: string, opts: FaultCampaignOptions = {}): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), "he-faults-"));
  writeFileSync(join(dir, "tasks.yaml"), suite());
  writeFileSync(join(dir, "seed-harness.md"), SEED_HARNESS);
  const model = (key: string, name: string) => ({
    baseURL,
    model: name,
    apiKeyEnv: opts.keyEnv ?? "FAKE_ENDPOINT_KEY",
    price: { inputPerM: 0.4, outputPerM: 1.6 },
    maxRetries: 5,
    // Generous: a loaded or paused machine must not time a healthy reply out. Tests of hangs set their own.
    timeoutMs: 60_000,
    ...opts.model,
    ...opts.only?.[key],
  });
  const campaign = {
    name: "faults",
    seed: 11,
    harness: "./seed-harness.md",
    tasks: "./tasks.yaml",
    models: { writer: model("writer", "fake-writer"), agent: model("agent", "fake-agent"), judge: model("judge", "fake-judge") },
    roles: { evolver: "writer", user: "agent", verifier: "judge" },
    fitness: { type: "tasks", minibatch: 4 },
    strategy: { name: "islands", islands: 2, generations: 2, conversations: 2, turns: 2, presets: ["explorer", "refiner"], nearDuplicate: 1, finalists: 2 },
    budget: { usd: 5 },
    ...opts.extra,
  };
  const file = join(dir, "campaign.yaml");
  writeFileSync(file, stringify(campaign));
  return { dir, file };
}

/** What must not change when faults are retried away: the winner, its scores, and every candidate. */
export interface RunOutcome {
  status: string;
  bestHash: string;
  bestVal: number | null;
  bestTest: number | null;
  seedVal: number | null;
  candidates: number;
  /** id, hash, status and operator of every candidate in run.db, by id. */
  rows: { id: string; hash: string; status: string; operator: string }[];
  /** Every evaluation's candidate, split, stage and score, in a fixed order. */
  evaluations: { candidate_id: string; split: string; stage: string; score: number }[];
}

export function outcomeOf(summary: RunSummary, out: string): RunOutcome {
  const db = new Database(join(out, "run.db"), { readonly: true });
  try {
    return {
      status: summary.status,
      bestHash: summary.best.hash,
      bestVal: summary.best.valScore,
      bestTest: summary.best.testScore,
      seedVal: summary.seedHarness.valScore,
      candidates: summary.candidates,
      rows: db.prepare("SELECT id, hash, status, operator FROM candidates ORDER BY id").all() as RunOutcome["rows"],
      evaluations: db.prepare("SELECT candidate_id, split, stage, score FROM evaluations ORDER BY candidate_id, split, stage, score").all() as RunOutcome["evaluations"],
    };
  } finally {
    db.close();
  }
}

/** Paid calls (cached = 0) in run.db's calls table, summed. */
export function paidCallTotals(out: string): { calls: number; inputTokens: number; outputTokens: number; usd: number; estimated: number } {
  const db = new Database(join(out, "run.db"), { readonly: true });
  try {
    const row = db
      .prepare("SELECT COUNT(*) AS calls, COALESCE(SUM(input_tokens), 0) AS inputTokens, COALESCE(SUM(output_tokens), 0) AS outputTokens, COALESCE(SUM(cost_usd), 0) AS usd FROM calls WHERE cached = 0")
      .get() as { calls: number; inputTokens: number; outputTokens: number; usd: number };
    const estimated = (db.prepare("SELECT COUNT(*) AS n FROM responses WHERE usage_estimated = 1").get() as { n: number }).n;
    return { ...row, estimated };
  } finally {
    db.close();
  }
}
