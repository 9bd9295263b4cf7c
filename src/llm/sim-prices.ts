import type { Price } from "../config/schema.js";

/*
 * Prices of the built-in simulated models, so sim campaigns report meaningful dollars.
 * TEMPORARY: src/sim/models.ts (written in parallel) will export SIM_PRICES; once it
 * exists this table goes and the lookup below reads that one instead:
 *   import { SIM_PRICES } from "../sim/models.js";
 */
const FALLBACK_SIM_PRICES: Record<string, Price> = {
  "sim:weak": { inputPerM: 0.05, outputPerM: 0.2 },
  "sim:small": { inputPerM: 0.1, outputPerM: 0.4 },
  "sim:mid": { inputPerM: 0.4, outputPerM: 1.6 },
  "sim:strong": { inputPerM: 2, outputPerM: 8 },
  "sim:large": { inputPerM: 2, outputPerM: 8 },
  "sim:judge": { inputPerM: 1, outputPerM: 4 },
};

/** Price of a `sim:` model by its name (`sim:mid`); the table may key by full name or by tier. */
export function simPrice(model: string, table: Readonly<Record<string, Price>> = FALLBACK_SIM_PRICES): Price | undefined {
  if (!model.startsWith("sim:")) return undefined;
  return table[model] ?? table[model.slice("sim:".length)];
}

export function isSimModel(model: string): boolean {
  return model.startsWith("sim:");
}
