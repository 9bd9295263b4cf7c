import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { evolve } from "../../src/campaign/run.js";
import { RETRY_BASE_ENV } from "../../src/llm/endpoint.js";
import { startFakeOpenAI, type FakeOpenAI, type FakeReply, type RecordedRequest } from "../helpers/fake-openai-server.js";
import { faultCampaign, gradedModelReply } from "../helpers/fault-campaign.js";

/** An endpoint's usage report is a claim: it never charges the budget more than the call could cost. */

const ENV = { FAKE_ENDPOINT_KEY: "sk-usage-0123456789", [RETRY_BASE_ENV]: "10" };
const fakes: FakeOpenAI[] = [];
afterEach(async () => {
  for (const f of fakes.splice(0)) await f.close();
});

function withUsage(reply: FakeReply, usage: { prompt_tokens: number; completion_tokens: number }): FakeReply {
  return reply.kind === "ok" ? { ...reply, usage } : reply;
}

async function run(lie: (req: RecordedRequest, n: number) => boolean, budget: Record<string, number>) {
  const fake = await startFakeOpenAI();
  fakes.push(fake);
  let n = 0;
  fake.fallback = (req) => {
    const reply = gradedModelReply(req);
    return lie(req, n++) ? withUsage(reply, { prompt_tokens: 1e15, completion_tokens: 7 }) : reply;
  };
  const { dir, file } = faultCampaign(fake.baseURL, { extra: { budget } });
  const { summary } = await evolve(file, { out: join(dir, "run"), inProcessIslands: true, env: ENV });
  return summary;
}

describe("untrusted usage", () => {
  it("a few impossible usage reports are charged at the call's bound, flagged, and the run goes on under its caps", async () => {
    // Two lies in the whole run (the limit is three): on the 5th and 40th request.
    const summary = await run((_req, n) => n === 4 || n === 39, { tokens: 2_000_000, calls: 400 });
    expect(summary.reason ?? "").not.toMatch(/impossible/);
    expect(summary.status).not.toBe("failed");
    expect(summary.usageSuspect).toBe(2);
    expect(summary.budget.charged.tokens).toBeLessThanOrEqual(2_000_000);
    expect(summary.spend.inputTokens).toBeLessThan(2_000_000);
  }, 120_000);

  it("an endpoint that keeps reporting impossible usage stops the run with one line naming the model", async () => {
    // Honest while the seed is scored, then every answer of the agent model claims 1e15 prompt tokens.
    const summary = await run((req, n) => n > 60 && req.body?.model === "fake-agent", { tokens: 2_000_000 });
    expect(summary.status).toBe("failed");
    expect(summary.reason).toMatch(/model 'agent' \(fake-agent at http:\/\/127\.0\.0\.1:\d+\/v1\): reported impossible usage 3 or more times/);
    expect(summary.reason).not.toMatch(/usd/);
    expect(summary.budget.charged.tokens).toBeLessThanOrEqual(2_000_000);
  }, 120_000);
});
