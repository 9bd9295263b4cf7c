import seedrandom from "seedrandom";

/** A uniform [0,1) generator; every draw in the sim comes from one of these. */
export type Rng = () => number;

/** cyrb53: a fast 53-bit string hash, stable across platforms (seeds and ids must be). */
export function hash53(text: string, salt = 0): number {
  let h1 = 0xdeadbeef ^ salt;
  let h2 = 0x41c6ce57 ^ salt;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

export function hashHex(text: string): string {
  return hash53(text).toString(16).padStart(14, "0");
}

/** An RNG keyed on its parts, so each decision has its own independent stream. */
export function rngFor(...parts: (string | number)[]): Rng {
  return seedrandom(parts.map(String).join("\u241f"));
}

/** Case-insensitive, whitespace-collapsed form used to recognise phrases in text. */
export function norm(text: string): string {
  return text.toLowerCase().replace(/\s+/g, " ").trim();
}

export function wordCount(text: string): number {
  return text.split(/\s+/).filter(Boolean).length;
}

export function clamp(x: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, x));
}

export function int(r: Rng, lo: number, hi: number): number {
  return lo + Math.floor(r() * (hi - lo + 1));
}

export function pick<T>(r: Rng, items: readonly T[]): T {
  if (items.length === 0) throw new RangeError("pick from an empty list");
  return items[Math.floor(r() * items.length)]!;
}

export function weightedPick<T>(r: Rng, items: readonly T[], weight: (t: T) => number): T {
  const total = items.reduce((s, t) => s + Math.max(0, weight(t)), 0);
  if (total <= 0) return pick(r, items);
  let x = r() * total;
  for (const t of items) {
    x -= Math.max(0, weight(t));
    if (x < 0) return t;
  }
  return items[items.length - 1]!;
}

export function shuffle<T>(r: Rng, items: readonly T[]): T[] {
  const out = items.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** Counts non-overlapping occurrences of needle in haystack (both already normalised). */
export function countOccurrences(haystack: string, needle: string): number {
  if (needle === "") return 0;
  let n = 0;
  for (let i = haystack.indexOf(needle); i !== -1; i = haystack.indexOf(needle, i + needle.length)) n++;
  return n;
}
