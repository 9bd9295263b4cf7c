import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../..");

describe("the library example", () => {
  it("runs with tsx, reports progress through events and prints the best harness", () => {
    // It imports "harness-evolve" by name: the package's own exports (dist/, built by npm ci).
    const r = spawnSync(process.execPath, ["--import", "tsx", "examples/library/evolve.ts", join(mkdtempSync(join(tmpdir(), "he-library-")), "run")], { cwd: ROOT, encoding: "utf8", timeout: 180_000 });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^seed harness: val \d\.\d{3}$/m);
    expect(r.stdout).toMatch(/^generation 3\/3: \d+ new children/m);
    expect(r.stdout).toMatch(/^status: completed$/m);
    const best = r.stdout.split(/\(run folder [^)]*\)\n\n/)[1] ?? "";
    expect(best).toMatch(/## /); // a harness with sections
  }, 200_000);
});
