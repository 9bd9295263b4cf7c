/**
 * Reading a number out of an answer for the `numeric` check. mathjs evaluates the expression,
 * but only after the text is reduced to plain arithmetic (digits, + - * / ^, parentheses), so
 * a model's answer can never call mathjs functions or allocate huge matrices.
 */
import { createRequire } from "node:module";
import type { MathJsInstance } from "mathjs";

/**
 * mathjs, loaded on the first expression rather than with this module. Its single-file build
 * (the same release, published in the package for browsers; a UMD bundle that Node requires)
 * loads in about a tenth of the CPU time of its ESM entry, which spans some 1,200 files.
 */
let math: MathJsInstance | undefined;
function mathjs(): MathJsInstance {
  return (math ??= createRequire(import.meta.url)("mathjs/lib/browser/math.js") as MathJsInstance);
}

const NUM = String.raw`(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][-+]?\d+)?`;
const OPEN = String.raw`(?:\(\s*)*`;
const CLOSE = String.raw`(?:\s*\))*`;
const TERM = String.raw`(?:[-+]\s*)?${OPEN}${NUM}${CLOSE}`;
/** A plain arithmetic expression: numbers joined by operators, with parentheses. */
const EXPR = new RegExp(String.raw`${TERM}(?:\s*[-+*/^×÷]\s*${TERM})*`, "g");
const WHOLE = new RegExp(String.raw`^${EXPR.source}$`);

export type NumberRead = { ok: true; value: number; text: string } | { ok: false; reason: string };

/** Remove what decorates a number but does not change it: currency, thousands commas, %, labels. */
function clean(raw: string): string {
  let s = raw.trim().replace(/\.$/, "");
  const eq = s.lastIndexOf("=");
  if (eq !== -1 && eq < s.length - 1) s = s.slice(eq + 1); // "x = 3/4" → "3/4"
  return s
    .replace(/[$€£¥%]/g, "")
    .replace(/(\d),(?=\d{3}(?!\d))/g, "$1") // 1,200,000 → 1200000
    .replace(/(\d)[ _](?=\d{3}(?!\d))/g, "$1") // 1 200 → 1200 (thin/underscore grouping)
    .replace(/[−–]/g, "-") // unicode minus signs
    .trim();
}

/** Drop parentheses the match picked up from surrounding prose: "(see 42)" yields "42)". */
function balance(expr: string): string {
  let s = expr.trim();
  let depth = 0;
  for (const c of s) depth += c === "(" ? 1 : c === ")" ? -1 : 0;
  for (; depth > 0 && s.startsWith("("); depth--) s = s.slice(1).trimStart();
  for (; depth < 0 && s.endsWith(")"); depth++) s = s.slice(0, -1).trimEnd();
  return s;
}

function evalArithmetic(expr: string): number | undefined {
  const normal = balance(expr).replace(/×/g, "*").replace(/÷/g, "/");
  if (/\d\s+\d/.test(normal)) return undefined; // "12 3": two numbers, not one expression
  try {
    const v: unknown = mathjs().evaluate(normal);
    return typeof v === "number" && Number.isFinite(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The number an answer states. The whole cleaned text when it is an expression ("3/4",
 * "$1,200.00"); otherwise the last expression in it ("about 42 apples" → 42), because
 * answers tend to end with their result.
 */
export function readNumber(raw: string | number): NumberRead {
  if (typeof raw === "number") return Number.isFinite(raw) ? { ok: true, value: raw, text: String(raw) } : { ok: false, reason: `not a finite number: ${raw}` };
  // Answers are bounded by max_tokens; anything this long is not a number worth parsing.
  if (raw.length > 10_000) return { ok: false, reason: `an answer of ${raw.length} chars is too long to read as a number` };
  const s = clean(raw);
  if (s === "") return { ok: false, reason: "no number in an empty answer" };
  if (WHOLE.test(s)) {
    const v = evalArithmetic(s);
    if (v !== undefined) return { ok: true, value: v, text: s };
  }
  const found = [...s.matchAll(EXPR)].map((m) => m[0].trim()).filter((t) => /\d/.test(t));
  for (let i = found.length - 1; i >= 0; i--) {
    const v = evalArithmetic(found[i]!);
    if (v !== undefined) return { ok: true, value: v, text: found[i]! };
  }
  return { ok: false, reason: `no number found in "${raw.length > 80 ? `${raw.slice(0, 79)}…` : raw}"` };
}

/** Equal within `tolerance`, absolute or relative to the larger magnitude (whichever is looser). */
export function numbersClose(a: number, b: number, tolerance: number): boolean {
  const d = Math.abs(a - b);
  return d <= tolerance || d <= tolerance * Math.max(Math.abs(a), Math.abs(b));
}
