import { startWorker } from "../threads/worker.js";
import type { SimServer, SimServerOptions } from "./server.js";

/**
 * The in-process sim server in a worker thread of its own: it is a server, and on the
 * engine's event loop it took CPU from the gateway and delayed every reply behind the
 * engine's work (benchmarks/results/engine). Same server, same replies; only the thread differs.
 */
export async function startSimServerThread(opts: SimServerOptions = {}): Promise<SimServer> {
  const worker = startWorker(import.meta.url, "server-worker", { workerData: opts });
  const where = await new Promise<{ baseURL: string; port: number }>((resolve, reject) => {
    const onExit = (code: number) => reject(new Error(`sim server thread exited (${code}) before it listened`));
    worker.once("error", reject);
    worker.once("exit", onExit);
    worker.once("message", (m: { type: string; baseURL: string; port: number }) => {
      worker.off("error", reject);
      worker.off("exit", onExit);
      resolve(m);
    });
  });
  // An uncaught error later would end the thread; the engine then sees refused connections, retried and reported.
  worker.on("error", () => undefined);
  let closing: Promise<void> | undefined;
  return {
    ...where,
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        worker.once("message", () => void worker.terminate().then(() => resolve()));
        worker.once("exit", () => resolve());
        worker.postMessage({ type: "close" });
      })),
  };
}
