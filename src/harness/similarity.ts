import { normalize } from "./harness.js";

/** Word 3-shingles of the normalized, lower-cased text. */
export function shingles(text: string, k = 3): Set<string> {
  const words = normalize(text).toLowerCase().split(/[^a-z0-9]+/).filter(Boolean);
  const out = new Set<string>();
  if (words.length < k) {
    if (words.length > 0) out.add(words.join(" "));
    return out;
  }
  for (let i = 0; i + k <= words.length; i++) out.add(words.slice(i, i + k).join(" "));
  return out;
}

/** Exact Jaccard similarity of two shingle sets (harnesses are small; MinHash is not worth its error here). */
export function jaccard(a: ReadonlySet<string>, b: ReadonlySet<string>): number {
  if (a.size === 0 && b.size === 0) return 1;
  let inter = 0;
  const [small, large] = a.size <= b.size ? [a, b] : [b, a];
  for (const s of small) if (large.has(s)) inter++;
  return inter / (a.size + b.size - inter);
}

export function similarity(a: string, b: string): number {
  return jaccard(shingles(a), shingles(b));
}
