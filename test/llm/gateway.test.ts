import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { BudgetExhaustedError, type Cost } from "../../src/budget/types.js";
import type { Role } from "../../src/config/schema.js";
import { Ledger } from "../../src/budget/ledger.js";
import { LlmCallError } from "../../src/llm/types.js";
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

describe("gateway: a plain call", () => {
  it("sends model, messages, snake_case params, seed and the key; returns text, usage and cost", async () => {
    const { gateway, store, ledger } = rig(oneModel(fake.baseURL, { params: { topP: 0.9, repetitionPenalty: 1.1, temperature: 0.2 } }));
    const res = await gateway.complete(ask("hi", { temperature: 0.7 }));
    expect(res).toMatchObject({ modelKey: "m", cached: false, attempts: 1 });
    expect(res.text).toMatch(/to: hi$/);
    const req = fake.requests[0]!;
    expect(req.headers.authorization).toBe(`Bearer ${FAKE_KEY}`);
    expect(req.body).toMatchObject({ model: "fake-1", top_p: 0.9, repetition_penalty: 1.1, temperature: 0.7, max_tokens: 512 });
    expect(Number.isInteger(req.body.seed) && req.body.seed >= 0 && req.body.seed < 2 ** 31).toBe(true);
    expect(req.body.messages).toEqual([
      { role: "system", content: "You are terse." },
      { role: "user", content: "hi" },
    ]);
    const { prompt_tokens, completion_tokens } = { prompt_tokens: fake.served.promptTokens, completion_tokens: fake.served.completionTokens };
    expect(res.usage).toEqual({ inputTokens: prompt_tokens, outputTokens: completion_tokens, estimated: false });
    expect(res.costUsd).toBeCloseTo((prompt_tokens * 1 + completion_tokens * 2) / 1e6, 12);
    expect(ledger.spent().byRole.user).toEqual({ usd: res.costUsd, tokens: prompt_tokens + completion_tokens, calls: 1 });
    expect(ledger.committed().total.calls).toBe(0);
    expect(store.callTotals()).toMatchObject({ calls: 1, cachedCalls: 0, usd: res.costUsd });
    expect(store.getResponse(store.calls()[0]!.cacheKey)?.text).toBe(res.text);
  });

  it("uses the per-role default output cap and the request's maxTokens", async () => {
    const { gateway } = rig(oneModel(fake.baseURL));
    await gateway.complete(ask("a", { role: "evolver" }));
    await gateway.complete(ask("b", { role: "verifier", maxTokens: 77 }));
    expect(fake.requests.map((r) => r.body.max_tokens)).toEqual([2048, 77]);
  });

  it("estimates usage from text length when the endpoint reports none", async () => {
    fake.enqueue({ kind: "ok", text: "12345678", usage: null });
    const { gateway, store } = rig(oneModel(fake.baseURL));
    const res = await gateway.complete(ask("abcd"));
    expect(res.usage).toEqual({ inputTokens: Math.ceil(("You are terse." + "abcd").length / 4), outputTokens: 2, estimated: true });
    expect(store.getResponse(store.calls()[0]!.cacheKey)?.usageEstimated).toBe(true);
    expect(gateway.stats().byModel.m!.estimatedUsage).toBe(1);
  });
});

describe("gateway: retries", () => {
  it("retries a 429, honouring retry-after-ms", async () => {
    fake.enqueue({ kind: "status", status: 429, headers: { "retry-after-ms": "10" } }, { kind: "ok", text: "fine" });
    // Without the header the retry would wait the default backoff, set here to a minute, so the
    // bound below tells the two apart however slow the machine is.
    const { gateway, store } = rig(oneModel(fake.baseURL), { env: { HARNESS_EVOLVE_RETRY_BASE_MS: "60000" } });
    const t0 = Date.now();
    const res = await gateway.complete(ask("x"));
    expect(Date.now() - t0).toBeLessThan(30_000); // the header's 10 ms, not the 45-60 s default backoff
    expect(res).toMatchObject({ text: "fine", attempts: 2 });
    expect(fake.served.requests).toBe(2);
    expect(store.calls()[0]!.attempts).toBe(2);
  });

  it("retries a 429 without Retry-After (default backoff)", async () => {
    fake.enqueue({ kind: "status", status: 429 }, { kind: "ok", text: "fine" });
    const { gateway } = rig(oneModel(fake.baseURL));
    expect(await gateway.complete(ask("x"))).toMatchObject({ text: "fine", attempts: 2 });
  });

  it("retries 500 and 503, then succeeds", async () => {
    fake.enqueue({ kind: "status", status: 500, headers: { "retry-after-ms": "1" } }, { kind: "status", status: 503, headers: { "retry-after": "0.001" } }, { kind: "ok", text: "third" });
    const { gateway } = rig(oneModel(fake.baseURL));
    expect(await gateway.complete(ask("x"))).toMatchObject({ text: "third", attempts: 3 });
  });

  it("retries a dropped connection and a timed-out request", async () => {
    fake.enqueue({ kind: "drop" }, { kind: "hang" }, { kind: "ok", text: "after" });
    const { gateway } = rig(oneModel(fake.baseURL, { timeoutMs: 100 }));
    expect(await gateway.complete(ask("x"))).toMatchObject({ text: "after", attempts: 3 });
  });

  it("treats a 200 with no choices, null content or a non-JSON body as a failed attempt", async () => {
    fake.enqueue({ kind: "no-choices" }, { kind: "null-content" }, { kind: "ok", text: "finally" });
    const { gateway } = rig(oneModel(fake.baseURL));
    expect(await gateway.complete(ask("x"))).toMatchObject({ text: "finally", attempts: 3 });
    fake.enqueue({ kind: "non-json" }, { kind: "ok", text: "parsed" });
    expect(await gateway.complete(ask("y"))).toMatchObject({ text: "parsed", attempts: 2 });
  });

  it("gives up on endless empty replies after a bounded number of tries", async () => {
    fake.fallback = () => ({ kind: "no-choices" });
    const { gateway, ledger } = rig(oneModel(fake.baseURL));
    const err = await gateway.complete(ask("x")).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LlmCallError);
    expect((err as LlmCallError).message).toMatch(/model 'm'.*no message text/);
    expect(fake.served.requests).toBe(3);
    expect(ledger.committed().total.calls).toBe(0);
    expect(ledger.spent().total.calls).toBe(0);
  });

  it("exhausted retries are a non-permanent LlmCallError; the reservation is released", async () => {
    fake.fallback = () => ({ kind: "status", status: 503, headers: { "retry-after-ms": "1" } });
    const { gateway, ledger, store } = rig(oneModel(fake.baseURL, { maxRetries: 2 }));
    const err = (await gateway.complete(ask("x")).catch((e: unknown) => e)) as LlmCallError;
    expect(err).toBeInstanceOf(LlmCallError);
    expect(err).toMatchObject({ permanent: false, status: 503, modelKey: "m" });
    expect(err.message).toMatch(/after 3 attempts/);
    expect(fake.served.requests).toBe(3);
    expect(ledger.committed().total).toEqual({ usd: 0, tokens: 0, calls: 0 });
    expect(store.calls()).toHaveLength(0);
    expect(gateway.stats()).toMatchObject({ failedCalls: 1, attempts: 3 });
  });
});

