import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Command } from "commander";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { stringify } from "yaml";
import { evolve } from "../../src/campaign/run.js";
import { formatModelChecks, registerModelsCommand } from "../../src/cli/models.js";
import { loadCampaign } from "../../src/config/load.js";
import { checkModels, displayURL, type ModelCheck } from "../../src/campaign/models-check.js";
import { RETRY_BASE_ENV } from "../../src/llm/endpoint.js";
import { PRICE_TABLE_DATE } from "../../src/llm/prices.js";
import { genericModelReply, startFakeOpenAI, type FakeOpenAI, type RecordedRequest } from "../helpers/fake-openai-server.js";
import { faultCampaign, gradedModelReply } from "../helpers/fault-campaign.js";
import { REASONING_TOKENS, reasoningModel } from "../helpers/reasoning-model.js";

const ENDPOINTS = resolve(import.meta.dirname, "../../examples/endpoints");
const SECRET = "sk-check-SECRET-9876543210";
const ENV = { FAKE_ENDPOINT_KEY: SECRET, [RETRY_BASE_ENV]: "1" };

let fake: FakeOpenAI;
beforeEach(async () => {
  fake = await startFakeOpenAI();
  fake.fallback = (req) => {
    if (req.body?.model === "no-usage") return { kind: "ok", text: "4\nFinal answer: 4", usage: null };
    if (req.body?.model === "denied") return { kind: "status", status: 401, body: { error: { message: `Incorrect API key provided: ${req.headers.authorization}` } } };
    return genericModelReply(req);
  };
});
/** Campaign folders the test made (and the run folder inside one): removed after each test. */
const made: string[] = [];
afterEach(async () => {
  await fake.close();
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A campaign on the endpoint examples' tasks and seed harness; `roles` default to the first model for all three. */
function campaignFile(models: Record<string, unknown>, extra: Record<string, unknown> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), "he-check-"));
  made.push(dir);
  copyFileSync(join(ENDPOINTS, "tasks.yaml"), join(dir, "tasks.yaml"));
  copyFileSync(join(ENDPOINTS, "seed-harness.md"), join(dir, "seed-harness.md"));
  const first = Object.keys(models)[0]!;
  const campaign = { harness: "./seed-harness.md", tasks: "./tasks.yaml", models, roles: { evolver: first, user: first, verifier: first }, strategy: { name: "one-pass" }, ...extra };
  const file = join(dir, "campaign.yaml");
  writeFileSync(file, stringify(campaign));
  return file;
}

const tempChecks = () => readdirSync(tmpdir()).filter((f) => f.startsWith("he-models-check-")).length;

/** The CLI command in-process: what it printed and the exit code it set. */
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

type Body = Record<string, any>;
const prompt = (b: Body) => (b.messages as { content: string }[]).map((m) => m.content).join("\n");
const roleOf = (b: Body) => (prompt(b).includes("<operator>") ? "evolver" : prompt(b).includes("<rubric>") ? "verifier" : "user");
/** A body without what differs by position (the seed follows the sample key) or by prompt. */
const params = (b: Body) => {
  const { messages: _m, seed: _s, ...rest } = b;
  return rest;
};
const distinct = (bodies: Body[]) => [...new Map(bodies.map((b) => [JSON.stringify(params(b)), params(b)])).values()];
const row = (rows: ModelCheck[], role: string, key?: string) => rows.find((r) => r.role === role && (key === undefined || r.key === key))!;

