/**
 * Module-resolution hooks of a fitness worker (registered by module-register.ts; Node runs
 * them on its loader thread). Two answers differ from Node's usual ones:
 *
 * - `harness-evolve` and the subpaths its package.json exports resolve to the running engine's
 *   own files, wherever the fitness module lives (a folder with no node_modules, or one with
 *   another copy installed: the module is judged by the engine that runs it);
 * - a .js/.ts file in a package scope without "type" is an ES module when it has module syntax
 *   (module-format.ts says why tsx's answer is replaced);
 * - the module file itself resolves as an entry point (no parent): the worker names it exactly,
 *   and tsx would otherwise apply TypeScript's rule for imports from a .ts file (the worker's
 *   own source, in tests) that `x.js` means `x.ts`, and load a fitness.ts lying beside fitness.js.
 *
 * Everything else resolves as usual, so a module's own node_modules work.
 */
import type { InitializeHook, ResolveHook } from "node:module";
import { fileURLToPath } from "node:url";
import { formatOfUntyped } from "./module-format.js";

export interface OwnExports {
  /** The package's name ("harness-evolve"). */
  name: string;
  /** Each exported specifier ("harness-evolve", "harness-evolve/fitness") and the file URL it resolves to here. */
  entries: Record<string, string>;
}

export interface ModuleHooksData extends OwnExports {
  /** The fitness module's file URL, as the worker imports it. */
  module: string;
}

let own: ModuleHooksData = { name: "", entries: {}, module: "" };

export const initialize: InitializeHook<ModuleHooksData> = (data) => {
  own = data;
};

export const resolve: ResolveHook = async (specifier, context, nextResolve) => {
  const entry = ownEntry(specifier);
  if (specifier === own.module) context = { ...context, parentURL: undefined };
  // Resolved again as a file URL, so the other hooks (tsx) still say how to load it.
  const out = await nextResolve(entry ?? specifier, context);
  // A require() that reaches these hooks keeps its CommonJS answer.
  if (entry !== undefined || !out.url.startsWith("file:") || out.format === "module" || context.conditions.includes("require")) return out;
  return formatOfUntyped(fileURLToPath(out.url)) === "module" ? { ...out, format: "module" } : out;
};

/** The engine's file for `harness-evolve` or one of its exported subpaths; undefined for any other specifier. */
function ownEntry(specifier: string): string | undefined {
  if (!own.name || (specifier !== own.name && !specifier.startsWith(`${own.name}/`))) return undefined;
  const url = own.entries[specifier];
  if (url !== undefined) return url;
  const e = new Error(`${specifier}: ${own.name} exports only ${Object.keys(own.entries).join(", ")}`) as Error & { code: string };
  e.code = "ERR_PACKAGE_PATH_NOT_EXPORTED";
  throw e;
}
