/**
 * The seeded world: skills (fixed vocabulary + per-world hardness and
 * frequency), the harmful and distractor directives, and a pool of tasks the
 * sim recognises by their normalised text.
 */
import { CONFLICTS, CONFUSABLE, DECEPTIVE, DISTRACTORS, HARMFUL, SKILLS, SUPPORTS, type SkillDef } from "./catalog.js";
import { knobsKey, SEPARABLE, type WorldKnobs } from "./presets.js";
import { KIND_WEIGHTS, TEMPLATES, type Made, type SimCheck, type Template } from "./templates.js";
import { int, norm, pick, rngFor, weightedPick, wordCount } from "./util.js";

export interface Skill extends SkillDef {
  index: number;
  /** In [0,1]: how much harder than average this skill is to apply natively. */
  hardness: number;
  /** Relative weight with which tasks need this skill beyond their template's core. */
  frequency: number;
  /** Indexes of skills whose directives conflict with this one. */
  conflictsWith: number[];
  /** Index of the skill without which this one's directive is only half effective, if any. */
  support?: number;
  /** Index of the skill this one supports, if any (it pays alone only in a separable world). */
  supports?: number;
  /** Index of the skill a misdiagnosing critic names instead of this one. */
  confusedWith?: number;
  shortest: string;
}

export interface Deceptive {
  phrase: string;
  /** Index of the skill it half-serves alone. */
  helps: number;
  /** Index of the skill whose directive it overrides while present. */
  blocks: number;
}

export interface Harmful {
  phrase: string;
  hurts: number[];
  strength: number;
}

export interface SimTask extends Made {
  id: string;
  template: string;
  kind: SimCheck["type"];
  /** Indexes of the skills the task needs, in the order an answer checks them. */
  skills: number[];
  /** In [0,1]. */
  difficulty: number;
  /** False for a fallback made up for text the world does not know. */
  known: boolean;
}

export interface World {
  seed: number;
  /** How rugged the landscape is (presets.ts); never changes the skills or tasks. */
  knobs: WorldKnobs;
  skills: Skill[];
  harmful: Harmful[];
  deceptive: Deceptive[];
  distractors: readonly string[];
  tasks: SimTask[];
  byText: Map<string, SimTask>;
}

/** Tasks generated per world; suites take a prefix of this pool. */
export const TASK_POOL = 600;

const cache = new Map<string, World>();

export function createWorld(seed = 1, knobs: WorldKnobs = SEPARABLE): World {
  const key = `${seed}|${knobsKey(knobs)}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const r = rngFor("world", seed);
  const index = new Map(SKILLS.map((s, i) => [s.id, i]));
  const skills: Skill[] = SKILLS.map((s, i) => ({
    ...s,
    index: i,
    hardness: r(),
    frequency: 0.4 + r(),
    conflictsWith: CONFLICTS.filter((c) => c.includes(s.id)).map((c) => index.get(c[0] === s.id ? c[1] : c[0])!),
    support: index.get(SUPPORTS.find((p) => p[0] === s.id)?.[1] ?? ""),
    supports: index.get(SUPPORTS.find((p) => p[1] === s.id)?.[0] ?? ""),
    confusedWith: index.get(CONFUSABLE.find((c) => c.includes(s.id))?.find((id) => id !== s.id) ?? ""),
    shortest: s.phrasings.reduce((a, b) => (wordCount(b) < wordCount(a) || (wordCount(b) === wordCount(a) && b.length < a.length) ? b : a)),
  }));
  const harmful = HARMFUL.map((h) => ({ phrase: h.phrase, strength: h.strength, hurts: h.hurts.map((id) => index.get(id)!) }));
  const tasks: SimTask[] = [];
  const byText = new Map<string, SimTask>();
  const kinds = Object.keys(KIND_WEIGHTS) as SimCheck["type"][];
  for (let attempt = 0; tasks.length < TASK_POOL && attempt < TASK_POOL * 20; attempt++) {
    const kind = weightedPick(r, kinds, (k) => KIND_WEIGHTS[k]);
    const t = pick(r, TEMPLATES.filter((x) => x.kind === kind));
    const made = t.make(r);
    const key = norm(made.input);
    if (byText.has(key)) continue; // task texts must identify tasks uniquely
    const task: SimTask = {
      ...made,
      id: `w${seed}-${String(tasks.length + 1).padStart(4, "0")}`,
      template: t.name,
      kind,
      skills: requiredSkills(r, t, skills, index),
      difficulty: 0.1 + 0.8 * r(),
      known: true,
    };
    tasks.push(task);
    byText.set(key, task);
  }
  const deceptive = DECEPTIVE.map((d) => ({ phrase: d.phrase, helps: index.get(d.helps)!, blocks: index.get(d.blocks)! }));
  const world: World = { seed, knobs: { ...knobs }, skills, harmful, deceptive, distractors: DISTRACTORS, tasks, byText };
  cache.set(key, world);
  return world;
}

/** The deceptive shortcut that imitates this skill's fix, when the shortcuts act. */
export function shortcutFor(world: World, skill: number): string | undefined {
  return world.knobs.deceptive > 0 ? world.deceptive.find((d) => d.helps === skill)?.phrase : undefined;
}

/** The template's core skills plus extras from its pool, 2..4 in all. */
function requiredSkills(r: () => number, t: Template, skills: Skill[], index: Map<string, number>): number[] {
  const target = Math.max(t.core.length, weightedPick(r, [2, 3, 4], (k) => [0.3, 0.45, 0.25][k - 2]!));
  const out = t.core.map((id) => index.get(id)!);
  const pool = t.pool.map((id) => index.get(id)!).filter((i) => !out.includes(i));
  while (out.length < target && pool.length > 0) {
    const s = weightedPick(r, pool, (i) => skills[i]!.frequency);
    out.push(s);
    pool.splice(pool.indexOf(s), 1);
  }
  return out;
}

/** The task with this text, or a hash-derived stand-in so unknown text never crashes the sim. */
export function lookupTask(world: World, text: string): SimTask {
  const key = norm(text);
  const known = world.byText.get(key);
  if (known) return known;
  const r = rngFor("unknown-task", world.seed, key);
  const n = world.skills.length;
  const a = int(r, 0, n - 1);
  const b = (a + 1 + int(r, 0, n - 2)) % n;
  const guess = int(r, 2, 99);
  return {
    id: `unknown-${key.length}`,
    template: "unknown",
    kind: "exact",
    input: text,
    answer: String(guess),
    wrong: String(guess + 1),
    steps: "I worked from the question as written.",
    check: { type: "exact", expected: String(guess) },
    skills: [a, b],
    difficulty: 0.5,
    known: false,
  };
}
