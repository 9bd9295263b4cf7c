/** The seed → best text difference as escaped HTML: changed lines, with the changed words marked inside them. */
import { diffLines, diffWordsWithSpace, type ChangeObject } from "diff";
import { esc } from "./escape.js";

export interface DiffHtml {
  html: string;
  added: number;
  removed: number;
}

type Kind = "add" | "del" | "same";

/** Share of non-space characters two replaced blocks must have in common for changed words to be marked. */
const SIMILAR = 0.5;

/** Lines of one side of a word diff, with that side's changed words wrapped in `tag`. */
function sideLines(parts: readonly ChangeObject<string>[], keep: (p: ChangeObject<string>) => boolean, marked: (p: ChangeObject<string>) => boolean, tag: "ins" | "del"): string[] {
  const lines = [""];
  for (const p of parts) {
    if (!keep(p)) continue;
    p.value.split("\n").forEach((seg, i) => {
      if (i > 0) lines.push("");
      if (seg) lines[lines.length - 1] += marked(p) ? `<${tag}>${esc(seg)}</${tag}>` : esc(seg);
    });
  }
  return lines;
}

function textLines(value: string): string[] {
  const lines = value.split("\n");
  if (lines.at(-1) === "") lines.pop();
  return lines;
}

function line(kind: Kind, content: string): string {
  const sign = kind === "add" ? "+" : kind === "del" ? "−" : " ";
  return `<div class="dl ${kind}"><span class="sign">${sign}</span>${content || " "}</div>`;
}

export function diffHtml(before: string, after: string): DiffHtml {
  const parts = diffLines(before, after);
  const out: string[] = [];
  let added = 0;
  let removed = 0;
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]!;
    const next = parts[i + 1];
    if (p.removed && next?.added) {
      // A replaced block: mark the words that changed on each side.
      const words = diffWordsWithSpace(p.value, next.value);
      // Marking words helps only where the blocks are mostly alike; a rewrite would be all marks.
      const common = words.reduce((n, w) => n + (w.added || w.removed ? 0 : w.value.replace(/\s/g, "").length), 0);
      const alike = common >= SIMILAR * Math.max(p.value.replace(/\s/g, "").length, next.value.replace(/\s/g, "").length);
      const del = sideLines(words, (w) => !w.added, (w) => alike && !!w.removed, "del").slice(0, textLines(p.value).length);
      const ins = sideLines(words, (w) => !w.removed, (w) => alike && !!w.added, "ins").slice(0, textLines(next.value).length);
      out.push(...del.map((l) => line("del", l)), ...ins.map((l) => line("add", l)));
      removed += del.length;
      added += ins.length;
      i++;
      continue;
    }
    const kind: Kind = p.added ? "add" : p.removed ? "del" : "same";
    const lines = textLines(p.value);
    if (kind === "add") added += lines.length;
    if (kind === "del") removed += lines.length;
    out.push(...lines.map((l) => line(kind, esc(l))));
  }
  return { html: `<div class="diff">${out.join("")}</div>`, added, removed };
}
