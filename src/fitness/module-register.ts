/**
 * Registers module-hooks.ts in a fitness worker, before the user's module is imported, with
 * the module's URL and where each specifier this package exports resolves in the running engine.
 */
import { existsSync, readFileSync } from "node:fs";
import * as nodeModule from "node:module";
import { fileURLToPath } from "node:url";
import type { ModuleHooksData, OwnExports } from "./module-hooks.js";

const fromSource = import.meta.url.endsWith(".ts");

/**
 * Registers the hooks; false on a Node without `module.register` (before 20.6), where a module
 * outside this package must have harness-evolve installed next to it. Register after tsx: the
 * hooks registered last run first, so these see (and may correct) tsx's answers.
 */
export function registerModuleHooks(data: ModuleHooksData): boolean {
  // Read as a namespace: on an older Node the named export is missing, not a link error.
  const register = (nodeModule as { register?: typeof nodeModule.register }).register;
  if (typeof register !== "function") return false;
  const hooks = new URL(fromSource ? "./module-hooks.ts" : "./module-hooks.js", import.meta.url);
  register<ModuleHooksData>(hooks, { data });
  return true;
}

/** Every subpath this package's package.json exports, resolved as Node resolves it from inside the package. */
export function ownExports(): OwnExports {
  const manifestUrl = new URL("../../package.json", import.meta.url);
  const manifest = JSON.parse(readFileSync(manifestUrl, "utf8")) as { name: string; exports?: Record<string, unknown> };
  const entries: Record<string, string> = {};
  // Patterns ("./*") would need matching per request; this package exports fixed subpaths only.
  for (const key of Object.keys(manifest.exports ?? { ".": null }).filter((k) => !k.includes("*"))) {
    const specifier = key === "." ? manifest.name : `${manifest.name}${key.slice(1)}`;
    entries[specifier] = fromSource ? sourceOf(import.meta.resolve(specifier), manifestUrl) : import.meta.resolve(specifier);
  }
  return { name: manifest.name, entries };
}

/** Running from TypeScript sources there may be no dist: the exported dist/x.js stands for src/x.ts (tsconfig.build maps one to the other). */
function sourceOf(url: string, manifestUrl: URL): string {
  const dist = new URL("dist/", manifestUrl).href;
  if (!url.startsWith(dist) || !url.endsWith(".js")) return url;
  const source = new URL(`src/${url.slice(dist.length, -".js".length)}.ts`, manifestUrl);
  return existsSync(fileURLToPath(source)) ? source.href : url;
}
