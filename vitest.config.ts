import { defineConfig } from "vitest/config";

// Time limits here only catch hangs: how fast a test runs is a benchmark's business (benchmarks/),
// and the suite must pass on a loaded 2-core machine. Tests that start campaigns set their own, longer, limits.
//
// Workers: vitest's default is one fewer than the cores, which on 2 cores runs the files one at a
// time. Most of this suite's time is spent waiting (on CLI child processes, island worker threads,
// fake endpoints' timers, SIGKILL moments), so a few more files than cores at once fill the CPU;
// the longest files start first (vitest orders by the durations of the last run).
export default defineConfig({
  test: {
    testTimeout: 120_000,
    hookTimeout: 120_000,
    maxWorkers: 4,
    globalSetup: ["test/global-setup.ts"],
    // dist/ is built from these sources by the global setup: worker threads of in-process runs
    // start from it instead of each registering tsx (src/threads/worker.ts; tested both ways).
    env: { HARNESS_EVOLVE_WORKERS_FROM_DIST: "1" },
  },
});
