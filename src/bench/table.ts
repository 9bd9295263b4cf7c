/**
 * Pure text formatting for benchmark reports: GitHub-flavoured markdown
 * tables and compact renderings of intervals, dollar amounts and counts.
 */
import type { Interval } from "./stats.js";

export type Align = "l" | "r" | "c";
export type Cell = string | number | null | undefined;

/** Escape a cell for a GFM table: `|` → `\|`, line breaks → `<br>`. */
function escapeCell(s: string): string {
  return s.replace(/\|/g, "\\|").replace(/\r\n|\r|\n/g, "<br>");
}

function cellText(c: Cell): string {
  if (c === null || c === undefined) return "";
  if (typeof c === "number") return Number.isNaN(c) ? "n/a" : String(c);
  return escapeCell(c);
}

function pad(s: string, width: number, align: Align): string {
  const gap = width - s.length;
  if (gap <= 0) return s;
  if (align === "r") return " ".repeat(gap) + s;
  if (align === "c") {
    const left = Math.floor(gap / 2);
    return " ".repeat(left) + s + " ".repeat(gap - left);
  }
  return s + " ".repeat(gap);
}

function rule(width: number, align: Align): string {
  if (align === "r") return "-".repeat(width - 1) + ":";
  if (align === "c") return ":" + "-".repeat(width - 2) + ":";
  return ":" + "-".repeat(width - 1);
}

/** A column defaults to right alignment when it holds at least one number and no strings. */
function defaultAlign(rows: readonly (readonly Cell[])[], col: number): Align {
  let numbers = 0;
  for (const row of rows) {
    const c = row[col];
    if (typeof c === "string") return "l";
    if (typeof c === "number") numbers++;
  }
  return numbers > 0 ? "r" : "l";
}

/**
 * A GitHub-flavoured markdown table; numbers right-aligned by default; pipes
 * and newlines in cells escaped; null/undefined cells are empty. Short rows
 * are padded with empty cells; a row longer than the header is a RangeError.
 * Columns are padded to a common width so the source reads as a table too.
 */
export function markdownTable(
  headers: readonly string[],
  rows: readonly (readonly Cell[])[],
  align?: readonly Align[],
): string {
  if (headers.length === 0) throw new RangeError("markdownTable needs at least one column");
  rows.forEach((row, i) => {
    if (row.length > headers.length) {
      throw new RangeError(`row ${i} has ${row.length} cells but there are ${headers.length} headers`);
    }
  });
  const aligns = headers.map((_, j) => align?.[j] ?? defaultAlign(rows, j));
  const head = headers.map((h) => escapeCell(h));
  const body = rows.map((row) => headers.map((_, j) => cellText(row[j])));
  const widths = headers.map((_, j) =>
    Math.max(3, (head[j] as string).length, ...body.map((r) => (r[j] as string).length)),
  );
  const line = (cells: readonly string[]): string =>
    `| ${cells.map((c, j) => pad(c, widths[j] as number, aligns[j] as Align)).join(" | ")} |`;
  const sep = `| ${widths.map((w, j) => rule(w, aligns[j] as Align)).join(" | ")} |`;
  return [line(head), sep, ...body.map(line)].join("\n");
}

/** toFixed without a "-" on values that round to zero ("-0.000" → "0.000"). */
function fixed(x: number, digits: number): string {
  const s = x.toFixed(digits);
  return /^-0(\.0*)?$/.test(s) ? s.slice(1) : s;
}

/** "0.452 [0.401, 0.503]"; n ≤ 1 or no finite bounds → "0.452"; NaN mean → "n/a". */
export function formatInterval(i: Interval, digits = 3): string {
  if (!Number.isFinite(i.mean)) return "n/a";
  const m = fixed(i.mean, digits);
  if (i.n <= 1 || !Number.isFinite(i.low) || !Number.isFinite(i.high)) return m;
  return `${m} [${fixed(i.low, digits)}, ${fixed(i.high, digits)}]`;
}

/** Group the integer part of a non-negative fixed-point string with commas. */
function group(s: string): string {
  const [int, frac] = s.split(".");
  const grouped = (int as string).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return frac === undefined ? grouped : `${grouped}.${frac}`;
}

/** "$0.6064": 4 decimals under $10, 2 from $10 up (with thousands separators); negative → "-$1.23". */
export function formatUsd(x: number): string {
  if (!Number.isFinite(x)) return "n/a";
  const abs = Math.abs(x);
  const digits = Number(abs.toFixed(4)) < 10 ? 4 : 2;
  const body = abs.toFixed(digits);
  const zero = Number(body) === 0;
  return `${x < 0 && !zero ? "-" : ""}$${group(body)}`;
}

/** 14542 → "14,542" (rounded to an integer); NaN/±Infinity → "n/a". */
export function formatCount(x: number): string {
  if (!Number.isFinite(x)) return "n/a";
  const r = Math.round(x);
  const abs = Math.abs(r);
  if (abs >= 1e21) return String(r); // toFixed switches to exponent form here
  return `${r < 0 ? "-" : ""}${group(abs.toFixed(0))}`;
}
