/**
 * The report page: one self-contained HTML file. No scripts, no external resources
 * (a Content-Security-Policy forbids both); charts are inline SVG; all run text is escaped.
 */
import type { ReportModel } from "./data.js";
import { diffHtml } from "./diff.js";
import { esc } from "./escape.js";
import { nonAnswerParts } from "./replies.js";
import type { Figures } from "./figures.js";
import type { LineageRow } from "./lineage.js";
import { STYLE } from "./style.js";

const CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";

export function score(x: number | null | undefined): string {
  return x === null || x === undefined || !Number.isFinite(x) ? "–" : x.toFixed(3);
}

function usd(x: number): string {
  return `$${x < 0.01 && x > 0 ? x.toPrecision(2) : x.toFixed(2)}`;
}

const INTEGER = new Intl.NumberFormat("en-US");

function int(x: number): string {
  return INTEGER.format(Math.round(x));
}

/** Vega numbers its clip paths per chart from def1; several charts in one page need distinct ids. */
export function scopeIds(svg: string, prefix: string): string {
  return svg.replace(/(id="|url\(#|href="#)([\w-]+)/g, (_m, pre: string, id: string) => `${pre}${prefix}-${id}`);
}

function chart(svg: string | null, name: string): string {
  return svg === null ? "" : `<figure class="chart" data-chart="${esc(name)}">${scopeIds(svg, name)}</figure>`;
}

function table(head: readonly string[], rows: readonly string[][], cls = ""): string {
  const th = head.map((h) => `<th>${esc(h)}</th>`).join("");
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join("")}</tr>`).join("\n");
  return `<table${cls ? ` class="${cls}"` : ""}><thead><tr>${th}</tr></thead><tbody>${body}</tbody></table>`;
}

function section(id: string, title: string, body: string): string {
  return `<section id="${id}"><h2>${esc(title)}</h2>\n${body}\n</section>`;
}

function note(text: string): string {
  return `<p class="note">${esc(text)}</p>`;
}

function duration(ms: number | null): string {
  if (ms === null) return "–";
  const s = ms / 1000;
  return s < 120 ? `${s.toFixed(1)} s` : `${(s / 60).toFixed(1)} min`;
}

function overview(m: ReportModel): string {
  const rows: [string, string][] = [
    ["Strategy", esc(m.strategy)],
    ["Status", `<span class="status ${esc(m.status)}">${esc(m.status)}</span>${m.reason ? ` — ${esc(m.reason)}` : ""}`],
    ["Campaign seed", esc(m.seed ?? "–")],
    ["Generations (rounds)", esc(m.generations)],
    ["Candidates", esc(m.candidates)],
    ["Duration", duration(m.durationMs)],
    ["Finished", esc(m.finishedAt ?? "–")],
  ];
  const warning = m.hasSummary ? "" : note("This run left no summary.json (it did not finish): the best harness and the scores below are read from run.db.");
  return `<table class="kv">${rows.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${v}</td></tr>`).join("")}</table>${warning}`;
}

function scores(m: ReportModel, f: Figures): string {
  const sim = m.sim;
  const head = ["Harness", "Candidate", "Train", "Val", "Test", ...(sim ? [`Expected val (${sim.model}, noise-free)`] : [])];
  const row = (label: string, h: ReportModel["best"], expected?: number) => [
    esc(label), `<code>${esc(h.id)}</code>`, score(h.train), `<span class="val">${score(h.val)}</span>`, `<span class="test">${score(h.test)}</span>`,
    ...(sim ? [score(expected)] : []),
  ];
  const optimum = sim?.optimum !== undefined ? note(`Simulated campaign: the best possible harness would reach an expected val success of ${score(sim.optimum)}.`) : "";
  return table(head, [row("seed harness", m.seedHarness, sim?.seed), row("best harness", m.best, sim?.best)], "scores") + optimum + chart(f.scores, "scores");
}

function islands(m: ReportModel, f: Figures): string {
  if (m.islands.length === 0) return note(`No islands in this strategy (${m.strategy}): it records no per-island scores or diversity.`);
  const gens = (xs: number[]) => xs.join(", ");
  const events = [
    m.migrations.length ? `Migrations after generation${m.migrations.length > 1 ? "s" : ""} ${gens(m.migrations)}` : "No migrations",
    m.resets.length ? `resets after ${m.resets.map((r) => `generation ${r.generation} (islands ${r.islands.join(", ")})`).join("; ")}` : "no resets",
  ].join("; ");
  return `${note(`${events}. Both are marked by vertical rules.`)}${chart(f.islandBest, "island-best")}${chart(f.islandMean, "island-mean")}${chart(f.islandDiversity, "island-diversity")}`;
}

function spend(m: ReportModel, f: Figures): string {
  const roles = Object.entries(m.spend);
  if (roles.length === 0) return note("No model calls were recorded.");
  const rows = roles.map(([role, t]) => [esc(role), usd(t.usd), int(t.tokens), int(t.calls), int(t.cachedCalls)]);
  const total = roles.reduce((a, [, t]) => ({ usd: a.usd + t.usd, tokens: a.tokens + t.tokens, calls: a.calls + t.calls, cached: a.cached + t.cachedCalls }), { usd: 0, tokens: 0, calls: 0, cached: 0 });
  rows.push(["<b>total</b>", usd(total.usd), int(total.tokens), int(total.calls), int(total.cached)]);
  return table(["Role", "USD paid", "Tokens paid", "Calls", "From cache"], rows, "spend") + chart(f.spend, "spend");
}

function lineageRow(r: LineageRow, bestId: string, seedId: string): string[] {
  const tag = r.id === bestId ? ' <span class="tag best">best</span>' : r.id === seedId ? ' <span class="tag seed">seed</span>' : "";
  const parents = r.parents.map((p) => `<code>${esc(p.id)}</code>${p.via ? ` <span class="via">(${esc(p.via)})</span>` : ""}`).join("<br>");
  return [esc(r.depth), `<code>${esc(r.id)}</code>${tag}`, esc(r.generation ?? "–"), esc(r.island ?? "–"), esc(r.operator), esc(r.model ?? "–"), parents || "–", score(r.train), score(r.val)];
}

function lineage(m: ReportModel): string {
  const rows = m.lineage;
  const ops = new Map<string, number>();
  for (const r of rows) if (r.id !== m.seedHarness.id) ops.set(r.operator, (ops.get(r.operator) ?? 0) + 1);
  const copies = rows.flatMap((r) => r.parents.filter((p) => p.via?.startsWith("migrated") || p.via?.includes("reset")).map((p) => `${p.id} ${p.via}`));
  const fromSeed = rows.some((r) => r.id === m.seedHarness.id);
  const summary = [
    `${rows.length} harness${rows.length === 1 ? "" : "es"} in the ancestry of the best (${m.best.id}), nearest first.`,
    ops.size ? `Operators: ${[...ops].map(([op, n]) => `${op} ×${n}`).join(", ")}.` : "",
    copies.length ? `Copies between islands: ${copies.join("; ")}.` : "",
    fromSeed
      ? `The seed harness (${m.seedHarness.id}) is an ancestor.`
      : `The seed harness (${m.seedHarness.id}) is not an ancestor: the line starts with a harness written from scratch.`,
  ].filter(Boolean).join(" ");
  const head = ["Steps", "Candidate", "Generation", "Island", "Operator", "Model", "Parents", "Train", "Val"];
  return note(summary) + table(head, rows.map((r) => lineageRow(r, m.best.id, m.seedHarness.id)), "lineage");
}

function difference(m: ReportModel): string {
  if (m.best.text === m.seedHarness.text) return note("The best harness is the seed harness: no difference.");
  const d = diffHtml(m.seedHarness.text, m.best.text);
  return note(`${m.seedHarness.id} → ${m.best.id}: ${d.added} line${d.added === 1 ? "" : "s"} added, ${d.removed} removed; in lightly edited lines the changed words are marked.`) + d.html;
}

/** Time-outs are not wrong answers: said apart, and only when there were any. */
function timeouts(m: ReportModel): string {
  const { checks, evaluations } = m.timeouts;
  if (checks + evaluations === 0) return "";
  const n = (k: number, what: string) => `${k} ${what}${k === 1 ? "" : "s"}`;
  return note(`Time-outs (past the limit, then again on a retry alone): ${n(checks, "check")}, ${n(evaluations, "evaluation")}.`);
}

/** Replies that were not answers fail their tasks: a low score may be them, not the harness. Said only when there were any. */
function nonAnswers(m: ReportModel): string {
  const parts = nonAnswerParts(m.replies);
  if (parts.length === 0) return "";
  return note(`Replies that were not answers (each failed its task): ${parts.join(", ")}. Raise fitness.answerMaxTokens / verifierMaxTokens or the server's context if these are many.`);
}

function failures(m: ReportModel): string {
  if (m.failures.length === 0) return note("No candidate failed.") + timeouts(m) + nonAnswers(m);
  const rows = m.failures.map((x) => [`<code>${esc(x.id)}</code>`, esc(x.generation ?? "–"), esc(x.island ?? "–"), esc(x.operator ?? "–"), `<span class="reason">${esc(x.reason)}</span>`]);
  return note(`${m.failures.length} candidate${m.failures.length === 1 ? "" : "s"} failed or were rejected.`) + timeouts(m) + nonAnswers(m) + table(["Candidate", "Generation", "Island", "Operator", "Reason"], rows, "failures");
}

export function renderHtml(m: ReportModel, f: Figures): string {
  const nav = [["overview", "Overview"], ["scores", "Scores"], ["progress", "Progress"], ["islands", "Islands"], ["spend", "Spend"], ["lineage", "Lineage"], ["diff", "Difference"], ["failures", "Failures"], ["best", "Best harness"]]
    .map(([id, t]) => `<a href="#${id}">${t}</a>`).join(" · ");
  const body = [
    `<div class="top">${section("overview", "Overview", overview(m))}\n${section("scores", "Scores of the seed and the best harness", scores(m, f))}</div>`,
    section("progress", "Progress", f.progress ? chart(f.progress, "progress") : note("No progress curve was recorded (summary.json is missing).")),
    section("islands", "Islands", islands(m, f)),
    section("spend", "Spend by role", spend(m, f)),
    section("lineage", "Lineage of the best harness", lineage(m)),
    section("diff", "Seed harness → best harness", difference(m)),
    section("failures", "Failed candidates", failures(m)),
    section("best", "The best harness", `<pre class="harness">${esc(m.best.text)}</pre>`),
  ].join("\n");
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(`harness-evolve report: ${m.name}`)}</title>
<style>${STYLE}</style>
</head>
<body>
<header><h1>${esc(m.name)} <small>harness-evolve run report</small></h1><nav>${nav}</nav></header>
<main>
${body}
</main>
<footer>Written by harness-evolve from ${esc(m.runDir)} (summary.json and run.db).</footer>
</body>
</html>
`;
}
