import { describe, expect, it } from "vitest";
import { lineChartSvg } from "../../src/bench/charts.js";
import { diffHtml } from "../../src/report/diff.js";
import { esc } from "../../src/report/escape.js";
import { scopeIds } from "../../src/report/html.js";
import { ancestry, describeCopy, failures, parentLink } from "../../src/report/lineage.js";
import type { CandidateRecord } from "../../src/store/types.js";

const count = (s: string, needle: string) => s.split(needle).length - 1;

function cand(id: string, parents: string[], extra: Partial<CandidateRecord> = {}): CandidateRecord {
  return { id, hash: id, text: id, island: 0, generation: 0, operator: parents.length ? "mutate" : "rewrite", parents, modelKey: "small", status: "evaluated", reason: null, createdTs: 0, ...extra };
}

describe("lineage", () => {
  it("names copies by how they were made", () => {
    expect(parentLink("a>m1g0")).toEqual({ id: "a", via: "migrated to island 1 after generation 0" });
    expect(parentLink("a>r2g5").via).toBe("copied to island 2 by the reset after generation 5");
    expect(parentLink("seed>i3").via).toBe("placed on island 3");
    expect(describeCopy("t1")).toBe("thread 1");
    expect(parentLink("plain")).toEqual({ id: "plain", via: null });
  });

  it("walks every parent once, nearest first, through copies and crossovers", () => {
    const cands = [
      cand("seed", [], { operator: "seed", island: null }),
      cand("a", ["seed>i0"]),
      cand("b", ["seed>i1"], { island: 1 }),
      cand("c", ["a>m1g0", "b"], { operator: "crossover", island: 1, generation: 1 }),
      cand("d", ["c"], { operator: "refine", island: 1, generation: 2 }),
    ];
    const scores = new Map([["d", { train: 0.5, val: 0.6, test: null, minibatch: 0.4 }], ["a", { train: null, val: null, test: null, minibatch: 0.3 }]]);
    const rows = ancestry("d", cands, scores);
    expect(rows.map((r) => [r.id, r.depth])).toEqual([["d", 0], ["c", 1], ["a", 2], ["b", 2], ["seed", 3]]);
    expect(rows[0]).toMatchObject({ train: 0.5, val: 0.6, operator: "refine", model: "small" });
    expect(rows[1]!.parents).toEqual([{ id: "a", via: "migrated to island 1 after generation 0" }, { id: "b", via: null }]);
    expect(rows[2]!.train).toBe(0.3); // the minibatch score when no full train score exists
    expect(ancestry("ghost", cands, new Map())).toEqual([expect.objectContaining({ id: "ghost", operator: "unknown", parents: [] })]);
  });

  it("lists failure events and failed or rejected candidates once each", () => {
    const cands = [cand("x", [], { status: "failed", reason: "evaluation failed: boom", generation: 2 }), cand("y", [], { status: "rejected", reason: null }), cand("z", [])];
    const rows = failures([{ generation: 2, island: 0, id: "x", reason: "evaluation failed: boom" }, { generation: 1, island: 1, id: "p", reason: "proposal failed: no tags" }], cands);
    expect(rows).toEqual([
      { id: "x", generation: 2, island: 0, operator: "rewrite", reason: "evaluation failed: boom" },
      { id: "p", generation: 1, island: 1, operator: null, reason: "proposal failed: no tags" },
      { id: "y", generation: 0, island: 0, operator: "rewrite", reason: "rejected" },
    ]);
  });
});

describe("diffHtml", () => {
  it("counts added and removed lines and marks changed words", () => {
    const d = diffHtml("a\nkeep this line\nold words here\n", "a\nkeep this line\nnew words here\nextra\n");
    expect(d.removed).toBe(1);
    expect(d.added).toBe(2);
    expect(count(d.html, 'class="dl del"')).toBe(1);
    expect(count(d.html, 'class="dl add"')).toBe(2);
    expect(count(d.html, 'class="dl same"')).toBe(2);
    expect(d.html).toContain("<del>old</del>");
    expect(d.html).toContain("<ins>new</ins>");
  });

  it("escapes both sides", () => {
    const d = diffHtml("<b>x</b>\n", "<script>alert(1)</script>\n");
    expect(d.html).not.toMatch(/<script|<b>|<\/b>/);
    expect(d.html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;"); // too different for word marks
    const near = diffHtml("<b>x</b> stays\n", "<i>x</i> stays\n");
    expect(near.html).toContain("&lt;<del>b</del>&gt;x&lt;/<del>b</del>&gt; stays");
    expect(near.html).toContain("&lt;<ins>i</ins>&gt;x");
  });

  it("esc covers every HTML metacharacter", () => {
    expect(esc(`<a href="x" title='y'>&</a>`)).toBe("&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;");
    expect(esc(null)).toBe("");
  });
});

describe("charts for the report", () => {
  const data = [0, 1, 2, 3].flatMap((g) => [0, 1].map((i) => ({ g, s: 0.2 + 0.1 * g + 0.05 * i, island: `island ${i}` })));
  const opts = { title: "t", x: { field: "g", title: "Generation" }, y: { field: "s", title: "S" }, series: { field: "island", title: "Island" }, data };

  it("lineChartSvg draws one rule per event, with its own legend", async () => {
    const svg = await lineChartSvg({ ...opts, rules: [{ x: 0, label: "migration" }, { x: 1, label: "migration" }, { x: 2, label: "reset" }] });
    expect(count(svg, 'aria-roledescription="rule mark"')).toBe(3);
    expect(count(svg, 'aria-roledescription="line mark"')).toBe(2);
    expect(svg).toContain("legend titled 'Event'");
    expect(count(await lineChartSvg(opts), 'aria-roledescription="rule mark"')).toBe(0);
  });

  it("lists integer ticks only over short generation ranges", async () => {
    const svg = await lineChartSvg({ ...opts, data: data.filter((d) => d.g <= 1) });
    const labels = [...svg.matchAll(/role-axis-label[\s\S]*?<\/g>/g)][0]![0];
    expect([...labels.matchAll(/>(-?[\d.]+)<\/text>/g)].map((m) => m[1])).toEqual(["0", "1"]);
  });

  it("scopeIds gives each chart its own clip ids", () => {
    const svg = '<clipPath id="def1"></clipPath><g clip-path="url(#def1)"></g>';
    expect(scopeIds(svg, "spend")).toBe('<clipPath id="spend-def1"></clipPath><g clip-path="url(#spend-def1)"></g>');
  });
});
