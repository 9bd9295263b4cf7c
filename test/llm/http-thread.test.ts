import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Ledger } from "../../src/budget/ledger.js";
import type { CampaignConfig } from "../../src/config/schema.js";
import { createGateway, type Gateway } from "../../src/llm/gateway.js";
import { errorKind, LlmCallError } from "../../src/llm/types.js";
import { RunStore } from "../../src/store/run-store.js";
import { startFakeOpenAI, type FakeOpenAI } from "../helpers/fake-openai-server.js";
import { FAKE_KEY, ask, campaign, oneModel } from "./setup.js";

// The gateway's HTTP requests from a worker thread (campaigns run so): the same requests,
// replies, retries, attempts and errors as from the gateway's own thread.

let fake: FakeOpenAI;
const open: { gateway: Gateway; store: RunStore }[] = [];
beforeEach(async () => {
  fake = await startFakeOpenAI();
});
afterEach(async () => {
  for (const { gateway, store } of open.splice(0)) {
    await gateway.close();
    store.close();
  }
  await fake.close();
});

function threaded(config: CampaignConfig, httpThread = true): { gateway: Gateway; store: RunStore; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), "he-http-thread-"));
  const store = RunStore.open(dir);
  const gateway = createGateway({ config, store, ledger: new Ledger({ total: {} }), env: { FAKE_KEY_VAR: FAKE_KEY }, httpThread });
  open.push({ gateway, store });
  return { gateway, store, dir };
}

describe("gateway with its HTTP thread", () => {
  it("returns what the in-thread gateway returns, retries included, and counts the same attempts", async () => {
    const config = oneModel(fake.baseURL, { maxRetries: 3 });
    const run = async (httpThread: boolean) => {
      const { gateway } = threaded(config, httpThread);
      fake.enqueue({ kind: "status", status: 500, body: { error: { message: "busy" } } });
      const replies = await Promise.all(["a", "b", "c", "d"].map((q) => gateway.complete(ask(q))));
      return { replies: replies.map((r) => ({ text: r.text, usage: r.usage, costUsd: r.costUsd, kind: r.kind, finishReason: r.finishReason })), attempts: replies.reduce((n, r) => n + r.attempts, 0), stats: gateway.stats() };
    };
    const here = await run(false);
    const there = await run(true);
    expect(there.replies).toEqual(here.replies);
    expect(there.attempts).toBe(5); // one of the four was answered 500 first
    expect(here.attempts).toBe(5);
    expect(there.stats.attempts).toBe(here.stats.attempts);
    expect(fake.served.requests).toBe(10);
  });

  it("a permanent failure stays permanent (a fatal stop), names the variable and never the key", async () => {
    fake.enqueue({ kind: "status", status: 401, body: { error: { message: `Incorrect API key provided: ${FAKE_KEY}` } } });
    const { gateway, dir } = threaded(oneModel(fake.baseURL));
    const err = (await gateway.complete(ask("x")).catch((e: unknown) => e)) as LlmCallError;
    expect(err).toBeInstanceOf(LlmCallError);
    expect(errorKind(err)).toBe("fatal");
    expect(err).toMatchObject({ permanent: true, status: 401, modelKey: "m" });
    expect(err.message).toContain("check the key in FAKE_KEY_VAR");
    expect(err.message).not.toContain(FAKE_KEY);
    expect(String(err.stack)).not.toContain(FAKE_KEY);
    expect(readFileSync(join(dir, "run.db")).includes(FAKE_KEY)).toBe(false);
    expect(gateway.stats()).toMatchObject({ failedCalls: 1, attempts: 1 });
  });

  it("a time-out is a passing error with the message the in-thread endpoint writes", async () => {
    fake.enqueue({ kind: "hang" });
    // `m` times out quickly on the hung reply; `n`, on the same thread, has all the time a loaded machine needs.
    const endpoint = { model: "fake-1", baseURL: fake.baseURL, apiKeyEnv: "FAKE_KEY_VAR", price: { inputPerM: 1, outputPerM: 2 }, maxRetries: 0 };
    const config = campaign({ m: { ...endpoint, timeoutMs: 300 }, n: { ...endpoint, timeoutMs: 60_000 } }, { evolver: "m", user: "m", verifier: "m" });
    const { gateway } = threaded(config);
    const err = (await gateway.complete(ask("x")).catch((e: unknown) => e)) as LlmCallError;
    expect(err).toBeInstanceOf(LlmCallError);
    expect(errorKind(err)).toBe("error");
    expect(err.message).toMatch(/timed out after 1 attempt — raise models\.m\.timeoutMs/);
    // The next call is served by the same thread.
    await expect(gateway.complete(ask("y", { model: "n" }))).resolves.toMatchObject({ kind: "answer" });
  });

  it("after close, calls are refused", async () => {
    const { gateway } = threaded(oneModel(fake.baseURL));
    await gateway.complete(ask("x"));
    await gateway.close();
    await expect(gateway.complete(ask("z"))).rejects.toThrow(/closed/);
  });
});
