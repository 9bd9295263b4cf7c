import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Ledger } from "../../src/budget/ledger.js";
import { UserError } from "../../src/config/errors.js";
import { RETRY_BASE_ENV } from "../../src/llm/endpoint.js";
import { createGateway, type Gateway } from "../../src/llm/gateway.js";
import { RunStore } from "../../src/store/run-store.js";
import { startFakeOpenAI, type FakeOpenAI } from "../helpers/fake-openai-server.js";
import { FAKE_KEY, ask, oneModel } from "./setup.js";

let fake: FakeOpenAI;
const open: { gateway: Gateway; store: RunStore }[] = [];
beforeEach(async () => {
  fake = await startFakeOpenAI();
});
afterEach(async () => {
  for (const o of open.splice(0)) {
    await o.gateway.close();
    o.store.close();
  }
  await fake.close();
});

function gatewayWith(env: Record<string, string>, model: Record<string, unknown> = {}): Gateway {
  const store = RunStore.open(mkdtempSync(join(tmpdir(), "he-retry-")));
  const gateway = createGateway({ config: oneModel(fake.baseURL, { maxRetries: 5, ...model }), store, ledger: new Ledger({ total: {} }), env: { FAKE_KEY_VAR: FAKE_KEY, ...env } });
  open.push({ gateway, store });
  return gateway;
}

describe(`${RETRY_BASE_ENV}: the first retry delay when the endpoint names none`, () => {
  it("unset: the SDK's backoff (0.5 s, less up to 25 % jitter) before the retry of a bare 503", async () => {
    fake.enqueue({ kind: "status", status: 503 }, { kind: "ok", text: "fine" });
    const t0 = performance.now();
    expect(await gatewayWith({}).complete(ask("x"))).toMatchObject({ text: "fine", attempts: 2 });
    expect(performance.now() - t0).toBeGreaterThanOrEqual(370);
  });

  it("set to 5: bare 503s, 429s, drops and timeouts are retried after milliseconds, doubling", async () => {
    fake.enqueue({ kind: "status", status: 503 }, { kind: "status", status: 429 }, { kind: "drop" }, { kind: "status", status: 500 }, { kind: "ok", text: "fine" });
    const t0 = performance.now();
    expect(await gatewayWith({ [RETRY_BASE_ENV]: "5" }).complete(ask("x"))).toMatchObject({ text: "fine", attempts: 5 });
    // 5 + 10 + 20 + 40 ms at most; the SDK's default would wait at least 5.6 s (0.5 + 1 + 2 + 4 s, less 25 % jitter).
    expect(performance.now() - t0).toBeLessThan(5000);
  });

  it("a Retry-After from the endpoint still wins", async () => {
    fake.enqueue({ kind: "status", status: 429, headers: { "retry-after-ms": "300" } }, { kind: "ok", text: "fine" });
    const t0 = performance.now();
    expect(await gatewayWith({ [RETRY_BASE_ENV]: "1" }).complete(ask("x"))).toMatchObject({ text: "fine", attempts: 2 });
    expect(performance.now() - t0).toBeGreaterThanOrEqual(290);
  });

  it("a value that is not a number of milliseconds is a config error naming the variable", () => {
    expect(() => gatewayWith({ [RETRY_BASE_ENV]: "fast" })).toThrow(UserError);
    expect(() => gatewayWith({ [RETRY_BASE_ENV]: "-1" })).toThrow(/HARNESS_EVOLVE_RETRY_BASE_MS: expected a number of milliseconds ≥ 0, got "-1"/);
  });
});
