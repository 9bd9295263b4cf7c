import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { evolve } from "../../src/campaign/run.js";
import type { RunSummary } from "../../src/campaign/summary.js";
import { ROLES } from "../../src/config/schema.js";
import { RETRY_BASE_ENV } from "../../src/llm/endpoint.js";
import { startFakeOpenAI, type FakeOpenAI } from "../helpers/fake-openai-server.js";
import { faultCampaign, gradedModelReply, injectFaults, outcomeOf, paidCallTotals, type FaultKind } from "../helpers/fault-campaign.js";

/**
 * Caps hold under faults: with retries (429s, 503s, dropped connections, malformed 200s),
 * timeouts (hangs past timeoutMs) and islands in worker threads, a binding calls cap and a
 * binding usd cap stop the run as they do without faults, the charged budget stays under
 * the cap, and summary.json's spend is exactly the sum of the paid (cached = 0) rows of
 * run.db's `calls` table, which is exactly what the endpoint answered with success.
 * Failed attempts are not charged: the budget charges a call once, at its reported usage.
 */

const ENV = { FAKE_ENDPOINT_KEY: "sk-budget-0123456789", [RETRY_BASE_ENV]: "10" };
/** Every transient kind whose usage is reported (a reply without usage is estimated, so it would change the spend). */
const MIX: FaultKind[] = ["429-retry-after", "429", "503", "hang", "drop", "non-json", "no-choices"];
const STRATEGY = { name: "islands", islands: 2, generations: 4, conversations: 2, turns: 2, presets: ["explorer", "refiner"], nearDuplicate: 1, finalists: 2 };

const fakes: FakeOpenAI[] = [];
afterEach(async () => {
  for (const f of fakes.splice(0)) await f.close();
});

async function campaignRun(budget: Record<string, number>, faults: boolean): Promise<{ summary: RunSummary; out: string; fake: FakeOpenAI; faulted: number; byKind: Map<string, number> }> {
  const fake = await startFakeOpenAI();
  fakes.push(fake);
  const injector = faults ? injectFaults(gradedModelReply, MIX) : undefined;
  fake.fallback = injector?.reply ?? gradedModelReply;
  const { dir, file } = faultCampaign(fake.baseURL, { model: { timeoutMs: 1000 }, extra: { budget, strategy: STRATEGY, concurrency: 16 } });
  const out = join(dir, "run");
  // The fault-free run keeps islands in-process; the faulted one uses worker threads.
  const { summary } = await evolve(file, { out, inProcessIslands: !faults, env: ENV });
  return { summary, out, fake, faulted: injector?.faulted.size ?? 0, byKind: injector?.byKind ?? new Map() };
}

/** Paid rows of run.db's calls table per role. */
function paidByRole(out: string): Record<string, { calls: number; inputTokens: number; outputTokens: number; usd: number }> {
  const db = new Database(join(out, "run.db"), { readonly: true });
  try {
    const rows = db
      .prepare("SELECT role, COUNT(*) AS calls, SUM(input_tokens) AS inputTokens, SUM(output_tokens) AS outputTokens, SUM(cost_usd) AS usd FROM calls WHERE cached = 0 GROUP BY role")
      .all() as { role: string; calls: number; inputTokens: number; outputTokens: number; usd: number }[];
    return Object.fromEntries(rows.map(({ role, ...t }) => [role, t]));
  } finally {
    db.close();
  }
}

