/**
 * Using harness-evolve as a library: run the quickstart campaign (simulated models,
 * offline), watch its progress, then print the best harness.
 *
 *   npx tsx examples/library/evolve.ts [run-folder]
 */
import { evolve, type RunEvent } from "harness-evolve";

function show(e: RunEvent): void {
  if (e.type === "seed") console.log(`seed harness: val ${e.val.toFixed(3)}`);
  if (e.type === "generation") {
    const best = Math.max(...e.islands.map((i) => i.bestScore));
    console.log(`generation ${e.generation + 1}/${e.generations}: ${e.children} new children, best train ${best.toFixed(3)}, $${e.spend.usd.toFixed(4)} charged`);
  }
  if (e.type === "status") console.log(`status: ${e.status}${e.reason ? ` (${e.reason})` : ""}`);
}

const { summary, dir } = await evolve("examples/quickstart/campaign.yaml", {
  out: process.argv[2] ?? `runs/library-${Date.now()}`,
  sets: ["strategy.generations=3"], // any campaign field, as on the command line
  onEvent: show,
});

console.log(`\nval: seed ${summary.seedHarness.valScore?.toFixed(3)} -> best ${summary.best.valScore?.toFixed(3)} (run folder ${dir})\n`);
console.log(summary.best.text);
