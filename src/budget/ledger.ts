import { ROLES, type Role } from "../config/schema.js";
import type { ByRole, Caps, Cost } from "./types.js";

/**
 * Committed-cost accounting. A call reserves its worst-case cost before it starts
 * and settles its actual cost when it ends, so spent + committed never passes a cap
 * even with many calls in flight. A ledger can carve child ledgers (a strategy's,
 * an island's share) whose caps are held as one reservation in the parent.
 *
 * Allocation policies (`fixed` today, `adaptive` later) decide *what* to carve;
 * the ledger only guarantees that no carve or reservation overruns a cap.
 */
export interface LedgerOptions {
  /** Caps on all roles together; a missing dimension is unlimited. */
  total: Caps;
  /** Caps per role; a missing role or dimension is unlimited (the total still applies). */
  byRole?: Partial<Record<Role, Caps>>;
}

/** A claim on a ledger's budget; settle or release it exactly once. */
export interface Reservation {
  readonly role: Role;
  readonly worstCase: Readonly<Cost>;
}

/** Why a reservation would be refused. */
export interface Refusal {
  reason: "cap" | "closed" | "invalid";
  /** `total` or the role whose cap would be passed. */
  scope: "total" | Role;
  dimension: keyof Cost;
}

export const COST_DIMENSIONS = ["usd", "tokens", "calls"] as const satisfies readonly (keyof Cost)[];

export function zeroCost(): Cost {
  return { usd: 0, tokens: 0, calls: 0 };
}

export function addCost(a: Cost, b: Readonly<Cost>): Cost {
  return { usd: a.usd + b.usd, tokens: a.tokens + b.tokens, calls: a.calls + b.calls };
}

function byRole<T>(make: () => T): ByRole<T> {
  return Object.fromEntries(ROLES.map((r) => [r, make()])) as ByRole<T>;
}

/** Infinity counts as "no cap" so children carved from an uncapped dimension stay uncapped. */
function capOf(caps: Caps | undefined, dim: keyof Cost): number | undefined {
  const c = caps?.[dim];
  return c === undefined || c === Infinity ? undefined : c;
}

interface ParentLink {
  ledger: Ledger;
  reservations: Reservation[];
}

export class Ledger {
  private readonly totalCaps: Caps;
  private readonly roleCaps: Partial<Record<Role, Caps>>;
  private readonly open = new Set<Reservation>();
  private readonly spentTotal = zeroCost();
  private readonly spentRole = byRole(zeroCost);
  private closedFlag = false;
  private overEstimateCount = 0;

  constructor(
    options: LedgerOptions,
    private readonly parent?: ParentLink,
  ) {
    this.totalCaps = { ...options.total };
    this.roleCaps = Object.fromEntries(Object.entries(options.byRole ?? {}).map(([r, c]) => [r, { ...c }]));
  }

  /** Reserve the worst-case cost of a call; undefined when it would pass a cap (never throws). */
  reserve(role: Role, worstCase: Cost): Reservation | undefined {
    if (this.refusalFor([[role, worstCase]])) return undefined;
    return this.hold(role, worstCase);
  }

  /** Why `reserve(role, worstCase)` would fail now, or undefined if it would succeed. */
  refusal(role: Role, worstCase: Cost): Refusal | undefined {
    return this.refusalFor([[role, worstCase]]);
  }

  /** Charge the actual cost of a reserved call. */
  settle(reservation: Reservation, actual: Cost): void {
    this.take(reservation);
    // An actual above the worst case means the bound was wrong; record the truth anyway and count it.
    if (COST_DIMENSIONS.some((d) => actual[d] > reservation.worstCase[d])) this.overEstimateCount++;
    addInto(this.spentTotal, actual);
    addInto(this.spentRole[reservation.role], actual);
  }

  /** Drop a reservation without charging anything (the call failed or was never made). */
  release(reservation: Reservation): void {
    this.take(reservation);
  }

  /**
   * Reserve `amounts` (all roles or none) and return a child ledger capped at exactly
   * those amounts per role and their sum in total. Roles not named get zero.
   * `child.close()` charges this ledger what the child actually used.
   */
  carve(amounts: Partial<Record<Role, Cost>>): Ledger | undefined {
    const demands = ROLES.filter((r) => amounts[r] !== undefined).map((r) => [r, amounts[r]!] as [Role, Cost]);
    if (this.refusalFor(demands)) return undefined;
    const reservations = demands.map(([role, cost]) => this.hold(role, cost));
    const total = demands.reduce((sum, [, c]) => addCost(sum, c), zeroCost());
    const roleCaps = Object.fromEntries(ROLES.map((r) => [r, { ...(amounts[r] ?? zeroCost()) }]));
    return new Ledger({ total, byRole: roleCaps }, { ledger: this, reservations });
  }