function expectSpendMatchesCalls(summary: RunSummary, out: string, fake: FakeOpenAI): void {
  const paid = paidCallTotals(out);
  expect(paid.estimated).toBe(0);
  expect(summary.spend.calls - summary.spend.cachedCalls).toBe(paid.calls);
  expect(summary.spend.inputTokens).toBe(paid.inputTokens);
  expect(summary.spend.outputTokens).toBe(paid.outputTokens);
  expect(summary.spend.usd).toBeCloseTo(paid.usd, 8);
  const byRole = paidByRole(out);
  for (const role of ROLES) {
    const r = byRole[role] ?? { calls: 0, inputTokens: 0, outputTokens: 0, usd: 0 };
    const s = summary.spend.byRole[role];
    expect({ role, calls: s.calls - s.cachedCalls, inputTokens: s.inputTokens, outputTokens: s.outputTokens }).toEqual({ role, calls: r.calls, inputTokens: r.inputTokens, outputTokens: r.outputTokens });
    expect(s.usd).toBeCloseTo(r.usd, 8);
  }
  // What the budget was charged is what was paid, plus the responses that two conversations of
  // one round shared: each conversation is charged for its first use (so no charge depends on
  // which of them settled first), while the endpoint was paid once. The excess is at most one
  // charge per cache hit, and each such charge is at most the dearest paid call.
  const excess = summary.budget.charged.calls - paid.calls;
  expect(excess).toBeGreaterThanOrEqual(0);
  expect(excess).toBeLessThanOrEqual(summary.spend.cachedCalls);
  expect(summary.budget.charged.tokens).toBeGreaterThanOrEqual(paid.inputTokens + paid.outputTokens);
  expect(summary.budget.charged.usd).toBeGreaterThanOrEqual(paid.usd - 1e-9);
  if (excess === 0) expect(summary.budget.charged.tokens).toBe(paid.inputTokens + paid.outputTokens);
  // And it is what the endpoint answered with success: failed attempts were neither paid nor counted.
  expect(paid.calls).toBe(fake.served.ok);
  expect(paid.inputTokens).toBe(fake.served.promptTokens);
  expect(paid.outputTokens).toBe(fake.served.completionTokens);
}

function expectUnderCap(summary: RunSummary, dimension: "calls" | "usd", cap: number): void {
  expect(summary.budget.caps[dimension]).toBe(cap);
  expect(summary.budget.charged[dimension]).toBeLessThanOrEqual(cap);
  for (const p of summary.anytime) expect(p[dimension]).toBeLessThanOrEqual(cap);
}

describe("budget caps under faults, with islands in worker threads", () => {
  it.each([
    { dimension: "calls" as const, cap: 200 },
    { dimension: "usd" as const, cap: 0.15 },
  ])("a binding $dimension cap of $cap holds, and summary spend = the paid rows of the calls table", async ({ dimension, cap }) => {
    const clean = await campaignRun({ [dimension]: cap }, false);
    const faulty = await campaignRun({ [dimension]: cap }, true);
    for (const r of [clean, faulty]) {
      // The cap binds: the run stops early for lack of budget (4 generations were asked for).
      expect(r.summary.status).toBe("budget-exhausted");
      expect(r.summary.generations).toBeLessThan(STRATEGY.generations);
      expectUnderCap(r.summary, dimension, cap);
      expectSpendMatchesCalls(r.summary, r.out, r.fake);
    }
    // Faults were injected and retried (each faulted call was sent twice) ...
    expect(faulty.faulted).toBeGreaterThan(10);
    // Timeouts among them in both runs; in the longer (calls) run every kind of the mix.
    expect(faulty.byKind.get("hang")).toBeGreaterThan(0);
    if (dimension === "calls") expect([...faulty.byKind.keys()].sort()).toEqual([...MIX].sort());
    expect(faulty.fake.served.requests).toBe(paidCallTotals(faulty.out).calls + faulty.faulted);
    // ... and changed nothing: the same search, the same spend, to the token.
    expect(outcomeOf(faulty.summary, faulty.out)).toEqual(outcomeOf(clean.summary, clean.out));
    expect(faulty.summary.budget.charged).toEqual(clean.summary.budget.charged);
    expect(faulty.summary.spend).toEqual(clean.summary.spend);
    expect(faulty.summary.anytime).toEqual(clean.summary.anytime);
  }, 300_000);
});
