/**
 * How a harness changes a user model's chance of applying each skill. Shared by
 * the user responder (which samples it) and the optimum (which takes its
 * expectation), so the two can never disagree.
 */
import { CONFLICT_KEEP, DECEPTIVE_KEEP, UNSUPPORTED_KEEP } from "./catalog.js";
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
  /** Indexes into world.deceptive of the deceptive shortcuts present. */
  deceptive: number[];
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
    deceptive: world.deceptive.flatMap((d, i) => (t.includes(norm(d.phrase)) ? [i] : [])),
    distractors: world.distractors.filter((d) => t.includes(norm(d))).length,
    words: wordCount(text),
  };
}

/** Native chance of applying a skill: harder skills sit further below the tier's competence. */
export function nativeCompetence(user: UserParams, hardness: number): number {
  return user.competence ** (0.7 + 0.6 * hardness);
}

/**
 * Share of a paired directive's effect kept without its partner. Separable (epistasis 0): a
 * dependent keeps half and a support all of it; at epistasis 1 neither pays alone.
 */
export function aloneKeep(world: World, skill: number): number {
  const s = world.skills[skill]!;
  if (s.support !== undefined) return UNSUPPORTED_KEEP * (1 - world.knobs.epistasis);
  if (s.supports !== undefined) return 1 - world.knobs.epistasis;
  return 1;
}

/** Per world, the effects of no shortcut at all: shared, never written. */
const inert = new WeakMap<World, { blocked: readonly boolean[]; help: readonly number[] }>();

/** What the deceptive shortcuts present do: per skill, the directive they override and the share they give. */
export function deceptiveEffects(world: World, present: readonly number[]): { blocked: readonly boolean[]; help: readonly number[] } {
  // The usual case (no shortcut present, or inert): nothing to allocate on the user's hot path.
  if (world.knobs.deceptive <= 0 || present.length === 0) {
    let none = inert.get(world);
    if (!none) inert.set(world, (none = { blocked: world.skills.map(() => false), help: world.skills.map(() => 0) }));
    return none;
  }
  const blocked = world.skills.map(() => false);
  const help = world.skills.map(() => 0);
  for (const d of present) {
    blocked[world.deceptive[d]!.blocks] = true;
    help[world.deceptive[d]!.helps] = Math.max(help[world.deceptive[d]!.helps]!, DECEPTIVE_KEEP * world.knobs.deceptive);
  }
  return { blocked, help };
}

/**
 * e_s = q + (1 − q)·max(follow·conflict·pairing·[instructed, not overridden], follow·shortcut),
 * where q is native competence lowered by harmful directives, follow = activation·adherence·uptake,
 * pairing is 1 with the pair's partner live and aloneKeep without it.
 */
export function skillProbs(world: World, user: UserParams, a: HarnessAnalysis): number[] {
  const follow = user.activation * user.adherence * uptake(a.words);
  const { blocked, help } = deceptiveEffects(world, a.deceptive);
  const live = (i: number) => a.instructed[i]! && !blocked[i];
  return world.skills.map((s, i) => {
    let q = nativeCompetence(user, s.hardness);
    for (const h of a.harmful) if (world.harmful[h]!.hurts.includes(i)) q *= 1 - world.harmful[h]!.strength * user.harmSensitivity;
    if (!live(i) && help[i] === 0) return q;
    const shortcut = (1 - q) * follow * help[i]!;
    if (!live(i)) return q + shortcut;
    const conflict = s.conflictsWith.some((j) => a.instructed[j]) ? CONFLICT_KEEP : 1;
    const partner = s.support ?? s.supports;
    const support = partner === undefined || live(partner) ? 1 : aloneKeep(world, i);
    // Same association as before the knobs existed, so the separable world is unchanged bit for bit.
    return q + Math.max((1 - q) * follow * conflict * support, shortcut);
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
