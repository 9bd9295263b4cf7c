import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { UserError } from "../../src/config/errors.js";
import { PRICE_TABLE, PRICE_TABLE_DATE, priceSourceLabel, resolvePrice, tablePrice } from "../../src/llm/prices.js";
import { startFakeOpenAI, type FakeOpenAI } from "../helpers/fake-openai-server.js";
import { ask, campaign, cleanup, rig } from "./setup.js";

describe("the built-in price table", () => {
  it("is dated and covers the common hosted models", () => {
    expect(PRICE_TABLE_DATE).toMatch(/^\d{4}-\d{2}(-\d{2})?$/);
    for (const m of ["gpt-4.1", "gpt-4.1-mini", "gpt-4.1-nano", "gpt-4o", "gpt-4o-mini", "o3", "o4-mini"]) expect(PRICE_TABLE[m], m).toBeDefined();
    expect(Object.keys(PRICE_TABLE).some((k) => k.startsWith("anthropic/"))).toBe(true);
    expect(Object.keys(PRICE_TABLE).some((k) => k.startsWith("google/"))).toBe(true);
    expect(PRICE_TABLE["meta-llama/llama-3.1-8b-instruct"]).toBeDefined();
    for (const [name, p] of Object.entries(PRICE_TABLE)) {
      expect(p.inputPerM, name).toBeGreaterThan(0);
      expect(p.outputPerM, name).toBeGreaterThanOrEqual(p.inputPerM);
    }
  });

  it("looks a name up exactly, then without a provider prefix or snapshot date", () => {
    expect(tablePrice("gpt-4.1-mini")).toEqual({ name: "gpt-4.1-mini", price: { inputPerM: 0.4, outputPerM: 1.6 } });
    expect(tablePrice("openai/gpt-4.1-mini")?.name).toBe("gpt-4.1-mini");
    expect(tablePrice("gpt-4.1-mini-2025-04-14")?.name).toBe("gpt-4.1-mini");
    expect(tablePrice("openai/gpt-4o-2024-08-06")?.name).toBe("gpt-4o");
    expect(tablePrice("anthropic/claude-sonnet-4")?.name).toBe("anthropic/claude-sonnet-4");
    expect(tablePrice("meta-llama/llama-3.1-8b-instruct")?.name).toBe("meta-llama/llama-3.1-8b-instruct");
  });

  it("does not guess: unknown names, local ids and other cases get nothing", () => {
    expect(tablePrice("qwen2.5:7b")).toBeUndefined();
    expect(tablePrice("meta-llama/Llama-3.1-8B-Instruct")).toBeUndefined(); // a vLLM Hugging Face id
    expect(tablePrice("GPT-4.1")).toBeUndefined();
    expect(tablePrice("gpt-4.1-mini-fast")).toBeUndefined();
    expect(tablePrice("claude-sonnet-4")).toBeUndefined();
  });

  it("resolves campaign price, then sim, then table, then unknown", () => {
    const own = { inputPerM: 9, outputPerM: 9 };
    expect(resolvePrice({ model: "gpt-4o", price: own })).toEqual({ price: own, source: "campaign" });
    expect(resolvePrice({ model: "sim:mid", price: undefined })).toMatchObject({ source: "sim", price: { inputPerM: 0.15 } });
    expect(resolvePrice({ model: "gpt-4o", price: undefined })).toEqual({ price: PRICE_TABLE["gpt-4o"], source: "table", tableName: "gpt-4o" });
    expect(resolvePrice({ model: "local-thing", price: undefined })).toEqual({ price: undefined, source: "unknown" });
    expect(resolvePrice({ model: "sim:nope", price: undefined }).source).toBe("unknown");
    expect(priceSourceLabel(resolvePrice({ model: "gpt-4o", price: undefined }))).toBe(`built-in table (${PRICE_TABLE_DATE})`);
    expect(priceSourceLabel(resolvePrice({ model: "gpt-4o", price: own }))).toBe("campaign");
  });
});

describe("the gateway prices calls from the table", () => {
  let fake: FakeOpenAI;
  beforeEach(async () => {
    fake = await startFakeOpenAI();
  });
  afterEach(async () => {
    await cleanup();
    await fake.close();
  });

  it("a model in the table needs no price under budget.usd and is charged the table's figures", async () => {
    const { gateway, ledger } = rig(campaign({ g: { model: "gpt-4.1-mini", baseURL: fake.baseURL } }, { evolver: "g", user: "g" }, { budget: { usd: 1 } }), {
      caps: { total: { usd: 1 } },
    });
    const res = await gateway.complete(ask("price me"));
    const { inputPerM, outputPerM } = PRICE_TABLE["gpt-4.1-mini"]!;
    expect(res.costUsd).toBeCloseTo((fake.served.promptTokens * inputPerM + fake.served.completionTokens * outputPerM) / 1e6, 12);
    expect(ledger.spent().total.usd).toBeCloseTo(res.costUsd, 12);
    expect(gateway.stats()).toMatchObject({ priceKnown: true });
  });

  it("the campaign's price overrides the table", async () => {
    const { gateway } = rig(campaign({ g: { model: "gpt-4.1-mini", baseURL: fake.baseURL, price: { inputPerM: 100, outputPerM: 0 } } }, { evolver: "g", user: "g" }));
    const res = await gateway.complete(ask("price me"));
    expect(res.costUsd).toBeCloseTo((fake.served.promptTokens * 100) / 1e6, 12);
  });

  it("a model outside the table still needs models.<k>.price under budget.usd", () => {
    const config = campaign({ loc: { model: "qwen2.5:7b", baseURL: fake.baseURL } }, { evolver: "loc", user: "loc" }, { budget: { usd: 1 } });
    expect(() => rig(config)).toThrow(UserError);
    expect(() => rig(config)).toThrow(/^models\.loc\.price: required because budget\.usd is set/);
  });
});
