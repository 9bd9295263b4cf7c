/**
 * The module format of a .js/.ts file whose package scope sets no "type" (or that has no
 * package.json above it at all): an ES module when its code has module syntax (import or export
 * declarations, import.meta), CommonJS otherwise. That is Node's own rule for such .js
 * files (syntax detection, Node 20.19+ and 22.12+); here it holds for .ts files too, and on
 * every Node the engine supports.
 *
 * It is needed because tsx, registered with its ES-module hooks only (as the fitness worker
 * does), names such a file "commonjs" by its package type and leaves it to Node's CommonJS
 * loader, which (without tsx's CommonJS hook) finds import syntax, concludes the file is an ES
 * module and require()s it while the import of that same module is still in progress:
 * "Cannot require() ES Module ... in a cycle".
 */
import { readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { basename, dirname, extname, join } from "node:path";

const AMBIGUOUS = new Set([".js", ".jsx", ".ts", ".tsx"]);

/** "module" when the file is an ES module by the rule above; undefined when the rule does not apply or says CommonJS. */
export function formatOfUntyped(file: string): "module" | undefined {
  if (!AMBIGUOUS.has(extname(file))) return undefined;
  if (packageScope(dirname(file)).type !== undefined) return undefined;
  return hasModuleSyntax(file) ? "module" : undefined;
}

/**
 * The package.json that says a file with ES-module syntax is CommonJS ("type": "commonjs"), if
 * one does: a mistake Node keeps (the explicit type wins over the syntax), worth naming.
 */
export function commonJsScopeOf(file: string): string | undefined {
  if (!AMBIGUOUS.has(extname(file))) return undefined;
  const scope = packageScope(dirname(file));
  return scope.type === "commonjs" && hasModuleSyntax(file) ? scope.manifest : undefined;
}

interface Scope {
  /** The nearest package.json, if any. */
  manifest?: string;
  type?: string;
}

const scopeOfDir = new Map<string, Scope>();

/** The nearest package.json and its "type" (Node's package scope: it ends at a node_modules folder). */
export function packageScope(dir: string): Scope {
  const known = scopeOfDir.get(dir);
  if (known) return known;
  let scope: Scope = {};
  const manifest = join(dir, "package.json");
  const content = readManifest(manifest);
  if (content !== undefined) scope = typeof content.type === "string" ? { manifest, type: content.type } : { manifest };
  else if (basename(dir) !== "node_modules" && dirname(dir) !== dir) scope = packageScope(dirname(dir));
  scopeOfDir.set(dir, scope);
  return scope;
}

function readManifest(path: string): { type?: unknown } | undefined {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
  try {
    return JSON.parse(text) as { type?: unknown };
  } catch {
    return {}; // a broken package.json still ends the scope; Node reports it where it matters
  }
}

/** The slice of esbuild's API used here. */
interface Esbuild {
  buildSync(options: object): { metafile?: { inputs: Record<string, { format?: string }> } };
}

let esbuild: Esbuild | null | undefined;

/** esbuild is tsx's transpiler: taken from tsx's own folder, so it is the copy tsx runs. */
function esbuildOf(): Esbuild | null {
  if (esbuild === undefined) {
    try {
      const fromTsx = createRequire(createRequire(import.meta.url).resolve("tsx/package.json"));
      esbuild = fromTsx("esbuild") as Esbuild;
    } catch {
      esbuild = null;
    }
  }
  return esbuild;
}

const syntaxOf = new Map<string, boolean>();

/**
 * Whether the file has ES-module syntax, by esbuild's parse (it reads TypeScript; its metafile
 * marks a file "esm" that way). A file esbuild cannot parse counts as a module, so the loader
 * reports its syntax error; one without the words import/export is CommonJS without a parse.
 */
export function hasModuleSyntax(file: string): boolean {
  const key = `${file}\0${mtimeOf(file)}`;
  const known = syntaxOf.get(key);
  if (known !== undefined) return known;
  let answer: boolean;
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return false; // the loader reports the missing file
  }
  const build = esbuildOf();
  if (!/\b(import|export)\b/.test(text)) answer = false;
  else if (!build) answer = false; // no parser: leave the file to the loader's own rule
  else {
    try {
      const out = build.buildSync({ entryPoints: [file], bundle: false, write: false, metafile: true, logLevel: "silent" });
      answer = Object.values(out.metafile?.inputs ?? {}).some((input) => input.format === "esm");
    } catch {
      answer = true;
    }
  }
  syntaxOf.set(key, answer);
  return answer;
}

function mtimeOf(file: string): number {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}
