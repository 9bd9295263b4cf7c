import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { evolve } from "../../src/campaign/run.js";
import type { RunSummary } from "../../src/campaign/summary.js";
import { CLI, ROOT } from "../helpers/cli-run.js";
import { startFakeOpenAI, type FakeOpenAI, type FakeReply, type RecordedRequest } from "../helpers/fake-openai-server.js";
import { faultCampaign, gradedModelReply } from "../helpers/fault-campaign.js";

/**
 * A run that ends with an error after its folder exists writes summary.json with status
 * `failed` and the cause, and stays resumable: here the user model refuses every val
 * question for good (a 400), so the seed harness is scored on train (paid for) and then
 * cannot be scored on val.
 */

const KEY = "sk-failed-summary-0123456789";
const env = { ...process.env, FAKE_ENDPOINT_KEY: KEY };

let fake: FakeOpenAI;
beforeAll(async () => {
  fake = await startFakeOpenAI();
});
afterAll(async () => {
  await fake.close();
});

/** The user model fails every val question with a permanent error that quotes the key. */
function valRefused(req: RecordedRequest): FakeReply {
  const prompt = ((req.body?.messages ?? []) as { content: string }[]).map((m) => m.content).join("\n");
  if (req.body?.model === "fake-agent" && /question val /.test(prompt)) {
    return { kind: "status", status: 400, body: { error: { message: `this key (${KEY}) may not ask val questions` } } };
  }
  return gradedModelReply(req);
}

/** The CLI, without blocking this process's event loop (the fake endpoint lives in it). */
function cli(args: string[], childEnv: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(CLI[0], [...CLI.slice(1), ...args], { cwd: ROOT, env: childEnv, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("exit", (code) => done({ code, stdout, stderr }));
  });
}

const summaryOf = (dir: string) => JSON.parse(readFileSync(join(dir, "summary.json"), "utf8")) as RunSummary;

describe("a run that fails after its folder exists", () => {
  it("exits 1 with one line, writes summary.json as failed with the reason and what was spent, and resumes once the cause is fixed", async () => {
    fake.fallback = valRefused;
    const { dir, file } = faultCampaign(fake.baseURL, { model: { maxRetries: 0, timeoutMs: 60_000 }, extra: { strategy: { name: "one-pass" } } });
    const out = join(dir, "run");

    const r = await cli(["run", file, "--out", out, "--json"], env);
    expect(r.code).toBe(1);
    const lines = r.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]!.startsWith(`error: ${out} failed (summary.json written; once the cause is fixed: harness-evolve resume ${out}): model 'agent' (fake-agent at `)).toBe(true);
    expect(lines[0]).toMatch(/: 400 bad request /);
    expect(r.stderr).not.toContain(KEY);

    const failed = summaryOf(out);
    expect(failed.status).toBe("failed");
    expect(failed.reason).toMatch(/^model 'agent' \(fake-agent at .*\): 400 bad request \(this key \(\*\*\*\) may not ask val questions\)/);
    expect(failed.reason).not.toMatch(/\n|\s+at .*:\d+:\d+/); // one line, no stack trace
    expect(readFileSync(join(out, "summary.json"), "utf8")).not.toContain(KEY);
    // The shape of a finished run's summary, with what is known: the seed's train score and the calls it paid for.
    expect(failed.seedHarness.trainScore).not.toBeNull();
    expect(failed.seedHarness.valScore).toBeNull();
    expect(failed.best.id).toBe("seed");
    expect(failed.generations).toBe(0);
    expect(failed.candidates).toBe(1);
    expect(failed.spend.byRole.user.calls).toBeGreaterThan(0);
    expect(failed.budget.charged.calls).toBeGreaterThan(0);
    expect(failed.budget.caps.usd).toBe(5);
    expect(existsSync(join(out, "report.html"))).toBe(true);

    // The endpoint is fixed: resume continues from run.db, paying again only for what failed.
    fake.fallback = gradedModelReply;
    const paidBefore = failed.spend.calls - failed.spend.cachedCalls;
    const resumed = await cli(["resume", out, "--json"], env);
    expect(resumed.code).toBe(0);
    const done = JSON.parse(resumed.stdout) as RunSummary;
    expect(done.status).toBe("completed");
    expect(done.reason).toBeUndefined();
    expect(done.seedHarness.trainScore).toBe(failed.seedHarness.trainScore);
    expect(done.spend.cachedCalls).toBeGreaterThanOrEqual(paidBefore);
    expect(summaryOf(out)).toEqual(done);
  }, 300_000);

  it("a seed harness that cannot be scored at all (every user call refused): the library call rejects, summary.json says why", async () => {
    fake.fallback = (req) => (req.body?.model === "fake-agent" ? { kind: "status", status: 404, body: { error: { message: "model not found" } } } : gradedModelReply(req));
    const { dir, file } = faultCampaign(fake.baseURL, { model: { maxRetries: 0, timeoutMs: 60_000 }, extra: { strategy: { name: "one-pass" } } });
    const out = join(dir, "run");
    await expect(evolve(file, { out, env, inProcessIslands: true })).rejects.toThrow(/^the seed harness could not be evaluated: model 'agent' .*404/);
    const failed = summaryOf(out);
    expect(failed.status).toBe("failed");
    expect(failed.reason).toMatch(/^the seed harness could not be evaluated: model 'agent' .*404 not found \(model not found\)/);
    expect(failed).toMatchObject({ generations: 0, candidates: 0, best: { id: "seed", trainScore: null }, seedHarness: { trainScore: null, valScore: null, testScore: null } });
  }, 120_000);

  it("a resume that cannot start (a key variable unset) says so in summary.json too, and a later resume still continues", async () => {
    fake.fallback = valRefused;
    const { dir, file } = faultCampaign(fake.baseURL, { model: { maxRetries: 0, timeoutMs: 60_000 }, extra: { strategy: { name: "one-pass" } } });
    const out = join(dir, "run");
    expect((await cli(["run", file, "--out", out, "--json"], env)).code).toBe(1);
    const before = summaryOf(out);

    const { FAKE_ENDPOINT_KEY: _unset, ...noKey } = env;
    const r = await cli(["resume", out, "--json"], noKey);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n")).toEqual([
      `error: ${out} failed (summary.json written; once the cause is fixed: harness-evolve resume ${out}): models.writer.apiKeyEnv: environment variable FAKE_ENDPOINT_KEY is not set`,
    ]);
    const failed = summaryOf(out);
    expect(failed.status).toBe("failed");
    expect(failed.reason).toBe("models.writer.apiKeyEnv: environment variable FAKE_ENDPOINT_KEY is not set");
    // Nothing was replayed: what the earlier attempt stored is still what the summary counts.
    expect(failed.seedHarness.trainScore).toBe(before.seedHarness.trainScore);
    expect(failed.spend).toEqual(before.spend);

    fake.fallback = gradedModelReply;
    const resumed = await cli(["resume", out, "--json"], env);
    expect(resumed.code).toBe(0);
    expect((JSON.parse(resumed.stdout) as RunSummary).status).toBe("completed");
  }, 300_000);
});
