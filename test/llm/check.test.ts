import { copyFileSync, existsSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Command } from "commander";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { stringify } from "yaml";
import { formatModelChecks, registerModelsCommand } from "../../src/cli/models.js";
import { loadCampaign } from "../../src/config/load.js";
import { checkModels, displayURL } from "../../src/llm/check.js";
import { PRICE_TABLE_DATE } from "../../src/llm/prices.js";
import { echoReply, startFakeOpenAI, type FakeOpenAI } from "../helpers/fake-openai-server.js";

const ENDPOINTS = resolve(import.meta.dirname, "../../examples/endpoints");
const SECRET = "sk-check-SECRET-9876543210";

let fake: FakeOpenAI;
beforeEach(async () => {
  fake = await startFakeOpenAI();
  fake.fallback = (req) => {
    if (req.body?.model === "no-usage") return { kind: "ok", text: "OK", usage: null };
    if (req.body?.model === "denied") return { kind: "status", status: 401, body: { error: { message: `Incorrect API key provided: ${req.headers.authorization}` } } };
    return echoReply(req);
  };
});
afterEach(async () => {
  await fake.close();
});

function campaignFile(models: Record<string, unknown>, extra: Record<string, unknown> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), "he-check-"));
  copyFileSync(join(ENDPOINTS, "tasks.yaml"), join(dir, "tasks.yaml"));
  copyFileSync(join(ENDPOINTS, "seed-harness.md"), join(dir, "seed-harness.md"));
  const first = Object.keys(models)[0]!;
  const campaign = { harness: "./seed-harness.md", tasks: "./tasks.yaml", models, roles: { evolver: first, user: first, verifier: first }, strategy: { name: "one-pass" }, ...extra };
  const file = join(dir, "campaign.yaml");
  writeFileSync(file, stringify(campaign));
  return file;
}

const tempChecks = () => readdirSync(tmpdir()).filter((f) => f.startsWith("he-models-check-")).length;

describe("checkModels", () => {
  it("sends one tiny request per model and reports latency, usage, price and its source", async () => {
    const before = tempChecks();
    const file = campaignFile({
      good: { model: "gpt-4o-mini", baseURL: fake.baseURL, apiKeyEnv: "CHECK_KEY" },
      own: { model: "no-usage", baseURL: fake.baseURL, price: { inputPerM: 1, outputPerM: 2 } },
      local: { model: "qwen2.5:7b", baseURL: fake.baseURL },
      sim: { model: "sim:mid" },
    });
    const results = await checkModels(loadCampaign(file), { env: { CHECK_KEY: SECRET } });
    expect(results.map((r) => r.key)).toEqual(["good", "own", "local", "sim"]);
    const [good, own, local, sim] = results;
    expect(good).toMatchObject({ ok: true, model: "gpt-4o-mini", baseURL: fake.baseURL, priceSource: `built-in table (${PRICE_TABLE_DATE})`, price: { inputPerM: 0.15 } });
    expect(good!.usage).toEqual({ inputTokens: expect.any(Number), outputTokens: expect.any(Number) });
    expect(good!.latencyMs).toBeGreaterThanOrEqual(0);
    expect(own).toMatchObject({ ok: true, usage: "none reported", priceSource: "campaign", reply: "OK" });
    expect(local).toMatchObject({ ok: true, priceSource: "unknown" });
    expect(local!.price).toBeUndefined();
    expect(sim).toMatchObject({ ok: true, baseURL: "in-process sim", priceSource: "sim" });
    // One request per model that has a baseURL; each tiny.
    expect(fake.served.requests).toBe(3);
    expect(fake.requests.every((r) => r.body.max_tokens === 16 && r.body.messages.length === 2)).toBe(true);
    expect(fake.requests.find((r) => r.body.model === "gpt-4o-mini")!.headers.authorization).toBe(`Bearer ${SECRET}`);
    expect(tempChecks()).toBe(before); // the throwaway run folder is gone
  });

  it("reports each failure on its own, with what to fix, never the key", async () => {
    const file = campaignFile(
      {
        denied: { model: "denied", baseURL: fake.baseURL, apiKeyEnv: "CHECK_KEY", price: { inputPerM: 1, outputPerM: 1 } },
        unset: { model: "gpt-4o", baseURL: fake.baseURL, apiKeyEnv: "NOT_SET_ANYWHERE" },
        fine: { model: "fine", baseURL: fake.baseURL },
      },
      { budget: { usd: 1 } },
    );
    const results = await checkModels(loadCampaign(file), { env: { CHECK_KEY: SECRET } });
    const [denied, unset, fine] = results;
    expect(denied).toMatchObject({ ok: false });
    expect(denied!.error).toMatch(/401 unauthorized.*check the key in CHECK_KEY/);
    expect(unset).toMatchObject({ ok: false, error: "models.unset.apiKeyEnv: environment variable NOT_SET_ANYWHERE is not set" });
    expect(fine).toMatchObject({ ok: true, priceSource: "unknown" });
    expect(fine!.warning).toMatch(/^models\.fine\.price: required because budget\.usd is set/);
    expect(JSON.stringify(results)).not.toContain(SECRET);
    expect(fake.requests.filter((r) => r.body.model === "denied")).toHaveLength(1); // a 401 is not retried
  });

  it("uses the model's own output cap when its params set one (reasoning models need room)", async () => {
    const file = campaignFile({ r: { model: "o4-mini", baseURL: fake.baseURL, params: { maxCompletionTokens: 2000 } } });
    const [r] = await checkModels(loadCampaign(file));
    expect(r!.ok).toBe(true);
    expect(fake.requests[0]!.body).toMatchObject({ max_completion_tokens: 2000 });
    expect(fake.requests[0]!.body.max_tokens).toBeUndefined();
  });

  it("shows base URLs without credentials", () => {
    expect(displayURL("https://user:pw@example.test/v1/")).toBe("https://example.test/v1");
    expect(displayURL("not a url")).toBe("not a url");
  });
});