describe("checkModels sends what the run sends", () => {
  it("has the run's params, caps, temperatures and prompts, role by role", async () => {
    const { dir, file } = faultCampaign(fake.baseURL, {
      model: { params: { topP: 0.9 } },
      extra: {
        fitness: { type: "tasks", minibatch: 4, answerMaxTokens: 300, verifierMaxTokens: 200 },
        strategy: { name: "islands", islands: 2, generations: 1, conversations: 3, turns: 1, presets: ["explorer", "refiner"], nearDuplicate: 1, finalists: 1 },
      },
    });
    made.push(dir);
    await evolve(file, { out: join(dir, "run"), inProcessIslands: true, env: ENV });
    const run = fake.requests.map((r) => r.body as Body);
    fake.requests.length = 0;

    const rows = await checkModels(loadCampaign(file), { env: ENV });
    expect(rows.map((r) => [r.role, r.key, r.status])).toEqual([
      ["user", "agent", "ok"],
      ["evolver", "writer", "ok"],
      ["evolver", "writer", "ok"],
      ["verifier", "judge", "ok"],
    ]);
    const check = fake.requests.map((r) => r.body as Body);
    for (const role of ["user", "evolver", "verifier"]) {
      const sent = distinct(check.filter((b) => roleOf(b) === role));
      expect(sent, role).toEqual(distinct(run.filter((b) => roleOf(b) === role)));
    }
    // The user request is the run's first seed evaluation itself: the seed harness as the system message, the first train task.
    const user = check.find((b) => roleOf(b) === "user")!;
    expect(user.messages[0]).toEqual({ role: "system", content: readFileSync(join(dir, "seed-harness.md"), "utf8") });
    expect(run.some((b) => JSON.stringify(b.messages) === JSON.stringify(user.messages))).toBe(true);
    expect(user).toMatchObject({ max_tokens: 300, top_p: 0.9 });
    // The evolver gets each preset's temperature (explorer 1.0, refiner 0.3) on the run's mutate prompt.
    const evolver = check.filter((b) => roleOf(b) === "evolver");
    expect(evolver.map((b) => b.temperature).sort()).toEqual([0.3, 1]);
    const mutate = run.find((b) => /<operator>\s*mutate/.test(prompt(b)))!;
    expect(evolver[0]!.messages[0]).toEqual(mutate.messages[0]);
    expect(evolver[0]!.messages[1].content).toContain("You solve short arithmetic tasks.");
    expect(check.find((b) => roleOf(b) === "verifier")).toMatchObject({ max_tokens: 200 });
    expect(row(rows, "user")).toMatchObject({ cap: 300, finishReason: "stop", kind: "answer", parsed: true });
    expect(row(rows, "verifier")).toMatchObject({ cap: 200, parsed: true });
  });

  it("uses the model's own cap when the campaign sets none, and the campaign's role limit over it", async () => {
    const file = campaignFile({ r: { model: "o4-mini", baseURL: fake.baseURL, params: { maxCompletionTokens: 2000 } } });
    const rows = await checkModels(loadCampaign(file));
    expect(rows.every((r) => r.ok)).toBe(true);
    const byRole = Object.fromEntries(fake.requests.map((r) => [roleOf(r.body), r.body]));
    for (const b of Object.values(byRole)) {
      expect(b).toMatchObject({ max_completion_tokens: 2000 });
      expect(b.max_tokens).toBeUndefined();
      expect(b.temperature).toBeUndefined(); // a reasoning model: no preset temperature
    }
    fake.requests.length = 0;
    const limited = await checkModels(loadCampaign(file, { sets: ["fitness.type=tasks", "fitness.answerMaxTokens=700"] }));
    expect(row(limited, "user").cap).toBe(700);
    expect(fake.requests.find((r) => roleOf(r.body) === "user")!.body.max_completion_tokens).toBe(700);
    expect(row(limited, "evolver").cap).toBe(2000);
  });
});

