/**
 * Runs the whole benchmark set and writes benchmarks/RESULTS.md from what it measured.
 *   npm run bench:all            (5 seeds, from scratch: about 14 minutes on 2 idle cores, ~1,570 s of CPU)
 *   npm run bench:all -- --seeds 2
 * Results land in benchmarks/results/<experiment>/; RESULTS.md embeds their tables and
 * charts, the date, the machine and the commands that reproduce them, and the
 * hand-written reading in benchmarks/NOTES.md.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { availableParallelism, cpus } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { allocationMarkdown, benchAllocation } from "../src/bench/allocation.js";
import { benchMarkdown } from "../src/bench/strategies.js";
import { benchMap, mapMarkdown } from "../src/bench/map.js";
import { STRATEGIES } from "../src/config/schema.js";
import { benchTiers, tiersMarkdown } from "../src/bench/tiers.js";
import { verifierStudy, verifierStudyMarkdown, writeVerifierStudy } from "../src/bench/verifier-study.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const here = (p: string) => join(root, "benchmarks", p);
const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : dflt;
};
const seeds = Number(arg("seeds", "5"));
const jobs = Number(arg("jobs", String(availableParallelism())));
const log = (o: { spec: { label: string; seed: number } }, done: number, total: number) => process.stderr.write(`  [${done}/${total}] ${o.spec.label} seed ${o.spec.seed}\n`);
/** Markdown of a sub-report, with its image and page links made relative to benchmarks/. */
const rebase = (md: string, dir: string) => md.replace(/\]\(([^)/][^):]*\.(?:svg|md))\)/g, (_m, f: string) => `](${relative(here(""), join(dir, f))})`).replace(/^# /gm, "## ");

const started = Date.now();
process.stderr.write("strategies\n");
const strategiesOut = here("results/strategies");
// Every strategy the engine has, on every world preset, plus the island options' ablation rows.
const compared = ["islands", "gepa", "sequential-revision", "best-of-n", "one-pass"].filter((n) => (STRATEGIES as readonly string[]).includes(n));
// The campaign's ablation rows, every one of them (bench.variants: label -> strategy settings).
const variants = Object.keys((parseYaml(readFileSync(here("strategies/campaign.yaml"), "utf8")) as { bench?: { variants?: Record<string, unknown> } }).bench?.variants ?? {});
const presets = ["separable", "rugged", "deceptive"];
const map = await benchMap(here("strategies/campaign.yaml"), { presets, strategies: [...compared, ...variants], seeds, out: strategiesOut, jobs, onDone: log });
process.stderr.write("tiers\n");
const tiersOut = here("results/tiers");
const tiers = await benchTiers(here("tiers/campaign.yaml"), { evolvers: ["sim:small", "sim:mid", "sim:large"], users: ["sim:weak", "sim:mid", "sim:strong"], seeds, out: tiersOut, jobs, onDone: log });
process.stderr.write("allocation\n");
const allocationOut = here("results/allocation");
const allocation = await benchAllocation(here("allocation/campaign.yaml"), { total: 3000, seeds, out: allocationOut, jobs, onDone: log });
process.stderr.write("verifier\n");
const verifierOut = here("results/verifier");
const study = await verifierStudy(here("strategies/campaign.yaml"), { out: verifierOut });
await writeVerifierStudy(verifierOut, study);

const verdict = presets
  .map((p) => {
    const rows = map.rows.filter((r) => r.preset === p);
    const islands = rows.find((r) => r.strategy === "islands")!;
    const score = (r: (typeof rows)[number]) => (r.expected ?? r.val).mean;
    const others = rows.filter((r) => ["best-of-n", "sequential-revision", "gepa"].includes(r.strategy));
    return `${p}: islands ${score(islands).toFixed(3)} vs ${others.map((r) => `${r.strategy} ${score(r).toFixed(3)}`).join(", ")}`;
  })
  .join("; ");
const notes = existsSync(here("NOTES.md")) ? readFileSync(here("NOTES.md"), "utf8").trim() + "\n\n" : "";
const cpu = cpus()[0]?.model ?? "unknown CPU";
const results = [
  "# Benchmark results",
  "",
  "> **Every number here comes from the simulated models** (`sim:*`): a synthetic landscape calibrated to published figures",
  "> (arXiv 2605.30621, arXiv 2501.09891). They compare the engine's strategies and settings with each other; they are not evidence about real models.",
  "",
  `Produced by \`npm run bench:all -- --seeds ${seeds}\` on ${new Date().toISOString().slice(0, 10)}, ${cpus().length} cores (${cpu}), Node ${process.version}; this invocation took ${((Date.now() - started) / 60000).toFixed(1)} minutes (finished run folders under \`benchmarks/results/*/runs\` are reused, so delete them to measure afresh; from scratch the set needs about 1,570 s of CPU, 2026-12-02: about 14 minutes on 2 idle cores, 17 to 26 on a machine busy with other work).`,
  "Each experiment alone:",
  "",
  "```sh",
  `npx harness-evolve bench benchmarks/strategies/campaign.yaml --presets ${presets.join(",")} --strategies ${[...compared, ...variants].join(",")} --seeds ${seeds} --out benchmarks/results/strategies`,
  `npx harness-evolve bench tiers benchmarks/tiers/campaign.yaml --seeds ${seeds} --out benchmarks/results/tiers`,
  `npx harness-evolve bench allocation benchmarks/allocation/campaign.yaml --total 3000 --seeds ${seeds} --out benchmarks/results/allocation`,
  "npx harness-evolve bench verifier benchmarks/strategies/campaign.yaml --out benchmarks/results/verifier",
  "```",
  "",
  `Headline (computed, mean expected val success of the winner): ${verdict}.`,
  "",
  notes,
  rebase(mapMarkdown(map), strategiesOut),
  ...presets.map((p) => rebase(benchMarkdown(map.benches[p]!).replace(/^# (.*)$/m, `# $1 — preset ${p}`), join(strategiesOut, p))),
  rebase(tiersMarkdown(tiers), tiersOut),
  rebase(allocationMarkdown(allocation), allocationOut),
  rebase(`${verifierStudyMarkdown(study)}\n![verifier agreement](verifier.svg)\n`, verifierOut),
  // The engine benchmark runs on its own (npm run bench:engine): its last table is embedded as it was measured.
  ...(existsSync(here("results/engine/engine.md")) ? [readFileSync(here("results/engine/engine.md"), "utf8").replace("](profile.md)", "](results/engine/profile.md)")] : []),
].join("\n");
writeFileSync(here("RESULTS.md"), results);
process.stderr.write(`wrote ${here("RESULTS.md")}\n`);
