/**
 * One measured campaign for the engine benchmark, in a fresh process (so nothing is warm):
 *   node benchmarks/engine/one-run.mjs <campaign> <out-dir> <concurrency> <latencyMs>
 * Plain JavaScript over the built dist/ (bench:engine builds it first), so the measured process
 * pays no TypeScript loader: what a user's `harness-evolve run` pays.
 * Sets the global and every model's concurrency, the sim latency, runs the campaign in
 * process and prints one JSON line: paid calls, wall ms, process CPU ms (all threads).
 * With HARNESS_EVOLVE_BENCH_SIM=process the sim server runs in a child process of its own (same
 * world, same latency; every model's baseURL points at it), so the CPU measured is the engine's alone.
 */
import { fork } from "node:child_process";
import { rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { evolve } from "../../dist/campaign/run.js";
import { loadCampaign } from "../../dist/config/load.js";

if (process.env.HARNESS_EVOLVE_BENCH_SIM_CHILD) {
  // The child: the sim server alone, until its parent goes.
  const { startSimServer } = await import("../../dist/sim/server.js");
  const server = await startSimServer({ world: Number(process.env.HARNESS_EVOLVE_BENCH_SIM_WORLD), latencyMs: Number(process.env.HARNESS_EVOLVE_BENCH_SIM_LATENCY) });
  process.on("disconnect", () => void server.close().then(() => process.exit(0)));
  process.send({ baseURL: server.baseURL });
} else {
  await main();
}

async function main() {
const [file, out, concurrency, latency] = process.argv.slice(2);
if (!file || !out || !concurrency || latency === undefined) throw new Error("usage: one-run.mjs <campaign> <out> <concurrency> <latencyMs>");
const { config } = loadCampaign(file);
const keys = Object.keys(config.models);
// HARNESS_EVOLVE_BENCH_SETS: extra `path=value` overrides, comma-separated (the --quick mode's fewer generations).
const extra = (process.env.HARNESS_EVOLVE_BENCH_SETS ?? "").split(",").filter(Boolean);
const sets = [`concurrency=${concurrency}`, `sim.latencyMs=${latency}`, ...keys.map((k) => `models.${k}.concurrency=${concurrency}`), ...extra];
const simChild = process.env.HARNESS_EVOLVE_BENCH_SIM === "process" ? await simInAnotherProcess(config.sim.world, Number(latency)) : undefined;
if (simChild) sets.push(...keys.map((k) => `models.${k}.baseURL=${simChild.baseURL}`));
rmSync(out, { recursive: true, force: true });
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const { summary } = await evolve(file, { out, sets });
const wallMs = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
const paid = summary.spend.calls - summary.spend.cachedCalls;
process.stdout.write(
  JSON.stringify({ concurrency: Number(concurrency), latencyMs: Number(latency), sim: simChild ? "process" : "thread", paidCalls: paid, wallMs, cpuMs: (cpu.user + cpu.system) / 1000, bestHash: summary.best.hash, candidates: summary.candidates }) + "\n",
);
simChild?.child.disconnect();
}

async function simInAnotherProcess(world, latencyMs) {
  const env = { ...process.env, HARNESS_EVOLVE_BENCH_SIM_CHILD: "1", HARNESS_EVOLVE_BENCH_SIM_WORLD: String(world), HARNESS_EVOLVE_BENCH_SIM_LATENCY: String(latencyMs) };
  const child = fork(fileURLToPath(import.meta.url), [], { env, stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const baseURL = await new Promise((ok, fail) => {
    child.once("message", (m) => ok(m.baseURL));
    child.once("exit", (code) => fail(new Error(`the sim server process exited (${code}) before it listened`)));
  });
  return { child, baseURL };
}
