import { defineConfig } from "vitest/config";

// Time limits here only catch hangs: how fast a test runs is a benchmark's business (benchmarks/),
// and the suite must pass on a loaded 2-core machine. Tests that start campaigns set their own, longer, limits.
export default defineConfig({
  test: {
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