describe("harness-evolve models check", () => {
  async function cli(args: string[]): Promise<{ out: string; exitCode: number | undefined }> {
    const program = new Command().exitOverride();
    registerModelsCommand(program);
    let out = "";
    const spy = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
      out += String(chunk);
      return true;
    });
    const saved = process.exitCode;
    process.exitCode = undefined;
    try {
      await program.parseAsync(["node", "harness-evolve", "models", "check", ...args]);
      return { out, exitCode: process.exitCode };
    } finally {
      process.exitCode = saved;
      spy.mockRestore();
    }
  }

  it("prints a table and exits 0 when every model answers", async () => {
    const file = campaignFile({ a: { model: "gpt-4.1-nano", baseURL: fake.baseURL }, b: { model: "local", baseURL: fake.baseURL, price: { inputPerM: 0, outputPerM: 0 } } });
    const { out, exitCode } = await cli([file]);
    expect(exitCode).toBeUndefined();
    expect(out).toMatch(/^\| key +\| model +\| endpoint/);
    expect(out).toContain(`built-in table (${PRICE_TABLE_DATE})`);
    expect(out).toContain("$0.1 / $0.4");
    expect(out).toContain("all 2 models answered");
  });

  it("exits 1 when a model fails; --json prints the results", async () => {
    const file = campaignFile({ ok: { model: "x", baseURL: fake.baseURL }, bad: { model: "denied", baseURL: fake.baseURL } });
    const { out, exitCode } = await cli([file, "--json"]);
    expect(exitCode).toBe(1);
    const parsed = JSON.parse(out);
    expect(parsed.map((r: { key: string; ok: boolean }) => [r.key, r.ok])).toEqual([
      ["ok", true],
      ["bad", false],
    ]);
    const text = formatModelChecks(parsed);
    expect(text).toContain("FAILED");
    expect(text).toMatch(/^bad: .*401/m);
    expect(text).toContain("1 of 2 models failed");
  });

  it("takes --set overrides like run does", async () => {
    const file = campaignFile({ a: { model: "x", baseURL: "http://127.0.0.1:9/v1" } });
    const { out } = await cli([file, "--json", "--set", `models.a.baseURL=${fake.baseURL}`]);
    expect(JSON.parse(out)[0]).toMatchObject({ ok: true, baseURL: fake.baseURL });
    expect(existsSync(file)).toBe(true);
  });
});
