/**
 * The tagged prompt vocabulary. The engine's prompts wrap every part in one of
 * these tags (good practice for real models too); the simulated models read the
 * same tags to recognise what they are asked. This file is the only thing the
 * sim shares with the engine.
 */
export const TAG = {
  /** Which operator step an evolver prompt is: see OperatorStep. */
  operator: "operator",
  /** A harness: in evolver prompts the parents (with an id attribute), in replies the new harness. */
  harness: "harness",
  /** Fitness feedback on a parent: what failed and why. */
  feedback: "feedback",
  /** A critic's critique: the reply of a refine-critic step, the input of a refine-author step. */
  critique: "critique",
  /** A task given to the user role, or shown to the verifier. */
  task: "task",
  /** An answer shown to the verifier. */
  answer: "answer",
  /** The rubric the verifier judges against. */
  rubric: "rubric",
} as const;

export type OperatorStep = "mutate" | "crossover" | "rewrite" | "refine-critic" | "refine-author";
export const OPERATOR_STEPS: readonly OperatorStep[] = ["mutate", "crossover", "rewrite", "refine-critic", "refine-author"];

/** The line an answer ends with; checks read the text after the last one. */
export const FINAL_ANSWER_PREFIX = "Final answer:";

/** The verifier's last line: `Score: 7/10`. */
export const SCORE_LINE = /^\s*score\s*:\s*(\d+(?:\.\d+)?)\s*\/\s*10\s*$/im;

export function wrap(tag: string, body: string, attrs: Record<string, string | number> = {}): string {
  const a = Object.entries(attrs).map(([k, v]) => ` ${k}="${String(v).replace(/"/g, "'")}"`).join("");
  return `<${tag}${a}>\n${body}\n</${tag}>`;
}

export interface TagBlock {
  attrs: Record<string, string>;
  body: string;
}

/**
 * Every complete `<tag ...>body</tag>` block, in order: an opening tag (with optional `name="value"`
 * attributes), the body up to the FIRST closing tag after it, and so on after that. Bodies are trimmed.
 *
 * Linear in the text's length: the closing tag is searched once per block, not once per opening
 * tag, so a hostile reply of a million unclosed `<harness>` tags is read in milliseconds (a lazy
 * `[\s\S]*?` regex rescans to the end of the text from every one of them: minutes for a megabyte).
 */
export function blocks(text: string, tag: string): TagBlock[] {
  const opening = new RegExp(`<${tag}((?:\\s+[a-zA-Z_-]+="[^"]*")*)\\s*>`, "g");
  const close = `</${tag}>`;
  const out: TagBlock[] = [];
  // The first closing tag at or after `nextClose.from` (-1: none), remembered while the scan is behind it.
  let nextClose: { from: number; at: number } | undefined;
  const closeFrom = (from: number): number => {
    const known = nextClose !== undefined && from >= nextClose.from && (nextClose.at === -1 || from <= nextClose.at);
    if (!known) nextClose = { from, at: text.indexOf(close, from) };
    return nextClose!.at;
  };
  let m: RegExpExecArray | null;
  while ((m = opening.exec(text)) !== null) {
    const bodyStart = m.index + m[0].length;
    const end = closeFrom(bodyStart);
    if (end === -1) {
      // No closing tag after this opening one, so none after any later one either, except
      // (pathologically) one inside this opening tag's own attributes.
      if (text.indexOf(close, m.index + 1) === -1) break;
      opening.lastIndex = m.index + 1;
      continue;
    }
    const attrs: Record<string, string> = {};
    for (const am of (m[1] ?? "").matchAll(/([a-zA-Z_-]+)="([^"]*)"/g)) attrs[am[1]!] = am[2]!;
    out.push({ attrs, body: text.slice(bodyStart, end).trim() });
    opening.lastIndex = end + close.length;
  }
  return out;
}

export function firstBlock(text: string, tag: string): string | undefined {
  return blocks(text, tag)[0]?.body;
}

const ESCAPED = "&lt;";

const TAG_NAMES = Object.values(TAG).join("|");
const ENGINE_TAG = new RegExp(`<(?=/?(?:${TAG_NAMES})\\b)`, "gi");
const ENGINE_TAG_TEST = new RegExp(`</?(?:${TAG_NAMES})\\b`, "i");

/**
 * Neutralise the engine's own tags inside untrusted text (answers, feedback, harnesses) so
 * the text cannot close or open a section of the prompt it is placed in.
 */
export function escapeEngineTags(text: string): string {
  return text.replace(ENGINE_TAG, ESCAPED);
}

/** The first engine tag found in the text (e.g. `<task`), or undefined. */
export function findEngineTag(text: string): string | undefined {
  return ENGINE_TAG_TEST.exec(text)?.[0];
}

/**
 * Cut to at most `max` chars with a visible note of how much was left out, for long untrusted
 * text quoted into a prompt (feedback, answers): `…\n[… cut: 12345 chars …]`.
 */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${text.slice(0, Math.max(0, max))}\n[… cut: ${text.length - Math.max(0, max)} chars …]`;
}