describe("gateway: permanent failures", () => {
  it("401 is not retried; the message names the model and the variable, never the key", async () => {
    fake.enqueue({ kind: "status", status: 401, body: { error: { message: `Incorrect API key provided: ${FAKE_KEY}` } } });
    const { gateway, dir } = rig(oneModel(fake.baseURL));
    const err = (await gateway.complete(ask("x")).catch((e: unknown) => e)) as LlmCallError;
    expect(err).toBeInstanceOf(LlmCallError);
    expect(err).toMatchObject({ permanent: true, status: 401, modelKey: "m" });
    expect(err.message).toContain(`model 'm' (fake-1 at ${fake.baseURL})`);
    expect(err.message).toContain("401 unauthorized");
    expect(err.message).toContain("check the key in FAKE_KEY_VAR");
    expect(err.message).not.toContain(FAKE_KEY);
    expect(String(err.stack)).not.toContain(FAKE_KEY);
    expect(fake.served.requests).toBe(1);
    expect(readFileSync(join(dir, "run.db")).includes(FAKE_KEY)).toBe(false);
  });

  it("404 says what to check", async () => {
    fake.enqueue({ kind: "status", status: 404, body: { error: { message: "model not found" } } });
    const { gateway } = rig(oneModel(fake.baseURL));
    await expect(gateway.complete(ask("x"))).rejects.toThrow(/404 not found \(model not found\) — check models\.m\.model and models\.m\.baseURL/);
    expect(fake.served.requests).toBe(1);
  });

  it("a connection refused names the base URL to check", async () => {
    const url = fake.baseURL;
    await fake.close();
    const { gateway } = rig(oneModel(url, { maxRetries: 0 }));
    await expect(gateway.complete(ask("x"))).rejects.toThrow(/could not connect after 1 attempt — check that models\.m\.baseURL/);
    fake = await startFakeOpenAI();
  });
});

describe("gateway: budget", () => {
  it("refuses before any request when the worst case does not fit", async () => {
    const { gateway, ledger } = rig(oneModel(fake.baseURL), { caps: { total: { tokens: 500 } } });
    const err = await gateway.complete(ask("x")).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BudgetExhaustedError);
    expect(err).toMatchObject({ role: "user", dimension: "tokens" });
    expect(fake.served.requests).toBe(0);
    expect(ledger.committed().total.calls).toBe(0);
  });

  it("charges the account it is bound to", async () => {
    const { gateway, ledger } = rig(oneModel(fake.baseURL));
    const island = ledger.carve({ user: { usd: 1, tokens: 1e6, calls: 1 } })!;
    const complete = gateway.bind(island);
    await complete(ask("one"));
    await expect(complete(ask("two"))).rejects.toBeInstanceOf(BudgetExhaustedError);
    expect(island.spent().total.calls).toBe(1);
    island.close();
    expect(ledger.spent().total.calls).toBe(1);
    expect(fake.served.requests).toBe(1);
  });

  it("worst case: UTF-8 bytes + 8 per message + 16 in, max_tokens out, priced", async () => {
    class SpyLedger extends Ledger {
      seen: Cost[] = [];
      override admit(role: Role, c: Cost) {
        this.seen.push(c);
        return super.admit(role, c);
      }
    }
    const spy = new SpyLedger({ total: {} });
    const { gateway } = rig(oneModel(fake.baseURL));
    await gateway.complete(ask("é", { maxTokens: 100 }), spy);
    const input = Buffer.byteLength("You are terse.") + Buffer.byteLength("é") + 2 * 8 + 16;
    expect(spy.seen).toEqual([{ tokens: input + 100, usd: (input * 1 + 100 * 2) / 1e6, calls: 1 }]);
  });
});
