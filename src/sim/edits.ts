/**
 * The evolver's elementary edits on a harness document. Each edit records a
 * short English note that becomes part of the reply.
 */
import { analyzeHarness, LENGTH_LIMIT } from "./competence.js";
import { addLine, bullet, renderDoc, sectionLines, type HarnessDoc, type LineRef } from "./doc.js";
import type { EvolverParams } from "./models.js";
import { shortcutFor, type World } from "./world.js";
import { clamp, pick, weightedPick, type Rng } from "./util.js";

export interface EditCtx {
  world: World;
  r: Rng;
  params: EvolverParams;
  /** Effective spread: the tier's spread widened by temperature. */
  spread: number;
  /** Per skill: how often the feedback/critique shows its telltale. */
  evidence: number[];
  notes: string[];
}

export function instructedIn(world: World, doc: HarnessDoc): boolean[] {
  return analyzeHarness(world, renderDoc(doc)).instructed;
}

/** Large models reach for the canonical phrasing; small ones pick any. */
export function choosePhrasing(ctx: EditCtx, skill: number): string {
  const s = ctx.world.skills[skill]!;
  return ctx.r() < clamp(1 - 0.8 * ctx.spread, 0.05, 1) ? s.phrasings[0]! : pick(ctx.r, s.phrasings);
}

/**
 * Which skill to add: with probability `targeting` one evidenced in the
 * feedback (low spread picks the most evidenced; high spread samples), else any
 * skill not yet instructed.
 */
export function chooseSkill(ctx: EditCtx, doc: HarnessDoc, targeting: number): { skill: number; targeted: boolean } | undefined {
  const instructed = instructedIn(ctx.world, doc);
  const all = ctx.world.skills.map((_, i) => i).filter((i) => !instructed[i]);
  if (all.length === 0) return undefined;
  const evidenced = all.filter((i) => ctx.evidence[i]! > 0);
  if (evidenced.length > 0 && ctx.r() < targeting) {
    const top = evidenced.reduce((a, b) => (ctx.evidence[b]! > ctx.evidence[a]! ? b : a));
    const skill = ctx.r() < 1 - 0.5 * ctx.spread ? top : weightedPick(ctx.r, evidenced, (i) => ctx.evidence[i]!);
    return { skill, targeted: true };
  }
  return { skill: pick(ctx.r, all), targeted: false };
}

export function addSkill(ctx: EditCtx, doc: HarnessDoc, targeting: number): boolean {
  const c = chooseSkill(ctx, doc, targeting);
  if (!c) return false;
  const s = ctx.world.skills[c.skill]!;
  // Reading a symptom as its cause, the evolver reaches for the popular shortcut instead.
  const trick = c.targeted ? shortcutFor(ctx.world, c.skill) : undefined;
  if (trick && ctx.r() < ctx.world.knobs.misdiagnosis * ctx.params.misread) return addShortcut(ctx, doc, trick);
  const phrase = choosePhrasing(ctx, c.skill);
  addLine(doc, s.section, bullet(phrase));
  ctx.notes.push(
    c.targeted
      ? `Several failed answers point to ${s.label}, so I added "${phrase}" under ${s.section}.`
      : `I added "${phrase}" under ${s.section} to see whether it helps.`,
  );
  return true;
}

function isBad(ctx: EditCtx, ref: LineRef, instructed: boolean[]): boolean {
  if (ref.info.harmful.length > 0 || ref.info.distractor) return true;
  return ref.info.skills.some((i) => ctx.world.skills[i]!.conflictsWith.some((j) => instructed[j]));
}

