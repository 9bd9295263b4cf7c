import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { UserError } from "../../src/config/errors.js";
import { RunStore, RUN_DB } from "../../src/store/run-store.js";
import { SCHEMA_VERSION } from "../../src/store/schema.js";
import type { CallRecord, ResponseRecord } from "../../src/store/types.js";

const opened: RunStore[] = [];
function fresh(): { dir: string; store: RunStore } {
  const dir = join(mkdtempSync(join(tmpdir(), "he-store-")), "run");
  const store = RunStore.open(dir);
  opened.push(store);
  return { dir, store };
}
afterEach(() => {
  for (const s of opened.splice(0)) s.close();
});

const response = (over: Partial<ResponseRecord> = {}): ResponseRecord => ({
  cacheKey: "k1",
  sampleKey: "island=0/gen=0",
  role: "user",
  modelKey: "mid",
  model: "sim:mid",
  text: "hello",
  inputTokens: 10,
  outputTokens: 5,
  usageEstimated: false,
  costUsd: 0.001,
  latencyMs: 12.7,
  attempts: 2,
  createdTs: 1000,
  finishReason: "stop",
  kind: "answer",
  ...over,
});

const call = (over: Partial<CallRecord> = {}): CallRecord => ({
  cacheKey: "k1",
  sampleKey: "s",
  role: "user",
  modelKey: "mid",
  inputTokens: 10,
  outputTokens: 5,
  costUsd: 0.5,
  latencyMs: 3,
  cached: false,
  attempts: 1,
  ts: 1,
  ...over,
});

