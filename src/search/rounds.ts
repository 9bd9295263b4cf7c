import type { Ledger } from "../budget/ledger.js";
import type { Cost } from "../budget/types.js";
import { ROLES, type Role } from "../config/schema.js";
import type { IslandHandlers } from "./island-channel.js";
import type { IslandGenerationResult } from "./island-generation.js";
import { shareOf, weightsFromSpend, type RoleWeights } from "./allocation.js";
import type { AnytimePoint, SearchContext } from "./context.js";
import type { Candidate } from "./types.js";

/**
 * What every strategy does around its rounds: carve each conversation's account,
 * route island requests to the gateway and the evaluator, and keep the anytime curve.
 */

export function fallbackWeights(ctx: SearchContext): RoleWeights {
  return ctx.roles.includes("verifier") ? { evolver: 0.2, user: 0.6, verifier: 0.2 } : { evolver: 0.25, user: 0.75, verifier: 0 };
}

/** How many of `parts` equal shares of the ledger each still cover `need` (Infinity when nothing binds). */
export function affordableParts(ledger: Ledger, need: Partial<Record<Role, Cost>>, weights: RoleWeights, hasSplit: boolean): number {
  const sum = ROLES.reduce((s, r) => s + weights[r], 0) || 1;
  let parts = Infinity;
  for (const role of ROLES) {
    const n = need[role];
    if (!n) continue;
    const room = ledger.remaining(role);
    const w = hasSplit ? 1 : weights[role] / sum;
    for (const d of ["usd", "tokens", "calls"] as const) {
      if (n[d] > 0 && Number.isFinite(room[d])) parts = Math.min(parts, Math.floor((room[d] * w * (1 - 1e-9)) / n[d]));
    }
  }
  return Math.max(0, parts);
}

/**
 * Each conversation's own account for one round: deterministic equal shares of what is
 * left. When the budget can no longer give every wanted conversation enough for one
 * full turn (`ctx.turnBound`), fewer conversations run, taken round-robin over the
 * islands, so the budget is used down to its last turn. Undefined when not even one
 * conversation can be funded.
 */
export function carveConversations(ctx: SearchContext, wanted: readonly number[], weights?: RoleWeights): { accounts: Ledger[][]; counts: number[] } | undefined {
  const w = weights ?? weightsFromSpend(ctx.ledger.spent().byRole, ctx.roles, fallbackWeights(ctx));
  const hasSplit = ctx.config.budget.split !== undefined;
  let room = affordableParts(ctx.ledger, ctx.turnBound, w, hasSplit);
  const counts = wanted.map(() => 0);
  for (let c = 0; c < Math.max(0, ...wanted); c++)
    for (let i = 0; i < wanted.length; i++)
      if (c < wanted[i]! && room > 0) {
        counts[i]!++;
        room--;
      }
  const parts = counts.reduce((a, b) => a + b, 0);
  if (parts === 0) return undefined;
  const share = shareOf(ctx.ledger, parts, w, hasSplit);
  const accounts: Ledger[][] = [];
  for (const count of counts) {
    const row: Ledger[] = [];
    for (let c = 0; c < count; c++) {
      // Its own charge scope: a response two conversations share is charged to each, so no charge depends on which settles first.
      const account = ctx.ledger.carve(share, { ownScope: true });
      if (!account) {
        accounts.flat().concat(row).forEach((a) => a.close());
        return undefined;
      }
      row.push(account);
    }
    accounts.push(row);
  }
  return { accounts, counts };
}

export function handlers(ctx: SearchContext, accounts: Ledger[][], generation: number): IslandHandlers {
  return {
    complete: (island, conv, req) => ctx.bind(accounts[island]![conv]!)(req),
    evaluate: async (island, conv, req) => {
      const account = accounts[island]![conv]!;
      const outcome = await ctx.evaluator.evaluateCandidate(account, {
        id: req.id,
        harness: req.harness,
        island,
        generation,
        operator: req.operator,
        parents: req.parents,
        modelKey: req.modelKey,
        parentMinibatch: req.parentMinibatch,
      });
      // The conversation's own account: its spend here depends only on this conversation's calls.
      return outcome.ok ? { ...outcome, at: account.spent().total } : outcome;
    },
  };
}

export function spendSoFar(ctx: SearchContext) {
  const spent = ctx.ledger.spent();
  const caps = ctx.ledger.caps.total;
  const fraction = Math.max(0, ...(["usd", "tokens", "calls"] as const).map((d) => (caps[d] && Number.isFinite(caps[d]) ? spent.total[d] / caps[d]! : 0)));
  const byRole = { evolver: spent.byRole.evolver.usd, user: spent.byRole.user.usd, verifier: spent.byRole.verifier.usd };
  return { ...spent.total, fraction, byRole };
}

/** Failures go to the run database; fatal endpoint errors end the run. */
export function absorb(ctx: SearchContext, results: readonly IslandGenerationResult[], generation: number): string | undefined {
  for (const r of results) for (const f of r.failures) ctx.store.appendEvent("failure", { generation, island: r.island, ...f });
  return results.find((r) => r.fatal)?.fatal;
}

/** The anytime curve: after each round, what was charged and the best train score so far. */
export class AnytimeCurve {
  readonly points: AnytimePoint[] = [];
  private best: Candidate | undefined;

  constructor(private readonly ctx: SearchContext) {}

  record(round: number, candidates: readonly Candidate[]): void {
    for (const c of candidates) if (c.train !== undefined && (!this.best || c.train > this.best.train!)) this.best = c;
    const s = this.ctx.ledger.spent().total;
    this.points.push({ round, usd: s.usd, tokens: s.tokens, calls: s.calls, bestTrain: this.best?.train ?? null, bestId: this.best?.id ?? null });
  }
}

/** When every candidate a round evaluated failed its evaluation: why (the first reason), else undefined. */
export function everyEvaluationFailed(results: readonly IslandGenerationResult[], round: number): string | undefined {
  const failed = results.reduce((n, r) => n + r.stats.failedEvaluations, 0);
  const evaluated = results.reduce((n, r) => n + r.children.length, 0);
  if (failed === 0 || evaluated > 0) return undefined;
  const first = results.flatMap((r) => r.failures).find((f) => f.reason.startsWith("evaluation failed"))?.reason ?? "no reason given";
  return `every candidate of round ${round + 1} failed its evaluation (${failed} failed; first: ${first.replace(/^evaluation failed: /, "")})`;
}
