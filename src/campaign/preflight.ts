/**
 * What can be known to fail before a run folder exists: unknown simulated models, missing
 * keys and prices, an oversized seed harness, rubric tasks without a verifier, and a budget
 * that cannot even score the seed harness.
 */
import { COST_DIMENSIONS } from "../budget/ledger.js";
import { budgetCaps } from "../budget/split.js";
import type { Cost } from "../budget/types.js";
import { UserError } from "../config/errors.js";
import type { LoadedCampaign } from "../config/load.js";
import { showPath } from "../config/read.js";
import { ROLES, type BudgetConfig, type Role } from "../config/schema.js";
import type { TaskSuite } from "../fitness/types.js";
import { resolvePrice } from "../llm/prices.js";
import { MAX_HARNESS_CHARS } from "../operators/parse.js";
import { isSimModel, SIM_MODELS } from "../sim/models.js";
import { callBound, minibatchOf, seedScoringBound, taskBound, type RoleCosts } from "./bounds.js";

/** Mistakes the gateway or the run would find, found before a run folder is created for nothing. */
export function preflight(loaded: LoadedCampaign, suite: TaskSuite | undefined, env: Record<string, string | undefined>): void {
  const { config } = loaded;
  for (const [key, m] of Object.entries(config.models)) {
    if (m.model.startsWith("sim:") && !isSimModel(m.model)) {
      throw new UserError(`${loaded.file}: models.${key}.model: unknown simulated model ${JSON.stringify(m.model)} (the simulated models are ${SIM_MODELS.join(", ")})`);
    }
    if (m.apiKeyEnv && !env[m.apiKeyEnv]) throw new UserError(`${loaded.file}: models.${key}.apiKeyEnv: environment variable ${m.apiKeyEnv} is not set`);
    if (config.budget.usd !== undefined && resolvePrice(m).price === undefined) {
      throw new UserError(`${loaded.file}: models.${key}.price: required because budget.usd is set (the built-in price table has no '${m.model}')`);
    }
  }
  // Evolved children are held to this size; the seed is their ancestor, so it is too.
  const size = loaded.seedHarness.length;
  if (size > MAX_HARNESS_CHARS) {
    throw new UserError(`${loaded.file}: harness: ${showPath(config.harness)} is ${size} chars, over the limit of ${MAX_HARNESS_CHARS} chars (the most an evolved harness may hold)`);
  }
  usedRoles(loaded, suite);
}

/**
 * Why `budget` cannot cover `stages` (a cap, total or a role's share, below their sum in
 * some dimension), or undefined when it can. Each stage carves its worst case from what
 * the earlier ones left, so the sum is what is sure to fit.
 */
export function seedBudgetShortfall(budget: BudgetConfig, stages: readonly [string, RoleCosts][]): string | undefined {
  const caps = budgetCaps(budget);
  const scopes: [Role | undefined, Partial<Cost> | undefined][] = [[undefined, caps.total], ...ROLES.map((r): [Role, Partial<Cost> | undefined] => [r, caps.byRole?.[r]])];
  for (const [role, cap] of scopes) {
    for (const d of COST_DIMENSIONS) {
      const limit = cap?.[d];
      if (limit === undefined) continue;
      const roles: readonly Role[] = role ? [role] : ROLES;
      const parts = stages.map(([name, c]): [string, number] => [name, roles.reduce((sum, r) => sum + (c[r]?.[d] ?? 0), 0)]);
      const need = parts.reduce((sum, [, v]) => sum + v, 0);
      if (need <= limit) continue;
      const breakdown = parts.map(([name, v]) => `${name} ${amount(d, v, true)}`).join(" + ");
      const given = role ? `budget.split.${role} gives the ${role} role ${amount(d, limit, false)} of budget.${d}` : `budget.${d} is ${amount(d, limit, false)}`;
      const unit = d === "usd" ? "" : ` ${d}`;
      const raise = role ? `budget.${d} or budget.split.${role}` : `budget.${d}`;
      return `budget: too small to evaluate the seed harness: ${given}, and scoring it may take up to ${amount(d, need, true)}${unit}${role ? ` for the ${role} role` : ""} (${breakdown}); raise ${raise}`;
    }
  }
  return undefined;
}

/** `$0.0123`, `40`, `51,200`; a need rounds up (to 4 significant digits), never down. */
function amount(d: keyof Cost, v: number, up: boolean): string {
  let x = v;
  if (!Number.isInteger(v) && v > 0) {
    const step = 10 ** (Math.floor(Math.log10(v)) - 3);
    x = Number(((up ? Math.ceil(v / step) : Math.round(v / step)) * step).toPrecision(4));
  }
  return d === "usd" ? `$${x}` : x.toLocaleString("en-US");
}

/** The budget covers the worst case of scoring the seed harness, or the run could not even begin: found before any folder exists. */
export function checkSeedBudget(scorer: LoadedCampaign, suite: TaskSuite | undefined, budget: BudgetConfig): void {
  const f = scorer.config.fitness;
  // Plug-in fitness draws on the budget call by call: it has no worst case to check.
  if (f.type !== "tasks" || !suite) return;
  const stages = seedScoringBound(taskBound(f, callBound(scorer.config)), suite, minibatchOf(scorer.config, f, suite), scorer.seedHarness);
  const short = seedBudgetShortfall(budget, stages);
  if (short) throw new UserError(short);
}

export function usedRoles(loaded: LoadedCampaign, suite: TaskSuite | undefined): Role[] {
  if (!suite || loaded.config.fitness.type !== "tasks") return ROLES.filter((r) => r !== "verifier" || loaded.config.roles.verifier !== undefined);
  const rubric = suite.tasks.some((t) => t.check.type === "rubric");
  if (rubric && !loaded.config.roles.verifier) {
    throw new UserError(`roles.verifier: required because ${loaded.config.tasks} has rubric tasks`);
  }
  return ROLES.filter((r) => r !== "verifier" || rubric);
}
