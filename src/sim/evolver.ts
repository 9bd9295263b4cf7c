/**
 * The evolver role: reads the operator step, parents, feedback and critique,
 * and writes a new harness (or, for refine-critic, a critique). A small
 * tier-dependent fraction of replies is malformed on purpose.
 */
import { TAG, blocks, wrap, type OperatorStep, OPERATOR_STEPS } from "../protocol/tags.js";
import { INTROS, SECTION_ORDER } from "./catalog.js";
import { telltaleEvidence } from "./competence.js";
import { readCritique, writeCritique } from "./critic.js";
import { addDistractor, addShortcut, addSkill, collapseLines, editCount, instructedIn, randomEdit, removeLine, type EditCtx } from "./edits.js";
import { addLine, bullet, cloneDoc, parseDoc, renderDoc, sectionLines, classifyLine, type HarnessDoc } from "./doc.js";
import type { SimProfile } from "./models.js";
import { innerBlock } from "./prompt.js";
import type { World } from "./world.js";
import { clamp, hashHex, int, norm, pick, rngFor, shuffle } from "./util.js";

export function evolverReply(world: World, profile: SimProfile, prompt: string, seed: number, temperature: number): string {
  const stepText = norm(innerBlock(prompt, TAG.operator) ?? "");
  // Parents carry an id; an id-less block may be an example in the instructions.
  const all = blocks(prompt, TAG.harness).filter((b) => b.body.trim() !== "");
  const withId = all.filter((b) => b.attrs.id !== undefined);
  const parents = (withId.length > 0 ? withId : all).map((b) => b.body);
  const declared = OPERATOR_STEPS.find((s) => s === stepText);
  const step: OperatorStep = declared ?? (parents.length === 0 ? "rewrite" : "mutate");
  const feedback = blocks(prompt, TAG.feedback).map((b) => b.body).join("\n");
  const critique = blocks(prompt, TAG.critique).map((b) => b.body).join("\n");
  const r = rngFor("evolver", world.seed, profile.id, step, seed, temperature, hashHex(prompt));
  const ctx: EditCtx = {
    world, r, params: profile.evolver, notes: [],
    // temperature widens the spread: 0 → 0.4x, 1 → 1x, 2 → 1.6x
    spread: clamp(profile.evolver.spread * clamp(0.4 + 0.6 * temperature, 0.2, 1.6), 0, 1.5),
    evidence: telltaleEvidence(world, `${feedback}\n${critique}`),
  };
  const malformed = r() < profile.evolver.malformed;
  if (step === "refine-critic") {
    const parent = parents[0] ?? "";
    const body = writeCritique(ctx, parent, parseDoc(parent));
    const reply = `I compared the harness with the failures in the feedback.\n\n${wrap(TAG.critique, body)}`;
    return malformed ? reply.replace(`</${TAG.critique}>`, "") : reply;
  }
  const docs = parents.map(parseDoc);
  let child: HarnessDoc;
  if (step === "rewrite" || docs.length === 0) child = rewrite(ctx);
  else if (step === "crossover" && docs.length >= 2) child = crossover(ctx, docs);
  else if (step === "refine-author") child = author(ctx, docs[0]!, critique);
  else child = mutate(ctx, docs[0]!);
  const text = renderDoc(child).trim();
  const intro = ctx.notes.length > 0 ? ctx.notes.join(" ") : "I kept the harness close to its parent.";
  if (!malformed) return `${intro}\n\n${wrap(TAG.harness, text)}`;
  // Two realistic failure shapes: a truncated block, or the harness without its tags.
  return r() < 0.5 ? `${intro}\n\n<${TAG.harness}>\n${text}\n` : `${intro}\n\nHere is the new harness:\n\n${text}`;
}

function mutate(ctx: EditCtx, parent: HarnessDoc): HarnessDoc {
  const doc = cloneDoc(parent);
  collapseLines(ctx, doc);
  for (let n = editCount(ctx); n > 0; n--) randomEdit(ctx, doc);
  return doc;
}

