/**
 * The harness as the simulated evolver edits it: an intro, then `## Heading`
 * sections of lines. Each line is classified by the directives it contains.
 */
import type { World } from "./world.js";
import { norm } from "./util.js";

export interface DocSection {
  heading: string;
  lines: string[];
}

export interface HarnessDoc {
  intro: string[];
  sections: DocSection[];
}

export interface LineInfo {
  skills: number[];
  harmful: number[];
  distractor: boolean;
}

export function parseDoc(text: string): HarnessDoc {
  const doc: HarnessDoc = { intro: [], sections: [] };
  for (const raw of text.replace(/\r\n?/g, "\n").split("\n")) {
    const line = raw.trimEnd();
    const m = /^##\s+(.+?)\s*$/.exec(line);
    if (m && !line.startsWith("###")) doc.sections.push({ heading: m[1]!, lines: [] });
    else (doc.sections.at(-1)?.lines ?? doc.intro).push(line);
  }
  return doc;
}

export function renderDoc(doc: HarnessDoc): string {
  const parts = [doc.intro.join("\n").trim()];
  for (const s of doc.sections) {
    const body = s.lines.join("\n").trim();
    if (body !== "") parts.push(`## ${s.heading}\n${body}`);
  }
  return parts.filter((p) => p !== "").join("\n\n").replace(/\n{3,}/g, "\n\n") + "\n";
}

export function cloneDoc(doc: HarnessDoc): HarnessDoc {
  return { intro: doc.intro.slice(), sections: doc.sections.map((s) => ({ heading: s.heading, lines: s.lines.slice() })) };
}

export function classifyLine(world: World, line: string): LineInfo {
  const t = norm(line);
  return {
    skills: world.skills.flatMap((s, i) => (s.phrasings.some((p) => t.includes(norm(p))) ? [i] : [])),
    harmful: world.harmful.flatMap((h, i) => (t.includes(norm(h.phrase)) ? [i] : [])),
    distractor: world.distractors.some((d) => t.includes(norm(d))),
  };
}

export function bullet(phrase: string): string {
  return `- ${phrase}.`;
}

/** Appends a line to the named section, creating the section when missing. */
export function addLine(doc: HarnessDoc, heading: string, line: string): void {
  let s = doc.sections.find((x) => norm(x.heading) === norm(heading));
  if (!s) doc.sections.push((s = { heading, lines: [] }));
  // keep a section's lines together: insert before its trailing blank lines
  let at = s.lines.length;
  while (at > 0 && s.lines[at - 1]!.trim() === "") at--;
  s.lines.splice(at, 0, line);
}

export interface LineRef {
  section: number;
  line: number;
  text: string;
  info: LineInfo;
}

/** Every non-blank line inside a section: the lines an edit may remove or rewrite. */
export function sectionLines(world: World, doc: HarnessDoc): LineRef[] {
  return doc.sections.flatMap((s, si) =>
    s.lines.flatMap((text, li) => (text.trim() === "" ? [] : [{ section: si, line: li, text, info: classifyLine(world, text) }])),
  );
}