/** Removes a line; with probability `cleanup` one that is harmful, conflicting or filler. */
export function removeLine(ctx: EditCtx, doc: HarnessDoc, cleanup = ctx.params.cleanup): boolean {
  const lines = sectionLines(ctx.world, doc);
  if (lines.length === 0) return false;
  const instructed = instructedIn(ctx.world, doc);
  const bad = lines.filter((l) => isBad(ctx, l, instructed));
  const ref = bad.length > 0 && ctx.r() < cleanup ? pick(ctx.r, bad) : pick(ctx.r, lines);
  doc.sections[ref.section]!.lines.splice(ref.line, 1);
  ctx.notes.push(`I removed "${ref.text.replace(/^[-*]\s*/, "").trim()}", which did not seem to earn its place.`);
  return true;
}

/** Rewrites a directive line in another phrasing of the same skill. */
export function swapPhrasing(ctx: EditCtx, doc: HarnessDoc): boolean {
  const lines = sectionLines(ctx.world, doc).filter((l) => l.info.skills.length > 0);
  if (lines.length === 0) return false;
  const ref = pick(ctx.r, lines);
  const skill = ctx.world.skills[ref.info.skills[0]!]!;
  const phrase = pick(ctx.r, skill.phrasings);
  doc.sections[ref.section]!.lines[ref.line] = bullet(phrase);
  ctx.notes.push(`I reworded a line as "${phrase}" to make it clearer.`);
  return true;
}

/** Adds a deceptive shortcut line (under Approach) unless the harness already has it. */
export function addShortcut(ctx: EditCtx, doc: HarnessDoc, phrase: string): boolean {
  if (analyzeHarness(ctx.world, renderDoc(doc)).deceptive.some((d) => ctx.world.deceptive[d]!.phrase === phrase)) return false;
  addLine(doc, "Approach", bullet(phrase));
  ctx.notes.push(`I added "${phrase}", a quicker way to the same result.`);
  return true;
}

/**
 * Context collapse (ACE, arXiv 2510.04618): re-emitting a whole harness, a model drops
 * details, more the longer the harness. Each line is lost with chance collapse × words/limit.
 */
export function collapseLines(ctx: EditCtx, doc: HarnessDoc): void {
  const rate = ctx.world.knobs.collapse;
  if (rate <= 0) return;
  const words = analyzeHarness(ctx.world, renderDoc(doc)).words;
  const p = Math.min(2 * rate, (rate * words) / LENGTH_LIMIT);
  let lost = 0;
  for (const s of doc.sections) {
    const before = s.lines.length;
    s.lines = s.lines.filter((line) => line.trim() === "" || ctx.r() >= p);
    lost += before - s.lines.length;
  }
  if (lost > 0) ctx.notes.push("I tightened the wording.");
}

/** Noise: a line that sounds useful and does nothing but add length. */
export function addDistractor(ctx: EditCtx, doc: HarnessDoc): boolean {
  const phrase = pick(ctx.r, ctx.world.distractors);
  const heading = doc.sections.length > 0 ? pick(ctx.r, doc.sections).heading : "Approach";
  addLine(doc, heading, bullet(phrase));
  ctx.notes.push(`I added "${phrase}" to set the tone.`);
  return true;
}

/** One random edit, weighted: mostly additions; spread raises rewording and noise. */
export function randomEdit(ctx: EditCtx, doc: HarnessDoc): void {
  const ops: [number, () => boolean][] = [
    [0.55, () => addSkill(ctx, doc, ctx.params.targeting)],
    [0.2, () => removeLine(ctx, doc)],
    [0.08 + 0.1 * ctx.spread, () => swapPhrasing(ctx, doc)],
    [0.04 + 0.12 * ctx.spread, () => addDistractor(ctx, doc)],
  ];
  const op = weightedPick(ctx.r, ops, (o) => o[0]);
  if (!op[1]()) addSkill(ctx, doc, ctx.params.targeting) || addDistractor(ctx, doc);
}

/** Small models make more edits per step. */
export function editCount(ctx: EditCtx): number {
  return 1 + (ctx.r() < 0.35 * ctx.spread ? 1 : 0) + (ctx.r() < 0.15 * ctx.spread ? 1 : 0);
}
