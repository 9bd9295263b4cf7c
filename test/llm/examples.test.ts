import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Ledger } from "../../src/budget/ledger.js";
import { loadCampaign } from "../../src/config/load.js";
import { runCheck } from "../../src/fitness/checks.js";
import { loadTaskSuite } from "../../src/fitness/suite.js";
import { createGateway, type Gateway } from "../../src/llm/gateway.js";
import { isReasoningModel } from "../../src/llm/capabilities.js";
import { effectiveParams } from "../../src/llm/params.js";
import { resolvePrice } from "../../src/llm/prices.js";
import { RunStore } from "../../src/store/run-store.js";

const DIR = resolve(import.meta.dirname, "../../examples/endpoints");
const EXAMPLES = ["openai.yaml", "ollama.yaml", "llamacpp.yaml", "vllm.yaml", "openrouter.yaml", "openai-reasoning.yaml"];
/** Dummy keys: a named variable that is unset would stop the gateway at creation. */
const ENV = { OPENAI_API_KEY: "sk-dummy", OPENROUTER_API_KEY: "sk-or-dummy", VLLM_API_KEY: "dummy" };

const opened: { gateway: Gateway; store: RunStore }[] = [];
afterAll(async () => {
  for (const o of opened) {
    await o.gateway.close();
    o.store.close();
  }
});

describe("examples/endpoints", () => {
  it("holds the campaigns", () => {
    // gguf.yaml runs a local model file, not a server: test/llm/gguf.test.ts covers it.
    expect(readdirSync(DIR).filter((f) => f.endsWith(".yaml") && f !== "tasks.yaml" && f !== "gguf.yaml").sort()).toEqual([...EXAMPLES].sort());
  });

  it.each(EXAMPLES)("%s loads, names its key variable, and prices every model under a dollar cap", (name) => {
    const loaded = loadCampaign(join(DIR, name));
    const { config } = loaded;
    expect(loaded.tasksPath).toBe(join(DIR, "tasks.yaml"));
    expect(loaded.harnessPath).toBe(join(DIR, "seed-harness.md"));
    expect(config.budget.usd ?? config.budget.calls ?? config.budget.tokens).toBeDefined(); // a modest cap
    // A reasoning campaign's cap must cover 5-cap reservations per call (see its comments).
    if (config.budget.usd !== undefined) expect(config.budget.usd).toBeLessThanOrEqual(name === "openai-reasoning.yaml" ? 10 : 2);
    const text = readFileSync(join(DIR, name), "utf8");
    for (const word of ["Base URL", "Price", "rpm"]) expect(text, `${name} comments on ${word}`).toMatch(new RegExp(word, "i"));
    for (const [key, m] of Object.entries(config.models)) {
      expect(m.baseURL, key).toBeDefined();
      if (config.budget.usd !== undefined) expect(resolvePrice(m).price, `${name}: models.${key}`).toBeDefined();
    }
    // The gateway accepts it with the key variables set (keys found, prices resolved, roles bound).
    const store = RunStore.open(mkdtempSync(join(tmpdir(), "he-example-")));
    const gateway = createGateway({ config, store, ledger: new Ledger({ total: {} }), env: ENV });
    opened.push({ gateway, store });
    expect(Object.keys(gateway.stats().byModel).sort()).toEqual(Object.keys(config.models).sort());
  });

  it("each example points at its server and key variable", () => {
    const models = (name: string) => Object.values(loadCampaign(join(DIR, name)).config.models);
    expect(models("openai.yaml").every((m) => m.baseURL === "https://api.openai.com/v1" && m.apiKeyEnv === "OPENAI_API_KEY")).toBe(true);
    expect(models("ollama.yaml").every((m) => m.baseURL === "http://127.0.0.1:11434/v1" && !m.apiKeyEnv && m.price?.inputPerM === 0)).toBe(true);
    expect(models("llamacpp.yaml").every((m) => m.baseURL === "http://127.0.0.1:8080/v1" && m.price?.outputPerM === 0)).toBe(true);
    expect(models("vllm.yaml").every((m) => m.baseURL === "http://127.0.0.1:8000/v1")).toBe(true);
    expect(readFileSync(join(DIR, "vllm.yaml"), "utf8")).toContain("VLLM_API_KEY");
    expect(models("openrouter.yaml").every((m) => m.baseURL === "https://openrouter.ai/api/v1" && m.apiKeyEnv === "OPENROUTER_API_KEY")).toBe(true);
    expect(models("openrouter.yaml").map((m) => m.model)).toContain("meta-llama/llama-3.1-8b-instruct");
  });

  it("the reasoning example's thinker is a reasoning model with caps that leave room to think", () => {
    const { config } = loadCampaign(join(DIR, "openai-reasoning.yaml"));
    expect(isReasoningModel(config.models.thinker!)).toBe(true);
    expect(isReasoningModel(config.models.writer!)).toBe(false);
    expect(config.fitness).toMatchObject({ answerMaxTokens: 1500, verifierMaxTokens: 1500 });
    const body = effectiveParams(config.models.thinker!, { role: "user", maxTokens: 1500, temperature: 0.7, sampleKey: "k" }, 1).body;
    expect(body).toMatchObject({ max_completion_tokens: 1500, reasoning_effort: "low" });
    expect(body).not.toHaveProperty("temperature");
  });

  it("llamacpp.yaml gives the server a context that fits the campaign's prompts", () => {
    const text = readFileSync(join(DIR, "llamacpp.yaml"), "utf8");
    const flags = /llama-server .*--parallel (\d+) -c (\d+)/.exec(text);
    expect(flags).not.toBeNull();
    // The evolver may send ~3,500 prompt tokens and write 2,048: each slot needs 6,144 or more.
    expect(Number(flags![2]) / Number(flags![1])).toBeGreaterThanOrEqual(6144);
  });
});

