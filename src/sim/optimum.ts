/**
 * The known optimum: exact expected success of a harness, and the best
 * expected success over harnesses built from directive subsets (shortest
 * phrasing per skill). Harmful lines only hurt and filler only adds length, so
 * no harness the sim recognises does better; benchmarks report "fraction of optimum".
 */
import { CONFLICT_KEEP, INTROS, SECTION_ORDER, UNSUPPORTED_KEEP } from "./catalog.js";
import { analyzeHarness, nativeCompetence, reachProb, skillProbs, taskProb, uptake } from "./competence.js";
import { addLine, bullet, renderDoc, type HarnessDoc } from "./doc.js";
import { simProfile } from "./models.js";
import type { SimTask, World } from "./world.js";
import { wordCount } from "./util.js";

const byId = new WeakMap<World, Map<string, SimTask>>();

export function taskById(world: World, id: string): SimTask {
  let m = byId.get(world);
  if (!m) byId.set(world, (m = new Map(world.tasks.map((t) => [t.id, t]))));
  const t = m.get(id);
  if (!t) throw new RangeError(`unknown sim task id: ${id}`);
  return t;
}

/** Mean over the tasks of the exact chance a `model` user passes each under this harness. */
export function expectedSuccess(world: World, harnessText: string, model: string, taskIds: readonly string[]): number {
  if (taskIds.length === 0) return 0;
  const user = simProfile(model).user;
  const probs = skillProbs(world, user, analyzeHarness(world, harnessText));
  return taskIds.reduce((s, id) => s + taskProb(user, probs, taskById(world, id)), 0) / taskIds.length;
}

/** The canonical harness instructing exactly these skills. */
export function harnessFor(world: World, skills: readonly number[]): string {
  const doc: HarnessDoc = { intro: [INTROS[0]!], sections: SECTION_ORDER.map((heading) => ({ heading, lines: [] })) };
  for (const i of skills) addLine(doc, world.skills[i]!.section, bullet(world.skills[i]!.shortest));
  return renderDoc(doc);
}

export interface SimOptimum {
  score: number;
  harness: string;
  /** Ids of the skills the optimal harness instructs. */
  skills: string[];
}

export function simOptimum(world: World, model: string, taskIds: readonly string[]): SimOptimum {
  const user = simProfile(model).user;
  const n = world.skills.length;
  const tasks = taskIds.map((id) => taskById(world, id));
  const reach = tasks.map((t) => reachProb(user, t.difficulty));
  const q = world.skills.map((s) => nativeCompetence(user, s.hardness));
  const partners = world.skills.map((s) => s.conflictsWith.reduce((m, j) => m | (1 << j), 0));
  const supports = world.skills.map((s) => s.support ?? -1);
  const bulletWords = world.skills.map((s) => 1 + wordCount(s.shortest));
  const sectionOf = world.skills.map((s) => SECTION_ORDER.indexOf(s.section));
  const introWords = wordCount(INTROS[0]!);
  let best = -1;
  let bestMask = 0;
  const e = new Array<number>(n);
  for (let mask = 0; mask < 1 << n; mask++) {
    // words exactly as harnessFor renders: intro, "## Heading" per non-empty section, "- phrase." per skill
    let words = introWords;
    let used = 0;
    for (let i = 0; i < n; i++) if (mask & (1 << i)) { words += bulletWords[i]!; used |= 1 << sectionOf[i]!; }
    for (let k = 0; k < SECTION_ORDER.length; k++) if (used & (1 << k)) words += 2;
    const follow = user.activation * user.adherence * uptake(words);
    for (let i = 0; i < n; i++) {
      const qi = q[i]!;
      const sup = supports[i]!;
      const support = sup < 0 || mask & (1 << sup) ? 1 : UNSUPPORTED_KEEP;
      e[i] = mask & (1 << i) ? qi + (1 - qi) * follow * (mask & partners[i]! ? CONFLICT_KEEP : 1) * support : qi;
    }
    let total = 0;
    for (let t = 0; t < tasks.length; t++) {
      let p = reach[t]!;
      for (const s of tasks[t]!.skills) p *= e[s]!;
      total += p;
    }
    if (total > best + 1e-12) { best = total; bestMask = mask; }
  }
  const chosen = world.skills.map((_, i) => i).filter((i) => bestMask & (1 << i));
  const harness = harnessFor(world, chosen);
  // Score the rendered text itself, so the returned harness and score can never disagree.
  return { score: expectedSuccess(world, harness, model, taskIds), harness, skills: chosen.map((i) => world.skills[i]!.id) };
}
