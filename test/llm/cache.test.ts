import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { BudgetExhaustedError } from "../../src/budget/types.js";
import { startFakeOpenAI, type FakeOpenAI } from "../helpers/fake-openai-server.js";
import { FAKE_KEY, ask, cleanup, oneModel, rig } from "./setup.js";

let fake: FakeOpenAI;
beforeEach(async () => {
  fake = await startFakeOpenAI();
});
afterEach(async () => {
  await cleanup();
  await fake.close();
});

describe("gateway: replay cache", () => {
  it("a second identical call is a hit: no request, same text, cached=true, and not charged again", async () => {
    const { gateway, store, ledger } = rig(oneModel(fake.baseURL));
    const first = await gateway.complete(ask("same"));
    const second = await gateway.complete(ask("same"));
    expect(fake.served.requests).toBe(1);
    expect(second).toMatchObject({ text: first.text, cached: true, attempts: 0, costUsd: first.costUsd, usage: first.usage });
    expect(ledger.spent().total).toEqual({ usd: first.costUsd, tokens: first.usage.inputTokens + first.usage.outputTokens, calls: 1 });
    const totals = store.callTotals();
    expect(totals).toMatchObject({ calls: 1, cachedCalls: 1, usd: first.costUsd });
    expect(totals.withCached.usd).toBeCloseTo(2 * first.costUsd, 15);
    expect(gateway.stats()).toMatchObject({ calls: 1, cachedCalls: 1 });
  });

  it("a different sampleKey, message or temperature is a different call", async () => {
    const { gateway } = rig(oneModel(fake.baseURL));
    await gateway.complete(ask("q"));
    await gateway.complete(ask("q", { sampleKey: "other" }));
    await gateway.complete(ask("q2"));
    await gateway.complete(ask("q", { temperature: 0.3 }));
    expect(fake.served.requests).toBe(4);
    // The seed follows the sample key, so replays of a position send the same seed.
    expect(fake.requests[0]!.body.seed).toBe(fake.requests[2]!.body.seed);
    expect(fake.requests[0]!.body.seed).not.toBe(fake.requests[1]!.body.seed);
  });

  it("a resumed run (new gateway, same run.db, endpoint on another port) hits the cache", async () => {
    const a = rig(oneModel(fake.baseURL));
    const original = await a.gateway.complete(ask("resume me"));
    await a.gateway.close();
    a.store.close();

    const other = await startFakeOpenAI();
    try {
      const b = rig(oneModel(other.baseURL), { dir: a.dir });
      const replayed = await b.gateway.complete(ask("resume me"));
      expect(replayed).toMatchObject({ text: original.text, cached: true });
      expect(other.served.requests).toBe(0);
      // Its first use in the resumed run is charged (it was paid once); later uses are free.
      expect(b.ledger.spent().total.usd).toBe(original.costUsd);
      await b.gateway.complete(ask("resume me"));
      expect(b.ledger.spent().total.usd).toBe(original.costUsd);
    } finally {
      await other.close();
    }
  });

  it("a replay is refused by the budget where the original was", async () => {
    const a = rig(oneModel(fake.baseURL));
    await a.gateway.complete(ask("x"));
    const b = rig(oneModel(fake.baseURL), { dir: a.dir, caps: { total: { tokens: 100 } } });
    await expect(b.gateway.complete(ask("x"))).rejects.toBeInstanceOf(BudgetExhaustedError);
  });

  it("identical concurrent calls share one request (single-flight)", async () => {
    fake.enqueue({ kind: "ok", text: "slow", delayMs: 80 });
    const { gateway, store } = rig(oneModel(fake.baseURL));
    const results = await Promise.all([gateway.complete(ask("dup")), gateway.complete(ask("dup")), gateway.complete(ask("dup"))]);
    expect(fake.served.requests).toBe(1);
    expect(results.map((r) => r.text)).toEqual(["slow", "slow", "slow"]);
    expect(results.filter((r) => r.cached)).toHaveLength(2);
    expect(store.callTotals()).toMatchObject({ calls: 1, cachedCalls: 2 });
  });

  it("a failed leader fails its followers too, and nothing is cached", async () => {
    fake.enqueue({ kind: "status", status: 400, body: { error: { message: "bad param" } } });
    const { gateway, store, ledger } = rig(oneModel(fake.baseURL));
    const out = await Promise.allSettled([gateway.complete(ask("dup")), gateway.complete(ask("dup"))]);
    expect(out.map((o) => o.status)).toEqual(["rejected", "rejected"]);
    expect(store.calls()).toHaveLength(0);
    expect(ledger.committed().total.calls).toBe(0);
    expect(await gateway.complete(ask("dup"))).toMatchObject({ cached: false });
  });

  it("stores every paid response before returning it, and never the key", async () => {
    const { gateway, store, dir } = rig(oneModel(fake.baseURL));
    const res = await gateway.complete(ask("persist"));
    const key = store.calls()[0]!.cacheKey;
    expect(store.getResponse(key)).toMatchObject({ text: res.text, role: "user", modelKey: "m", model: "fake-1", attempts: 1 });
    await gateway.close();
    store.close();
    const bytes = readFileSync(join(dir, "run.db"));
    let wal = Buffer.alloc(0);
    try {
      wal = readFileSync(join(dir, "run.db-wal"));
    } catch {
      /* checkpointed on close */
    }
    expect(bytes.includes(FAKE_KEY) || wal.includes(FAKE_KEY)).toBe(false);
  });
});

describe("gateway: concurrency", () => {
  it("holds a model to its concurrency", async () => {
    fake.fallback = () => ({ kind: "ok", text: "t", delayMs: 20 });
    const { gateway } = rig(oneModel(fake.baseURL, { concurrency: 2 }));
    await Promise.all(Array.from({ length: 8 }, (_, i) => gateway.complete(ask(`c${i}`))));
    expect(fake.served.requests).toBe(8);
    expect(fake.concurrency.max).toBe(2);
  });

  it("holds all models to the global concurrency", async () => {
    fake.fallback = () => ({ kind: "ok", text: "t", delayMs: 20 });
    const { gateway } = rig(oneModel(fake.baseURL, { concurrency: 8 }, { concurrency: 3 }));
    await Promise.all(Array.from({ length: 9 }, (_, i) => gateway.complete(ask(`g${i}`))));
    expect(fake.concurrency.max).toBe(3);
  });

  it("close() waits for calls in flight, then refuses new ones", async () => {
    fake.enqueue({ kind: "ok", text: "late", delayMs: 50 });
    const { gateway } = rig(oneModel(fake.baseURL));
    const p = gateway.complete(ask("in flight"));
    await gateway.close();
    expect((await p).text).toBe("late");
    await expect(gateway.complete(ask("after"))).rejects.toThrow(/closed/);
  });
});
