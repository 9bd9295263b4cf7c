/**
 * Figures of the in-process GGUF endpoint on the tiny random-weight model (scripts/write-tiny-gguf.ts):
 *  1. the endpoint alone: N calls with a ~1,000-token prompt, at 1 and at 4 context sequences,
 *     prompt and generated tokens per second, calls per second, and whether the texts match;
 *  2. a campaign on it through the CLI (every role on the tiny model): wall time, calls/s,
 *     tokens/s, and the parse-failure rate of the evolver's replies (the operators' parsers).
 *   npx tsx benchmarks/gguf-tiny.ts [--calls 32] [--threads 1]
 * The model is random, so only speed and failure handling mean anything here, never scores.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { join } from "node:path";
import Database from "better-sqlite3";
import type { ModelConfig } from "../src/config/schema.js";
import { createEndpoint } from "../src/llm/endpoints.js";
import { parseCritiqueReply, parseHarnessReply } from "../src/operators/parse.js";
import { CLI, ROOT } from "../test/helpers/cli-run.js";
import { ggufCampaign } from "../test/helpers/gguf-campaign.js";

const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const CALLS = arg("calls", 32);
const THREADS = arg("threads", 1);

const { dir, file, model } = ggufCampaign();

async function endpointFigures(sequences: number) {
  const cfg = { model: `gguf:${model}`, params: { contextSize: 4096, threads: THREADS }, concurrency: sequences, timeoutMs: 60_000, maxRetries: 0 } as ModelConfig;
  const ep = createEndpoint({ key: "tiny", cfg, baseURL: "", apiKey: "", baseDir: dir });
  // Load first, so the figures are of generation only.
  await ep.complete([{ role: "user", content: "hi" }], { max_tokens: 1 });
  const system = "You are a careful assistant. Read the task, work it out step by step, and end with a line 'Final answer: X'. ".repeat(9);
  const started = performance.now();
  const replies = await Promise.all(
    Array.from({ length: CALLS }, (_, i) => ep.complete([{ role: "system", content: system }, { role: "user", content: `Task ${i}: what is ${i} + ${3 * i}?` }], { max_tokens: 256, temperature: 0.8, seed: 1000 + i })),
  );
  const s = (performance.now() - started) / 1000;
  await ep.close?.();
  const prompt = replies.reduce((n, r) => n + (r.usage as { prompt_tokens: number }).prompt_tokens, 0);
  const completion = replies.reduce((n, r) => n + (r.usage as { completion_tokens: number }).completion_tokens, 0);
  return {
    sequences,
    calls: CALLS,
    seconds: round(s),
    callsPerS: round(CALLS / s),
    promptTokens: prompt,
    completionTokens: completion,
    tokensPerS: Math.round((prompt + completion) / s),
    completionTokensPerS: Math.round(completion / s),
    cut: replies.filter((r) => r.finishReason === "length").length,
    texts: createHash("sha256").update(replies.map((r) => r.text).join("\u0000")).digest("hex").slice(0, 12),
  };
}

function campaignFigures() {
  const out = join(dir, "run");
  const started = performance.now();
  const r = spawnSync(CLI[0], [...CLI.slice(1), "run", file, "--out", out, "--json"], { cwd: ROOT, encoding: "utf8" });
  const wall = (performance.now() - started) / 1000;
  if (r.status !== 0) throw new Error(`run exited ${r.status}: ${r.stderr}`);
  const summary = JSON.parse(r.stdout) as { status: string; spend: { calls: number; cachedCalls: number; inputTokens: number; outputTokens: number; truncated?: number; empty?: number } };
  const db = new Database(join(out, "run.db"), { readonly: true });
  const rows = db.prepare("SELECT role, sample_key AS sampleKey, text, latency_ms AS latencyMs, input_tokens AS inp, output_tokens AS outp FROM responses").all() as { role: string; sampleKey: string; text: string; latencyMs: number; inp: number; outp: number }[];
  const failures = (db.prepare("SELECT COUNT(*) AS n FROM events WHERE type = 'failure'").get() as { n: number }).n;
  db.close();
  const evolver = rows.filter((x) => x.role === "evolver");
  // A critic step's reply must hold a <critique>, every other evolver step's a <harness>.
  const unparsable = evolver.filter((x) => !(/op=refine-critic/.test(x.sampleKey) ? parseCritiqueReply(x.text).ok : parseHarnessReply(x.text).ok)).length;
  const tokens = rows.reduce((n, x) => n + x.inp + x.outp, 0);
  return {
    status: summary.status,
    wallSeconds: round(wall),
    paidCalls: summary.spend.calls - summary.spend.cachedCalls,
    callsPerWallS: round(rows.length / wall),
    tokens,
    // Wall time includes the CLI's start and the model's load (a second or two).
    tokensPerWallS: Math.round(tokens / wall),
    evolverReplies: evolver.length,
    evolverUnparsable: unparsable,
    parseFailureRate: round(unparsable / Math.max(1, evolver.length)),
    failedProposals: failures,
    truncated: summary.spend.truncated,
    empty: summary.spend.empty,
  };
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

const one = await endpointFigures(1);
const four = await endpointFigures(4);
console.log("endpoint, 1 sequence:  ", JSON.stringify(one));
console.log("endpoint, 4 sequences: ", JSON.stringify(four));
console.log(`same texts at 1 and 4 sequences: ${one.texts === four.texts}`);
console.log("campaign:", JSON.stringify(campaignFigures()));