describe("examples/endpoints/tasks.yaml", () => {
  const suite = loadTaskSuite(join(DIR, "tasks.yaml"));

  it("has at least 24 tasks over train, val and test, with every kind of check", () => {
    expect(suite.tasks.length).toBeGreaterThanOrEqual(24);
    const count = (split: string) => suite.tasks.filter((t) => t.split === split).length;
    expect(count("train")).toBeGreaterThanOrEqual(10);
    expect(count("val")).toBeGreaterThanOrEqual(5);
    expect(count("test")).toBeGreaterThanOrEqual(5);
    const types = new Set(suite.tasks.map((t) => t.check.type));
    for (const t of ["exact", "numeric", "regex", "json", "rubric"]) expect(types.has(t as never), t).toBe(true);
    expect(new Set(suite.tasks.map((t) => t.id)).size).toBe(suite.tasks.length);
  });

  /** A correct answer for every programmatic task: the suite's own expectations must pass their checks. */
  const regexAnswers: Record<string, string> = {
    "iso-date": "2024-03-05",
    "phone-format": "(555) 123-4567",
    thousands: "1,234,567.89",
    "clock-24h": "19:05",
  };

  it("accepts a correct answer to every programmatic task and rejects a wrong one", () => {
    for (const task of suite.tasks) {
      const check = task.check;
      if (check.type === "rubric") continue;
      let right: string;
      if (check.type === "json") right = JSON.stringify(check.expected);
      else if (check.type === "regex") right = regexAnswers[task.id]!;
      else if (check.type === "numeric" || check.type === "exact") right = String(check.expected);
      else throw new Error(`unexpected check type ${check.type}`);
      expect(runCheck(check, `Working...\nFinal answer: ${right}`).pass, task.id).toBe(true);
      expect(runCheck(check, "Final answer: 4").pass, `${task.id} must not pass with 4`).toBe(false);
    }
  });
});
