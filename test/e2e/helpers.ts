import { copyFileSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { stringify } from "yaml";

const QUICKSTART = resolve(import.meta.dirname, "../../examples/quickstart");

/** A small campaign on the quickstart's tasks and seed harness, in a fresh temp dir. */
export function smallCampaign(overrides: Record<string, unknown> = {}): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), "he-e2e-"));
  copyFileSync(join(QUICKSTART, "tasks.yaml"), join(dir, "tasks.yaml"));
  copyFileSync(join(QUICKSTART, "seed-harness.md"), join(dir, "seed-harness.md"));
  const campaign = {
    name: "small",
    seed: 3,
    harness: "./seed-harness.md",
    tasks: "./tasks.yaml",
    models: {
      small: { model: "sim:small" },
      large: { model: "sim:large" },
      mid: { model: "sim:mid" },
      judge: { model: "sim:judge", params: { reasoningTokens: 300 } },
    },
    roles: { evolver: [{ model: "small", weight: 3 }, { model: "large", weight: 1 }], user: "mid", verifier: "judge" },
    fitness: { type: "tasks", minibatch: 6 },
    strategy: { name: "islands", islands: 2, generations: 2, conversations: 2, turns: 2, presets: ["explorer", "refiner"], finalists: 2 },
    ...overrides,
  };
  const file = join(dir, "campaign.yaml");
  writeFileSync(file, stringify(campaign));
  return { dir, file };
}
