import { ROLES, type CampaignConfig, type Role } from "../config/schema.js";
import { UserError } from "../config/errors.js";
import { sha256 } from "../harness/harness.js";

export interface WeightedModel {
  key: string;
  weight: number;
}

/** Each role's models; undefined for a role the campaign leaves unbound (the verifier is optional). */
export type RoleTable = Record<Role, readonly WeightedModel[] | undefined>;

/** Resolve `roles.*` against `models`, naming the config path of any unknown key. */
export function resolveRoles(config: CampaignConfig): RoleTable {
  const known = Object.keys(config.models);
  const table = {} as RoleTable;
  for (const role of ROLES) {
    const binding = config.roles[role];
    if (binding === undefined) {
      table[role] = undefined;
      continue;
    }
    const list: WeightedModel[] = typeof binding === "string" ? [{ key: binding, weight: 1 }] : binding.map((b) => ({ key: b.model, weight: b.weight }));
    for (const { key } of list) {
      if (!(key in config.models)) {
        throw new UserError(`roles.${role}: unknown model '${key}' (defined models: ${known.join(", ")})`);
      }
    }
    table[role] = list;
  }
  return table;
}

/** Model keys some role may call: only these need a key, a price and a client. */
export function usedModels(table: RoleTable): string[] {
  const keys = new Set<string>();
  for (const role of ROLES) for (const m of table[role] ?? []) keys.add(m.key);
  return [...keys];
}

/**
 * Pick an ensemble member by weight from a hash of (seed, role, sampleKey): the same
 * position always goes to the same model, so replays hit the cache. The campaign seed
 * is included so repeated benchmark runs do not all route each position alike.
 */
export function pickModel(models: readonly WeightedModel[], campaignSeed: number, role: Role, sampleKey: string): string {
  if (models.length === 1) return models[0]!.key;
  const total = models.reduce((s, m) => s + m.weight, 0);
  // 52 bits of the hash give a uniform number in [0, 1).
  const u = parseInt(sha256(`pick\u0000${campaignSeed}\u0000${role}\u0000${sampleKey}`).slice(0, 13), 16) / 2 ** 52;
  let acc = 0;
  for (const m of models) {
    acc += m.weight / total;
    if (u < acc) return m.key;
  }
  return models[models.length - 1]!.key;
}
