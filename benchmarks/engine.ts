/**
 * Engine overhead (issue 10): does the engine keep up with the endpoint?
 *   npm run bench:engine                 (the quickstart campaign; a few minutes on 2 cores)
 *   npm run bench:engine -- --quick      (2 generations instead of 6)
 * For simulated latency 200 ms at concurrency 16 / 64 / 256 (global and per model) it
 * measures paid calls per second against the ideal concurrency / latency; at latency 0 the
 * process CPU (all threads) per paid call, with the sim server in its thread as users run it
 * and in another process (the engine's CPU alone); a CPU profile of that run (node --cpu-prof,
 * every thread), summarised as the top self-time functions; and the CLI's start-up costs
 * (engine/startup.ts). Each run is a fresh process of the built dist/ (the script runs
 * `npm run build` first).
 * Writes benchmarks/results/engine/{engine.md, engine.json, profile.md}. Ratios, measured in
 * one invocation; the machine's load is printed with them, since they depend on it.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { measureStartup, startupMarkdown } from "./engine/startup.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const outDir = join(root, "benchmarks/results/engine");
const quick = process.argv.includes("--quick");
const campaign = join(root, "examples/quickstart/campaign.yaml");
const scratch = mkdtempSync(join(tmpdir(), "he-bench-engine-"));

interface Measured {
  concurrency: number;
  latencyMs: number;
  sim: "thread" | "process";
  paidCalls: number;
  wallMs: number;
  cpuMs: number;
  bestHash: string;
  candidates: number;
}

function run(concurrency: number, latencyMs: number, opts: { nodeArgs?: string[]; sim?: "thread" | "process" } = {}): Measured {
  const args = [...(opts.nodeArgs ?? []), join(root, "benchmarks/engine/one-run.mjs"), campaign, join(scratch, `run-${concurrency}-${latencyMs}`), String(concurrency), String(latencyMs)];
  const env = { ...process.env, ...(quick ? { HARNESS_EVOLVE_BENCH_SETS: "strategy.generations=2" } : {}), HARNESS_EVOLVE_BENCH_SIM: opts.sim ?? "thread" };
  const r = spawnSync(process.execPath, args, { cwd: root, encoding: "utf8", env, maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`run at concurrency ${concurrency}, latency ${latencyMs} ms failed: ${r.stderr.trim().split("\n").slice(-3).join(" | ")}`);
  const line = r.stdout.trim().split("\n").pop()!;
  return JSON.parse(line) as Measured;
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface ProfileRow {
  name: string;
  where: string;
  share: number;
}

/**
 * Self time over every thread's profile, as shares of the busy samples (idle excluded: four
 * island workers wait most of the time), per function and per module (a package, a file of
 * src/, node's internals, native). Line numbers of TypeScript files are the transpiled ones,
 * so only their file is named.
 */
