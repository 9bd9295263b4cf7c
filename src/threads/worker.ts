import { existsSync } from "node:fs";
import { Worker, type WorkerOptions } from "node:worker_threads";

/**
 * A worker thread running the module `name` (no extension) next to `callerUrl`: its `.js` when
 * running from dist/, its `.ts` when running from TypeScript sources (tests, tsx), in which case
 * the thread registers the tsx loader first (a worker does not inherit the parent's loader hooks).
 */
export function startWorker(callerUrl: string, name: string, options: WorkerOptions = {}): Worker {
  const { url, tsx } = workerModule(callerUrl, name);
  if (!tsx) return new Worker(url, options);
  const bootstrap = `import("tsx/esm/api").then((m) => { m.register(); return import(${JSON.stringify(url.href)}); })`;
  return new Worker(bootstrap, { ...options, eval: true });
}

/** Which file `startWorker` runs, and whether through tsx. */
export function workerModule(callerUrl: string, name: string): { url: URL; tsx: boolean } {
  const fromSource = callerUrl.endsWith(".ts");
  const url = new URL(`./${name}${fromSource ? ".ts" : ".js"}`, callerUrl);
  if (!fromSource) return { url, tsx: false };
  // The test suite builds dist/ from these sources first (test/global-setup.ts) and says so here:
  // its threads then start from the build, without paying the TypeScript loader in every thread.
  const built = process.env[WORKERS_FROM_DIST_ENV] === "1" ? builtTwin(url) : undefined;
  return built ? { url: built, tsx: false } : { url, tsx: true };
}

/** Set to 1 by the test suite once dist/ is built from the current sources. */
export const WORKERS_FROM_DIST_ENV = "HARNESS_EVOLVE_WORKERS_FROM_DIST";

function builtTwin(source: URL): URL | undefined {
  const at = source.pathname.lastIndexOf("/src/");
  if (at < 0) return undefined;
  const twin = new URL(source.href);
  twin.pathname = `${source.pathname.slice(0, at)}/dist/${source.pathname.slice(at + 5).replace(/\.ts$/, ".js")}`;
  return existsSync(twin) ? twin : undefined;
}
