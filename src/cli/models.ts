import type { Command } from "commander";
import { markdownTable, type Cell } from "../bench/table.js";
import type { ModelCheck } from "../campaign/models-check.js";

const collect = (v: string, prev: string[]) => [...prev, v];

/** `harness-evolve models check <campaign> [--json]`: each role's request to each of its models, as the run sends it; exit 1 if any failed. */
export function registerModelsCommand(program: Command): void {
  const models = program.command("models").description("the models a campaign names");
  models
    .command("check")
    .description("send each role's request to each of its models as the run will send it (same prompt shape, params, cap, temperature); report latency, tokens, finish_reason, whether the reply parsed, price (exit 1 if any failed)")
    .argument("<campaign>", "campaign file (YAML or JSON)")
    .option("--set <path=value>", "override a campaign field (repeatable)", collect, [])
    .option("--json", "print the results as JSON on stdout")
    .action(async (campaign: string, o: { set: string[]; json?: boolean }) => {
      const { loadCampaign } = await import("../config/load.js");
      const { checkModels } = await import("../campaign/models-check.js");
      const loaded = loadCampaign(campaign, { sets: o.set });
      const results = await checkModels(loaded);
      process.stdout.write(o.json ? JSON.stringify(results, null, 2) + "\n" : formatModelChecks(results) + "\n");
      if (results.some((r) => !r.ok)) process.exitCode = 1;
    });
}

/**
 * What `models check` prints: the models (endpoint, price and its source), then one row per
 * request (role, model, what was sent and what came back), then one line per failure, warning
 * and unused model, and a verdict. Two narrow tables rather than one that wraps.
 */
export function formatModelChecks(results: readonly ModelCheck[]): string {
  const byKey = new Map<string, ModelCheck>();
  for (const r of results) if (!byKey.has(r.key)) byKey.set(r.key, r);
  const models = markdownTable(
    ["key", "model", "endpoint", "price per M (in / out)", "price from"],
    [...byKey.values()].map((r): Cell[] => [r.key, r.model, r.baseURL, r.price ? `$${r.price.inputPerM} / $${r.price.outputPerM}` : "", r.priceSource]),
    ["l", "l", "l", "r", "l"],
  );
  const sent = results.filter((r) => r.status !== "unused");
  const requests = markdownTable(
    ["role", "key", "request", "status", "latency", "tokens in / out", "finish", "cap", "parsed"],
    sent.map((r): Cell[] => [
      r.role,
      r.key,
      r.request,
      r.ok ? "ok" : "FAILED",
      r.latencyMs === undefined ? "" : `${r.latencyMs} ms`,
      usageText(r),
      r.finishReason ?? (r.kind ? "none" : ""),
      r.cap === undefined ? "" : r.widerCap === undefined ? String(r.cap) : `${r.cap}→${r.widerCap}`,
      parsedText(r),
    ]),
    ["l", "l", "l", "l", "r", "r", "l", "r", "l"],
  );
  const failures = sent.filter((r) => !r.ok).map((r) => `${r.role} ${r.key}: ${r.error ?? "failed"}${r.advice ? ` — ${r.advice}` : ""}`);
  const warnings = [...byKey.values()].filter((r) => r.warning).map((r) => `${r.key}: warning: ${r.warning}`);
  const unused = results.filter((r) => r.status === "unused").map((r) => `${r.key}: unused (bound to no role, named by no island preset): nothing sent`);
  const notes = [...failures, ...warnings, ...unused];
  const failed = sent.filter((r) => !r.ok).length;
  const verdict = failed === 0 ? `all ${sent.length} requests answered as the run needs (${byKey.size - unused.length} models)` : `${failed} of ${sent.length} requests failed`;
  return [models, "", requests, "", ...notes, ...(notes.length ? [""] : []), verdict].join("\n");
}

function parsedText(r: ModelCheck): string {
  if (r.parsed === undefined) return "";
  const tries = (r.tries ?? 1) > 1 ? ` (${r.tries} tries)` : "";
  return `${r.parsed ? "yes" : "no"}${tries}`;
}

function usageText(r: ModelCheck): string {
  if (r.usage === undefined) return "";
  if (r.usage === "none reported") return "none reported";
  return `${r.usage.inputTokens} / ${r.usage.outputTokens}`;
}