describe("checkModels on a reasoning model", () => {
  /** Every role on a fake OpenAI reasoning model (o4-mini), with these params and fitness caps. */
  function reasoningCampaign(params: Record<string, unknown>, fitness: Record<string, unknown>) {
    fake.fallback = reasoningModel(gradedModelReply);
    const only = Object.fromEntries(["writer", "agent", "judge"].map((k) => [k, { model: "o4-mini", params }]));
    const campaign = faultCampaign(fake.baseURL, { only, extra: { fitness: { type: "tasks", minibatch: 4, ...fitness }, budget: { usd: 50 } } });
    made.push(campaign.dir);
    return campaign;
  }

  it("reports each role whose cap is too small FAILED, with finish_reason length and the setting to raise", async () => {
    // high effort thinks 3,000 tokens: a 200-token cap is cut, and so is the run's one retry at 800.
    // (The old check sent its own 16-token request and said "ok" whatever came back.)
    const { file } = reasoningCampaign({ reasoningEffort: "high" }, { answerMaxTokens: 200, verifierMaxTokens: 200 });
    const rows = await checkModels(loadCampaign(file), { env: ENV });
    const user = row(rows, "user");
    expect(user).toMatchObject({ status: "failed", ok: false, finishReason: "length", kind: "truncated", cap: 200, widerCap: 800, parsed: false });
    expect(user.error).toMatch(/cut at the output cap of 200 tokens before any text .*, and again at 800 on the run's one wider retry$/);
    expect(user.advice).toBe("raise fitness.answerMaxTokens (200 now), or lower models.agent.params.reasoningEffort");
    expect(row(rows, "verifier")).toMatchObject({ ok: false, finishReason: "length", advice: "raise fitness.verifierMaxTokens (200 now), or lower models.judge.params.reasoningEffort" });
    // The evolver's default cap for a reasoning model leaves room for its thinking.
    expect(rows.filter((r) => r.role === "evolver").every((r) => r.ok && r.cap === 16384 && r.temperature === undefined)).toBe(true);
    expect(fake.requests.every((r) => r.body.temperature === undefined && r.body.max_tokens === undefined && r.body.reasoning_effort === "high")).toBe(true);

    const text = formatModelChecks(rows);
    expect(text).toMatch(/^\| user +\| agent +\| task train-n0 +\| FAILED .*\| length +\| +200→800 \| no +\|$/m);
    expect(text).toContain("user agent: no answer: the reply was cut at the output cap of 200 tokens before any text");
    expect(text).toContain("— raise fitness.answerMaxTokens (200 now), or lower models.agent.params.reasoningEffort");
    expect(text).toContain("2 of 3 requests failed");

    vi.stubEnv("FAKE_ENDPOINT_KEY", SECRET);
    try {
      const { out, exitCode } = await cli([file, "--json"]);
      expect(exitCode).toBe(1);
      expect((JSON.parse(out) as ModelCheck[]).filter((r) => !r.ok).map((r) => [r.role, r.finishReason])).toEqual([
        ["user", "length"],
        ["verifier", "length"],
      ]);
      expect(out).not.toContain(SECRET);
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it("passes with the documented settings (examples/endpoints/openai-reasoning.yaml)", async () => {
    fake.fallback = (req) => (req.body?.model === "o4-mini" ? reasoningModel(gradedModelReply)(req) : genericModelReply(req));
    const sets = ["writer", "thinker"].map((k) => `models.${k}.baseURL=${fake.baseURL}`);
    const rows = await checkModels(loadCampaign(join(ENDPOINTS, "openai-reasoning.yaml"), { sets }), { env: { OPENAI_API_KEY: SECRET } });
    expect(rows.map((r) => [r.role, r.key, r.status, r.finishReason, r.parsed])).toEqual([
      ["user", "thinker", "ok", "stop", true],
      ["evolver", "writer", "ok", "stop", true],
      ["evolver", "writer", "ok", "stop", true],
      ["verifier", "thinker", "ok", "stop", true],
    ]);
    const example = loadCampaign(join(ENDPOINTS, "openai-reasoning.yaml")).config.fitness;
    const cap = example.type === "tasks" ? example.answerMaxTokens : undefined;
    expect(cap).toBeGreaterThan(REASONING_TOKENS.low!);
    const thinker = fake.requests.filter((r) => r.body.model === "o4-mini").map((r) => r.body);
    expect(thinker.every((b) => b.max_completion_tokens === cap && b.reasoning_effort === "low" && b.temperature === undefined && b.max_tokens === undefined)).toBe(true);
    expect(row(rows, "user").usage).toEqual({ inputTokens: expect.any(Number), outputTokens: expect.any(Number) });
    expect(formatModelChecks(rows)).toContain("all 4 requests answered as the run needs (2 models)");
  });
});

describe("checkModels reads replies as the run does", () => {
  it("reports an evolver reply that does not parse, after the run's 3 tries", async () => {
    fake.fallback = (req) => (prompt(req.body).includes("<operator>") ? { kind: "ok", text: "Here is a better prompt: be careful and precise." } : genericModelReply(req));
    const file = campaignFile({ m: { model: "gpt-4.1-nano", baseURL: fake.baseURL } });
    const rows = await checkModels(loadCampaign(file));
    expect(row(rows, "evolver")).toMatchObject({ status: "failed", ok: false, kind: "answer", finishReason: "stop", parsed: false, tries: 3, error: "no <harness> block (3 replies)" });
    expect(row(rows, "evolver").advice).toMatch(/stronger model for the evolver role/);
    expect(row(rows, "user").ok).toBe(true);
    expect(fake.requests.filter((r) => roleOf(r.body) === "evolver")).toHaveLength(3);
    expect(formatModelChecks(rows)).toMatch(/^\| evolver +\| m +\| mutate t=0\.7 \(one-pass\) +\| FAILED .*\| no \(3 tries\) \|$/m);
  });

  it("reports an empty reply, a reply without a Final answer line and an unreadable judgement", async () => {
    fake.fallback = (req) => {
      const p = prompt(req.body);
      if (p.includes("<operator>")) return genericModelReply(req);
      if (p.includes("<rubric>")) return { kind: "ok", text: "Looks fine to me." };
      return { kind: "ok", text: req.body.model === "blank" ? "" : "It is 205 minutes." };
    };
    const file = campaignFile({ talk: { model: "talk", baseURL: fake.baseURL }, blank: { model: "blank", baseURL: fake.baseURL } }, { roles: { evolver: "talk", user: [{ model: "talk" }, { model: "blank" }], verifier: "talk" } });
    const rows = await checkModels(loadCampaign(file));
    expect(row(rows, "user", "talk")).toMatchObject({ ok: false, kind: "answer", parsed: false, error: "no `Final answer:` line (the checks would read the whole reply)" });
    expect(row(rows, "user", "blank")).toMatchObject({ ok: false, kind: "empty", finishReason: "stop", error: "no answer: the model replied with empty text" });
    expect(row(rows, "user", "blank").advice).toMatch(/^check that 'blank' answers this kind of prompt/);
    expect(row(rows, "verifier")).toMatchObject({ ok: false, parsed: false, tries: 2, error: "the verifier gave no `Score: N/10` line (2 replies)" });
    expect(row(rows, "evolver").ok).toBe(true);
  });
});

describe("checkModels reports each model on its own", () => {
  it("reports latency, usage, price and its source; sim models in-process; models no role calls are listed, not sent", async () => {
    const before = tempChecks();
    const file = campaignFile(
      {
        good: { model: "gpt-4o-mini", baseURL: fake.baseURL, apiKeyEnv: "CHECK_KEY" },
        own: { model: "no-usage", baseURL: fake.baseURL, price: { inputPerM: 1, outputPerM: 2 } },
        local: { model: "qwen2.5:7b", baseURL: fake.baseURL },
        sim: { model: "sim:judge" },
        spare: { model: "spare", baseURL: fake.baseURL },
      },
      { roles: { user: [{ model: "good", weight: 3 }, { model: "own" }], evolver: "local", verifier: "sim" } },
    );
    const rows = await checkModels(loadCampaign(file), { env: { CHECK_KEY: SECRET } });
    expect(rows.map((r) => [r.role, r.key, r.status])).toEqual([
      ["user", "good", "ok"],
      ["user", "own", "ok"],
      ["evolver", "local", "ok"],
      ["verifier", "sim", "ok"],
      [undefined, "spare", "unused"],
    ]);
    const good = row(rows, "user", "good");
    expect(good).toMatchObject({ model: "gpt-4o-mini", baseURL: fake.baseURL, priceSource: `built-in table (${PRICE_TABLE_DATE})`, price: { inputPerM: 0.15 } });
    expect(good.usage).toEqual({ inputTokens: expect.any(Number), outputTokens: expect.any(Number) });
    expect(good.latencyMs).toBeGreaterThanOrEqual(0);
    expect(row(rows, "user", "own")).toMatchObject({ usage: "none reported", priceSource: "campaign", reply: "4 Final answer: 4" });
    expect(row(rows, "evolver")).toMatchObject({ priceSource: "unknown", temperature: 0.7, cap: 2048 });
    expect(row(rows, "evolver").price).toBeUndefined();
    expect(row(rows, "verifier")).toMatchObject({ baseURL: "in-process sim", priceSource: "sim", parsed: true });
    // One request per (role, model) with a baseURL; none to the unused model.
    expect(fake.requests.map((r) => r.body.model).sort()).toEqual(["gpt-4o-mini", "no-usage", "qwen2.5:7b"]);
    expect(fake.requests.find((r) => r.body.model === "gpt-4o-mini")!.headers.authorization).toBe(`Bearer ${SECRET}`);
    expect(tempChecks()).toBe(before); // the throwaway run folders are gone
    const text = formatModelChecks(rows);
    expect(text).toContain("spare: unused (bound to no role, named by no island preset): nothing sent");
    expect(text).toContain("all 4 requests answered as the run needs (4 models)");
  });

  it("reports each failure on its own, with what to fix, never the key", async () => {
    const file = campaignFile(
      {
        denied: { model: "denied", baseURL: fake.baseURL, apiKeyEnv: "CHECK_KEY", price: { inputPerM: 1, outputPerM: 1 } },
        unset: { model: "gpt-4o", baseURL: fake.baseURL, apiKeyEnv: "NOT_SET_ANYWHERE" },
        fine: { model: "fine", baseURL: fake.baseURL },
      },
      { budget: { usd: 1 }, roles: { user: [{ model: "denied" }, { model: "unset" }, { model: "fine" }], evolver: "fine" } },
    );
    const rows = await checkModels(loadCampaign(file), { env: { CHECK_KEY: SECRET } });
    expect(row(rows, "user", "denied").ok).toBe(false);
    expect(row(rows, "user", "denied").error).toMatch(/401 unauthorized.*check the key in CHECK_KEY/);
    expect(row(rows, "user", "unset")).toMatchObject({ ok: false, error: "models.unset.apiKeyEnv: environment variable NOT_SET_ANYWHERE is not set" });
    expect(row(rows, "user", "fine")).toMatchObject({ ok: true, priceSource: "unknown" });
    expect(row(rows, "evolver", "fine").warning).toMatch(/^models\.fine\.price: required because budget\.usd is set/);
    expect(JSON.stringify(rows)).not.toContain(SECRET);
    expect(fake.requests.filter((r) => r.body.model === "denied")).toHaveLength(1); // a 401 is not retried
    const text = formatModelChecks(rows);
    expect(text.match(/^fine: warning: /gm)).toHaveLength(1); // once per model, not per request
    expect(text).toContain("2 of 4 requests failed");
  });

  it("fails fast on a dead endpoint or a model that does not answer in its timeout", async () => {
    fake.fallback = () => ({ kind: "hang" });
    const file = campaignFile({ dead: { model: "x", baseURL: "http://127.0.0.1:9/v1" }, slow: { model: "y", baseURL: fake.baseURL, timeoutMs: 300 } }, { roles: { user: "dead", evolver: "slow" } });
    const started = performance.now();
    const rows = await checkModels(loadCampaign(file), { env: { [RETRY_BASE_ENV]: "1" } });
    expect(performance.now() - started).toBeLessThan(20_000);
    expect(rows.every((r) => r.ok === false && r.error)).toBe(true);
    expect(fake.requests.length).toBe(2); // the model's 300 ms timeout, one retry
  });

  it("shows base URLs without credentials", () => {
    expect(displayURL("https://user:pw@example.test/v1/")).toBe("https://example.test/v1");
    expect(displayURL("not a url")).toBe("not a url");
  });
});

describe("harness-evolve models check", () => {
  it("prints the models, then one row per request, and exits 0 when every request answered", async () => {
    const file = campaignFile({ a: { model: "gpt-4.1-nano", baseURL: fake.baseURL }, b: { model: "local", baseURL: fake.baseURL, price: { inputPerM: 0, outputPerM: 0 } } }, { roles: { evolver: "a", user: "b" } });
    const { out, exitCode } = await cli([file]);
    expect(exitCode).toBeUndefined();
    expect(out).toMatch(/^\| key +\| model +\| endpoint/);
    expect(out).toContain(`built-in table (${PRICE_TABLE_DATE})`);
    expect(out).toContain("$0.1 / $0.4");
    expect(out).toMatch(/^\| role +\| key +\| request +\| status +\| latency +\| tokens in \/ out +\| finish +\| +cap +\| parsed +\|$/m);
    expect(out).toMatch(/^\| user +\| b +\| task trip-minutes +\| ok +\| +\d+ ms \| +\d+ \/ \d+ \| stop +\| +512 \| yes +\|$/m);
    expect(out).toContain("all 2 requests answered as the run needs (2 models)");
    expect(Math.max(...out.split("\n").map((l) => l.length))).toBeLessThanOrEqual(120);
  });

  it("exits 1 when a request fails; --json prints the results", async () => {
    const file = campaignFile({ ok: { model: "x", baseURL: fake.baseURL }, bad: { model: "denied", baseURL: fake.baseURL } }, { roles: { evolver: "ok", user: "bad" } });
    const { out, exitCode } = await cli([file, "--json"]);
    expect(exitCode).toBe(1);
    const parsed = JSON.parse(out) as ModelCheck[];
    expect(parsed.map((r) => [r.role, r.key, r.ok])).toEqual([
      ["user", "bad", false],
      ["evolver", "ok", true],
    ]);
    const text = formatModelChecks(parsed);
    expect(text).toContain("FAILED");
    expect(text).toMatch(/^user bad: .*401/m);
    expect(text).toContain("1 of 2 requests failed");
  });

  it("takes --set overrides like run does", async () => {
    const file = campaignFile({ a: { model: "x", baseURL: "http://127.0.0.1:9/v1" } });
    const { out } = await cli([file, "--json", "--set", `models.a.baseURL=${fake.baseURL}`]);
    expect(JSON.parse(out)[0]).toMatchObject({ ok: true, baseURL: fake.baseURL });
    expect(existsSync(file)).toBe(true);
  });
});
