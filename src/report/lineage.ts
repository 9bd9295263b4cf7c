/** The ancestry of a candidate and the failed candidates of a run, from run.db rows. */
import type { CandidateRecord } from "../store/types.js";
import type { Scores } from "./data.js";

export interface ParentLink {
  /** The stored candidate (a copy's id is reduced to its original's). */
  id: string;
  /** How the parent reached the child's island, when it was a copy ("migrated to island 1 after generation 0"). */
  via: string | null;
}

export interface LineageRow {
  id: string;
  /** Steps from the best harness (0 = the best itself). */
  depth: number;
  generation: number | null;
  island: number | null;
  operator: string;
  model: string | null;
  parents: ParentLink[];
  train: number | null;
  val: number | null;
}

export interface FailureRow {
  id: string;
  generation: number | null;
  island: number | null;
  operator: string | null;
  reason: string;
}

/** Rows beyond this are left out of the lineage table (long sequential-revision chains). */
export const MAX_LINEAGE = 300;

/** What a copy suffix (`x>m1g0`, `seed>i0`, ...) says about how the copy was made. */
export function describeCopy(suffix: string): string {
  const m = /^([mr])(\d+)g(\d+)$/.exec(suffix);
  if (m) return m[1] === "m" ? `migrated to island ${m[2]} after generation ${m[3]}` : `copied to island ${m[2]} by the reset after generation ${m[3]}`;
  const i = /^([it])(\d+)$/.exec(suffix);
  if (i) return i[1] === "i" ? `placed on island ${i[2]}` : `thread ${i[2]}`;
  return `copy ${suffix}`;
}

export function parentLink(ref: string): ParentLink {
  const at = ref.indexOf(">");
  return at < 0 ? { id: ref, via: null } : { id: ref.slice(0, at), via: describeCopy(ref.slice(at + 1)) };
}

/** Breadth-first from `bestId` through every parent; each ancestor listed once, nearest first. */
export function ancestry(bestId: string, candidates: readonly CandidateRecord[], scores: ReadonlyMap<string, Scores>): LineageRow[] {
  const byId = new Map(candidates.map((c) => [c.id, c]));
  const start = parentLink(bestId).id;
  const depth = new Map<string, number>([[start, 0]]);
  const queue = [start];
  const rows: LineageRow[] = [];
  while (queue.length > 0 && rows.length < MAX_LINEAGE) {
    const id = queue.shift()!;
    const c = byId.get(id);
    const d = depth.get(id)!;
    const parents = (c?.parents ?? []).map(parentLink);
    const s = scores.get(id);
    rows.push({
      id,
      depth: d,
      generation: c?.generation ?? null,
      island: c?.island ?? null,
      operator: c?.operator ?? "unknown",
      model: c?.modelKey ?? null,
      parents,
      train: s?.train ?? s?.minibatch ?? null,
      val: s?.val ?? null,
    });
    for (const p of parents) {
      if (depth.has(p.id)) continue;
      depth.set(p.id, d + 1);
      queue.push(p.id);
    }
  }
  return rows;
}

/** "failure" events (proposals and evaluations that failed) and candidates stored as failed or rejected, once each. */
export function failures(events: readonly Record<string, unknown>[], candidates: readonly CandidateRecord[]): FailureRow[] {
  const byId = new Map(candidates.map((c) => [c.id, c]));
  const out = new Map<string, FailureRow>();
  for (const e of events) {
    const id = String(e.id ?? "?");
    const c = byId.get(id);
    const key = out.has(id) ? `${id}#${out.size}` : id;
    out.set(key, {
      id,
      generation: typeof e.generation === "number" ? e.generation : (c?.generation ?? null),
      island: typeof e.island === "number" ? e.island : (c?.island ?? null),
      operator: c?.operator ?? null,
      reason: String(e.reason ?? "no reason given"),
    });
  }
  for (const c of candidates) {
    if ((c.status !== "failed" && c.status !== "rejected") || out.has(c.id)) continue;
    out.set(c.id, { id: c.id, generation: c.generation, island: c.island, operator: c.operator, reason: c.reason ?? c.status });
  }
  return [...out.values()];
}
