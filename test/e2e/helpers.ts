import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parse, stringify } from "yaml";

const QUICKSTART = resolve(import.meta.dirname, "../../examples/quickstart");

/**
 * The first 24 train, 12 val and 12 test tasks of the quickstart's 50/35/35 (all five check
 * types; a rubric task in train and two in test): for tests of a property that does not
 * depend on how many tasks a harness is scored on (resume, determinism, locks, forks), at less
 * than half the calls of a run.
 */
export const SHORT_TASKS = { train: 24, val: 12, test: 12 } as const;

function shortTasks(): string {
  const suite = parse(readFileSync(join(QUICKSTART, "tasks.yaml"), "utf8")) as { tasks: { split: keyof typeof SHORT_TASKS }[] };
  const taken: Record<string, number> = {};
  const tasks = suite.tasks.filter((t) => (taken[t.split] = (taken[t.split] ?? 0) + 1) <= SHORT_TASKS[t.split]);
  return stringify({ ...suite, tasks });
}

/** A small campaign on the quickstart's tasks (or `short: true`, SHORT_TASKS of them) and seed harness, in a fresh temp dir. */
export function smallCampaign(overrides: Record<string, unknown> = {}, opts: { short?: boolean } = {}): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), "he-e2e-"));
  if (opts.short) writeFileSync(join(dir, "tasks.yaml"), shortTasks());
  else copyFileSync(join(QUICKSTART, "tasks.yaml"), join(dir, "tasks.yaml"));
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
