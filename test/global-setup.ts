/**
 * Builds dist/ from src/ once before the suite, when it is stale: the tests that spawn the CLI
 * many times run dist/cli/main.js (test/helpers/cli-run.ts), which starts in about a third of the
 * CPU time of the sources through tsx, and whose worker threads load no TypeScript loader either.
 * (The in-process tests still run the sources, so both forms are tested.)
 *
 * The build is `tsc -p tsconfig.build.json` through the compiler API, so that each output file is
 * written atomically (a temporary file, then a rename) and only when its content changed: a
 * benchmark or another test run using dist/ at that moment never reads a half-written file.
 * Whether dist/ is stale is decided by content, not mtimes: a stamp in node_modules/.cache holds a
 * hash of the sources and build config and a hash of the dist/ files they produced; when both
 * still match, nothing is built. Two suites starting at once (scripts/determinism-under-load.sh)
 * build one after the other under a lock directory.
 */
import { createHash } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative, resolve } from "node:path";

const ROOT = resolve(import.meta.dirname, "..");
const DIST = join(ROOT, "dist");
const CACHE = join(ROOT, "node_modules", ".cache", "harness-evolve-tests");
// Per checkout (a worktree may share node_modules with another).
const KEY = createHash("sha256").update(ROOT).digest("hex").slice(0, 12);
const STAMP = join(CACHE, `dist-stamp-${KEY}.json`);
const LOCK = join(CACHE, `build-${KEY}.lock`);

function files(dir: string, keep: (name: string) => boolean): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((d) => (d.isDirectory() ? files(join(dir, d.name), keep) : keep(d.name) ? [join(dir, d.name)] : []))
    .sort();
}

function hashOf(paths: string[]): string {
  const h = createHash("sha256");
  for (const p of paths) {
    h.update(relative(ROOT, p)).update("\0");
    h.update(existsSync(p) ? readFileSync(p) : "(missing)").update("\0");
  }
  return h.digest("hex");
}

const sourcesHash = () => hashOf([...files(join(ROOT, "src"), () => true), ...["package.json", "tsconfig.json", "tsconfig.build.json"].map((f) => join(ROOT, f))]);
const distHash = () => hashOf(files(DIST, (n) => n.endsWith(".js")));

function fresh(): boolean {
  if (!existsSync(STAMP) || !existsSync(join(DIST, "cli", "main.js"))) return false;
  try {
    const stamp = JSON.parse(readFileSync(STAMP, "utf8")) as { sources?: string; dist?: string };
    return stamp.sources === sourcesHash() && stamp.dist === distHash();
  } catch {
    return false;
  }
}

/** What `npm run build` does (tsc -p tsconfig.build.json, then chmod of the bin), file by file and atomically. */
function build(): void {
  const ts = createRequire(import.meta.url)("typescript") as typeof import("typescript");
  const diagnostics: import("typescript").Diagnostic[] = [];
  const config = ts.getParsedCommandLineOfConfigFile(join(ROOT, "tsconfig.build.json"), {}, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => diagnostics.push(d),
  });
  if (!config) throw new Error(`test/global-setup: tsconfig.build.json: ${ts.flattenDiagnosticMessageText(diagnostics[0]?.messageText ?? "unreadable", "\n")}`);
  const program = ts.createProgram({ rootNames: config.fileNames, options: config.options, projectReferences: config.projectReferences });
  const result = program.emit(undefined, (file, text) => {
    if (existsSync(file) && readFileSync(file, "utf8") === text) return;
    mkdirSync(dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, text);
    renameSync(tmp, file);
  });
  if (result.emitSkipped || !existsSync(join(DIST, "cli", "main.js"))) {
    const text = ts.formatDiagnostics(result.diagnostics, { getCanonicalFileName: (f) => f, getCurrentDirectory: () => ROOT, getNewLine: () => "\n" });
    throw new Error(`test/global-setup: building dist/ failed\n${text}`);
  }
  chmodSync(join(DIST, "cli", "main.js"), 0o755);
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Holds the lock directory while `fn` runs; a lock left by a dead process is taken over. */
async function locked(fn: () => void): Promise<void> {
  mkdirSync(CACHE, { recursive: true });
  for (;;) {
    try {
      mkdirSync(LOCK);
      writeFileSync(join(LOCK, "pid"), String(process.pid));
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      let owner = NaN;
      try {
        owner = Number(readFileSync(join(LOCK, "pid"), "utf8"));
      } catch {
        // Just created, its pid not written yet; or just removed.
      }
      const age = (() => {
        try {
          return Date.now() - statSync(LOCK).mtimeMs;
        } catch {
          return 0;
        }
      })();
      if ((Number.isInteger(owner) && owner > 0 && !pidAlive(owner)) || (Number.isNaN(owner) && age > 10_000)) rmSync(LOCK, { recursive: true, force: true });
      else await new Promise((r) => setTimeout(r, 200));
    }
  }
  try {
    fn();
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}

export default async function setup(): Promise<void> {
  if (fresh()) return;
  await locked(() => {
    if (fresh()) return; // built by the suite that held the lock
    const sources = sourcesHash(); // before the build: a source edited during it makes the next suite build again
    build();
    writeFileSync(STAMP, JSON.stringify({ sources, dist: distHash() }));
  });
}
