/**
 * Standalone SVG charts for benchmark reports, built as Vega-Lite specs and
 * rendered headlessly by Vega (renderer "none": no canvas, no DOM).
 * Output is deterministic: fixed size, no timestamps, clip ids renumbered.
 */
import { createRequire } from "node:module";
import type * as Vega from "vega";
import type * as VegaLite from "vega-lite";
import type { TopLevelSpec } from "vega-lite";

/**
 * Vega and Vega-Lite load on the first chart, not with this module (they cost a few hundred
 * ms of CPU). Both are CommonJS: `require` skips the ESM wrapper's scan of their exports,
 * which costs about as much again.
 */
let engines: { vega: typeof Vega; compile: typeof VegaLite.compile } | undefined;
function chartEngines(): { vega: typeof Vega; compile: typeof VegaLite.compile } {
  if (!engines) {
    const require = createRequire(import.meta.url);
    engines = { vega: require("vega") as typeof Vega, compile: (require("vega-lite") as typeof VegaLite).compile };
  }
  return engines;
}

export interface Series {
  field: string;
  title: string;
}

/** The plot area; axes, legend and title are padded around it. */
export const CHART_WIDTH = 640;
export const CHART_HEIGHT = 360;
/** d3 category10, first colour used for single-series charts. */
const SINGLE_COLOUR = "#1f77b4";

type Json = Record<string, unknown>;

/** Vega-Lite reads "." and "[]" in field names as nested access; escape them. */
function field(name: string): string {
  return name.replace(/[\\.[\]]/g, (c) => `\\${c}`);
}

/** Plain copies: Vega tags ingested objects, and callers' data is readonly. */
function copyRows(data: readonly Record<string, unknown>[]): Json[] {
  return data.map((d) => ({ ...d }));
}

/** x is quantitative when every present value is a finite number, ordinal otherwise. */
function xType(data: readonly Record<string, unknown>[], name: string): "quantitative" | "ordinal" {
  let seen = false;
  for (const d of data) {
    const v = d[name];
    if (v === null || v === undefined) continue;
    if (typeof v !== "number" || !Number.isFinite(v)) return "ordinal";
    seen = true;
  }
  return seen ? "quantitative" : "ordinal";
}

function yScale(yDomain: [number, number] | undefined): Json | undefined {
  return yDomain ? { domain: [...yDomain], zero: false } : undefined;
}

function colour(series: Series | undefined): Json {
  if (!series) return {};
  const legend = { symbolOpacity: 1 }; // not the band's pale fill
  return {
    color: { field: field(series.field), type: "nominal", title: series.title, scale: { scheme: "category10" }, legend },
  };
}

/**
 * Integer-valued x (e.g. generations) gets integer ticks only. Over short ranges every
 * integer is listed: Vega's tickMinStep still lets d3 pick half steps when the span is 1 or 2.
 */
function integerAxis(data: readonly Record<string, unknown>[], name: string): Json {
  const xs = data.map((d) => d[name]).filter((v): v is number => v !== null && v !== undefined);
  if (!xs.every((v) => Number.isInteger(v))) return {};
  const lo = Math.min(...xs);
  const hi = Math.max(...xs);
  const values = xs.length > 0 && hi - lo <= 12 ? { values: Array.from({ length: hi - lo + 1 }, (_, i) => lo + i) } : {};
  return { axis: { tickMinStep: 1, format: "d", ...values } };
}

/** Category labels stay horizontal while short, slant when long. */
function labelAngle(data: readonly Record<string, unknown>[], name: string): number {
  const longest = data.reduce((m, d) => Math.max(m, String(d[name] ?? "").length), 0);
  return longest <= 12 ? 0 : -30;
}

function frame(title: string, values: Json[], layer: Json[], extra: Json = {}): TopLevelSpec {
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    title,
    width: CHART_WIDTH,
    height: CHART_HEIGHT,
    autosize: { type: "pad" },
    background: "white",
    padding: 8,
    config: { font: "sans-serif", mark: { color: SINGLE_COLOUR } },
    data: { values },
    layer,
    ...extra,
  } as unknown as TopLevelSpec;
}

/** Give Vega's process-global clip/gradient ids stable names in order of appearance. */
function normaliseIds(svg: string): string {
  const names = new Map<string, string>();
  for (const m of svg.matchAll(/id="((?:clip|gradient_|p_)[\w-]*)"/g)) {
    const id = m[1] as string;
    if (!names.has(id)) names.set(id, `def${names.size + 1}`);
  }
  if (names.size === 0) return svg;
  return svg.replace(/(id="|url\(#)([\w-]+)/g, (whole, pre: string, id: string) => {
    const name = names.get(id);
    return name === undefined ? whole : `${pre}${name}`;
  });
}

