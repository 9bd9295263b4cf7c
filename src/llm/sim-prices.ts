import type { Price } from "../config/schema.js";
import { SIM_PRICES } from "../sim/models.js";

/** Any `sim:` name goes to a sim server (an unknown tier then fails there with a clear 404). */
export function isSimModel(model: string): boolean {
  return model.startsWith("sim:");
}

/** Price of a built-in simulated model (`sim:mid`), so sim campaigns report meaningful dollars. */
export function simPrice(model: string, table: Readonly<Record<string, Price>> = SIM_PRICES): Price | undefined {
  if (!isSimModel(model)) return undefined;
  return table[model];
}
