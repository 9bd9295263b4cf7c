/**
 * One measured campaign for the engine benchmark, in a fresh process (so nothing is warm):
 *   node benchmarks/engine/one-run.mjs <campaign> <out-dir> <concurrency> <latencyMs>
 * Plain JavaScript over the built dist/ (bench:engine builds it first), so the measured process
 * pays no TypeScript loader: what a user's `harness-evolve run` pays.
 * Sets the global and every model's concurrency, the sim latency, runs the campaign in
 * process and prints one JSON line: paid calls, wall ms, process CPU ms (all threads).
 */
import { rmSync } from "node:fs";
import { evolve } from "../../dist/campaign/run.js";
import { loadCampaign } from "../../dist/config/load.js";

const [file, out, concurrency, latency] = process.argv.slice(2);
if (!file || !out || !concurrency || latency === undefined) throw new Error("usage: one-run.mjs <campaign> <out> <concurrency> <latencyMs>");
const keys = Object.keys(loadCampaign(file).config.models);
// HARNESS_EVOLVE_BENCH_SETS: extra `path=value` overrides, comma-separated (the --quick mode's fewer generations).
const extra = (process.env.HARNESS_EVOLVE_BENCH_SETS ?? "").split(",").filter(Boolean);
const sets = [`concurrency=${concurrency}`, `sim.latencyMs=${latency}`, ...keys.map((k) => `models.${k}.concurrency=${concurrency}`), ...extra];
rmSync(out, { recursive: true, force: true });
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const { summary } = await evolve(file, { out, sets });
const wallMs = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
const paid = summary.spend.calls - summary.spend.cachedCalls;
process.stdout.write(
  JSON.stringify({ concurrency: Number(concurrency), latencyMs: Number(latency), paidCalls: paid, wallMs, cpuMs: (cpu.user + cpu.system) / 1000, bestHash: summary.best.hash, candidates: summary.candidates }) + "\n",
);