/** Section-aware recombination: each `## Heading` comes whole from one parent that has it. */
function crossover(ctx: EditCtx, parents: HarnessDoc[]): HarnessDoc {
  const { r, world } = ctx;
  const first = parents[0]!;
  const child: HarnessDoc = { intro: (r() < 0.7 ? first : pick(r, parents)).intro.slice(), sections: [] };
  const headings: string[] = [];
  for (const p of parents) for (const s of p.sections) if (!headings.some((h) => norm(h) === norm(s.heading))) headings.push(s.heading);
  for (const h of headings) {
    const having = parents.filter((p) => p.sections.some((s) => norm(s.heading) === norm(h)));
    if (having.length < parents.length && r() >= Math.max(0.5, having.length / parents.length)) continue;
    const src = pick(r, having).sections.find((s) => norm(s.heading) === norm(h))!;
    child.sections.push({ heading: src.heading, lines: src.lines.slice() });
  }
  // Two parents may both carry a directive: keep its first occurrence only.
  const seen = new Set<string>();
  for (const s of child.sections) {
    s.lines = s.lines.filter((line) => {
      const info = classifyLine(world, line);
      const keys = [...info.skills.map((i) => `s${i}`), ...info.harmful.map((i) => `h${i}`)];
      if (info.distractor && keys.length === 0) keys.push(`d${norm(line)}`);
      if (keys.length > 0 && keys.every((k) => seen.has(k))) return false;
      keys.forEach((k) => seen.add(k));
      return true;
    });
  }
  ctx.notes.push(`I combined sections from ${parents.length} parents, keeping each directive once.`);
  collapseLines(ctx, child);
  if (r() < 0.5) addSkill(ctx, child, ctx.params.targeting);
  return child;
}

/** A fresh harness from a few directives, steered by feedback when there is any. */
function rewrite(ctx: EditCtx): HarnessDoc {
  const { r, world } = ctx;
  const doc: HarnessDoc = { intro: [ctx.params.spread < 0.5 ? INTROS[0]! : pick(r, INTROS)], sections: [] };
  for (const h of SECTION_ORDER) doc.sections.push({ heading: h, lines: [] });
  for (let k = int(r, 4, 7); k > 0; k--) addSkill(ctx, doc, ctx.params.targeting);
  if (r() < 0.5 * ctx.spread) addDistractor(ctx, doc);
  if (r() < 0.05 * ctx.spread) addLine(doc, "Approach", bullet(pick(r, world.harmful).phrase));
  ctx.notes.unshift("I wrote a new harness from scratch.");
  return doc;
}

/** An author acts on a few points per revision, not on everything the critique says. */
const MAX_AUTHOR_ACTIONS = 3;

/** Applies a critique: removes what it quotes for removal, adds what it names, with higher targeting. */
function author(ctx: EditCtx, parent: HarnessDoc, critique: string): HarnessDoc {
  const { r, world } = ctx;
  const doc = cloneDoc(parent);
  collapseLines(ctx, doc);
  const found = readCritique(world, critique);
  const named = found.add.filter((i) => !instructedIn(world, doc)[i]);
  // Only the named skills count as evidence here, so targeted adds follow the critique.
  const authorCtx: EditCtx = { ...ctx, evidence: world.skills.map((_, i) => (named.includes(i) ? 1 + (ctx.evidence[i] ?? 0) : 0)) };
  const targeting = Math.min(0.95, ctx.params.targeting + 0.25);
  const actions: (() => boolean)[] = [
    ...found.remove.map((quoted) => () => removeQuoted(ctx, doc, quoted)),
    ...found.lines.map((phrase) => () => addShortcut(ctx, doc, phrase)),
    ...named.map(() => () => addSkill(authorCtx, doc, targeting)),
  ];
  let acted = 0;
  for (const act of shuffle(r, actions)) {
    if (acted >= MAX_AUTHOR_ACTIONS) break;
    if (r() < 0.9 && act()) acted++;
  }
  if (acted === 0) {
    if (r() < 0.5) removeLine(ctx, doc);
    else randomEdit(ctx, doc);
  }
  return doc;
}

function removeQuoted(ctx: EditCtx, doc: HarnessDoc, quoted: string): boolean {
  const ref = sectionLines(ctx.world, doc).find((l) => norm(l.text).includes(quoted));
  if (!ref) return false;
  doc.sections[ref.section]!.lines.splice(ref.line, 1);
  ctx.notes.push(`As the critique suggested, I removed "${ref.text.replace(/^[-*]\s*/, "").trim()}".`);
  return true;
}