function profileSummary(dir: string, top: number): { functions: ProfileRow[]; modules: ProfileRow[]; threads: number; busy: number; idle: number } {
  const byFunction = new Map<string, { name: string; where: string; hits: number }>();
  const byModule = new Map<string, number>();
  let busy = 0;
  let idle = 0;
  const files = readdirSync(dir).filter((f) => f.endsWith(".cpuprofile"));
  for (const f of files) {
    const prof = JSON.parse(readFileSync(join(dir, f), "utf8")) as { nodes: ProfileNode[] };
    for (const n of prof.nodes) {
      const hits = n.hitCount ?? 0;
      if (hits === 0) continue;
      const name = n.callFrame.functionName || "(anonymous)";
      if (name === "(idle)") {
        idle += hits;
        continue;
      }
      busy += hits;
      const url = n.callFrame.url.replace(/^file:\/\//, "");
      const mod = moduleOf(url, name);
      byModule.set(mod, (byModule.get(mod) ?? 0) + hits);
      const where = url.endsWith(".ts") ? mod : url ? `${mod}:${n.callFrame.lineNumber + 1}` : mod;
      const key = `${name}\u0000${where}`;
      const e = byFunction.get(key) ?? { name, where, hits: 0 };
      e.hits += hits;
      byFunction.set(key, e);
    }
  }
  const share = (h: number) => h / Math.max(1, busy);
  return {
    functions: [...byFunction.values()].sort((a, b) => b.hits - a.hits).slice(0, top).map((e) => ({ name: e.name, where: e.where, share: share(e.hits) })),
    modules: [...byModule.entries()].sort((a, b) => b[1] - a[1]).slice(0, top).map(([m, h]) => ({ name: m, where: "", share: share(h) })),
    threads: files.length,
    busy,
    idle,
  };
}

function moduleOf(url: string, name: string): string {
  if (!url) return name.startsWith("(") ? name : "(native)";
  if (url.startsWith("node:")) return url.split("/").slice(0, 3).join("/");
  const nm = url.lastIndexOf("/node_modules/");
  if (nm >= 0) {
    const rest = url.slice(nm + 14).split("/");
    return rest[0]!.startsWith("@") ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  return relative(root, url);
}

// The runs measure the built CLI (dist/), as users run it; build it from the current source first.
const build = spawnSync("npm", ["run", "build"], { cwd: root, encoding: "utf8" });
if (build.status !== 0) throw new Error(`npm run build failed: ${(build.stdout + build.stderr).trim().split("\n").slice(-5).join(" | ")}`);
const load0 = loadavg()[0]!;
const started = Date.now();
const rates: (Measured & { ideal: number; ratio: number })[] = [];
for (const c of [16, 64, 256]) {
  process.stderr.write(`latency 200 ms, concurrency ${c}\n`);
  const m = run(c, 200);
  const ideal = c / 0.2;
  const achieved = m.paidCalls / (m.wallMs / 1000);
  rates.push({ ...m, ideal, ratio: achieved / ideal });
}
process.stderr.write("latency 0 ms, concurrency 64 (CPU per paid call)\n");
const cpuRun = run(64, 0);
process.stderr.write("latency 0 ms, concurrency 64, the sim server in another process (the engine's CPU alone)\n");
const engineRun = run(64, 0, { sim: "process" });
process.stderr.write("latency 0 ms, concurrency 64, profiled\n");
const profDir = join(scratch, "profile");
mkdirSync(profDir, { recursive: true });
run(64, 0, { nodeArgs: ["--cpu-prof", `--cpu-prof-dir=${profDir}`] });
const profile = profileSummary(profDir, 25);
if (process.env.HARNESS_EVOLVE_KEEP_PROFILE) process.stderr.write(`profiles kept in ${profDir}\n`);
process.stderr.write("start-up: --help, --version, run and report of the quickstart (3 processes each)\n");
const startup = await measureStartup({ repeats: 3 });
const load1 = loadavg()[0]!;

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const machine = `${cpus().length} cores (${cpus()[0]?.model ?? "unknown CPU"}), Node ${process.version}, load average ${load0.toFixed(1)} at the start and ${load1.toFixed(1)} at the end`;
const md = [
  "## Engine overhead",
  "",
  `Produced by \`npm run bench:engine${quick ? " -- --quick" : ""}\` on ${new Date().toISOString().slice(0, 10)}, ${machine}; ${((Date.now() - started) / 60000).toFixed(1)} minutes. The quickstart campaign (simulated models${quick ? ", 2 generations" : ""}), each run a fresh process, global and per-model concurrency set alike. Ideal = concurrency / latency; achieved = paid calls / wall time of the campaign (its seed scoring, search, finalists and report). A campaign cannot always fill every slot (a generation's conversations take turns), so the ratio bounds the engine's overhead from above.`,
  "",
  "| latency | concurrency | ideal calls/s | achieved calls/s | achieved / ideal | paid calls | wall s | CPU ms / paid call |",
  "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  ...rates.map((r) => `| 200 ms | ${r.concurrency} | ${r.ideal.toFixed(0)} | ${(r.paidCalls / (r.wallMs / 1000)).toFixed(0)} | ${pct(r.ratio)} | ${r.paidCalls} | ${(r.wallMs / 1000).toFixed(1)} | ${(r.cpuMs / r.paidCalls).toFixed(2)} |`),
  `| 0 ms | 64 | – | ${(cpuRun.paidCalls / (cpuRun.wallMs / 1000)).toFixed(0)} | – | ${cpuRun.paidCalls} | ${(cpuRun.wallMs / 1000).toFixed(1)} | **${(cpuRun.cpuMs / cpuRun.paidCalls).toFixed(2)}** |`,
  `| 0 ms, sim server in another process | 64 | – | ${(engineRun.paidCalls / (engineRun.wallMs / 1000)).toFixed(0)} | – | ${engineRun.paidCalls} | ${(engineRun.wallMs / 1000).toFixed(1)} | **${(engineRun.cpuMs / engineRun.paidCalls).toFixed(2)}** (engine alone) |`,
  "",
  `Every run ended with the same best harness: ${[...new Set([...rates, cpuRun, engineRun].map((r) => r.bestHash))].join(", ")} (${[...new Set([...rates, cpuRun, engineRun].map((r) => r.candidates))].join(", ")} candidates). Goals (issue 10): ≥ 95 % of ideal at 64, ≥ 85 % at 256, ≤ 0.3 ms CPU per paid call at latency 0. Rows with the sim server in its thread (as \`harness-evolve run\` runs it) count its CPU too; the last row's process ran only the engine.`,
  "",
  "Start-up, the built CLI (median of 3 fresh processes each; goal: `--help` ≤ 300 ms CPU):",
  "",
  startupMarkdown(startup),
  "",
  `Where the CPU goes at latency 0: [profile.md](profile.md) (${profile.threads} thread profiles; busy ${pct(profile.busy / Math.max(1, profile.busy + profile.idle))} of all thread samples). Top modules by self time: ${profile.modules.slice(0, 6).map((m) => `${m.name} ${pct(m.share)}`).join(", ")}.`,
  "",
].join("\n");
const prof = [
  "# CPU profile: quickstart at latency 0, concurrency 64",
  "",
  `Self time over every thread's profile (\`node --cpu-prof\`), as a share of the busy samples (idle excluded; busy ${pct(profile.busy / Math.max(1, profile.busy + profile.idle))} of all ${profile.threads} threads' samples); ${machine}.`,
  "",
  "## By module",
  "",
  "| share | module |",
  "| ---: | --- |",
  ...profile.modules.map((r) => `| ${pct(r.share)} | ${r.name.replace(/\|/g, "\\|")} |`),
  "",
  "## By function",
  "",
  "| share | function | where |",
  "| ---: | --- | --- |",
  ...profile.functions.map((r) => `| ${pct(r.share)} | \`${r.name.replace(/\|/g, "\\|")}\` | ${r.where.replace(/\|/g, "\\|")} |`),
  "",
].join("\n");
mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, "engine.md"), md);
writeFileSync(join(outDir, "profile.md"), prof);
writeFileSync(join(outDir, "engine.json"), JSON.stringify({ date: new Date().toISOString(), machine, quick, rates, cpu: cpuRun, engineAlone: engineRun, startup: startup.rows, profile: { modules: profile.modules, functions: profile.functions } }, null, 2) + "\n");
if (!process.env.HARNESS_EVOLVE_KEEP_PROFILE) rmSync(scratch, { recursive: true, force: true });
process.stdout.write(md + "\n");
