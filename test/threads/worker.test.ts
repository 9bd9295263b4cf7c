import { afterEach, describe, expect, it } from "vitest";
import { startSimServerThread } from "../../src/sim/server-thread.js";
import { WORKERS_FROM_DIST_ENV, workerModule } from "../../src/threads/worker.js";

// The suite starts worker threads from dist/ (vitest.config.ts); a user running the sources
// through tsx starts them from the .ts files, each thread registering tsx first. Both must work.
describe("startWorker", () => {
  const saved = process.env[WORKERS_FROM_DIST_ENV];
  afterEach(() => {
    if (saved === undefined) delete process.env[WORKERS_FROM_DIST_ENV];
    else process.env[WORKERS_FROM_DIST_ENV] = saved;
  });

  for (const fromDist of [false, true]) {
    it(`starts a thread from ${fromDist ? "the dist/ build" : "the TypeScript sources (tsx)"}`, async () => {
      if (fromDist) process.env[WORKERS_FROM_DIST_ENV] = "1";
      else delete process.env[WORKERS_FROM_DIST_ENV];
      const chosen = workerModule(new URL("../../src/sim/server-thread.ts", import.meta.url).href, "server-worker");
      expect(chosen.tsx).toBe(!fromDist);
      expect(chosen.url.pathname).toMatch(fromDist ? /\/dist\/sim\/server-worker\.js$/ : /\/src\/sim\/server-worker\.ts$/);
      const server = await startSimServerThread({ world: 1 });
      try {
        const res = await fetch(`${server.baseURL}/models`);
        expect(res.status).toBe(200);
        expect(JSON.stringify(await res.json())).toContain("sim:");
      } finally {
        await server.close();
      }
    });
  }
});
