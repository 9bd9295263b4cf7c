import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { RunStore } from "../../src/store/run-store.js";
import type { CallRecord } from "../../src/store/types.js";
import { WriteBatch } from "../../src/store/write-batch.js";

describe("WriteBatch", () => {
  it("commits the writes queued in one turn in one transaction, and settles each only after its commit", async () => {
    const log: string[] = [];
    const batch = new WriteBatch((fn) => {
      log.push("begin");
      fn();
      log.push("commit");
    });
    const settled: number[] = [];
    const all = [1, 2, 3].map((n) => batch.add(() => log.push(`w${n}`)).then(() => settled.push(n)));
    expect(log).toEqual([]); // nothing written within the turn that queued them
    await Promise.all(all);
    expect(log).toEqual(["begin", "w1", "w2", "w3", "commit"]);
    expect(settled).toEqual([1, 2, 3]);
    await batch.add(() => log.push("w4"));
    expect(log.slice(5)).toEqual(["begin", "w4", "commit"]);
  });

  it("a failing write fails alone: the others of its batch still commit", async () => {
    const committed: string[] = [];
    let staged: string[] = [];
    // All or nothing, as a transaction: writes stage, and only a batch that returns commits.
    const batch = new WriteBatch((fn) => {
      staged = [];
      fn();
      committed.push(...staged);
    });
    const ok1 = batch.add(() => staged.push("a"));
    const bad = batch.add(() => {
      throw new Error("disk full");
    });
    const ok2 = batch.add(() => staged.push("b"));
    await expect(bad).rejects.toThrow("disk full");
    await Promise.all([ok1, ok2]);
    expect(committed).toEqual(["a", "b"]);
  });

  it("flush commits at once, and a flush with nothing queued does nothing", async () => {
    let transactions = 0;
    const batch = new WriteBatch((fn) => {
      transactions++;
      fn();
    });
    batch.flush();
    expect(transactions).toBe(0);
    let written = false;
    const p = batch.add(() => (written = true));
    batch.flush();
    expect(written).toBe(true);
    await p;
    await new Promise((r) => setImmediate(r));
    expect(transactions).toBe(1); // the scheduled turn found nothing left
  });
});

describe("RunStore.later", () => {
  const opened: RunStore[] = [];
  afterEach(() => {
    for (const s of opened.splice(0)) s.close();
  });
  const call = (n: number): CallRecord => ({
    cacheKey: `k${n}`, sampleKey: "s", role: "user", modelKey: "mid", inputTokens: 1, outputTokens: 1,
    costUsd: 0.001, latencyMs: 1, cached: false, attempts: 1, ts: n,
  });
  const rowsSeenByAnotherConnection = (path: string) => {
    const db = new Database(path, { readonly: true });
    try {
      return (db.prepare("SELECT COUNT(*) AS n FROM calls").get() as { n: number }).n;
    } finally {
      db.close();
    }
  };

  it("a write is in the file (seen by another connection, so a kill cannot lose it) once its promise resolves", async () => {
    const store = RunStore.open(join(mkdtempSync(join(tmpdir(), "he-batch-")), "run"));
    opened.push(store);
    const writes = [1, 2, 3].map((n) => store.later(() => store.recordCall(call(n))));
    expect(rowsSeenByAnotherConnection(store.path)).toBe(0);
    await Promise.all(writes);
    expect(rowsSeenByAnotherConnection(store.path)).toBe(3);
  });

  it("readers of the call log, and close, flush what is queued first", () => {
    const dir = join(mkdtempSync(join(tmpdir(), "he-batch-")), "run");
    const store = RunStore.open(dir);
    void store.later(() => store.recordCall(call(1)));
    expect(store.calls()).toHaveLength(1);
    void store.later(() => store.recordCall(call(2)));
    expect(store.callTotals().calls).toBe(2);
    void store.later(() => store.recordCall(call(3)));
    store.close();
    expect(rowsSeenByAnotherConnection(store.path)).toBe(3);
  });
});
