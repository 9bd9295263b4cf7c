import type { Command } from "commander";
import { markdownTable, type Cell } from "../bench/table.js";
import { loadCampaign } from "../config/load.js";
import { checkModels, type ModelCheck } from "../llm/check.js";

const collect = (v: string, prev: string[]) => [...prev, v];

/** `harness-evolve models check <campaign> [--json]`: one tiny request per model, a table, exit 1 if any failed. */
export function registerModelsCommand(program: Command): void {
  const models = program.command("models").description("the models a campaign names");
  models
    .command("check")
    .description("send one tiny request to every model of a campaign; report latency, usage, price and errors (exit 1 if any failed)")
    .argument("<campaign>", "campaign file (YAML or JSON)")
    .option("--set <path=value>", "override a campaign field (repeatable)", collect, [])
    .option("--json", "print the results as JSON on stdout")
    .action(async (campaign: string, o: { set: string[]; json?: boolean }) => {
      const loaded = loadCampaign(campaign, { sets: o.set });
      const results = await checkModels(loaded);
      process.stdout.write(o.json ? JSON.stringify(results, null, 2) + "\n" : formatModelChecks(results) + "\n");
      if (results.some((r) => !r.ok)) process.exitCode = 1;
    });
}

/** The table `models check` prints, then one line per failure or warning. */
export function formatModelChecks(results: readonly ModelCheck[]): string {
  const rows: Cell[][] = results.map((r) => [
    r.key,
    r.model,
    r.baseURL,
    r.ok ? "ok" : "FAILED",
    r.latencyMs === undefined ? "" : `${r.latencyMs} ms`,
    usageText(r),
    r.price ? `$${r.price.inputPerM} / $${r.price.outputPerM}` : "",
    r.priceSource,
  ]);
  const table = markdownTable(["key", "model", "endpoint", "status", "latency", "usage (in/out tokens)", "price per M (in / out)", "price from"], rows, ["l", "l", "l", "l", "r", "r", "r", "l"]);
  const notes = results.flatMap((r) => [...(r.error ? [`${r.key}: ${r.error}`] : []), ...(r.warning ? [`${r.key}: warning: ${r.warning}`] : [])]);
  const failed = results.filter((r) => !r.ok).length;
  const verdict = failed === 0 ? `all ${results.length} models answered` : `${failed} of ${results.length} models failed`;
  return [table, "", ...notes, ...(notes.length ? [""] : []), verdict].join("\n");
}

function usageText(r: ModelCheck): string {
  if (r.usage === undefined) return "";
  if (r.usage === "none reported") return "none reported";
  return `${r.usage.inputTokens} / ${r.usage.outputTokens}`;
}
