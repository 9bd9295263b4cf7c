import { ROLES, type Role } from "../config/schema.js";
import type { ByRole, Caps, Cost } from "./types.js";
import { fromNanos, toNanosDown, toNanosUp } from "./money.js";

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

/**
 * Ledger-internal amounts hold dollars as whole nano-dollars, so sums are exact in any order;
 * costs round up and caps down, so what the ledger counts never falls below the real spend.
 */
function units(c: Readonly<Cost>): Cost {
  return { usd: toNanosUp(c.usd), tokens: c.tokens, calls: c.calls };
}

function dollars(c: Readonly<Cost>): Cost {
  return { usd: fromNanos(c.usd), tokens: c.tokens, calls: c.calls };
}

function capUnits(c: Caps): Caps {
  return c.usd === undefined ? { ...c } : { ...c, usd: toNanosDown(c.usd) };
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

/**
 * Responses already charged, so a response used again is not charged twice. A ledger carved
 * with `{ ownScope: true }` (one conversation of a round) keeps its own set, which looks up
 * through its parent's and is merged into it on close: concurrent conversations never see
 * each other's charges, so who pays for a response two of them share does not depend on which
 * one's call settled first. Every other carve shares its parent's set.
 */
class ChargeScope {
  private readonly keys = new Set<string>();
  constructor(private readonly outer?: ChargeScope) {}

  has(key: string): boolean {
    return this.keys.has(key) || (this.outer?.has(key) ?? false);
  }

  add(key: string): void {
    this.keys.add(key);
  }

  mergeIntoOuter(): void {
    if (this.outer) for (const k of this.keys) this.outer.add(k);
  }
}

/** A call waiting for its turn to reserve (see `admit`). */
interface Waiting {
  role: Role;
  worstCase: Cost;
  resolve: (r: Reservation | undefined) => void;
}

export class Ledger {
  private readonly options: LedgerOptions;
  // Internal amounts are in units (see `units`): caps, spend and the open reservations' worst cases.
  private readonly totalCaps: Caps;
  private readonly roleCaps: Partial<Record<Role, Caps>>;
  private readonly open = new Map<Reservation, Cost>();
  private readonly spentTotal = zeroCost();
  private readonly spentRole = byRole(zeroCost);
  private closedFlag = false;
  private overEstimateCount = 0;
  private readonly waiting: Waiting[] = [];
  private readonly scope: ChargeScope;
  private readonly ownScope: boolean;

  constructor(
    options: LedgerOptions,
    private readonly parent?: ParentLink,
    scope?: { outer: ChargeScope; own: boolean },
  ) {
    this.options = { total: { ...options.total }, byRole: structuredClone(options.byRole ?? {}) };
    this.totalCaps = capUnits(options.total);
    this.roleCaps = Object.fromEntries(Object.entries(options.byRole ?? {}).map(([r, c]) => [r, capUnits(c)]));
    this.ownScope = scope?.own ?? false;
    this.scope = !scope ? new ChargeScope() : scope.own ? new ChargeScope(scope.outer) : scope.outer;
  }

  /** Reserve the worst-case cost of a call; undefined when it would pass a cap (never throws). */
  reserve(role: Role, worstCase: Cost): Reservation | undefined {
    if (this.refusalFor([[role, units(worstCase)]])) return undefined;
    return this.hold(role, worstCase);
  }

  /**
   * `reserve`, in arrival order and independent of timing: when the call does not fit while
   * earlier calls of this ledger are still open, it waits for them to settle instead of being
   * refused, and later calls queue behind it. Since a settle never charges more than was
   * reserved, the answer is always the one `reserve` would give once every earlier call had
   * settled, whatever order they settle in. Refused (undefined) when it cannot fit even then.
   */
  admit(role: Role, worstCase: Cost): Promise<Reservation | undefined> {
    if (this.waiting.length === 0) {
      if (!this.refusalFor([[role, units(worstCase)]])) return Promise.resolve(this.hold(role, worstCase));
      if (this.open.size === 0 || this.closedFlag) return Promise.resolve(undefined);
    }
    return new Promise((resolve) => this.waiting.push({ role, worstCase, resolve }));
  }

  /** Whether the response `key` was already charged here (this scope or an enclosing one); marks it charged. */
  chargeOnce(key: string): boolean {
    if (this.scope.has(key)) return false;
    this.scope.add(key);
    return true;
  }

  /** Why `reserve(role, worstCase)` would fail now, or undefined if it would succeed. */
  refusal(role: Role, worstCase: Cost): Refusal | undefined {
    return this.refusalFor([[role, units(worstCase)]]);
  }

  /**
   * Charge the actual cost of a reserved call, at most what was reserved: a reservation is the
   * most a call may cost (callers flag claims above it), which keeps every cap and makes
   * `admit`'s answers independent of the order calls settle in.
   */
  settle(reservation: Reservation, actual: Cost): void {
    const worst = this.take(reservation);
    const cost = units(actual);
    if (COST_DIMENSIONS.some((d) => cost[d] > worst[d])) this.overEstimateCount++;
    const charged = mapCost((d) => Math.min(cost[d], worst[d]));
    addInto(this.spentTotal, charged);
    addInto(this.spentRole[reservation.role], charged);
    this.drain();
  }

  /** Drop a reservation without charging anything (the call failed or was never made). */
  release(reservation: Reservation): void {
    this.take(reservation);
    this.drain();
  }

  /**
   * Reserve `amounts` (all roles or none) and return a child ledger capped at exactly
   * those amounts per role and their sum in total. Roles not named get zero.
   * `child.close()` charges this ledger what the child actually used.
   */
  carve(amounts: Partial<Record<Role, Cost>>, opts: { ownScope?: boolean } = {}): Ledger | undefined {
    const demands = ROLES.filter((r) => amounts[r] !== undefined).map((r) => [r, amounts[r]!] as [Role, Cost]);
    if (this.refusalFor(demands.map(([r, c]) => [r, units(c)]))) return undefined;
    const reservations = demands.map(([role, cost]) => this.hold(role, cost));
    const total = dollars(demands.reduce((sum, [, c]) => addCost(sum, units(c)), zeroCost()));
    const roleCaps = Object.fromEntries(ROLES.map((r) => [r, { ...(amounts[r] ?? zeroCost()) }]));
    return new Ledger({ total, byRole: roleCaps }, { ledger: this, reservations }, { outer: this.scope, own: opts.ownScope ?? false });
  }

  /**
   * Stop this ledger and settle its parent reservation with what was spent. Calls still
   * in flight are charged at their worst case (their later settle stays local), so the
   * parent can never be charged less than the child may end up using.
   */
  close(): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    this.drain();
    if (this.ownScope) this.scope.mergeIntoOuter();
    if (!this.parent) return;
    const committed = this.committedUnits().byRole;
    for (const res of this.parent.reservations) {
      const spent = this.spentRole[res.role];
      const held = committed[res.role];
      // Infinite commitments can only come from carves in dimensions uncapped all the way up.
      const charge = mapCost((d) => spent[d] + (Number.isFinite(held[d]) ? held[d] : 0));
      this.parent.ledger.settle(res, dollars(charge));
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
    return { total: { ...this.options.total }, byRole: structuredClone(this.options.byRole) };
  }

  spent(): { total: Cost; byRole: ByRole<Cost> } {
    return { total: dollars(this.spentTotal), byRole: rolesInDollars(this.spentRole) };
  }

  /** Worst-case cost of the reservations still open. */
  committed(): { total: Cost; byRole: ByRole<Cost> } {
    const c = this.committedUnits();
    return { total: dollars(c.total), byRole: rolesInDollars(c.byRole) };
  }

  /** What `role` may still reserve: the tighter of the total and the role cap; Infinity where uncapped. */
  remaining(role: Role): Cost {
    const committed = this.committedUnits();
    return dollars(
      mapCost((d) => {
        let room = Infinity;
        const total = capOf(this.totalCaps, d);
        if (total !== undefined) room = Math.min(room, total - this.spentTotal[d] - committed.total[d]);
        const own = capOf(this.roleCaps[role], d);
        if (own !== undefined) room = Math.min(room, own - this.spentRole[role][d] - committed.byRole[role][d]);
        return Math.max(0, room);
      }),
    );
  }

  private committedUnits(): { total: Cost; byRole: ByRole<Cost> } {
    const total = zeroCost();
    const roles = byRole(zeroCost);
    for (const [r, worst] of this.open) {
      addInto(total, worst);
      addInto(roles[r.role], worst);
    }
    return { total, byRole: roles };
  }

  private refusalFor(demands: readonly (readonly [Role, Cost])[]): Refusal | undefined {
    if (this.closedFlag) return { reason: "closed", scope: "total", dimension: "calls" };
    for (const [role, cost] of demands) {
      // NaN or negative costs would slip through the comparisons below.
      const bad = COST_DIMENSIONS.find((d) => !(cost[d] >= 0));
      if (bad) return { reason: "invalid", scope: role, dimension: bad };
    }
    const committed = this.committedUnits();
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

  /** Answer waiting calls in order: admit the head while it fits; refuse it once nothing earlier is open. */
  private drain(): void {
    while (this.waiting.length > 0) {
      const head = this.waiting[0]!;
      const fits = !this.refusalFor([[head.role, units(head.worstCase)]]);
      if (!fits && this.open.size > 0 && !this.closedFlag) return;
      this.waiting.shift();
      head.resolve(fits ? this.hold(head.role, head.worstCase) : undefined);
    }
  }

  private hold(role: Role, worstCase: Cost): Reservation {
    const r: Reservation = Object.freeze({ role, worstCase: Object.freeze({ ...worstCase }) });
    this.open.set(r, units(worstCase));
    return r;
  }

  private take(reservation: Reservation): Cost {
    const worst = this.open.get(reservation);
    if (!worst || !this.open.delete(reservation)) {
      throw new Error("ledger: reservation is not open here (already settled or released, or from another ledger)");
    }
    return worst;
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

function rolesInDollars(roles: ByRole<Cost>): ByRole<Cost> {
  return Object.fromEntries(ROLES.map((r) => [r, dollars(roles[r])])) as ByRole<Cost>;
}
