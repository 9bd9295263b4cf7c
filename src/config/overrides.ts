import { parse as parseYaml } from "yaml";
import { UserError } from "./errors.js";

/**
 * Applies `--set a.b.c=value` overrides to a parsed campaign object. The value is
 * read as YAML, so numbers, booleans, lists and `{...}` maps work as typed; `null`
 * removes the field.
 */
export function applyOverrides(target: Record<string, unknown>, sets: readonly string[]): Record<string, unknown> {
  const root = structuredClone(target);
  for (const set of sets) {
    const eq = set.indexOf("=");
    if (eq <= 0) throw new UserError(`--set ${set}: expected path=value, e.g. --set budget.calls=500`);
    const path = set.slice(0, eq).trim();
    const raw = set.slice(eq + 1);
    let value: unknown;
    try {
      value = raw === "" ? "" : parseYaml(raw);
    } catch {
      value = raw;
    }
    const segments = path.split(".");
    const keys = segments.flatMap((k) => k.split(/\[(\d+)\]/).filter(Boolean));
    if (segments.some((k) => k === "") || keys.some((k) => k === "__proto__" || k === "constructor" || k === "prototype")) {
      throw new UserError(`--set ${path}: not a valid path`);
    }
    let node: Record<string, unknown> = root;
    keys.forEach((key, i) => {
      if (i === keys.length - 1) {
        // `--set a.b=null` removes the field, so it falls back to its default.
        if (value === null) delete node[key];
        else node[key] = value;
        return;
      }
      const next = node[key];
      if (next === undefined || next === null) node[key] = /^\d+$/.test(keys[i + 1]!) ? [] : {};
      else if (typeof next !== "object") throw new UserError(`--set ${path}: ${keys.slice(0, i + 1).join(".")} is not a map`);
      node = node[key] as Record<string, unknown>;
    });
  }
  return root;
}
