import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CampaignSchema, ModelSchema } from "../../src/config/schema.js";
import { isReasoningModel } from "../../src/llm/capabilities.js";
import { replyKind } from "../../src/llm/chat-endpoint.js";
import { namesParameter } from "../../src/llm/endpoint.js";
import { effectiveParams } from "../../src/llm/params.js";
import { planCall } from "../../src/llm/plan.js";
import { LlmCallError, type CompletionRequest } from "../../src/llm/types.js";
import { startFakeOpenAI, type FakeOpenAI } from "../helpers/fake-openai-server.js";
import { ask, cleanup, oneModel, rig } from "./setup.js";

const req = (over: Partial<CompletionRequest> = {}): CompletionRequest => ({ role: "user", sampleKey: "k", messages: [{ role: "user", content: "hi" }], ...over });

describe("output caps: one precedence", () => {
  it("request (the campaign's role limit) > model params > role default", () => {
    const withParams = ModelSchema.parse({ model: "m", params: { maxTokens: 3000 } });
    const bare = ModelSchema.parse({ model: "m" });
    expect(effectiveParams(withParams, req({ maxTokens: 700 }), 1).maxTokens).toBe(700);
    expect(effectiveParams(withParams, req(), 1).maxTokens).toBe(3000);
    expect(effectiveParams(bare, req(), 1).maxTokens).toBe(512);
    expect(effectiveParams(bare, req({ role: "verifier" }), 1).maxTokens).toBe(1024);
    expect(effectiveParams(bare, req({ role: "evolver" }), 1).maxTokens).toBe(2048);
  });

  it("fitness.answerMaxTokens / verifierMaxTokens are validated", () => {
    const base = { harness: "h.md", tasks: "t.yaml", strategy: { name: "one-pass" }, models: { m: { model: "sim:mid" } }, roles: { evolver: "m", user: "m" } };
    expect(CampaignSchema.parse({ ...base, fitness: { type: "tasks", answerMaxTokens: 4000 } }).fitness).toMatchObject({ answerMaxTokens: 4000 });
    expect(CampaignSchema.safeParse({ ...base, fitness: { type: "tasks", verifierMaxTokens: 0 } }).success).toBe(false);
  });
});

describe("reasoning models", () => {
  it("are known by name (dated table) or by models.<k>.reasoning", () => {
    for (const name of ["o3", "o4-mini", "o3-mini-2025-01-31", "openai/o4-mini", "gpt-5", "gpt-5-mini", "gpt-5-nano-2025-08-07", "deepseek/deepseek-r1", "deepseek-reasoner", "qwq-32b"]) {
      expect(isReasoningModel({ model: name }), name).toBe(true);
    }
    for (const name of ["gpt-4.1-mini", "gpt-4o", "gpt-5-chat-latest", "sim:mid", "meta-llama/llama-3.1-8b-instruct", "qwen2.5-7b-instruct"]) {
      expect(isReasoningModel({ model: name }), name).toBe(false);
    }
    expect(isReasoningModel({ model: "my-local-thinker", reasoning: true })).toBe(true);
    expect(isReasoningModel({ model: "o4-mini", reasoning: false })).toBe(false);
  });

  it("get max_completion_tokens, a larger default cap, no preset temperature, and their own params (reasoning_effort)", () => {
    const o4 = ModelSchema.parse({ model: "o4-mini", params: { reasoningEffort: "low" } });
    const p = effectiveParams(o4, req({ temperature: 0.3 }), 1);
    expect(p.body).toMatchObject({ max_completion_tokens: 4096, reasoning_effort: "low" });
    expect(p.body).not.toHaveProperty("temperature");
    expect(p.body).not.toHaveProperty("max_tokens");
    // A temperature the campaign sets on the model is sent: the user asked for it.
    expect(effectiveParams(ModelSchema.parse({ model: "o4-mini", params: { temperature: 1 } }), req({ temperature: 0.3 }), 1).body.temperature).toBe(1);
    // A server that wants max_tokens for a thinking model (vLLM, llama.cpp): the params may name it.
    expect(effectiveParams(ModelSchema.parse({ model: "x", reasoning: true, params: { maxTokens: 6000 } }), req(), 1).body).toMatchObject({ max_tokens: 6000 });
  });

  it("reserve their wider retry with the call; other models do not retry", () => {
    const o4 = ModelSchema.parse({ model: "o4-mini" });
    const plan = planCall(o4, { inputPerM: 1, outputPerM: 4 }, { ...req(), maxTokens: 1000 }, 1);
    expect(plan.wider?.maxTokens).toBe(4000);
    expect(plan.reserve.calls).toBe(2);
    expect(plan.reserve.tokens).toBe(plan.first.worst.tokens + plan.wider!.worst.tokens);
    expect(planCall(ModelSchema.parse({ model: "gpt-4.1-mini" }), undefined, req(), 1).wider).toBeUndefined();
  });

  it("sim-only params on a real model are refused at load, naming the field", () => {
    const r = ModelSchema.safeParse({ model: "gpt-4.1-mini", params: { reasoningTokens: 300 } });
    expect(r.success).toBe(false);
    expect(r.error!.issues[0]!.path).toEqual(["params", "reasoningTokens"]);
    expect(r.error!.issues[0]!.message).toMatch(/simulated models only/);
    expect(ModelSchema.safeParse({ model: "sim:judge", params: { reasoningTokens: 300 } }).success).toBe(true);
  });
});

