import type { Ledger } from "../budget/ledger.js";
import type { Cost } from "../budget/types.js";
import { ROLES, type Role } from "../config/schema.js";
import type { IslandHandlers } from "./island-channel.js";
import type { IslandGenerationResult } from "./island-generation.js";
import { shareOf, weightsFromSpend, type RoleWeights } from "./allocation.js";
import type { AnytimePoint, SearchContext } from "./context.js";
import type { Candidate, SpendPoint } from "./types.js";

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

/** Routes a round's requests; with `spend`, notes which conversation evaluated each child (for the anytime curve). */
export function handlers(ctx: SearchContext, accounts: Ledger[][], generation: number, spend?: RoundSpend): IslandHandlers {
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
      if (outcome.ok) spend?.evaluatedOn(req.id, account);
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

const DIMENSIONS = ["usd", "tokens", "calls"] as const;
type Dimension = (typeof DIMENSIONS)[number];

/**
 * One round's spend as the anytime curve reads it: the run's ledger when the round starts,
 * and each conversation's own account, read just before it closes. `handlers` notes which
 * account evaluated each child. Everything here is a function of the conversations' own
 * histories, never of the order in which calls of different conversations settled.
 */
export class RoundSpend {
  readonly start: SpendPoint;
  private readonly accountOf = new Map<string, Ledger>();
  private readonly totals = new Map<Ledger, SpendPoint>();

  constructor(
    ledger: Ledger,
    private readonly accounts: Ledger[][],
  ) {
    this.start = point(ledger.spent().total);
  }

  /** The child `id` was evaluated on `account`. */
  evaluatedOn(id: string, account: Ledger): void {
    this.accountOf.set(id, account);
  }

  /** Reads every conversation's spend in the round, then closes its account. */
  close(): void {
    for (const a of this.accounts.flat()) {
      if (!this.totals.has(a)) this.totals.set(a, point(a.spent().total));
      a.close();
    }
  }

  /** What the conversation that evaluated `id` spent in the whole round (undefined before close or for other candidates). */
  conversationOf(id: string): SpendPoint | undefined {
    const a = this.accountOf.get(id);
    return a ? this.totals.get(a) : undefined;
  }
}

function point(c: SpendPoint): SpendPoint {
  return { usd: c.usd, tokens: c.tokens, calls: c.calls };
}

/**
 * Where a child lies on the budget axes within its round, per dimension: the round's start
 * plus the fraction of its conversation's round spend charged when its evaluation ended,
 * times the round's whole spend (the conversations are taken to progress in parallel at
 * proportional speed). A conversation that spent nothing in a dimension puts its children at
 * the round's end there. Calls and tokens are whole numbers; always within [start, end].
 */
export function placeInRound(start: SpendPoint, end: SpendPoint, at: SpendPoint, conversation: SpendPoint): SpendPoint {
  const x = (d: Dimension) => {
    const f = conversation[d] > 0 ? Math.min(1, Math.max(0, at[d] / conversation[d])) : 1;
    const v = start[d] + f * Math.max(0, end[d] - start[d]);
    return Math.min(end[d], Math.max(start[d], d === "usd" ? v : Math.round(v)));
  };
  return { usd: x("usd"), tokens: x("tokens"), calls: x("calls") };
}

/**
 * A round's points of the anytime curve, given where each child lies (`placeInRound`) and the
 * best before the round: children in budget order (by `primary`, then the other dimensions,
 * then as given), the other dimensions made non-decreasing (each the most of the points so
 * far), one point per child that raised the best train score (children without train never
 * do; ties keep the earlier), children at the same budget merged, then the round's end. The
 * points left out would not change the curve's value at any budget. Pure.
 */
export function roundPoints(
  round: number,
  end: SpendPoint,
  placed: readonly { candidate: Candidate; x: SpendPoint }[],
  before: Candidate | undefined,
  primary: Dimension = "calls",
): { points: AnytimePoint[]; best: Candidate | undefined } {
  const others = DIMENSIONS.filter((d) => d !== primary);
  const order = placed
    .map((p, i) => ({ ...p, i }))
    .sort((a, b) => a.x[primary] - b.x[primary] || a.x[others[0]!] - b.x[others[0]!] || a.x[others[1]!] - b.x[others[1]!] || a.i - b.i);
  const points: AnytimePoint[] = [];
  const floor: SpendPoint = { usd: 0, tokens: 0, calls: 0 };
  let best = before;
  const at = (x: SpendPoint, b: Candidate | undefined): AnytimePoint => ({ round, usd: x.usd, tokens: x.tokens, calls: x.calls, bestTrain: b?.train ?? null, bestId: b?.id ?? null });
  const push = (p: AnytimePoint) => {
    const last = points.at(-1);
    if (last && DIMENSIONS.every((d) => last[d] === p[d])) points[points.length - 1] = p;
    else points.push(p);
  };
  for (const { candidate: c, x } of order) {
    const y = { ...x };
    for (const d of DIMENSIONS) floor[d] = y[d] = Math.max(floor[d], y[d]);
    if (c.train === undefined || (best && !(c.train > best.train!))) continue;
    best = c;
    push(at(y, best));
  }
  push(at({ usd: Math.max(floor.usd, end.usd), tokens: Math.max(floor.tokens, end.tokens), calls: Math.max(floor.calls, end.calls) }, best));
  return { points, best };
}

/**
 * The anytime curve: what was charged and the best train score reached, at the end of every
 * round and, within a round, where each child that raised the best lies (`roundPoints`,
 * placed by `RoundSpend`; without one a round's children all count at its end).
 */
export class AnytimeCurve {
  readonly points: AnytimePoint[] = [];
  private best: Candidate | undefined;

  constructor(private readonly ctx: SearchContext) {}

  record(round: number, candidates: readonly Candidate[], spend?: RoundSpend): void {
    const end = point(this.ctx.ledger.spent().total);
    const start = spend?.start ?? end;
    const placed = candidates.map((candidate) => {
      const conversation = candidate.at && spend?.conversationOf(candidate.id);
      return { candidate, x: conversation ? placeInRound(start, end, candidate.at!, conversation) : end };
    });
    const r = roundPoints(round, end, placed, this.best, primaryDimension(this.ctx.ledger));
    this.best = r.best;
    this.points.push(...r.points);
  }
}

/** The budget dimension the curve is ordered by: the first capped of usd, calls, tokens (as benchmarks compare), else calls. */
function primaryDimension(ledger: Ledger): Dimension {
  const caps = ledger.caps.total;
  return (["usd", "calls", "tokens"] as const).find((d) => caps[d] !== undefined && Number.isFinite(caps[d])) ?? "calls";
}

/** When every candidate a round evaluated failed its evaluation: why (the first reason), else undefined. */
export function everyEvaluationFailed(results: readonly IslandGenerationResult[], round: number): string | undefined {
  const failed = results.reduce((n, r) => n + r.stats.failedEvaluations, 0);
  const evaluated = results.reduce((n, r) => n + r.children.length, 0);
  if (failed === 0 || evaluated > 0) return undefined;
  const first = results.flatMap((r) => r.failures).find((f) => f.reason.startsWith("evaluation failed"))?.reason ?? "no reason given";
  return `every candidate of round ${round + 1} failed its evaluation (${failed} failed; first: ${first.replace(/^evaluation failed: /, "")})`;
}
