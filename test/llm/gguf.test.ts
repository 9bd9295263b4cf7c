/**
 * The in-process GGUF endpoint on a tiny random-weight model written at test time: prices,
 * settings, the one-line errors (missing file, missing engine package: a real module-resolution
 * failure through an injected resolver and loader), usage from the tokenizer, the output cap,
 * seeds, the context limit, one shared model per process and its release on close.
 */
import { copyFileSync, mkdirSync, mkdtempSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Ledger } from "../../src/budget/ledger.js";
import { UserError } from "../../src/config/errors.js";
import { loadCampaign, parseCampaign } from "../../src/config/load.js";
import type { ModelConfig } from "../../src/config/schema.js";
import type { ChatEndpoint } from "../../src/llm/chat-endpoint.js";
import { createEndpoint } from "../../src/llm/endpoints.js";
import { createGateway } from "../../src/llm/gateway.js";
import { checkGgufModel, DEFAULT_CONTEXT_SIZE, GGUF_INSTALL, ggufPath, ggufSettings } from "../../src/llm/gguf.js";
import { DEFAULT_TEMPERATURE, loadedGgufModels, sampling } from "../../src/llm/gguf-endpoint.js";
import { priceSourceLabel, resolvePrice } from "../../src/llm/prices.js";
import { LlmCallError, type ChatMessage } from "../../src/llm/types.js";
import { RunStore } from "../../src/store/run-store.js";
import { writeTinyGguf } from "../../scripts/write-tiny-gguf.js";

const dir = mkdtempSync(join(tmpdir(), "he-gguf-unit-"));
const MODEL_FILE = join(dir, "tiny.gguf");
const require = createRequire(import.meta.url);
/** A specifier no installed package has: importing or resolving it fails as a missing package does. */
const ABSENT = "node-llama-cpp-absent-for-this-test";

function model(params: Record<string, unknown> = {}, concurrency = 2): ModelConfig {
  return { model: "gguf:./tiny.gguf", params: { threads: 1, contextSize: 2048, ...params }, concurrency, timeoutMs: 60_000, maxRetries: 0 } as ModelConfig;
}

function endpoint(cfg: ModelConfig = model(), key = "tiny"): ChatEndpoint {
  return createEndpoint({ key, cfg, baseURL: "unused", apiKey: "unused", baseDir: dir });
}

const open: ChatEndpoint[] = [];
function opened(e: ChatEndpoint): ChatEndpoint {
  open.push(e);
  return e;
}

const ASK: ChatMessage[] = [
  { role: "system", content: "You answer in one word." },
  { role: "user", content: "Name a colour." },
];

beforeAll(() => {
  const info = writeTinyGguf(MODEL_FILE);
  expect(info.bytes).toBeLessThan(10 * 1024 * 1024);
});

afterAll(async () => {
  for (const e of open) await e.close?.();
});