describe("replies that are not answers", () => {
  it("are classified from text, finish_reason, refusal and tool calls", () => {
    expect(replyKind({ text: "Final answer: 4", finishReason: "stop" })).toBe("answer");
    expect(replyKind({ text: "", finishReason: "length" })).toBe("truncated");
    expect(replyKind({ text: "Let me think about", finishReason: "length" })).toBe("truncated");
    expect(replyKind({ text: "  \n", finishReason: "stop" })).toBe("empty");
    expect(replyKind({ text: "", finishReason: "stop", refusal: "I can't help with that." })).toBe("refusal");
    expect(replyKind({ text: "", finishReason: "tool_calls", toolCalls: 1 })).toBe("tool_calls");
  });
});

let fake: FakeOpenAI;
beforeEach(async () => {
  fake = await startFakeOpenAI();
});
afterEach(async () => {
  await cleanup();
  await fake.close();
});

describe("the gateway with real-endpoint replies", () => {
  it("keeps finish_reason and kind per response in run.db; null content with a reason is recorded, not retried", async () => {
    const { gateway, store } = rig(oneModel(fake.baseURL));
    fake.enqueue({ kind: "ok", text: null, finishReason: "length", usage: { prompt_tokens: 5, completion_tokens: 512 } });
    const res = await gateway.complete(ask("think hard"));
    expect(res).toMatchObject({ text: "", kind: "truncated", finishReason: "length", maxTokens: 512 });
    expect(fake.requests).toHaveLength(1); // not a reasoning model: no wider retry
    expect(store.getResponse(store.calls()[0]!.cacheKey)).toMatchObject({ kind: "truncated", finishReason: "length" });
    expect(gateway.stats().truncated).toBe(1);
  });

  it("a reasoning model's cut reply is asked once more with 4x the cap, under one reservation", async () => {
    const { gateway, ledger } = rig(oneModel(fake.baseURL, { model: "o4-mini" }));
    fake.enqueue({ kind: "ok", text: "", finishReason: "length", usage: { prompt_tokens: 5, completion_tokens: 4096 } }, { kind: "ok", text: "Final answer: 4", usage: { prompt_tokens: 5, completion_tokens: 5000 } });
    const res = await gateway.complete(ask("think hard"));
    expect(fake.requests.map((r) => r.body.max_completion_tokens)).toEqual([4096, 16384]);
    expect(res).toMatchObject({ text: "Final answer: 4", kind: "answer", maxTokens: 16384 });
    expect(res.charged).toEqual({ usd: expect.any(Number), tokens: 5 + 4096 + 5 + 5000, calls: 2 });
    expect(ledger.spent().total.calls).toBe(2);
    expect(ledger.committed().total.calls).toBe(0);
  });

  it("most replies of a model being non-answers stops the run with the setting to raise", async () => {
    const { gateway } = rig(oneModel(fake.baseURL));
    fake.fallback = () => ({ kind: "ok", text: "", finishReason: "length" });
    const calls = Array.from({ length: 16 }, (_, i) => gateway.complete(ask(`q${i}`, { sampleKey: `s${i}` })).then(() => undefined, (e: Error) => e));
    const errors = (await Promise.all(calls)).filter((e) => e !== undefined);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(LlmCallError);
    expect((errors[0] as LlmCallError).permanent).toBe(true);
    expect(errors[0]!.message).toMatch(/16 of its last 16 user replies were not answers \(16 cut at the output cap \(finish_reason length\)\) — raise fitness\.answerMaxTokens \(replies get 512 tokens now\)$/);
  });

  it("a server that cuts long prompts (reports far fewer prompt tokens) is flagged, then stops the run naming the context setting", async () => {
    const { gateway, store } = rig(oneModel(fake.baseURL));
    fake.fallback = () => ({ kind: "ok", text: "Final answer: 4", usage: { prompt_tokens: 410, completion_tokens: 5 } });
    const long = "Follow these operator instructions carefully. ".repeat(80); // ~3,700 chars ≈ 920 tokens
    await gateway.complete(ask(long, { sampleKey: "a" }));
    await gateway.complete(ask(long, { sampleKey: "b" }));
    expect(gateway.stats().promptCut).toBe(2);
    expect(store.events().filter((e) => e.type === "prompt_cut")).toHaveLength(2);
    await gateway.complete(ask("short prompt, not judged", { sampleKey: "c" }));
    const err = await gateway.complete(ask(long, { sampleKey: "d" })).catch((e: Error) => e);
    expect(err).toBeInstanceOf(LlmCallError);
    expect((err as Error).message).toMatch(/reported 410 prompt tokens for a prompt of about \d+ \(3 prompts so far\) — .*llama\.cpp: -c \/ --ctx-size.*vLLM: --max-model-len/);
  });

  it("a 500 whose body names a parameter is retried once, then reported as a refused parameter", async () => {
    const { gateway } = rig(oneModel(fake.baseURL, { params: { n: 2 } }));
    fake.fallback = () => ({ kind: "status", status: 500, body: { error: { code: 500, message: "Only one completion choice is allowed", type: "server_error" } } });
    const err = await gateway.complete(ask("x")).catch((e: Error) => e);
    expect(fake.requests).toHaveLength(2);
    expect(err).toBeInstanceOf(LlmCallError);
    expect((err as LlmCallError).permanent).toBe(true);
    expect((err as Error).message).toMatch(/500 the endpoint refused a parameter \(Only one completion choice is allowed\) after 2 attempts — change or remove it in models\.m\.params/);
  });

  it("a plain 500 is still retried to the end", async () => {
    const { gateway } = rig(oneModel(fake.baseURL));
    fake.fallback = () => ({ kind: "status", status: 500, body: { error: { message: "The server had an error while processing your request." } } });
    const err = await gateway.complete(ask("x")).catch((e: Error) => e);
    expect(fake.requests).toHaveLength(4); // maxRetries 3
    expect((err as LlmCallError).permanent).toBe(false);
  });

  it("a 400 about temperature points at models.<k>.reasoning", async () => {
    const { gateway } = rig(oneModel(fake.baseURL));
    fake.fallback = () => ({ kind: "status", status: 400, body: { error: { message: "Unsupported value: 'temperature' does not support 0.3 with this model. Only the default (1) value is supported.", param: "temperature" } } });
    const err = await gateway.complete(ask("x", { temperature: 0.3 })).catch((e: Error) => e);
    expect((err as Error).message).toMatch(/takes no sampling temperature \(a reasoning model\): set models\.m\.reasoning: true/);
  });
});

describe("namesParameter", () => {
  it("tells messages about a parameter from other server errors", () => {
    expect(namesParameter("Only one completion choice is allowed", ["n"])).toBe(true);
    expect(namesParameter("Unsupported parameter: logprobs", [])).toBe(true);
    expect(namesParameter("'repetition_penalty' out of range", ["repetition_penalty", "seed"])).toBe(true);
    expect(namesParameter("The server had an error while processing your request.", ["max_tokens", "seed", "n"])).toBe(false);
    expect(namesParameter("CUDA out of memory", ["max_tokens", "seed"])).toBe(false);
  });
});
