import OpenAI, { BadRequestError, NotFoundError } from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FINAL_ANSWER_PREFIX } from "../../src/protocol/tags.js";
import { createWorld, SIM_MODELS, startSimServer, type SimServer } from "../../src/sim/index.js";
import { SEED_HARNESS } from "./helpers.js";

let server: SimServer;
let client: OpenAI;
const task = createWorld(1).tasks[0]!;

beforeAll(async () => {
  server = await startSimServer({ port: 0 });
  client = new OpenAI({ baseURL: server.baseURL, apiKey: "sim", maxRetries: 0 });
});
afterAll(async () => {
  await server.close();
});

describe("sim server through the openai client", () => {
  it("serves a chat completion with deterministic usage", async () => {
    const messages = [
      { role: "system" as const, content: SEED_HARNESS },
      { role: "user" as const, content: `<task>\n${task.input}\n</task>\nEnd with "Final answer: <answer>".` },
    ];
    const r = await client.chat.completions.create({ model: "sim:mid", messages, seed: 3 });
    const content = r.choices[0]!.message.content!;
    expect(r.object).toBe("chat.completion");
    expect(r.choices[0]!.finish_reason).toBe("stop");
    expect(content).toContain(FINAL_ANSWER_PREFIX);
    const promptTokens = messages.reduce((s, m) => s + Math.ceil(m.content.length / 4) + 4, 0);
    expect(r.usage).toEqual({ prompt_tokens: promptTokens, completion_tokens: Math.ceil(content.length / 4), total_tokens: promptTokens + Math.ceil(content.length / 4) });
    const again = await client.chat.completions.create({ model: "sim:mid", messages, seed: 3 });
    expect(again).toEqual(r);
  });

  it("lists the sim models", async () => {
    const list = await client.models.list();
    expect(list.data.map((m) => m.id).sort()).toEqual([...SIM_MODELS].sort());
    expect(list.data.every((m) => m.owned_by === "harness-evolve-sim" && m.object === "model")).toBe(true);
  });

  it("returns an OpenAI-shaped 400 for a request without messages", async () => {
    const err = await client.chat.completions.create({ model: "sim:mid" } as never).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BadRequestError);
    expect((err as BadRequestError).status).toBe(400);
    expect((err as BadRequestError).param).toBe("messages");
    expect((err as BadRequestError).type).toBe("invalid_request_error");
  });

  it("returns 404 model_not_found for an unknown model", async () => {
    const err = await client.chat.completions.create({ model: "gpt-9", messages: [{ role: "user", content: "hi" }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    expect((err as NotFoundError).code).toBe("model_not_found");
  });

  it("truncates to max_tokens with finish_reason length", async () => {
    const r = await client.chat.completions.create({
      model: "sim:judge",
      max_tokens: 10,
      messages: [{ role: "user", content: "<rubric>\nx\n</rubric>\n<task>\ny\n</task>\n<answer>\nz\n</answer>" }],
    });
    expect(r.choices[0]!.finish_reason).toBe("length");
    expect(r.choices[0]!.message.content!.length).toBeLessThanOrEqual(40);
    expect(r.usage!.completion_tokens).toBeLessThanOrEqual(10);
  });

  it("survives malformed and unknown requests", async () => {
    const post = (body: string, path = "/chat/completions") =>
      fetch(server.baseURL + path, { method: "POST", headers: { "content-type": "application/json" }, body });
    expect((await post("{not json")).status).toBe(400);
    expect((await post("[]")).status).toBe(400);
    expect((await post("null")).status).toBe(400);
    expect((await post(JSON.stringify({ model: "sim:mid", messages: [42] }))).status).toBe(400);
    expect((await post("{}", "/nowhere")).status).toBe(404);
    const unknownRoute = await fetch(server.baseURL.replace("/v1", "/v2/models"));
    expect(unknownRoute.status).toBe(404);
    expect(await unknownRoute.json()).toHaveProperty("error.message");
    const ok = await client.chat.completions.create({ model: "sim:weak", messages: [{ role: "user", content: "<task>unclosed" }] });
    expect(ok.choices[0]!.message.content).toContain(FINAL_ANSWER_PREFIX);
  });

  it("waits the configured latency", async () => {
    const slow = await startSimServer({ latencyMs: 120, world: 2 });
    try {
      const c = new OpenAI({ baseURL: slow.baseURL, apiKey: "sim", maxRetries: 0 });
      const t0 = Date.now();
      await c.chat.completions.create({ model: "sim:small", messages: [{ role: "user", content: "hello" }] });
      expect(Date.now() - t0).toBeGreaterThanOrEqual(100);
    } finally {
      await slow.close();
    }
  });
});
