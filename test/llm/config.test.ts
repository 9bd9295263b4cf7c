import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { UserError } from "../../src/config/errors.js";
import { Ledger } from "../../src/budget/ledger.js";
import { RunStore } from "../../src/store/run-store.js";
import { createGateway } from "../../src/llm/gateway.js";
import type { CampaignConfig } from "../../src/config/schema.js";
import { startFakeOpenAI, type FakeOpenAI } from "../helpers/fake-openai-server.js";
import { ask, campaign, cleanup, rig } from "./setup.js";

let fake: FakeOpenAI;
beforeEach(async () => {
  fake = await startFakeOpenAI();
});
afterEach(async () => {
  await cleanup();
  await fake.close();
});

function create(config: CampaignConfig, env: Record<string, string | undefined> = {}, simBaseURL?: string) {
  const store = RunStore.open(mkdtempSync(join(tmpdir(), "he-cfg-")));
  try {
    return createGateway({ config, store, ledger: new Ledger({ total: {} }), env, simBaseURL });
  } finally {
    store.close();
  }
}

describe("gateway: configuration errors", () => {
  it("an unknown model key in a role names roles.<role>", () => {
    const config = campaign({ a: { model: "x", baseURL: fake.baseURL } }, { evolver: "a", user: "nope" });
    expect(() => create(config)).toThrow(UserError);
    expect(() => create(config)).toThrow(/^roles\.user: unknown model 'nope'/);
  });

  it("an unset key variable is a UserError at creation", () => {
    const config = campaign({ a: { model: "x", baseURL: fake.baseURL, apiKeyEnv: "MY_KEY" } }, { evolver: "a", user: "a" });
    expect(() => create(config, { MY_KEY: "" })).toThrow("models.a.apiKeyEnv: environment variable MY_KEY is not set");
    expect(() => create(config, {})).toThrow(UserError);
  });

  it("budget.usd requires a price for every model", () => {
    const config = campaign({ a: { model: "x", baseURL: fake.baseURL } }, { evolver: "a", user: "a" }, { budget: { usd: 1 } });
    expect(() => create(config)).toThrow("models.a.price: required because budget.usd is set");
  });

  it("sim models take their price from the sim table and need a sim server", () => {
    const config = campaign({ s: { model: "sim:mid" } }, { evolver: "s", user: "s" }, { budget: { usd: 1 } });
    expect(() => create(config)).toThrow(/simBaseURL/);
    expect(() => create(config, {}, fake.baseURL)).not.toThrow();
  });

  it("a role with no model fails the call with a UserError", async () => {
    const { gateway } = rig(campaign({ a: { model: "x", baseURL: fake.baseURL } }, { evolver: "a", user: "a" }));
    await expect(gateway.complete(ask("x", { role: "verifier" }))).rejects.toThrow(/^roles\.verifier: no model is bound/);
  });
});

describe("gateway: routing", () => {
  it("a sim: model without baseURL is sent to the sim server, with a placeholder key", async () => {
    const { gateway } = rig(campaign({ s: { model: "sim:mid" } }, { evolver: "s", user: "s" }), { simBaseURL: fake.baseURL });
    const res = await gateway.complete(ask("hello sim"));
    expect(res.costUsd).toBeGreaterThan(0);
    expect(fake.requests[0]!.body.model).toBe("sim:mid");
    expect(fake.requests[0]!.headers.authorization).toBe("Bearer not-needed");
    expect(gateway.stats()).toMatchObject({ priceKnown: true });
  });

  it("a model without any price costs 0 and is flagged in stats", async () => {
    const { gateway } = rig(campaign({ a: { model: "x", baseURL: fake.baseURL } }, { evolver: "a", user: "a" }));
    const res = await gateway.complete(ask("free?"));
    expect(res.costUsd).toBe(0);
    expect(gateway.stats()).toMatchObject({ priceKnown: false, byModel: { a: { priceKnown: false, calls: 1 } } });
  });

  it("an ensemble routes each sampleKey to one model, deterministically and by weight", async () => {
    const models = { a: { model: "model-a", baseURL: fake.baseURL }, b: { model: "model-b", baseURL: fake.baseURL } };
    const { gateway } = rig(campaign(models, { evolver: [{ model: "a", weight: 3 }, { model: "b", weight: 1 }], user: "a" }));
    const keys = Array.from({ length: 200 }, (_, i) => `island=0/gen=${i}`);
    const first = await Promise.all(keys.map((k) => gateway.complete(ask("e", { role: "evolver", sampleKey: k }))));
    const again = await Promise.all(keys.map((k) => gateway.complete(ask("e", { role: "evolver", sampleKey: k }))));
    expect(again.map((r) => r.modelKey)).toEqual(first.map((r) => r.modelKey));
    expect(again.every((r) => r.cached)).toBe(true);
    const shareA = first.filter((r) => r.modelKey === "a").length / keys.length;
    expect(shareA).toBeGreaterThan(0.62);
    expect(shareA).toBeLessThan(0.88);
  });

  it("a request may name its model, overriding the role binding", async () => {
    const models = { a: { model: "model-a", baseURL: fake.baseURL }, b: { model: "model-b", baseURL: fake.baseURL } };
    const { gateway } = rig(campaign(models, { evolver: "a", user: "a" }));
    const res = await gateway.complete(ask("pick b", { role: "evolver", model: "b" }));
    expect(res.modelKey).toBe("b");
    expect(fake.requests[0]!.body.model).toBe("model-b");
    await expect(gateway.complete(ask("x", { model: "zzz" }))).rejects.toBeInstanceOf(UserError);
  });
});

describe("gateway: worstCase", () => {
  it("is what a call reserves, the largest over the role's models when none is named", () => {
    const models = {
      cheap: { model: "c", baseURL: fake.baseURL, price: { inputPerM: 1, outputPerM: 1 }, params: { maxTokens: 100 } },
      dear: { model: "d", baseURL: fake.baseURL, price: { inputPerM: 10, outputPerM: 10 }, params: { maxTokens: 50 } },
    };
    const { gateway } = rig(campaign(models, { evolver: [{ model: "cheap", weight: 1 }, { model: "dear", weight: 1 }], user: "cheap" }));
    const messages = [{ role: "user" as const, content: "abcd" }];
    const input = 4 + 8 + 16;
    expect(gateway.worstCase({ role: "evolver", messages, sampleKey: "b" })).toEqual({ tokens: input + 100, usd: ((input + 50) * 10) / 1e6, calls: 1 });
    expect(gateway.worstCase({ role: "evolver", messages, sampleKey: "b", model: "cheap" })).toEqual({ tokens: input + 100, usd: (input + 100) / 1e6, calls: 1 });
  });
});
