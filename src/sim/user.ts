/**
 * The user role: answers a task under a harness. Success draws use common
 * random numbers keyed on (model, seed, task text) only, so two harnesses with
 * equal effect get equal outcomes and comparisons between harnesses are low-noise.
 */
import { FINAL_ANSWER_PREFIX } from "../protocol/tags.js";
import { HARD_TELLTALE } from "./catalog.js";
import { analyzeHarness, reachProb, skillProbs } from "./competence.js";
import type { SimProfile } from "./models.js";
import { lookupTask, type World } from "./world.js";
import { hashHex, norm, pick, rngFor } from "./util.js";

const MAX_ANSWER = 300;
const OPENERS = ["I worked through it quickly.", "I went with my first pass.", "I computed a result directly.", "I answered from a quick reading."];

export interface UserOutcome {
  pass: boolean;
  /** Index of the first needed skill that was not applied, if any. */
  missing?: number;
  text: string;
}

export function userAnswer(world: World, profile: SimProfile, harness: string, taskText: string, seed: number): UserOutcome {
  const task = lookupTask(world, taskText);
  const probs = skillProbs(world, profile.user, analyzeHarness(world, harness));
  const r = rngFor("user", world.seed, profile.id, seed, norm(taskText));
  // Draw every uniform up front so the stream position never depends on the harness.
  const draws = task.skills.map(() => r());
  let reachDraw = r();
  const opener = pick(r, OPENERS);
  if (world.knobs.userNoise > 0) {
    // Noisy users: a share of the draws is fresh per harness, so equally good harnesses no longer
    // get equal outcomes (expectations are unchanged: a fresh uniform is still uniform).
    const fresh = rngFor("user-noise", world.seed, profile.id, seed, norm(taskText), hashHex(norm(harness)));
    for (let i = 0; i < draws.length; i++) if (fresh() < world.knobs.userNoise) draws[i] = fresh();
    if (fresh() < world.knobs.userNoise) reachDraw = fresh();
  }
  const missingAt = task.skills.findIndex((s, i) => draws[i]! >= probs[s]!);
  const reached = reachDraw < reachProb(profile.user, task.difficulty);
  if (missingAt === -1 && reached) return { pass: true, text: compose(task.steps, task.answer) };
  const missing = missingAt === -1 ? undefined : task.skills[missingAt]!;
  const telltale = missing === undefined ? HARD_TELLTALE : world.skills[missing]!.telltale;
  return { pass: false, missing, text: compose(`${opener} ${telltale}`, task.wrong) };
}

function compose(working: string, final: string): string {
  const last = `${FINAL_ANSWER_PREFIX} ${final}`;
  const room = Math.max(0, MAX_ANSWER - last.length - 1);
  return `${working.slice(0, room)}\n${last}`.slice(-MAX_ANSWER);
}