describe("gguf: models without the engine", () => {
  it("are priced 0 (source local) unless the campaign sets a price", () => {
    const local = resolvePrice({ model: "gguf:./x.gguf" });
    expect(local).toEqual({ price: { inputPerM: 0, outputPerM: 0 }, source: "local" });
    expect(priceSourceLabel(local)).toBe("local");
    expect(resolvePrice({ model: "gguf:./x.gguf", price: { inputPerM: 1, outputPerM: 2 } }).source).toBe("campaign");
  });

  it("need no baseURL and no key, and pass a dollar budget's price check at load", () => {
    const config = parseCampaign(
      { name: "g", harness: "./h.md", tasks: "./t.yaml", models: { m: { model: "gguf:./tiny.gguf", params: { contextSize: 2048 } } }, roles: { evolver: "m", user: "m", verifier: "m" }, strategy: { name: "islands" }, budget: { usd: 1 } },
      "inline",
    );
    expect(config.models.m!.baseURL).toBeUndefined();
    const store = RunStore.open(mkdtempSync(join(tmpdir(), "he-gguf-gw-")));
    const gateway = createGateway({ config, store, ledger: new Ledger({ total: {} }), baseDir: dir });
    expect(gateway.stats().byModel.m!.priceKnown).toBe(true);
    return gateway.close().finally(() => store.close());
  });

  it("resolve their path from the campaign's folder and read engine settings from params", () => {
    expect(ggufPath("gguf:./models/a.gguf", "/camp")).toBe("/camp/models/a.gguf");
    expect(ggufPath("gguf:/abs/a.gguf", "/camp")).toBe("/abs/a.gguf");
    expect(ggufSettings("m", { params: {}, concurrency: 3 })).toMatchObject({ contextSize: DEFAULT_CONTEXT_SIZE, gpu: "auto", sequences: 3 });
    expect(ggufSettings("m", { params: { contextSize: 8192, threads: 2, gpu: false }, concurrency: 1 })).toMatchObject({ contextSize: 8192, threads: 2, gpu: false });
    expect(() => ggufSettings("m", { params: { contextSize: "big" }, concurrency: 1 })).toThrow(/models\.m\.params\.contextSize: expected a whole number/);
    expect(() => ggufSettings("m", { params: { gpu: "cuda" }, concurrency: 1 })).toThrow(/models\.m\.params\.gpu/);
  });

  it("a missing file is one line naming the path", () => {
    const err = (() => {
      try {
        checkGgufModel("m", { model: "gguf:./nope.gguf", params: {}, concurrency: 1 }, dir, () => false);
      } catch (e) {
        return e as Error;
      }
    })();
    expect(err).toBeInstanceOf(UserError);
    expect(err!.message).toBe(`models.m.model: no GGUF file at ${join(dir, "nope.gguf")} (a relative path is taken from the campaign file's folder)`);
  });

  it("without node-llama-cpp installed, making the endpoint is one line naming the package and its install command", () => {
    const make = () => createEndpoint({ key: "tiny", cfg: model(), baseURL: "", apiKey: "", baseDir: dir, gguf: { resolve: () => require.resolve(ABSENT) } });
    expect(make).toThrow(UserError);
    expect(make).toThrow(`models.tiny: 'gguf:./tiny.gguf' runs in-process through the optional package node-llama-cpp, which is not installed — install it with: ${GGUF_INSTALL}`);
  });

  it("and if the import itself fails to resolve, the call fails for good with the same line", async () => {
    const e = createEndpoint({ key: "tiny", cfg: model(), baseURL: "", apiKey: "", baseDir: dir, gguf: { load: () => import(ABSENT) } });
    const err = await e.complete(ASK, { max_tokens: 4 }).then(
      () => undefined,
      (x: unknown) => x as LlmCallError,
    );
    expect(err).toBeInstanceOf(LlmCallError);
    expect(err!.permanent).toBe(true);
    expect(err!.message).toContain("the optional package node-llama-cpp, which is not installed — install it with: npm install node-llama-cpp@3");
    expect(err!.message).not.toContain("\n");
    await e.close?.();
  });

  it("map OpenAI sampling params to the engine's, with no repeat penalty unless asked", () => {
    expect(sampling({})).toEqual({ temperature: DEFAULT_TEMPERATURE, repeatPenalty: false });
    expect(sampling({ temperature: 0.3, top_p: 0.9, seed: 7, stop: ["END"], frequency_penalty: 0.5 })).toEqual({
      temperature: 0.3,
      topP: 0.9,
      seed: 7,
      customStopTriggers: ["END"],
      repeatPenalty: { penalty: 1, frequencyPenalty: 0.5 },
    });
  });
});

