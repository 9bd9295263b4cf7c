import { createHash } from "node:crypto";

/** A harness is markdown text; `## ` headings make named sections. */
export interface Section {
  /** Heading text without the `## `; "" for the preamble before the first heading. */
  title: string;
  body: string;
}

/** Whitespace-insensitive form used for identity: trims lines, drops blank runs, unifies newlines. */
export function normalize(text: string): string {
  return text
    .replace(/\r\n?/g, "\n")
    .split("\n")
    .map((l) => l.trim().replace(/\s+/g, " "))
    .filter((l, i, all) => l !== "" || (i > 0 && all[i - 1] !== ""))
    .join("\n")
    .trim();
}

export function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** Identity of a harness: the hash of its normalized text (16 hex chars is plenty for a run). */
export function harnessHash(text: string): string {
  return sha256(normalize(text)).slice(0, 16);
}

export function sections(text: string): Section[] {
  const out: Section[] = [];
  let current: Section = { title: "", body: "" };
  const lines: string[] = [];
  const flush = () => {
    current.body = lines.join("\n").trim();
    if (current.title !== "" || current.body !== "") out.push(current);
    lines.length = 0;
  };
  for (const line of text.replace(/\r\n?/g, "\n").split("\n")) {
    const m = /^##\s+(.+?)\s*$/.exec(line);
    if (m && !line.startsWith("###")) {
      flush();
      current = { title: m[1]!, body: "" };
    } else lines.push(line);
  }
  flush();
  return out;
}

export function joinSections(parts: readonly Section[]): string {
  return parts
    .map((s) => (s.title === "" ? s.body : `## ${s.title}\n${s.body}`))
    .filter((s) => s.trim() !== "")
    .join("\n\n")
    .trim() + "\n";
}

export function wordCount(text: string): number {
  return text.split(/\s+/).filter(Boolean).length;
}
