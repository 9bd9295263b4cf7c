import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MAX_HARNESS_CHARS, parseCritiqueReply, parseHarnessReply } from "../../src/operators/parse.js";
import { wrap } from "../../src/protocol/tags.js";

const reason = (text: string) => {
  const r = parseHarnessReply(text);
  return r.ok ? "ok" : r.reason;
};

describe("parseHarnessReply", () => {
  it("accepts one complete block, trimmed, with prose around it", () => {
    expect(parseHarnessReply("Here you go:\n<harness>\n## Rules\nCheck units.\n</harness>\nCheers")).toEqual({ ok: true, harness: "## Rules\nCheck units." });
    expect(parseHarnessReply('<harness id="4">x</harness>')).toEqual({ ok: true, harness: "x" });
  });
  it("strips a fence inside the block", () => {
    expect(parseHarnessReply("<harness>\n```markdown\n## A\nbody\n```\n</harness>")).toEqual({ ok: true, harness: "## A\nbody" });
  });
  it("rejects malformed replies with short reasons", () => {
    expect(reason("Sure! Be careful.")).toBe("no <harness> block");
    expect(reason("<harness>\nnever closed")).toBe("unclosed <harness>");
    expect(reason("text </harness>")).toBe("</harness> without an opening tag");
    expect(reason("<harness>a</harness><harness>b</harness>")).toBe("2 <harness> blocks");
    expect(reason("<harness>  \n </harness>")).toBe("empty harness");
    expect(reason("<harness>```\n```</harness>")).toBe("empty harness");
    expect(reason(`<harness>${"x".repeat(MAX_HARNESS_CHARS + 1)}</harness>`)).toBe("harness over 20000 chars");
    expect(reason("<harness>a</harness> and a stray </harness>")).toBe("unbalanced <harness> tags");
    expect(reason("<harness>Read the <task> block first.</harness>")).toBe("harness contains the engine tag <task>");
    expect(reason("<harness>outer <harness> inner</harness>")).toMatch(/unbalanced|engine tag/);
  });
  it("never throws on arbitrary text", () => {
    const tagged = fc.oneof(fc.string(), fc.constantFrom("<harness>", "</harness>", '<harness id="1">', "```", "<task>", "\n"));
    fc.assert(fc.property(fc.array(tagged, { maxLength: 12 }), (parts) => {
      const r = parseHarnessReply(parts.join(""));
      expect(typeof r.ok).toBe("boolean");
    }));
    fc.assert(fc.property(fc.string({ maxLength: 2000 }), (s) => void parseHarnessReply(s)));
  });
  it("round-trips any valid harness wrapped with wrap()", () => {
    const line = fc.string({ minLength: 1, maxLength: 60 }).filter((s) => !/[<`]/.test(s) && s.trim() !== "");
    const harness = fc.array(line, { minLength: 1, maxLength: 10 }).map((ls) => ls.join("\n").trim()).filter((s) => s !== "");
    fc.assert(fc.property(harness, fc.string().filter((s) => !s.includes("<")), (h, prose) => {
      expect(parseHarnessReply(`${prose}\n${wrap("harness", h)}\n${prose}`)).toEqual({ ok: true, harness: h });
    }));
  });
});

describe("parseCritiqueReply", () => {
  it("accepts one critique block and rejects the rest", () => {
    expect(parseCritiqueReply("<critique>\nToo long; drop section 2.\n</critique>")).toEqual({ ok: true, critique: "Too long; drop section 2." });
    expect(parseCritiqueReply("The harness is fine.")).toEqual({ ok: false, reason: "no <critique> block" });
    expect(parseCritiqueReply("<critique> </critique>")).toEqual({ ok: false, reason: "empty critique" });
    expect(parseCritiqueReply("<critique>a</critique><critique>b</critique>")).toEqual({ ok: false, reason: "2 <critique> blocks" });
  });
  it("never throws on arbitrary text", () => {
    fc.assert(fc.property(fc.string(), (s) => void parseCritiqueReply(s)));
  });
});
