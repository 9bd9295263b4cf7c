/**
 * The known optimum: exact expected success of a harness, and the best
 * expected success over harnesses built from directive subsets (shortest
 * phrasing per skill). Harmful lines only hurt and filler only adds length, so
 * no harness the sim recognises does better; benchmarks report "fraction of optimum".
 */
import { CONFLICT_KEEP, DECEPTIVE_KEEP, INTROS, SECTION_ORDER } from "./catalog.js";
import { aloneKeep, analyzeHarness, nativeCompetence, reachProb, skillProbs, taskProb, uptake } from "./competence.js";
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

/** The canonical harness instructing exactly these skills (and these deceptive shortcuts, under Approach). */
export function harnessFor(world: World, skills: readonly number[], deceptive: readonly number[] = []): string {
  const doc: HarnessDoc = { intro: [INTROS[0]!], sections: SECTION_ORDER.map((heading) => ({ heading, lines: [] })) };
  for (const i of skills) addLine(doc, world.skills[i]!.section, bullet(world.skills[i]!.shortest));
  for (const d of deceptive) addLine(doc, "Approach", bullet(world.deceptive[d]!.phrase));
  return renderDoc(doc);
}

export interface SimOptimum {
  score: number;
  harness: string;
  /** Ids of the skills the optimal harness instructs. */
  skills: string[];
  /** The deceptive shortcuts it holds (never any, unless a shortcut beats its pair). */
  deceptive: string[];
}

/**
 * Exhaustive over subsets of directives: every skill (shortest phrasing) and, when the
 * shortcuts act, every deceptive one. The per-skill formula mirrors skillProbs.
 */
const optima = new WeakMap<World, Map<string, SimOptimum>>();

export function simOptimum(world: World, model: string, taskIds: readonly string[]): SimOptimum {
  // Exhaustive search takes up to a second with the shortcuts: a benchmark process asks for the same one per run.
  let memo = optima.get(world);
  if (!memo) optima.set(world, (memo = new Map()));
  const key = `${model}|${taskIds.join(",")}`;
  const hit = memo.get(key);
  if (hit) return { ...hit, skills: [...hit.skills], deceptive: [...hit.deceptive] };
  const found = searchOptimum(world, model, taskIds);
  memo.set(key, found);
  return { ...found, skills: [...found.skills], deceptive: [...found.deceptive] };
}

function searchOptimum(world: World, model: string, taskIds: readonly string[]): SimOptimum {
  const user = simProfile(model).user;
  const n = world.skills.length;
  const m = world.knobs.deceptive > 0 ? world.deceptive.length : 0;
  const tasks = taskIds.map((id) => taskById(world, id));
  const reach = tasks.map((t) => reachProb(user, t.difficulty));
  const q = world.skills.map((s) => nativeCompetence(user, s.hardness));
  const partners = world.skills.map((s) => s.conflictsWith.reduce((acc, j) => acc | (1 << j), 0));
  const pairOf = world.skills.map((s) => s.support ?? s.supports ?? -1);
  const keep = world.skills.map((_, i) => aloneKeep(world, i));
  const bulletWords = world.skills.map((s) => 1 + wordCount(s.shortest));
  const sectionOf = world.skills.map((s) => SECTION_ORDER.indexOf(s.section));
  const shortcutWords = world.deceptive.map((d) => 1 + wordCount(d.phrase));
  const approach = SECTION_ORDER.indexOf("Approach");
  const shortcut = DECEPTIVE_KEEP * world.knobs.deceptive;
  const introWords = wordCount(INTROS[0]!);
  let best = -1;
  let bestMask = 0;
  const e = new Array<number>(n);
  const help = new Array<number>(n);
  for (let mask = 0; mask < 2 ** (n + m); mask++) {
    const skills = mask % (1 << n);
    const tricks = Math.floor(mask / (1 << n));
    // words exactly as harnessFor renders: intro, "## Heading" per non-empty section, "- phrase." per line
    let words = introWords;
    let used = 0;
    for (let i = 0; i < n; i++) if (skills & (1 << i)) { words += bulletWords[i]!; used |= 1 << sectionOf[i]!; }
    let blocked = 0;
    help.fill(0);
    for (let d = 0; d < m; d++) {
      if (!(tricks & (1 << d))) continue;
      words += shortcutWords[d]!;
      used |= 1 << approach;
      blocked |= 1 << world.deceptive[d]!.blocks;
      help[world.deceptive[d]!.helps] = shortcut;
    }
    for (let k = 0; k < SECTION_ORDER.length; k++) if (used & (1 << k)) words += 2;
    const follow = user.activation * user.adherence * uptake(words);
    const live = skills & ~blocked;
    for (let i = 0; i < n; i++) {
      const qi = q[i]!;
      const boost = (1 - qi) * follow * help[i]!;
      if (!(live & (1 << i))) { e[i] = qi + boost; continue; }
      const p = pairOf[i]!;
      const support = p < 0 || live & (1 << p) ? 1 : keep[i]!;
      e[i] = qi + Math.max((1 - qi) * follow * (skills & partners[i]! ? CONFLICT_KEEP : 1) * support, boost);
    }
    let total = 0;
    for (let t = 0; t < tasks.length; t++) {
      let p = reach[t]!;
      for (const sk of tasks[t]!.skills) p *= e[sk]!;
      total += p;
    }
    if (total > best + 1e-12) { best = total; bestMask = mask; }
  }
  const chosen = world.skills.map((_, i) => i).filter((i) => bestMask % (1 << n) & (1 << i));
  const tricks = world.deceptive.map((_, d) => d).filter((d) => d < m && Math.floor(bestMask / (1 << n)) & (1 << d));
  const harness = harnessFor(world, chosen, tricks);
  // Score the rendered text itself, so the returned harness and score can never disagree.
  return {
    score: expectedSuccess(world, harness, model, taskIds),
    harness,
    skills: chosen.map((i) => world.skills[i]!.id),
    deceptive: tricks.map((d) => world.deceptive[d]!.phrase),
  };
}
