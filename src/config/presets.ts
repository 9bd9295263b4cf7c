import { existsSync, readdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { UserError } from "./errors.js";
import { formatIssue } from "./format.js";
import { fileKind, readStructured } from "./read.js";

/** What makes islands heterogeneous: who writes the variants, how hot, with which operators. */
export const PresetSchema = z
  .object({
    name: z.string().min(1),
    description: z.string().default(""),
    /** Model key (from the campaign's models) that writes this island's variants; the campaign's evolver role otherwise. */
    evolver: z.string().min(1).optional(),
    /** Sampling temperature of the evolver on this island. */
    temperature: z.number().min(0).max(2).default(0.7),
    /** Chance that a conversation starts from no parent (a rewrite); the strategy's noParentProbability otherwise. */
    noParentProbability: z.number().min(0).max(1).optional(),
    /** Relative weights of the first-turn operator of a conversation that has parents. */
    operators: z
      .object({
        mutate: z.number().nonnegative().default(1),
        crossover: z.number().nonnegative().default(1),
        refine: z.number().nonnegative().default(1),
      })
      .strict()
      .refine((o) => o.mutate + o.crossover + o.refine > 0, "at least one operator weight must be positive")
      .default({ mutate: 1, crossover: 1, refine: 1 }),
  })
  .strict();

export type Preset = z.output<typeof PresetSchema>;

/** islands/ at the package root, found from this file whether running from src/ or dist/. */
export function presetsDir(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "islands");
}

/** A preset by name (a file in islands/) or by path (relative to `baseDir`). */
export function loadPreset(nameOrPath: string, baseDir: string, label = "strategy.presets"): Preset {
  const byPath = /[\\/]|\.ya?ml$|\.json$/.test(nameOrPath);
  const file = byPath ? resolve(baseDir, nameOrPath) : resolve(presetsDir(), `${nameOrPath}.yaml`);
  const shown = JSON.stringify(nameOrPath);
  const kind = fileKind(file);
  if (kind === "missing") {
    const known = existsSync(presetsDir()) ? readdirSync(presetsDir()).filter((f) => f.endsWith(".yaml")).map((f) => f.slice(0, -5)) : [];
    throw new UserError(`${label}: unknown island preset ${shown} (${byPath ? `no file ${JSON.stringify(file)}` : `built-in presets: ${known.join(", ")}; or give a path to a YAML file`})`);
  }
  const raw = readStructured(file, `${label}: preset ${shown}`);
  const parsed = PresetSchema.safeParse(raw);
  if (!parsed.success) throw new UserError(`${label}: preset ${shown}: ${formatIssue(parsed.error.issues[0]!, raw)}`);
  return parsed.data;
}
