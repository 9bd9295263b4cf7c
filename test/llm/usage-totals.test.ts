import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { stringify } from "yaml";
import { evolve } from "../../src/campaign/run.js";
import { Ledger } from "../../src/budget/ledger.js";
import { createGateway } from "../../src/llm/gateway.js";
import type { Clock } from "../../src/llm/rate-limit.js";
import { RunStore } from "../../src/store/run-store.js";
import { genericModelReply, startFakeOpenAI, type FakeOpenAI } from "../helpers/fake-openai-server.js";
import { FAKE_KEY, ask, cleanup, oneModel, rig } from "./setup.js";

const ENDPOINTS = resolve(import.meta.dirname, "../../examples/endpoints");

let fake: FakeOpenAI;
beforeEach(async () => {
  fake = await startFakeOpenAI();
  fake.fallback = genericModelReply;
});
afterEach(async () => {
  await cleanup();
  await fake.close();
});

/** A small islands campaign on the endpoints example's tasks, every role on the fake server by baseURL. */
function endpointCampaign(baseURL: string, extra: Record<string, unknown> = {}): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), "he-usage-"));
  copyFileSync(join(ENDPOINTS, "tasks.yaml"), join(dir, "tasks.yaml"));
  copyFileSync(join(ENDPOINTS, "seed-harness.md"), join(dir, "seed-harness.md"));
  const model = (name: string) => ({ baseURL, model: name, apiKeyEnv: "FAKE_ENDPOINT_KEY", price: { inputPerM: 0.4, outputPerM: 1.6 }, maxRetries: 2, timeoutMs: 10_000 });
  const campaign = {
    name: "usage-totals",
    seed: 5,
    harness: "./seed-harness.md",
    tasks: "./tasks.yaml",
    models: { writer: model("fake-writer"), agent: model("fake-agent"), judge: model("fake-judge") },
    roles: { evolver: "writer", user: "agent", verifier: "judge" },
    fitness: { type: "tasks", minibatch: 4 },
    strategy: { name: "islands", islands: 2, generations: 2, conversations: 2, turns: 2, presets: ["explorer", "refiner"], nearDuplicate: 1, finalists: 2 },
    budget: { usd: 5 },
    ...extra,
  };
  const file = join(dir, "campaign.yaml");
  writeFileSync(file, stringify(campaign));
  return { dir, file };
}

describe("token totals against an endpoint that reports usage", () => {
  it("summary.json's paid tokens and calls equal what the server counted", async () => {
    const { dir, file } = endpointCampaign(fake.baseURL);
    const out = join(dir, "run");
    const { summary } = await evolve(file, { out, inProcessIslands: true, env: { FAKE_ENDPOINT_KEY: "sk-dummy-1234" } });
    expect(summary.status).toBe("completed");
    expect(summary.spend.byRole.evolver.calls).toBeGreaterThan(0);
    expect(summary.spend.byRole.user.calls).toBeGreaterThan(0);
    expect(summary.spend.byRole.verifier.calls).toBeGreaterThan(0); // the suite has rubric tasks
    expect(summary.candidates).toBeGreaterThan(1); // children were written and evaluated
    // Every request was answered once, with usage, and nothing was retried.
    expect(fake.served.ok).toBe(fake.served.requests);
    expect(summary.spend.calls - summary.spend.cachedCalls).toBe(fake.served.ok);
    expect(summary.spend.inputTokens).toBe(fake.served.promptTokens);
    expect(summary.spend.outputTokens).toBe(fake.served.completionTokens);
    const onDisk = JSON.parse(readFileSync(join(out, "summary.json"), "utf8"));
    expect(onDisk.spend).toMatchObject({ inputTokens: fake.served.promptTokens, outputTokens: fake.served.completionTokens });
    const byRole = summary.spend.byRole;
    expect(byRole.evolver.inputTokens + byRole.user.inputTokens + byRole.verifier.inputTokens).toBe(fake.served.promptTokens);
    expect(summary.spend.usd).toBeCloseTo((fake.served.promptTokens * 0.4 + fake.served.completionTokens * 1.6) / 1e6, 6);
    expect(fake.requests.every((r) => r.headers.authorization === "Bearer sk-dummy-1234")).toBe(true);
  }, 300_000);
});

describe("rate limits in the gateway", () => {
  it("rpm 600 spaces endpoint calls 100 ms apart; cache hits do not wait", async () => {
    // The limiter's clock is moved by hand, so the test does not depend on how fast the machine is.
    const clock = new ManualClock();
    const store = RunStore.open(mkdtempSync(join(tmpdir(), "he-rpm-")));
    const gateway = createGateway({ config: oneModel(fake.baseURL, { rpm: 600 }), store, ledger: new Ledger({ total: {} }), env: { FAKE_KEY_VAR: FAKE_KEY }, clock });
    const calls = Array.from({ length: 5 }, (_, i) => ask(`q${i}`, { sampleKey: `rpm/${i}` }));
    const all = Promise.all(calls.map((c) => gateway.complete(c)));
    await vi.waitFor(() => expect(fake.served.requests).toBe(1));
    for (let k = 2; k <= 5; k++) {
      clock.advance(99);
      await new Promise((r) => setTimeout(r, 30));
      expect(fake.served.requests).toBe(k - 1);
      clock.advance(1);
      await vi.waitFor(() => expect(fake.served.requests).toBe(k));
    }
    await all;
    const again = await Promise.all(calls.map((c) => gateway.complete(c)));
    expect(again.every((r) => r.cached)).toBe(true);
    expect(fake.served.requests).toBe(5);
    await gateway.close();
    store.close();
  });

  it("tpm counts a call's worst case while it runs and its reported usage after", async () => {
    const clock = new ManualClock();
    // 600 tokens a minute = 0.01 per ms; the bucket holds 10 tokens.
    const store = RunStore.open(mkdtempSync(join(tmpdir(), "he-tpm-")));
    const gateway = createGateway({ config: oneModel(fake.baseURL, { tpm: 600 }), store, ledger: new Ledger({ total: {} }), env: { FAKE_KEY_VAR: FAKE_KEY }, clock });
    await gateway.complete(ask("first", { sampleKey: "tpm/0", maxTokens: 500 }));
    const used = fake.served.promptTokens + fake.served.completionTokens;
    expect(used).toBeLessThan(100); // far below the ~550-token worst case
    const second = gateway.complete(ask("second", { sampleKey: "tpm/1", maxTokens: 500 }));
    await new Promise((r) => setTimeout(r, 50));
    expect(fake.served.requests).toBe(1);
    // The bucket is at 10 - used: it refills to 10 in used / 0.01 ms (not the worst case's ~55 s).
    clock.advance(used * 100 - 5);
    await new Promise((r) => setTimeout(r, 50));
    expect(fake.served.requests).toBe(1);
    clock.advance(5);
    await second;
    expect(fake.served.requests).toBe(2);
    await gateway.close();
    store.close();
  });
});

/** A clock the test moves by hand; timers fire when their time is passed. */
class ManualClock implements Clock {
  private t = 0;
  private timers: { at: number; fn: () => void }[] = [];
  now(): number {
    return this.t;
  }
  setTimer(fn: () => void, ms: number): () => void {
    const timer = { at: this.t + ms, fn };
    this.timers.push(timer);
    return () => void (this.timers = this.timers.filter((x) => x !== timer));
  }
  advance(ms: number): void {
    this.t += ms;
    const due = this.timers.filter((x) => x.at <= this.t);
    this.timers = this.timers.filter((x) => x.at > this.t);
    for (const d of due) d.fn();
  }
}