describe("RunStore", () => {
  it("creates the folder and run.db in WAL mode with the schema version", () => {
    const { dir, store } = fresh();
    expect(store.path).toBe(join(dir, RUN_DB));
    expect(store.getMeta("schema_version")).toBe(String(SCHEMA_VERSION));
    const db = new Database(store.path, { readonly: true });
    expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
    db.close();
  });

  it("refuses a run.db with another schema version, with a clear UserError", () => {
    const { dir, store } = fresh();
    store.setMeta("schema_version", "999");
    store.close();
    expect(() => RunStore.open(dir)).toThrow(UserError);
    expect(() => RunStore.open(dir)).toThrow(/schema version 999.*uses version 1/);
  });

  it("refuses a file that is not SQLite", () => {
    const dir = mkdtempSync(join(tmpdir(), "he-store-"));
    writeFileSync(join(dir, RUN_DB), "definitely not a database ".repeat(100));
    expect(() => RunStore.open(dir)).toThrow(UserError);
  });

  it("reopens an existing run and keeps its rows", () => {
    const { dir, store } = fresh();
    store.setMeta("config", "{}");
    store.putResponse(response());
    store.close();
    const again = RunStore.open(dir);
    opened.push(again);
    expect(again.getMeta("config")).toBe("{}");
    expect(again.getResponse("k1")?.text).toBe("hello");
  });

  it("round-trips events with JSON payloads, filtered by type", () => {
    const { store } = fresh();
    store.appendEvent("generation", { gen: 1, islands: [0, 1] }, 5);
    store.appendEvent("migration", { from: 0 });
    store.appendEvent("generation", { gen: 2 });
    expect(store.events().map((e) => e.type)).toEqual(["generation", "migration", "generation"]);
    const gens = store.events("generation");
    expect(gens[0]).toMatchObject({ ts: 5, type: "generation", payload: { gen: 1, islands: [0, 1] } });
    expect(gens.map((e) => (e.payload as { gen: number }).gen)).toEqual([1, 2]);
  });

  it("round-trips candidates and evaluations; a replayed candidate overwrites without losing evaluations", () => {
    const { store } = fresh();
    const cand = { id: "c1", hash: "h1", text: "## A\nx", island: 2, generation: 3, operator: "mutate", parents: ["seed"], modelKey: "small" };
    store.transaction(() => {
      store.putCandidate(cand);
      store.putEvaluation({ candidateId: "c1", split: "train", stage: "minibatch", score: 0.5, feedback: "f", results: [{ taskId: "t1", pass: true }], costUsd: 0.01, tokens: 100, calls: 2 });
    });
    store.putCandidate({ id: "seed", hash: "h0", text: "s", island: null, generation: 0, operator: "seed", parents: [], modelKey: null, status: "evaluated" });
    // Logical order, not insertion order: the seed first, positions next, other ids last.
    store.putCandidate({ ...cand, id: "i1-g0-c10-t1" });
    store.putCandidate({ ...cand, id: "i0-g1-c0-t1" });
    store.putCandidate({ ...cand, id: "i1-g0-c2-t2" });
    expect(store.candidates().map((c) => c.id)).toEqual(["seed", "i1-g0-c2-t2", "i1-g0-c10-t1", "i0-g1-c0-t1", "c1"]);
    expect(store.candidate("c1")).toMatchObject({ ...cand, status: "pending", reason: null });
    store.updateCandidateStatus("c1", "near-duplicate", "too close to c0");
    expect(store.candidate("c1")).toMatchObject({ status: "near-duplicate", reason: "too close to c0" });
    store.putCandidate({ ...cand, status: "evaluated" });
    expect(store.candidate("c1")?.status).toBe("evaluated");
    const evals = store.evaluations("c1");
    expect(evals).toHaveLength(1);
    expect(evals[0]).toMatchObject({ split: "train", stage: "minibatch", score: 0.5, results: [{ taskId: "t1", pass: true }], error: null });
    expect(() => store.updateCandidateStatus("nope", "failed")).toThrow(/no candidate/);
  });

  it("rejects an evaluation of an unknown candidate (foreign keys are on)", () => {
    const { store } = fresh();
    expect(() => store.putEvaluation({ candidateId: "ghost", split: "val", stage: "full", score: 0, feedback: "", results: [], costUsd: 0, tokens: 0, calls: 0 })).toThrow();
  });

  it("a transaction that throws writes nothing", () => {
    const { store } = fresh();
    expect(() =>
      store.transaction(() => {
        store.putResponse(response());
        throw new Error("boom");
      }),
    ).toThrow("boom");
    expect(store.getResponse("k1")).toBeUndefined();
  });

  it("round-trips responses; the first write of a cache key wins", () => {
    const { store } = fresh();
    store.putResponse(response({ usageEstimated: true }));
    store.putResponse(response({ text: "other" }));
    expect(store.getResponse("k1")).toEqual({ ...response({ usageEstimated: true }), latencyMs: 13 });
    expect(store.getResponse("missing")).toBeUndefined();
  });

  it("a miss, then the write, then a hit; responses imported from another run are found too", () => {
    const { store } = fresh();
    expect(store.getResponse("k1")).toBeUndefined();
    store.putResponse(response());
    expect(store.getResponse("k1")?.text).toBe("hello");
    const other = fresh().store;
    other.putResponse(response({ cacheKey: "k2", text: "from the other run" }));
    expect(store.getResponse("k2")).toBeUndefined();
    expect(store.importResponses(other.path)).toBe(1);
    expect(store.getResponse("k2")?.text).toBe("from the other run");
  });

  it("totals calls: paid vs cached, overall and per role", () => {
    const { store } = fresh();
    store.recordCall(call());
    store.recordCall(call({ cached: true, attempts: 0 }));
    store.recordCall(call({ role: "evolver", costUsd: 0.25, inputTokens: 100, outputTokens: 50 }));
    store.recordCall(call({ role: "verifier", cached: true }));
    const t = store.callTotals();
    expect(t).toMatchObject({ calls: 2, cachedCalls: 2, inputTokens: 110, outputTokens: 55, usd: 0.75 });
    expect(t.withCached).toEqual({ calls: 4, inputTokens: 130, outputTokens: 65, usd: 1.75 });
    expect(t.byRole.user).toMatchObject({ calls: 1, cachedCalls: 1, usd: 0.5, withCached: { calls: 2, usd: 1 } });
    expect(t.byRole.verifier).toMatchObject({ calls: 0, cachedCalls: 1, usd: 0 });
    expect(store.calls()).toHaveLength(4);
  });

  it("clearReplayedState keeps the response cache and the call log", () => {
    const { store } = fresh();
    store.putCandidate({ id: "c1", hash: "h", text: "t", island: 0, generation: 0, operator: "rewrite", parents: [], modelKey: "m" });
    store.appendEvent("x", {});
    store.putResponse(response());
    store.recordCall(call());
    store.clearReplayedState();
    expect(store.candidates()).toEqual([]);
    expect(store.events()).toEqual([]);
    expect(store.getResponse("k1")).toBeDefined();
    expect(store.calls()).toHaveLength(1);
  });

  it("has no column that could hold an API key", () => {
    const { store } = fresh();
    const db = new Database(store.path, { readonly: true });
    const cols = (db.prepare("SELECT name FROM pragma_table_list WHERE schema = 'main'").all() as { name: string }[])
      .flatMap((t) => (db.prepare(`SELECT name FROM pragma_table_info(?)`).all(t.name) as { name: string }[]).map((c) => c.name));
    db.close();
    expect(cols.filter((c) => /key/i.test(c))).toEqual(expect.arrayContaining(["cache_key", "sample_key", "model_key"]));
    expect(cols.some((c) => /api|secret|token$|auth/i.test(c))).toBe(false);
    expect(readFileSync(store.path).length).toBeGreaterThan(0);
  });
});
