/**
 * How a harness changes a user model's chance of applying each skill. Shared by
 * the user responder (which samples it) and the optimum (which takes its
 * expectation), so the two can never disagree.
 */
import { CONFLICT_KEEP, UNSUPPORTED_KEEP } from "./catalog.js";
import type { UserParams } from "./models.js";
import type { SimTask, World } from "./world.js";
import { countOccurrences, norm, wordCount } from "./util.js";

/** Past this many words a harness is followed less (uptake dilutes). */
export const LENGTH_LIMIT = 150;

export interface HarnessAnalysis {
  /** Per skill: does some phrasing of it appear in the harness? */
  instructed: boolean[];
  /** Indexes into world.harmful of the harmful directives present. */
  harmful: number[];
  distractors: number;
  words: number;
}

export function uptake(words: number): number {
  return words <= LENGTH_LIMIT ? 1 : (LENGTH_LIMIT / words) ** 1.5;
}

export function analyzeHarness(world: World, text: string): HarnessAnalysis {
  const t = norm(text);
  return {
    instructed: world.skills.map((s) => s.phrasings.some((p) => t.includes(norm(p)))),
    harmful: world.harmful.flatMap((h, i) => (t.includes(norm(h.phrase)) ? [i] : [])),
    distractors: world.distractors.filter((d) => t.includes(norm(d))).length,
    words: wordCount(text),
  };
}

/** Native chance of applying a skill: harder skills sit further below the tier's competence. */
export function nativeCompetence(user: UserParams, hardness: number): number {
  return user.competence ** (0.7 + 0.6 * hardness);
}

/**
 * e_s = q + (1 − q)·activation·adherence·uptake·[instructed]·conflict·support,
 * where q is native competence lowered by harmful directives.
 */
export function skillProbs(world: World, user: UserParams, a: HarnessAnalysis): number[] {
  const follow = user.activation * user.adherence * uptake(a.words);
  return world.skills.map((s, i) => {
    let q = nativeCompetence(user, s.hardness);
    for (const h of a.harmful) if (world.harmful[h]!.hurts.includes(i)) q *= 1 - world.harmful[h]!.strength * user.harmSensitivity;
    if (!a.instructed[i]) return q;
    const conflict = s.conflictsWith.some((j) => a.instructed[j]) ? CONFLICT_KEEP : 1;
    const support = s.support === undefined || a.instructed[s.support] ? 1 : UNSUPPORTED_KEEP;
    return q + (1 - q) * follow * conflict * support;
  });
}

/** Chance of clearing the task's difficulty once every needed skill is applied. */
export function reachProb(user: UserParams, difficulty: number): number {
  return 1 - difficulty * (1 - user.reach);
}

export function taskProb(user: UserParams, probs: readonly number[], task: SimTask): number {
  return task.skills.reduce((p, s) => p * probs[s]!, reachProb(user, task.difficulty));
}

/** Per skill: how often its telltale appears in the text (feedback or critique quoting failed answers). */
export function telltaleEvidence(world: World, text: string): number[] {
  const t = norm(text);
  return world.skills.map((s) => countOccurrences(t, norm(s.telltale).replace(/[.]$/, "")));
}
