import { spawn } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { evolve } from "../../src/campaign/run.js";
import { RETRY_BASE_ENV } from "../../src/llm/endpoint.js";
import { startFakeOpenAI, type FakeOpenAI, type FakeReply, type RecordedRequest } from "../helpers/fake-openai-server.js";
import { CLI } from "../helpers/cli-run.js";
import { faultCampaign, gradedModelReply, injectFaults, unit } from "../helpers/fault-campaign.js";

/**
 * The API key never leaves the process except in the Authorization header: not in run.db
 * (nor its WAL/SHM files while the run is open), summary.json, report.html, the CLI's
 * stdout/stderr or an error message, even when the endpoint echoes it back in error bodies.
 */

const ROOT = resolve(import.meta.dirname, "../..");
const KEY = "sk-test-SECRET-1234567890abcdef";
const KEY_ENV = "HE_TEST_API_KEY";

/** Every 8-character piece of the key: a truncated echo must not leak a prefix either. */
const PIECES = Array.from({ length: KEY.length - 7 }, (_, i) => KEY.slice(i, i + 8));

/** Pieces of the key found in `text`, empty when clean. */
function leaks(text: string | Buffer): string[] {
  return PIECES.filter((p) => text.includes(p));
}

/** Every file under `dir` (recursively), with the pieces of the key found in its raw bytes. */
function scan(dir: string): { files: string[]; found: Record<string, string[]> } {
  const files: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else files.push(p);
    }
  };
  walk(dir);
  const found: Record<string, string[]> = {};
  for (const f of files) {
    let bytes: Buffer;
    try {
      bytes = readFileSync(f);
    } catch {
      continue; // a WAL file checkpointed away between listing and reading
    }
    const l = leaks(bytes);
    if (l.length) found[f] = l;
  }
  return { files, found };
}

/**
 * An endpoint that wants the key and echoes it in its error bodies: about a fifth of the
 * calls get one 429 that quotes the key (retried), and a quarter of the evolver's calls fail
 * for good with a 500 that quotes it (so the reason lands in run.db as a failed proposal).
 */
function echoingEndpoint(req: RecordedRequest, transient: (req: RecordedRequest) => FakeReply): FakeReply {
  if (req.body?.model === "fake-writer" && unit(`persist\u0000${JSON.stringify(req.body)}`) < 0.25) {
    return { kind: "status", status: 500, headers: { "retry-after-ms": "1" }, body: { error: { message: `upstream failed for key ${KEY}` } } };
  }
  return transient(req);
}

const fakes: FakeOpenAI[] = [];
afterEach(async () => {
  for (const f of fakes.splice(0)) await f.close();
});

async function echoingFake(): Promise<FakeOpenAI> {
  const fake = await startFakeOpenAI();
  fakes.push(fake);
  fake.requireKey = KEY; // a request without the key gets a 401 (and is counted)
  const transient = injectFaults(gradedModelReply, () => ({ kind: "status", status: 429, headers: { "retry-after-ms": "1" }, body: { error: { message: `Rate limit reached for key ${KEY}` } } }));
  fake.fallback = (req) => echoingEndpoint(req, transient.reply);
  return fake;
}

/** The CLI in a child process (async: the fake endpoint lives in this process and must keep answering). */
function cli(args: string[], env: Record<string, string>): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(CLI[0], [...CLI.slice(1), ...args], { cwd: ROOT, env: { ...process.env, ...env } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString("utf8")));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString("utf8")));
    child.on("close", (status) => done({ status, stdout, stderr }));
  });
}

describe("the API key is never written anywhere", () => {
  it("library run: run.db (and its WAL/SHM while open), summary.json, report.html, events and errors hold no piece of the key", async () => {
    const fake = await echoingFake();
    const { dir, file } = faultCampaign(fake.baseURL, { keyEnv: KEY_ENV, model: { maxRetries: 2 } });
    const out = join(dir, "run");
    const during: Record<string, string[]> = {};
    const seenFiles = new Set<string>();
    const { summary } = await evolve(file, {
      out,
      inProcessIslands: true,
      env: { [KEY_ENV]: KEY, [RETRY_BASE_ENV]: "10" },
      // While the run is open run.db has its -wal and -shm files: scan them at every generation.
      onEvent: (e) => {
        if (e.type !== "generation") return;
        const s = scan(out);
        s.files.forEach((f) => seenFiles.add(f));
        Object.assign(during, s.found);
      },
    });
    expect(summary.status).toBe("completed");
    expect(fake.unauthorized).toBe(0); // every request carried the key
    expect(fake.requests.every((r) => r.headers.authorization === `Bearer ${KEY}`)).toBe(true);
    expect([...seenFiles].some((f) => f.endsWith("run.db-wal"))).toBe(true);
    expect(during).toEqual({});
    const after = scan(out);
    expect(after.files.map((f) => f.slice(out.length + 1)).sort()).toEqual(expect.arrayContaining(["report.html", "run.db", "summary.json"]));
    expect(after.found).toEqual({});
    // The echoes did reach the engine: failed proposals are recorded, with the key masked.
    const db = readFileSync(join(out, "run.db"));
    expect(db.includes("upstream failed for key ***")).toBe(true);
  }, 300_000);

  it("CLI run (worker threads) with echoing faults: stdout, stderr and every file are clean", async () => {
    const fake = await echoingFake();
    const { dir, file } = faultCampaign(fake.baseURL, { keyEnv: KEY_ENV, model: { maxRetries: 2 } });
    const out = join(dir, "run");
    const r = await cli(["run", file, "--out", out], { [KEY_ENV]: KEY, [RETRY_BASE_ENV]: "10" });
    expect(r.stderr).toMatch(/status\s+completed/);
    expect(r.status).toBe(0);
    expect(fake.unauthorized).toBe(0);
    expect(leaks(r.stdout)).toEqual([]);
    expect(leaks(r.stderr)).toEqual([]);
    expect(scan(out).found).toEqual({});
  }, 300_000);

  it("CLI run against a 401 that echoes the key (cut at the 200-character limit): one-line error, exit 1, nothing leaks", async () => {
    const fake = await startFakeOpenAI();
    fakes.push(fake);
    // Long enough that the one-line server message is cut inside the key: the cut must not leave a piece of it.
    const echo = `${"Incorrect API key. ".repeat(9)}Provided: ${KEY}. You can find your API key in your account settings.`;
    fake.fallback = () => ({ kind: "status", status: 401, body: { error: { message: echo, type: "invalid_request_error", code: "invalid_api_key" } } });
    const { dir, file } = faultCampaign(fake.baseURL, { keyEnv: KEY_ENV });
    const out = join(dir, "run");
    const r = await cli(["run", file, "--out", out], { [KEY_ENV]: KEY, [RETRY_BASE_ENV]: "10" });
    expect(r.status).toBe(1);
    const lines = r.stderr.trimEnd().split("\n");
    const last = lines[lines.length - 1]!;
    expect(last).toMatch(/^error: .*model 'agent' \(fake-agent at http:\/\/127\.0\.0\.1:\d+\/v1\): 401 unauthorized .*— check the key in HE_TEST_API_KEY$/);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(leaks(r.stdout)).toEqual([]);
    expect(leaks(r.stderr)).toEqual([]);
    expect(scan(out).found).toEqual({});
    expect(fake.requests.every((q) => q.headers.authorization === `Bearer ${KEY}`)).toBe(true);
    // Not retried: each request was sent once.
    expect(new Set(fake.requests.map((q) => JSON.stringify(q.body))).size).toBe(fake.requests.length);
  }, 300_000);
});
