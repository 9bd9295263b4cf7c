import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { stringify } from "yaml";
import { writeTinyGguf } from "../../scripts/write-tiny-gguf.js";

const ENDPOINTS = resolve(import.meta.dirname, "../../examples/endpoints");

/** A few short tasks (one rubric task, so the verifier role is called too). */
const TASKS = [
  { id: "percent", split: "train", input: "What is 17% of 2300?", check: { type: "numeric", expected: 391 } },
  { id: "capital", split: "train", input: "What is the capital city of Australia? Answer with the city name only.", check: { type: "exact", expected: "Canberra" } },
  { id: "minutes", split: "train", input: "How many minutes are there in 3.5 hours?", check: { type: "numeric", expected: 210 } },
  { id: "sky", split: "train", input: "In at most two sentences, explain why the sky looks blue.", check: { type: "rubric", rubric: "Names the scattering of shorter (blue) wavelengths by air molecules." } },
  { id: "planet", split: "val", input: "Which planet is closest to the Sun? Answer with one word.", check: { type: "exact", expected: "Mercury" } },
  { id: "gcd", split: "val", input: "What is the greatest common divisor of 84 and 126?", check: { type: "numeric", expected: 42 } },
  { id: "seconds", split: "test", input: "How many seconds are there in 2 minutes?", check: { type: "numeric", expected: 120 } },
];

/**
 * A campaign whose every role is the tiny random-weight GGUF (written into a fresh temp dir,
 * at ./models/tiny.gguf), with the endpoints examples' seed harness and a few tasks.
 */
export function ggufCampaign(overrides: Record<string, unknown> = {}): { dir: string; file: string; model: string } {
  const dir = mkdtempSync(join(tmpdir(), "he-gguf-"));
  const models = join(dir, "models");
  mkdirSync(models);
  const model = join(models, "tiny.gguf");
  writeTinyGguf(model);
  copyFileSync(join(ENDPOINTS, "seed-harness.md"), join(dir, "seed-harness.md"));
  writeFileSync(join(dir, "tasks.yaml"), stringify({ tasks: TASKS }));
  const campaign = {
    name: "gguf-tiny",
    seed: 3,
    harness: "./seed-harness.md",
    tasks: "./tasks.yaml",
    models: { tiny: { model: "gguf:./models/tiny.gguf", params: { contextSize: 8192, threads: 1 }, concurrency: 2 } },
    roles: { evolver: "tiny", user: "tiny", verifier: "tiny" },
    fitness: { type: "tasks", minibatch: 3 },
    strategy: { name: "islands", islands: 2, generations: 2, conversations: 1, turns: 2, presets: ["explorer", "refiner"], populationSize: 4, finalists: 2 },
    budget: { calls: 300 },
    concurrency: 2,
    ...overrides,
  };
  const file = join(dir, "campaign.yaml");
  writeFileSync(file, stringify(campaign));
  return { dir, file, model };
}

