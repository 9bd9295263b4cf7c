import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import { CampaignSchema, ROLES, type CampaignConfig, type RoleBinding } from "./schema.js";
import { UserError } from "./errors.js";
import { formatIssue } from "./format.js";
import { applyOverrides } from "./overrides.js";

export interface LoadedCampaign {
  config: CampaignConfig;
  /** The campaign file, absolute. */
  file: string;
  /** Absolute paths of the files the campaign names (tasks: when it names one). */
  harnessPath: string;
  tasksPath?: string;
  seedHarness: string;
}

export interface LoadOptions {
  sets?: readonly string[];
  seed?: number;
}

export function readStructured(file: string, label = file): unknown {
  if (!existsSync(file)) throw new UserError(`${label}: file not found`);
  if (statSync(file).isDirectory()) throw new UserError(`${label}: is a directory, expected a file`);
  const text = readFileSync(file, "utf8");
  try {
    return file.endsWith(".json") ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    const where = (e as { linePos?: { line: number }[] }).linePos?.[0]?.line;
    const first = String((e as Error).message).split("\n")[0];
    throw new UserError(`${label}: not valid ${file.endsWith(".json") ? "JSON" : "YAML"}${where ? ` (line ${where})` : ""}: ${first}`);
  }
}

/** Parses and validates a campaign object; `label` prefixes every message (the file name). */
export function parseCampaign(raw: unknown, label: string): CampaignConfig {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) throw new UserError(`${label}: expected a map of campaign fields`);
  const parsed = CampaignSchema.safeParse(raw);
  if (!parsed.success) throw new UserError(`${label}: ${formatIssue(parsed.error.issues[0]!, raw)}`);
  const config = parsed.data;
  checkRoles(config, label);
  return config;
}

function bindingModels(binding: RoleBinding | undefined): string[] {
  if (binding === undefined) return [];
  return typeof binding === "string" ? [binding] : binding.map((b) => b.model);
}

function checkRoles(config: CampaignConfig, label: string): void {
  const known = Object.keys(config.models);
  for (const role of ROLES) {
    for (const key of bindingModels(config.roles[role])) {
      if (!(key in config.models)) {
        throw new UserError(`${label}: roles.${role}: unknown model "${key}" (models defines: ${known.join(", ")})`);
      }
    }
  }
  if (config.budget.policy === "adaptive" && config.budget.split) {
    throw new UserError(`${label}: budget.split: the adaptive policy moves budget between roles as the search goes, so it takes no fixed split (remove budget.split or use policy: fixed)`);
  }
  if (config.budget.split && config.budget.usd === undefined && config.budget.tokens === undefined && config.budget.calls === undefined) {
    throw new UserError(`${label}: budget.split: needs a cap to split (budget.usd, budget.tokens or budget.calls)`);
  }
}

export function loadCampaign(file: string, opts: LoadOptions = {}): LoadedCampaign {
  const abs = resolve(file);
  return fromRaw(readStructured(abs, file), abs, file, opts);
}

/**
 * A campaign given as an object (the library API); relative paths resolve against
 * `baseDir`. Errors are labelled "campaign".
 */
export function loadCampaignObject(campaign: unknown, baseDir: string, opts: LoadOptions = {}): LoadedCampaign {
  return fromRaw(structuredClone(campaign), resolve(baseDir, "campaign.yaml"), "campaign", opts);
}

function fromRaw(input: unknown, abs: string, label: string, opts: LoadOptions): LoadedCampaign {
  let raw = input;
  if (raw !== null && typeof raw === "object" && !Array.isArray(raw)) {
    raw = applyOverrides(raw as Record<string, unknown>, opts.sets ?? []);
    if (opts.seed !== undefined) (raw as Record<string, unknown>).seed = opts.seed;
  }
  const config = parseCampaign(raw, label);
  const dir = dirname(abs);
  const harnessPath = resolve(dir, config.harness);
  const tasksPath = config.tasks === undefined ? undefined : resolve(dir, config.tasks);
  if (!existsSync(harnessPath)) throw new UserError(`${label}: harness: file not found: ${config.harness}`);
  if (tasksPath && !existsSync(tasksPath)) throw new UserError(`${label}: tasks: file not found: ${config.tasks}`);
  if (!tasksPath && config.fitness.type === "tasks") throw new UserError(`${label}: tasks: required by fitness type "tasks" (a task suite file)`);
  const seedHarness = readFileSync(harnessPath, "utf8");
  if (seedHarness.trim() === "") throw new UserError(`${label}: harness: ${config.harness} is empty`);
  return { config, file: abs, harnessPath, tasksPath, seedHarness };
}