describe("gguf: the tiny model through node-llama-cpp", () => {
  it("counts prompt tokens of the chat-templated prompt and completion tokens generated", async () => {
    const e = opened(endpoint());
    const r = await e.complete([{ role: "user", content: "hi" }], { max_tokens: 8, temperature: 1, seed: 1 });
    // ChatML with the BOS the engine feeds, one token per byte but the merged framing words:
    // <|endoftext|> <|im_start|> user \n h i <|im_end|> \n <|im_start|> assistant \n
    expect(r.usage).toEqual({ prompt_tokens: 11, completion_tokens: expect.any(Number) });
    expect(r.attempts).toBe(1);
    expect(e.attemptsSent).toBe(1);
    expect(e.where).toBe(MODEL_FILE);
  });

  it("stops at the output cap with finish_reason length, and generates exactly the cap", async () => {
    const e = opened(endpoint());
    // Temperature 0 on this prompt runs long (checked below: the greedy reply does not end by itself within 5 tokens).
    for (const cap of ["max_tokens", "max_completion_tokens"]) {
      const r = await e.complete(ASK, { [cap]: 5, temperature: 0, seed: 3 });
      expect(r.finishReason).toBe("length");
      expect((r.usage as { completion_tokens: number }).completion_tokens).toBe(5);
    }
    const long = await e.complete(ASK, { max_tokens: 400, temperature: 1, seed: 11 });
    expect(long.finishReason === "stop" || (long.usage as { completion_tokens: number }).completion_tokens === 400).toBe(true);
  });

  it("gives the same text for the same seed, in another endpoint and at any concurrency", async () => {
    const params = (seed: number) => ({ max_tokens: 64, temperature: 1, seed });
    const a = opened(endpoint(model({}, 1)));
    const one = await Promise.all([1, 2, 3, 4].map((s) => a.complete(ASK, params(s))));
    const b = opened(endpoint(model({}, 4)));
    const four = await Promise.all([1, 2, 3, 4].map((s) => b.complete(ASK, params(s))));
    expect(four.map((r) => r.text)).toEqual(one.map((r) => r.text));
    expect(four.map((r) => r.usage)).toEqual(one.map((r) => r.usage));
    // Different seeds do sample differently.
    expect(new Set(one.map((r) => r.text)).size).toBeGreaterThan(1);
  });

  it("refuses a prompt that does not fit the context, naming contextSize (never cuts it)", async () => {
    const e = opened(endpoint(model({ contextSize: 256 })));
    const err = await e.complete([{ role: "user", content: "word ".repeat(400) }], { max_tokens: 8 }).then(
      () => undefined,
      (x: unknown) => x as LlmCallError,
    );
    expect(err).toBeInstanceOf(LlmCallError);
    expect(err!.permanent).toBe(true);
    expect(err!.message).toMatch(/a prompt of \d+ tokens does not fit its context of \d+ tokens — raise models\.tiny\.params\.contextSize/);
    // A prompt that fits, with a cap beyond the context, is cut where the context ends.
    const r = await e.complete([{ role: "user", content: "word ".repeat(30) }], { max_tokens: 10_000, temperature: 0 });
    const u = r.usage as { prompt_tokens: number; completion_tokens: number };
    expect(u.prompt_tokens + u.completion_tokens).toBeLessThanOrEqual(256 + 256); // llama.cpp may round the context up
    expect(r.finishReason === "length" || r.finishReason === "stop").toBe(true);
  });

  it("loads one model per file and settings, shared by endpoints; the last close frees it, and the gateway's close calls it", async () => {
    for (const e of open.splice(0)) await e.close?.();
    expect(loadedGgufModels()).toBe(0);
    const config = parseCampaign(
      { name: "g", harness: "./h.md", tasks: "./t.yaml", models: { a: model(), b: model() }, roles: { evolver: "a", user: "b", verifier: "a" }, strategy: { name: "islands" } },
      "inline",
    );
    const store = RunStore.open(mkdtempSync(join(tmpdir(), "he-gguf-gw-")));
    const gateway = createGateway({ config, store, ledger: new Ledger({ total: {} }), baseDir: dir });
    const ra = await gateway.complete({ role: "evolver", messages: ASK, sampleKey: "k1" });
    const rb = await gateway.complete({ role: "user", messages: ASK, sampleKey: "k2" });
    expect(loadedGgufModels()).toBe(1);
    expect(ra.usage.estimated).toBe(false);
    expect(rb.usage.inputTokens).toBe(ra.usage.inputTokens);
    expect(ra.costUsd).toBe(0);
    await gateway.close();
    store.close();
    expect(loadedGgufModels()).toBe(0);
  });
});

describe("examples/endpoints/gguf.yaml", () => {
  it("loads, runs every role on its gguf: model, and answers once a model file is at its path", async () => {
    const examples = resolve(import.meta.dirname, "../../examples/endpoints");
    const copy = mkdtempSync(join(tmpdir(), "he-gguf-example-"));
    for (const f of ["gguf.yaml", "seed-harness.md", "tasks.yaml"]) copyFileSync(join(examples, f), join(copy, f));
    mkdirSync(join(copy, "models"));
    writeTinyGguf(join(copy, "models", "model.gguf"));
    const loaded = loadCampaign(join(copy, "gguf.yaml"));
    const { config } = loaded;
    expect(Object.values(config.models).map((m) => m.model)).toEqual(["gguf:./models/model.gguf"]);
    expect(config.models.local!.params.contextSize).toBe(8192);
    expect(config.models.local!.baseURL).toBeUndefined();
    expect(resolvePrice(config.models.local!).source).toBe("local");
    const store = RunStore.open(join(copy, "run"));
    const gateway = createGateway({ config: { ...config, models: { local: { ...config.models.local!, params: { ...config.models.local!.params, threads: 1 } } } }, store, ledger: new Ledger({ total: {} }), baseDir: copy });
    try {
      const r = await gateway.complete({ role: "user", messages: ASK, sampleKey: "example" });
      expect(r.usage.estimated).toBe(false);
      expect(r.usage.inputTokens).toBeGreaterThan(0);
    } finally {
      await gateway.close();
      store.close();
    }
  });
});
