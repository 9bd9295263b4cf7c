import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { evolve } from "../../src/campaign/run.js";
import { RETRY_BASE_ENV } from "../../src/llm/endpoint.js";
import { startFakeOpenAI, type FakeOpenAI } from "../helpers/fake-openai-server.js";
import { faultCampaign, gradedModelReply } from "../helpers/fault-campaign.js";

const ENV = { FAKE_ENDPOINT_KEY: "sk-truncation-test-0123456789", [RETRY_BASE_ENV]: "1" };
let fake: FakeOpenAI | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

/**
 * Like llama-server with `-c` too small for its `--parallel` slots: a prompt longer than the
 * context (here 100 tokens) is cut to it, answered anyway with 200, and the usage reports the
 * tokens the model actually saw.
 */
const CONTEXT = 100;

describe("a server that silently cuts long prompts", () => {
  it("ends the run with one line naming the context setting to raise", async () => {
    fake = await startFakeOpenAI();
    fake.fallback = (req) => {
      const reply = gradedModelReply(req);
      if (reply.kind !== "ok") return reply;
      const messages = (req.body?.messages ?? []) as { content: string }[];
      const sent = messages.reduce((s, m) => s + Math.ceil(m.content.length / 4), 0);
      return { ...reply, usage: { prompt_tokens: Math.min(sent, CONTEXT), completion_tokens: Math.ceil((reply.text ?? "").length / 4) } };
    };
    const { dir, file } = faultCampaign(fake.baseURL);
    // The run stops failed with the reason (or throws it, when it stops before the seed is scored).
    const why = await evolve(file, { out: join(dir, "run"), inProcessIslands: true, env: ENV }).then(
      (r) => (r.summary.status === "failed" ? r.summary.reason : `ended ${r.summary.status}`),
      (e: Error) => e.message,
    );
    // Task prompts are short (they fit); the evolver's prompts, which carry the harness and the feedback, do not.
    expect(why).toMatch(/^model 'writer' \(fake-writer at http:\/\/127\.0\.0\.1:\d+\/v1\): the endpoint reported 100 prompt tokens for a prompt of about \d+ \(\d+ prompts so far\) — it cuts prompts that do not fit its context: raise the server's context size \(llama\.cpp: -c \/ --ctx-size/);
    expect(why?.split("\n")).toHaveLength(1);
  });
});
