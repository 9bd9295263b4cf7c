import { dirname, resolve } from "node:path";
import { CampaignSchema, ROLES, StrategySchema, type CampaignConfig, type RoleBinding } from "./schema.js";
import { UserError } from "./errors.js";
import { formatIssue, showValue } from "./format.js";
import { applyOverrides } from "./overrides.js";
import { loadPreset } from "./presets.js";
import { fileKind, readStructured, readText, showPath } from "./read.js";

export { readStructured } from "./read.js";

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

/** Parses and validates a campaign object; `label` prefixes every message (the file name). */
export function parseCampaign(raw: unknown, label: string): CampaignConfig {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) throw new UserError(`${label}: expected a map of campaign fields`);
  const parsed = CampaignSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new UserError(`${label}: ${formatIssue(issue, raw)}${strategySwitchHint(issue, raw)}`);
  }
  const config = parsed.data;
  checkRoles(config, label);
  return config;
}

/**
 * Unknown strategy keys that are all settings of another strategy: most likely the name was
 * switched (`--set strategy.name=gepa`) and the old strategy's settings stayed. Says so.
 */
function strategySwitchHint(issue: { code: string; path: readonly PropertyKey[]; keys?: readonly string[] }, raw: object): string {
  if (issue.code !== "unrecognized_keys" || issue.path.length !== 1 || issue.path[0] !== "strategy" || !issue.keys?.length) return "";
  const name = (raw as { strategy?: { name?: unknown } }).strategy?.name;
  if (typeof name !== "string") return "";
  const owner = StrategySchema.options.find((o) => o.shape.name.value !== name && issue.keys!.every((k) => k in o.shape));
  if (!owner) return "";
  return ` (settings of strategy ${owner.shape.name.value}, not ${name}: to switch strategies give the whole map, e.g. --set 'strategy={name: ${name}}')`;
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
        throw new UserError(`${label}: roles.${role}: unknown model ${showValue(key)} (models defines: ${known.join(", ")})`);
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
  expectFile(harnessPath, `${label}: harness`, config.harness, "the seed harness (a markdown file)");
  const seedHarness = readText(harnessPath, `${label}: harness: ${showPath(config.harness)}`);
  if (seedHarness.trim() === "") throw new UserError(`${label}: harness: ${showPath(config.harness)} is empty`);
  if (tasksPath !== undefined) expectFile(tasksPath, `${label}: tasks`, config.tasks!, "a task suite file");
  if (!tasksPath && config.fitness.type === "tasks") throw new UserError(`${label}: tasks: required by fitness type "tasks" (a task suite file)`);
  checkFitness(config, dir, label);
  checkPresets(config, dir, label);
  return { config, file: abs, harnessPath, tasksPath, seedHarness };
}

/** A UserError `<field>: file not found: "<given>"` (or `is a directory`) unless `path` is a file. */
function expectFile(path: string, field: string, given: string, expected: string): void {
  const kind = fileKind(path);
  if (kind === "file") return;
  if (kind === "missing") throw new UserError(`${field}: file not found: ${showPath(given)}`);
  throw new UserError(`${field}: ${showPath(given)} ${kind === "directory" ? "is a directory" : "is not a regular file"}, expected ${expected}`);
}

function checkFitness(config: CampaignConfig, dir: string, label: string): void {
  const f = config.fitness;
  if (f.type === "module") expectFile(resolve(dir, f.path), `${label}: fitness.path`, f.path, "a TypeScript or JavaScript module");
  if (f.type === "command" && f.cwd !== undefined) {
    const kind = fileKind(resolve(dir, f.cwd));
    if (kind === "missing") throw new UserError(`${label}: fitness.cwd: folder not found: ${showPath(f.cwd)}`);
    if (kind !== "directory") throw new UserError(`${label}: fitness.cwd: ${showPath(f.cwd)} is not a folder`);
  }
}

/** Every island preset the strategy names exists, is valid, and names only models the campaign defines. */
function checkPresets(config: CampaignConfig, dir: string, label: string): void {
  const s = config.strategy;
  if (s.name !== "islands") return;
  s.presets.forEach((name, i) => {
    const where = `${label}: strategy.presets[${i}]`;
    const preset = loadPreset(name, dir, where);
    if (preset.evolver !== undefined && !(preset.evolver in config.models)) {
      throw new UserError(`${where}: preset ${showValue(name)} names evolver model ${showValue(preset.evolver)}, which models does not define (models defines: ${Object.keys(config.models).join(", ")})`);
    }
  });
}
