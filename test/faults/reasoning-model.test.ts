import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { evolve } from "../../src/campaign/run.js";
import { plainDisplay } from "../../src/cli/display.js";
import { RETRY_BASE_ENV } from "../../src/llm/endpoint.js";
import { startFakeOpenAI, type FakeOpenAI } from "../helpers/fake-openai-server.js";
import { faultCampaign, gradedModelReply } from "../helpers/fault-campaign.js";
import { reasoningModel } from "../helpers/reasoning-model.js";

const ENV = { FAKE_ENDPOINT_KEY: "sk-reasoning-test-0123456789", [RETRY_BASE_ENV]: "1" };
let fake: FakeOpenAI | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

/** Every role on a fake OpenAI reasoning model named o4-mini (the capability table knows it), with these params. */
async function reasoningCampaign(params: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  fake = await startFakeOpenAI();
  fake.fallback = reasoningModel(gradedModelReply);
  const only = Object.fromEntries(["writer", "agent", "judge"].map((k) => [k, { model: "o4-mini", params }]));
  // Every call reserves its wider retry too (5x the cap of output): a budget with room for that.
  return faultCampaign(fake.baseURL, { only, extra: { budget: { usd: 50 }, ...extra } });
}

function kinds(out: string): Record<string, number> {
  const db = new Database(join(out, "run.db"), { readonly: true });
  try {
    const rows = db.prepare("SELECT kind, COUNT(*) AS n FROM responses GROUP BY kind").all() as { kind: string; n: number }[];
    return Object.fromEntries(rows.map((r) => [r.kind, r.n]));
  } finally {
    db.close();
  }
}

describe("an OpenAI-style reasoning model", () => {
  it("runs to a meaningful result with the documented settings: no temperature, max_completion_tokens, reasoning_effort passed", async () => {
    const { dir, file } = await reasoningCampaign({ reasoningEffort: "low" });
    const out = join(dir, "run");
    const { summary } = await evolve(file, { out, inProcessIslands: true, env: ENV });
    expect(summary.status).toBe("completed");
    const bodies = fake!.requests.map((r) => r.body);
    expect(bodies.length).toBeGreaterThan(20);
    expect(bodies.every((b) => b.temperature === undefined && b.max_tokens === undefined)).toBe(true);
    expect(bodies.every((b) => typeof b.max_completion_tokens === "number" && b.reasoning_effort === "low")).toBe(true);
    expect(kinds(out)).toEqual({ answer: expect.any(Number) });
    // The harness matters to this model (each check line raises its success rate): the search found that.
    expect(summary.best.trainScore).toBeGreaterThan(summary.seedHarness.trainScore ?? 0);
    expect(summary.seedHarness.trainScore).toBeGreaterThan(0);
  });

  it("asks a reply its cap cut once more with a wider cap, and the run goes on", async () => {
    // medium effort thinks 1,200 tokens: a 400-token cap cuts every answer; 4 x 400 = 1,600 fits.
    const { dir, file } = await reasoningCampaign({ reasoningEffort: "medium" }, { fitness: { type: "tasks", minibatch: 4, answerMaxTokens: 400 } });
    const out = join(dir, "run");
    const lines: string[] = [];
    const display = plainDisplay((l) => lines.push(l));
    const { summary } = await evolve(file, { out, inProcessIslands: true, env: ENV, onEvent: (e) => display.onEvent(e) });
    expect(summary.status).toBe("completed");
    // Counted once per response in summary.json, said in the report and on the live lines.
    expect(summary.spend.truncated).toBe(kinds(out).truncated);
    expect(readFileSync(join(out, "report.html"), "utf8")).toMatch(new RegExp(`Replies that were not answers \\(each failed its task\\): ${summary.spend.truncated} cut at the output cap`));
    expect(lines.some((l) => /^generation 1\/2: .*\d+ replies cut at the cap/.test(l))).toBe(true);
    const caps = fake!.requests.filter((r) => !JSON.stringify(r.body.messages).includes("<operator>") && !JSON.stringify(r.body.messages).includes("<rubric>")).map((r) => r.body.max_completion_tokens);
    expect(new Set(caps)).toEqual(new Set([400, 1600]));
    expect(kinds(out).truncated).toBeGreaterThan(0);
    expect(summary.seedHarness.trainScore).toBeGreaterThan(0);
  });

  it("stops with one line naming the setting when the cap is too small for its thinking", async () => {
    // high effort thinks 3,000 tokens: 200, then 800, both cut to "".
    const { dir, file } = await reasoningCampaign({ reasoningEffort: "high" }, { fitness: { type: "tasks", minibatch: 4, answerMaxTokens: 200 } });
    const out = join(dir, "run");
    const err = await evolve(file, { out, inProcessIslands: true, env: ENV }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).toMatch(/model 'agent' \(o4-mini at .*\): \d+ of its last \d+ user replies were not answers \(\d+ cut at the output cap \(finish_reason length\)\) — raise fitness\.answerMaxTokens \(replies get 800 tokens now\), or lower models\.agent\.params\.reasoningEffort/);
    expect(err?.message).not.toContain(ENV.FAKE_ENDPOINT_KEY);
    if (existsSync(join(out, "summary.json"))) {
      expect(JSON.parse(readFileSync(join(out, "summary.json"), "utf8")).status).toBe("failed");
    }
  });
});