async function render(spec: TopLevelSpec): Promise<string> {
  const { vega, compile } = chartEngines();
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: "none" });
  try {
    return normaliseIds(await view.toSVG());
  } finally {
    view.finalize();
  }
}

/** A vertical rule at an x value, labelled by kind (e.g. "migration", "reset"). */
export interface RuleMark {
  x: number;
  label: string;
}

/** Grey dashed vertical rules at quantitative x positions, one colour and dash per label, with their own legend. */
function ruleLayer(rules: readonly RuleMark[], xField: string, xTitle: string): Json {
  const labels = [...new Set(rules.map((r) => r.label))];
  return {
    data: { values: rules.map((r) => ({ [xField]: r.x, rule: r.label })) },
    mark: { type: "rule", strokeWidth: 1.5, opacity: 0.7 },
    encoding: {
      x: { field: field(xField), type: "quantitative", title: xTitle },
      color: { field: "rule", type: "nominal", title: "Event", scale: { domain: labels, range: ["#7f7f7f", "#d62728", "#9467bd", "#8c564b"] } },
      strokeDash: { field: "rule", type: "nominal", title: "Event", scale: { domain: labels, range: [[4, 3], [1, 0], [2, 2], [6, 2]] } },
    },
  };
}

/**
 * One line per `series` value with points marked, optionally a shaded band
 * between the `band.low` and `band.high` fields (per series when given), and
 * optionally vertical `rules` (quantitative x only) marking events such as migrations.
 */
export async function lineChartSvg(opts: {
  title: string;
  x: Series;
  y: Series;
  series?: Series;
  data: readonly Record<string, unknown>[];
  band?: { low: string; high: string };
  yDomain?: [number, number];
  rules?: readonly RuleMark[];
}): Promise<string> {
  const clip = opts.yDomain !== undefined;
  const type = xType(opts.data, opts.x.field);
  const x = {
    field: field(opts.x.field),
    type,
    title: opts.x.title,
    ...(type === "quantitative" ? integerAxis(opts.data, opts.x.field) : {}),
  };
  const scale = yScale(opts.yDomain);
  const layer: Json[] = [];
  if (opts.band) {
    layer.push({
      mark: { type: "area", opacity: 0.2, clip },
      encoding: {
        x,
        y: { field: field(opts.band.low), type: "quantitative", title: opts.y.title, ...(scale ? { scale } : {}) },
        y2: { field: field(opts.band.high) },
        ...colour(opts.series),
      },
    });
  }
  layer.push({
    mark: { type: "line", point: true, clip },
    encoding: {
      x,
      y: { field: field(opts.y.field), type: "quantitative", title: opts.y.title, ...(scale ? { scale } : {}) },
      ...colour(opts.series),
    },
  });
  const rules = type === "quantitative" ? (opts.rules ?? []) : [];
  if (rules.length === 0) return render(frame(opts.title, copyRows(opts.data), layer));
  layer.unshift(ruleLayer(rules, opts.x.field, opts.x.title)); // under the lines
  return render(frame(opts.title, copyRows(opts.data), layer, { resolve: { scale: { color: "independent", strokeDash: "independent" } } }));
}

/**
 * Bars per category (side by side per `group` value via xOffset when given),
 * with error bars (rule marks) from the `low` to the `high` field when both are given.
 */
export async function barChartSvg(opts: {
  title: string;
  category: Series;
  value: Series;
  group?: Series;
  low?: string;
  high?: string;
  data: readonly Record<string, unknown>[];
  yDomain?: [number, number];
}): Promise<string> {
  const clip = opts.yDomain !== undefined;
  const scale = yScale(opts.yDomain);
  const shared: Json = {
    x: {
      field: field(opts.category.field),
      type: "nominal",
      title: opts.category.title,
      sort: null, // keep the caller's category order
      axis: { labelAngle: labelAngle(opts.data, opts.category.field) },
    },
    ...(opts.group ? { xOffset: { field: field(opts.group.field), type: "nominal" } } : {}),
  };
  const layer: Json[] = [
    {
      mark: { type: "bar", clip },
      encoding: {
        ...shared,
        y: { field: field(opts.value.field), type: "quantitative", title: opts.value.title, ...(scale ? { scale } : {}) },
        ...colour(opts.group),
      },
    },
  ];
  if (opts.low !== undefined && opts.high !== undefined) {
    layer.push({
      mark: { type: "rule", color: "black", strokeWidth: 1.5, clip },
      encoding: {
        ...shared,
        y: { field: field(opts.low), type: "quantitative", title: opts.value.title },
        y2: { field: field(opts.high) },
      },
    });
  }
  return render(frame(opts.title, copyRows(opts.data), layer));
}