  /**
   * Stop this ledger and settle its parent reservation with what was spent. Calls still
   * in flight are charged at their worst case (their later settle stays local), so the
   * parent can never be charged less than the child may end up using.
   */
  close(): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    if (!this.parent) return;
    const committed = this.committed().byRole;
    for (const res of this.parent.reservations) {
      const spent = this.spentRole[res.role];
      const held = committed[res.role];
      // Infinite commitments can only come from carves in dimensions uncapped all the way up.
      const charge = mapCost((d) => spent[d] + (Number.isFinite(held[d]) ? held[d] : 0));
      this.parent.ledger.settle(res, charge);
    }
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  /** Settles whose actual cost exceeded the reserved worst case (a bound that was too low). */
  get overEstimates(): number {
    return this.overEstimateCount;
  }

  get caps(): LedgerOptions {
    return { total: { ...this.totalCaps }, byRole: structuredClone(this.roleCaps) };
  }

  spent(): { total: Cost; byRole: ByRole<Cost> } {
    return { total: { ...this.spentTotal }, byRole: cloneRoles(this.spentRole) };
  }

  /** Worst-case cost of the reservations still open. */
  committed(): { total: Cost; byRole: ByRole<Cost> } {
    const total = zeroCost();
    const roles = byRole(zeroCost);
    for (const r of this.open) {
      addInto(total, r.worstCase);
      addInto(roles[r.role], r.worstCase);
    }
    return { total, byRole: roles };
  }

  /** What `role` may still reserve: the tighter of the total and the role cap; Infinity where uncapped. */
  remaining(role: Role): Cost {
    const committed = this.committed();
    return mapCost((d) => {
      let room = Infinity;
      const total = capOf(this.totalCaps, d);
      if (total !== undefined) room = Math.min(room, total - this.spentTotal[d] - committed.total[d]);
      const own = capOf(this.roleCaps[role], d);
      if (own !== undefined) room = Math.min(room, own - this.spentRole[role][d] - committed.byRole[role][d]);
      return Math.max(0, room);
    });
  }

  private refusalFor(demands: readonly (readonly [Role, Cost])[]): Refusal | undefined {
    if (this.closedFlag) return { reason: "closed", scope: "total", dimension: "calls" };
    for (const [role, cost] of demands) {
      // NaN or negative costs would slip through the comparisons below.
      const bad = COST_DIMENSIONS.find((d) => !(cost[d] >= 0));
      if (bad) return { reason: "invalid", scope: role, dimension: bad };
    }
    const committed = this.committed();
    const demandTotal = demands.reduce((sum, [, c]) => addCost(sum, c), zeroCost());
    for (const d of COST_DIMENSIONS) {
      const cap = capOf(this.totalCaps, d);
      if (cap !== undefined && this.spentTotal[d] + committed.total[d] + demandTotal[d] > cap) {
        return { reason: "cap", scope: "total", dimension: d };
      }
    }
    for (const [role, cost] of demands) {
      for (const d of COST_DIMENSIONS) {
        const cap = capOf(this.roleCaps[role], d);
        if (cap !== undefined && this.spentRole[role][d] + committed.byRole[role][d] + cost[d] > cap) {
          return { reason: "cap", scope: role, dimension: d };
        }
      }
    }
    return undefined;
  }

  private hold(role: Role, worstCase: Cost): Reservation {
    const r: Reservation = Object.freeze({ role, worstCase: Object.freeze({ ...worstCase }) });
    this.open.add(r);
    return r;
  }

  private take(reservation: Reservation): void {
    if (!this.open.delete(reservation)) {
      throw new Error("ledger: reservation is not open here (already settled or released, or from another ledger)");
    }
  }
}

function addInto(target: Cost, c: Readonly<Cost>): void {
  target.usd += c.usd;
  target.tokens += c.tokens;
  target.calls += c.calls;
}

function mapCost(f: (d: keyof Cost) => number): Cost {
  return { usd: f("usd"), tokens: f("tokens"), calls: f("calls") };
}

function cloneRoles(roles: ByRole<Cost>): ByRole<Cost> {
  return Object.fromEntries(ROLES.map((r) => [r, { ...roles[r] }])) as ByRole<Cost>;
}
