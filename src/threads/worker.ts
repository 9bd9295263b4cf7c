import { Worker, type WorkerOptions } from "node:worker_threads";

/**
 * A worker thread running the module `name` (no extension) next to `callerUrl`: its `.js` when
 * running from dist/, its `.ts` when running from TypeScript sources (tests, tsx), in which case
 * the thread registers the tsx loader first (a worker does not inherit the parent's loader hooks).
 */
export function startWorker(callerUrl: string, name: string, options: WorkerOptions = {}): Worker {
  const fromSource = callerUrl.endsWith(".ts");
  const url = new URL(`./${name}${fromSource ? ".ts" : ".js"}`, callerUrl);
  if (!fromSource) return new Worker(url, options);
  const bootstrap = `import("tsx/esm/api").then((m) => { m.register(); return import(${JSON.stringify(url.href)}); })`;
  return new Worker(bootstrap, { ...options, eval: true });
}
