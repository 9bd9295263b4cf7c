/**
 * refine-critic writes a critique naming the skills the feedback shows missing
 * (by telltale) and problems it sees (conflicts, harmful lines, length);
 * refine-author reads a critique back into actions.
 */
import { analyzeHarness, LENGTH_LIMIT } from "./competence.js";
import { sectionLines, type HarnessDoc } from "./doc.js";
import type { EditCtx } from "./edits.js";
import { shortcutFor, type World } from "./world.js";
import { norm, pick } from "./util.js";

/** Chance the critic names an evidenced missing skill: flat across tiers, like edit targeting. */
const NAME_MISSING = 0.85;
const MAX_NAMED = 2;
// One filler line per critique: trimming is a step, not a rewrite.
const MAX_CUT = 1;

function phrasingIn(world: World, text: string, skill: number): string {
  const t = norm(text);
  return world.skills[skill]!.phrasings.find((p) => t.includes(norm(p))) ?? world.skills[skill]!.phrasings[0]!;
}

export function writeCritique(ctx: EditCtx, harness: string, doc: HarnessDoc): string {
  const { world, r, evidence } = ctx;
  const a = analyzeHarness(world, harness);
  const out: string[] = [];
  const missing = world.skills.map((_, i) => i).filter((i) => evidence[i]! > 0 && !a.instructed[i]).sort((x, y) => evidence[y]! - evidence[x]!);
  // A critic names a couple of things, not everything: the most evidenced first.
  const misread = world.knobs.misdiagnosis * ctx.params.misread;
  for (const i of missing.slice(0, MAX_NAMED)) {
    if (r() >= NAME_MISSING) continue;
    const s = world.skills[i]!;
    if (misread > 0 && r() < misread) {
      out.push(misdiagnose(ctx, i, evidence[i]!));
      continue;
    }
    out.push(`- Missing: ${s.label}. ${evidence[i]} failed answer(s) say "${s.telltale}" Add a directive such as "${s.phrasings[0]}."`);
  }
  for (const i of world.skills.map((_, j) => j).filter((j) => evidence[j]! > 0 && a.instructed[j])) {
    const s = world.skills[i]!;
    const partner = s.support ?? s.supports;
    // In an epistatic world the cause of an instructed skill still failing is its missing partner.
    if (world.knobs.epistasis > 0 && partner !== undefined && !a.instructed[partner]) {
      if (!(misread > 0 && r() < misread)) {
        const p = world.skills[partner]!;
        out.push(`- Answers still skip ${s.label} although the harness asks for it: that only works together with ${p.label}. Add a directive such as "${p.phrasings[0]}."`);
        continue;
      }
      const trick = shortcutFor(world, i);
      if (trick) {
        out.push(`- Answers still skip ${s.label}; a quicker fix: add "${trick}."`);
        continue;
      }
    }
    out.push(`- The harness already asks for ${s.label}, yet answers still skip it; it may be buried.`);
  }
  if (r() < 0.25 * ctx.spread) {
    const free = world.skills.map((_, i) => i).filter((i) => !a.instructed[i]);
    if (free.length > 0) out.push(`- It might also help to ask for ${world.skills[pick(r, free)]!.label}.`);
  }
  for (const [x, y] of conflictPairs(world, a.instructed)) {
    if (r() >= 0.7) continue;
    const drop = evidence[x]! < evidence[y]! || (evidence[x] === evidence[y] && r() < 0.5) ? x : y;
    const px = phrasingIn(world, harness, x), py = phrasingIn(world, harness, y);
    out.push(`- "${px}" and "${py}" pull in opposite directions, so the agent follows neither; drop "${phrasingIn(world, harness, drop)}".`);
  }
  for (const h of a.harmful) {
    if (r() >= 0.7) continue;
    out.push(`- "${world.harmful[h]!.phrase}" invites careless answers; remove "${world.harmful[h]!.phrase}".`);
  }
  if (a.words > LENGTH_LIMIT) {
    const filler = sectionLines(world, doc).filter((l) => l.info.distractor && l.info.skills.length === 0).slice(0, MAX_CUT);
    const cut = filler.map((l) => `cut "${l.text.replace(/^[-*]\s*/, "").replace(/\.$/, "").trim()}"`).join(", ");
    out.push(`- At ${a.words} words it is long; past about ${LENGTH_LIMIT} words the agent follows it less.${cut ? ` Trim filler: ${cut}.` : ""}`);
  }
  if (out.length === 0) out.push("- I see no clear problem; the failures look like slips rather than missing guidance.");
  return `Critique of the harness:\n${out.join("\n")}`;
}

/**
 * A misdiagnosis: the symptom's popular shortcut when there is one, else a confusable skill.
 * It never quotes the real telltale, so the author cannot recover the cause from it.
 */
function misdiagnose(ctx: EditCtx, skill: number, count: number): string {
  const { world } = ctx;
  const trick = shortcutFor(world, skill);
  if (trick) return `- ${count} failed answer(s) went wrong in a way a quicker habit would fix: add "${trick}."`;
  const other = world.skills[world.skills[skill]!.confusedWith ?? skill]!;
  return `- Missing: ${other.label}. ${count} failed answer(s) went wrong in a way that points there. Add a directive such as "${other.phrasings[0]}."`;
}

function conflictPairs(world: World, instructed: boolean[]): [number, number][] {
  return world.skills.flatMap((s, i) => s.conflictsWith.filter((j) => j > i && instructed[i] && instructed[j]).map((j): [number, number] => [i, j]));
}

export interface CritiqueActions {
  /** Quoted text the critique says to drop/remove/cut. */
  remove: string[];
  /** Skills the critique names (by label or telltale). */
  add: number[];
  /** Deceptive shortcuts the critique says to add, verbatim. */
  lines: string[];
}

export function readCritique(world: World, critique: string): CritiqueActions {
  const t = norm(critique);
  const remove = [...critique.matchAll(/\b(?:drop|remove|cut|delete)\s+"([^"]+)"/gi)].map((m) => norm(m[1]!)).filter((x) => x.length > 0);
  const add = world.skills.flatMap((s, i) =>
    t.includes(norm(s.label)) || t.includes(norm(s.telltale).replace(/[.]$/, "")) ? [i] : [],
  );
  const lines = world.knobs.deceptive > 0 ? world.deceptive.filter((d) => t.includes(`add "${norm(d.phrase)}`)).map((d) => d.phrase) : [];
  return { remove, add, lines };
}
