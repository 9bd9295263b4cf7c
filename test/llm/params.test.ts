import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ModelSchema } from "../../src/config/schema.js";
import { cacheKeyOf, canonicalJson, effectiveParams, seedFor, snakeCase } from "../../src/llm/params.js";
import { inputTokenBound, resolveUsage } from "../../src/llm/cost.js";
import { pickModel } from "../../src/llm/roles.js";
import type { CompletionRequest } from "../../src/llm/types.js";

const req = (over: Partial<CompletionRequest> = {}): CompletionRequest => ({ role: "user", sampleKey: "k", messages: [{ role: "user", content: "hi" }], ...over });

describe("params", () => {
  it("snake_cases camelCase keys and leaves snake_case alone", () => {
    expect(["maxTokens", "reasoningTokens", "topP", "max_tokens", "frequencyPenalty"].map(snakeCase)).toEqual([
      "max_tokens",
      "reasoning_tokens",
      "top_p",
      "max_tokens",
      "frequency_penalty",
    ]);
  });

  it("layers model params, request overrides and the role default", () => {
    const model = ModelSchema.parse({ model: "m", params: { maxTokens: 300, temperature: 0.1, custom_field: { a: 1 } } });
    expect(effectiveParams(model, req(), 1)).toEqual({ maxTokens: 300, body: { max_tokens: 300, temperature: 0.1, custom_field: { a: 1 }, seed: seedFor(1, "k") } });
    expect(effectiveParams(model, req({ maxTokens: 50, temperature: 0.9 }), 1).body).toMatchObject({ max_tokens: 50, temperature: 0.9 });
    const bare = ModelSchema.parse({ model: "m" });
    expect(effectiveParams(bare, req({ role: "evolver" }), 1).maxTokens).toBe(2048);
  });

  it("puts the cap under max_completion_tokens when the model's params use that name", () => {
    const model = ModelSchema.parse({ model: "o", params: { maxCompletionTokens: 4000 } });
    const { body, maxTokens } = effectiveParams(model, req({ maxTokens: 900 }), 0);
    expect(maxTokens).toBe(900);
    expect(body).toMatchObject({ max_completion_tokens: 900 });
    expect(body).not.toHaveProperty("max_tokens");
  });

  it("seeds are 31-bit, fixed by (campaign seed, sampleKey)", () => {
    fc.assert(
      fc.property(fc.integer(), fc.string(), (seed, key) => {
        const s = seedFor(seed, key);
        expect(Number.isInteger(s) && s >= 0 && s < 2 ** 31).toBe(true);
        expect(seedFor(seed, key)).toBe(s);
      }),
    );
    expect(seedFor(1, "a")).not.toBe(seedFor(2, "a"));
  });

  it("canonical JSON ignores key order", () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { y: 2, x: 1 }], c: undefined } })).toBe('{"a":{"d":[1,{"x":1,"y":2}]},"b":1}');
  });

  it("the cache key covers model, messages, params and sampleKey", () => {
    const msgs = [{ role: "user" as const, content: "hi" }];
    const base = cacheKeyOf("m", msgs, { temperature: 0.5, max_tokens: 10 }, "k");
    expect(cacheKeyOf("m", msgs, { max_tokens: 10, temperature: 0.5 }, "k")).toBe(base);
    expect(cacheKeyOf("m2", msgs, { temperature: 0.5, max_tokens: 10 }, "k")).not.toBe(base);
    expect(cacheKeyOf("m", [{ role: "user", content: "hi!" }], { temperature: 0.5, max_tokens: 10 }, "k")).not.toBe(base);
    expect(cacheKeyOf("m", msgs, { temperature: 0.6, max_tokens: 10 }, "k")).not.toBe(base);
    expect(cacheKeyOf("m", msgs, { temperature: 0.5, max_tokens: 10 }, "k2")).not.toBe(base);
  });
});

describe("cost helpers", () => {
  it("bounds input tokens by UTF-8 bytes + framing", () => {
    expect(inputTokenBound([{ role: "user", content: "日本" }])).toBe(6 + 8 + 16);
    expect(inputTokenBound([])).toBe(16);
  });

  it("uses reported usage and estimates only what is missing", () => {
    const msgs = [{ role: "user" as const, content: "12345678" }];
    expect(resolveUsage({ prompt_tokens: 3, completion_tokens: 4 }, msgs, "x")).toEqual({ inputTokens: 3, outputTokens: 4, estimated: false });
    expect(resolveUsage({ prompt_tokens: 3 }, msgs, "abcde")).toEqual({ inputTokens: 3, outputTokens: 2, estimated: true });
    expect(resolveUsage(undefined, msgs, "")).toEqual({ inputTokens: 2, outputTokens: 0, estimated: true });
  });
});

describe("pickModel", () => {
  it("is deterministic and only returns bound models", () => {
    const models = [
      { key: "a", weight: 1 },
      { key: "b", weight: 2 },
    ];
    fc.assert(
      fc.property(fc.string(), fc.integer(), (key, seed) => {
        const k = pickModel(models, seed, "evolver", key);
        expect(["a", "b"]).toContain(k);
        expect(pickModel(models, seed, "evolver", key)).toBe(k);
      }),
    );
  });
});
