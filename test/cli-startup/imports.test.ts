/**
 * Start-up stays cheap by construction: what `--help` and `--version` load is the static
 * import graph of src/cli/main.ts, and the packages that cost hundreds of ms of CPU to load
 * are only ever loaded where they are used. Checked on the sources (no timing here; the
 * times are in benchmarks/engine/startup.ts).
 */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
const src = join(root, "src");

/** Static value imports and re-exports of a module (not `import type`, not `import()`). */
function staticImports(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const out: string[] = [];
  for (const m of text.matchAll(/^\s*(import|export)\s+(type\s+)?([^'";]*?)\s*from\s*["']([^"']+)["']|^\s*import\s+["']([^"']+)["']/gm)) {
    if (m[5]) out.push(m[5]);
    else if (!m[2] && m[4]) out.push(m[4]);
  }
  return out;
}

function packagesReached(entry: string): Set<string> {
  const seen = new Set<string>();
  const packages = new Set<string>();
  const walk = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const s of staticImports(file)) {
      if (s.startsWith(".")) walk(resolve(dirname(file), s).replace(/\.js$/, ".ts"));
      else if (!s.startsWith("node:")) packages.add(s.startsWith("@") ? s.split("/").slice(0, 2).join("/") : s.split("/")[0]!);
    }
  };
  walk(entry);
  return packages;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? sourceFiles(join(dir, d.name)) : d.name.endsWith(".ts") ? [join(dir, d.name)] : []));
}

describe("CLI start-up", () => {
  it("the CLI entry loads commander and local modules only; commands import the rest when they run", () => {
    expect([...packagesReached(join(src, "cli/main.ts"))]).toEqual(["commander"]);
  });

  it("no source file imports vega, vega-lite, mathjs, re2js or @stdlib at load time", () => {
    const heavy = ["vega", "vega-lite", "mathjs", "re2js", "@stdlib"];
    const offenders = sourceFiles(src).flatMap((f) =>
      staticImports(f)
        .filter((s) => heavy.some((h) => s === h || s.startsWith(`${h}/`)))
        .map((s) => `${f.slice(root.length + 1)}: ${s}`),
    );
    expect(offenders).toEqual([]);
  });

  it("--version prints package.json's version", () => {
    const version = (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string }).version;
    const out = execFileSync(process.execPath, ["--import", "tsx", join(src, "cli/main.ts"), "--version"], { cwd: root, encoding: "utf8" });
    expect(out.trim()).toBe(version);
  });
});
