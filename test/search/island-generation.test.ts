import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BudgetExhaustedError } from "../../src/budget/types.js";
import type { Preset } from "../../src/config/presets.js";
import { harnessHash } from "../../src/harness/harness.js";
import type { CompletionRequest } from "../../src/llm/types.js";
import { firstBlock } from "../../src/protocol/tags.js";
import {
  PortError,
  runIslandGeneration,
  type EvaluationOutcome,
  type EvaluationRequest,
  type IslandGenerationInput,
  type IslandGenerationResult,
  type IslandPort,
} from "../../src/search/island-generation.js";
import { mean } from "../../src/search/selection.js";
import type { Candidate } from "../../src/search/types.js";
import { response } from "../fitness/fake-complete.js";

// ---------------------------------------------------------------------------------------------
// Deterministic text from a key: distinct keys give texts that share (almost) no word shingle.

const sha = (s: string) => createHash("sha256").update(s).digest("hex");

const WORDS = [
  "alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet", "kilo", "lima", "mike",
  "november", "oscar", "papa", "quebec", "romeo", "sierra", "tango", "uniform", "victor", "whiskey", "xray", "yankee",
  "zulu", "amber", "basalt", "cobalt", "dune", "ember", "fjord",
];

/** `n` words drawn deterministically from `key`. */
function words(key: string, n: number): string {
  const out: string[] = [];
  let h = sha(key);
  for (let i = 0; i < n; i++) {
    if (i % 30 === 29) h = sha(h);
    out.push(WORDS[parseInt(h.slice((i % 30) * 2, (i % 30) * 2 + 2), 16) % WORDS.length]!);
  }
  return out.join(" ");
}

/** A harness text unique to `key` (a unique token keeps hashes apart even if words collide). */
const harnessFor = (key: string) => `## Approach\n${words(key, 14)}\nToken ${sha(key).slice(0, 10)}.`;

/** A score in [0,1] from the harness text, as a stand-in for the real fitness. */
const scoreOf = (harness: string) => parseInt(sha(harness).slice(0, 8), 16) / 0xffffffff;

// ---------------------------------------------------------------------------------------------
// The fake port

type Step = "mutate" | "crossover" | "rewrite" | "refine-critic" | "refine-author";

/** The step of an evolver request, from its sample key (…/op=<step>[/try=n]). */
function stepOf(req: CompletionRequest): Step {
  const m = /\/op=([a-z-]+)(?:\/try=\d+)?$/.exec(req.sampleKey);
  return m![1] as Step;
}

/** The sample key without the step and retry suffix: island=…/gen=…/conv=…/turn=…. */
const positionOf = (req: CompletionRequest) => req.sampleKey.replace(/\/op=.*$/, "");
const turnOf = (key: string) => Number(/\/turn=(\d+)/.exec(key)![1]);

interface Recorded {
  completes: { conv: number; req: CompletionRequest }[];
  evaluations: { conv: number; req: EvaluationRequest }[];
  /** Requests whose <operator> block disagreed with the sample key's step. */
  mismatches: string[];
}

interface FakeOptions {
  /** Text of the reply; default: a valid critique for refine-critic, else a harness derived from the sample key. */
  reply?: (req: CompletionRequest, conv: number) => string | Promise<string>;
  evaluate?: (req: EvaluationRequest, conv: number) => EvaluationOutcome | Promise<EvaluationOutcome>;
  /** Answer after a random delay (Math.random: the order of answers must not matter). */
  jitter?: boolean;
}

function defaultReply(req: CompletionRequest): string {
  return stepOf(req) === "refine-critic" ? `<critique>\nThe harness never says ${words(req.sampleKey, 5)}.\n</critique>` : `<harness>\n${harnessFor(req.sampleKey)}\n</harness>`;
}

function defaultEvaluate(req: EvaluationRequest): EvaluationOutcome {
  const s = scoreOf(req.harness);
  return s > 0.5 ? { ok: true, minibatch: s, train: s / 2, feedback: `passed ${s.toFixed(3)}` } : { ok: true, minibatch: s, feedback: `failed ${s.toFixed(3)}` };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function fakePort(opts: FakeOptions = {}): IslandPort & Recorded {
  const rec: Recorded = { completes: [], evaluations: [], mismatches: [] };
  return Object.assign(rec, {
    async complete(conv: number, req: CompletionRequest) {
      rec.completes.push({ conv, req });
      const tagged = firstBlock(req.messages[req.messages.length - 1]!.content, "operator");
      if (tagged !== stepOf(req)) rec.mismatches.push(req.sampleKey);
      if (opts.jitter) await sleep(Math.random() * 4);
      const text = await (opts.reply ?? defaultReply)(req, conv);
      return response(text, { modelKey: req.model ?? "fake" });
    },
    async evaluate(conv: number, req: EvaluationRequest) {
      rec.evaluations.push({ conv, req });
      if (opts.jitter) await sleep(Math.random() * 4);
      return (opts.evaluate ?? defaultEvaluate)(req, conv);
    },
  });
}

// ---------------------------------------------------------------------------------------------
// Inputs

const PRESET: Preset = { name: "test", description: "", temperature: 0.6, operators: { mutate: 1, crossover: 1, refine: 1 } };

function member(i: number, text = `## Rules\n${words(`population-${i}`, 16)}`): Candidate {
  const score = (i + 1) / 10;
  return {
    id: `m${i}`,
    hash: harnessHash(text),
    text,
    island: 1,
    generation: 2,
    operator: "mutate",
    parents: [],
    minibatch: score,
    score,
    feedback: `feedback of m${i}`,
  };
}

function input(over: Partial<IslandGenerationInput> = {}, strategy: Partial<IslandGenerationInput["strategy"]> = {}): IslandGenerationInput {
  return {
    seed: 11,
    island: 1,
    generation: 3,
    preset: PRESET,
    strategy: { conversations: 3, turns: 3, selectionTemperature: 0.1, maxParents: 3, noParentProbability: 0.2, nearDuplicate: 0.92, ...strategy },
    population: [member(0), member(1), member(2), member(3)],
    knownHashes: [],
    context: "What is 2+2?",
    ...over,
  };
}

const ID = /^i(\d+)-g(\d+)-c(\d+)-t(\d+)$/;
const parseId = (id: string) => {
  const m = ID.exec(id);
  expect(m, id).not.toBeNull();
  return { island: Number(m![1]), gen: Number(m![2]), conv: Number(m![3]), turn: Number(m![4]) };
};

const sortedKeys = (port: Recorded) => port.completes.map((c) => `${c.conv}:${c.req.sampleKey}`).sort();

// ---------------------------------------------------------------------------------------------

describe("runIslandGeneration: determinism", () => {
  it("gives the same result twice for the same input, whatever order the answers arrive in", async () => {
    const a = fakePort({ jitter: true });
    const b = fakePort({ jitter: true });
    const c = fakePort();
    const ra = await runIslandGeneration(input(), a);
    const rb = await runIslandGeneration(input(), b);
    const rc = await runIslandGeneration(input(), c);
    expect(rb).toEqual(ra);
    expect(rc).toEqual(ra);
    expect(sortedKeys(b)).toEqual(sortedKeys(a));
    expect(sortedKeys(c)).toEqual(sortedKeys(a));
    expect(ra.children.length).toBe(9);
    expect(a.mismatches).toEqual([]);
  });

  it("is deterministic under random delays for random seeds and shapes (property)", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }), fc.nat(4), async (seed, conversations, turns, popSize) => {
        const make = () => input({ seed, population: [0, 1, 2, 3].slice(0, popSize).map((i) => member(i)) }, { conversations, turns });
        const ra = await runIslandGeneration(make(), fakePort({ jitter: true }));
        const rb = await runIslandGeneration(make(), fakePort({ jitter: true }));
        expect(rb).toEqual(ra);
      }),
      { numRuns: 10 },
    );
  });

  it("another seed or generation changes the choices (the rng is keyed by them)", async () => {
    const base = await runIslandGeneration(input({}, { conversations: 5, turns: 1 }), fakePort());
    const other = await runIslandGeneration(input({ seed: 12 }, { conversations: 5, turns: 1 }), fakePort());
    const later = await runIslandGeneration(input({ generation: 4 }, { conversations: 5, turns: 1 }), fakePort());
    const choice = (r: IslandGenerationResult) => r.children.map((c) => `${c.operator}:${c.parents.join(",")}`).join(" ");
    expect(choice(other) === choice(base) && choice(later) === choice(base)).toBe(false);
  });
});

describe("runIslandGeneration: children and lineage", () => {
  it("names children i<island>-g<gen>-c<conv>-t<turn>, one per conversation and turn", async () => {
    const port = fakePort();
    const r = await runIslandGeneration(input({ island: 2, generation: 7 }, { conversations: 4, turns: 3 }), port);
    expect(r.island).toBe(2);
    expect(r.generation).toBe(7);
    expect(r.budgetHit).toBe(false);
    expect(r.fatal).toBeUndefined();
    expect(r.failures).toEqual([]);
    const expected = [0, 1, 2, 3].flatMap((c) => [1, 2, 3].map((t) => `i2-g7-c${c}-t${t}`));
    expect(r.children.map((c) => c.id)).toEqual(expected); // conversation order, then turn order
    for (const child of r.children) {
      expect(parseId(child.id)).toMatchObject({ island: 2, gen: 7 });
      expect(child.island).toBe(2);
      expect(child.generation).toBe(7);
      expect(child.hash).toBe(harnessHash(child.text));
      expect(child.score).toBe(child.train ?? child.minibatch);
    }
    expect(r.stats).toEqual({ proposals: 12, failedProposals: 0, duplicates: 0, nearDuplicates: 0, failedEvaluations: 0, calls: port.completes.length });
    expect(port.evaluations.map((e) => e.req.id)).toEqual(expect.arrayContaining(expected));
    expect(port.evaluations).toHaveLength(12);
  });

  it("with refineFrom: best, later turns refine the best of the conversation so far", async () => {
    const port = fakePort();
    const inp = input({}, { conversations: 4, turns: 4, refineFrom: "best" });
    const r = await runIslandGeneration(inp, port);
    const pop = new Map(inp.population.map((c) => [c.id, c]));
    const byId = new Map(r.children.map((c) => [c.id, c]));
    let checked = 0;
    for (const child of r.children) {
      const { conv, turn } = parseId(child.id);
      if (turn === 1) continue;
      expect(child.operator).toBe("refine");
      // The candidates this conversation had before this turn: its first-turn parents and its earlier children.
      const earlier = r.children.filter((c) => parseId(c.id).conv === conv && parseId(c.id).turn < turn);
      const first = earlier.find((c) => parseId(c.id).turn === 1);
      const parents = first ? first.parents.map((id) => pop.get(id)!).filter(Boolean) : [];
      const refined = byId.get(child.parents[0]!) ?? pop.get(child.parents[0]!);
      expect(refined).toBeDefined();
      expect([...parents, ...earlier].map((c) => c.id)).toContain(refined!.id);
      // Fully scored candidates compete on score; a child without a full score only when nothing else exists.
      const contenders = [...parents, ...earlier.filter((c) => c.train !== undefined)];
      if (contenders.length) expect(refined!.score).toBeGreaterThanOrEqual(Math.max(...contenders.map((c) => c.score)) - 1e-12);
      checked++;
    }
    expect(checked).toBeGreaterThan(0);
  });

  it("by default (refineFrom: latest, as in Mind Evolution), turns after the first refine the conversation's previous child", async () => {
    const port = fakePort();
    const inp = input({}, { conversations: 4, turns: 4 });
    const r = await runIslandGeneration(inp, port);
    const popIds = inp.population.map((c) => c.id);
    const byId = new Map(r.children.map((c) => [c.id, c]));
    for (const child of r.children) {
      const { conv, turn } = parseId(child.id);
      if (turn === 1) {
        expect(["mutate", "crossover", "refine", "rewrite"]).toContain(child.operator);
        for (const p of child.parents) expect(popIds).toContain(p);
        const n = { mutate: [1, 1], refine: [1, 1], rewrite: [0, 0], crossover: [2, inp.strategy.maxParents] }[child.operator as "mutate"]!;
        expect(child.parents.length).toBeGreaterThanOrEqual(n[0]!);
        expect(child.parents.length).toBeLessThanOrEqual(n[1]!);
        expect(new Set(child.parents).size).toBe(child.parents.length);
      } else {
        const prev = byId.get(`i1-g3-c${conv}-t${turn - 1}`)!;
        expect(child.operator).toBe("refine");
        expect(child.parents).toEqual([prev.id]);
        const ev = port.evaluations.find((e) => e.req.id === child.id)!.req;
        expect(ev).toMatchObject({ operator: "refine", parents: [prev.id], parentMinibatch: prev.minibatch });
        // The critic and the author both see the previous child's text.
        const key = `island=1/gen=3/conv=${conv}/turn=${turn}`;
        const critic = port.completes.find((c) => c.req.sampleKey === `${key}/op=refine-critic`)!;
        const author = port.completes.find((c) => c.req.sampleKey === `${key}/op=refine-author`)!;
        expect(critic.conv).toBe(conv);
        expect(critic.req.messages[1]!.content).toContain(prev.text.split("\n")[1]!);
        expect(author.req.messages[1]!.content).toContain(prev.text.split("\n")[1]!);
        expect(firstBlock(author.req.messages[1]!.content, "critique")).toContain("The harness never says");
      }
    }
  });

  it("every request goes to the evolver role, on its own conversation, with the preset's temperature", async () => {
    const port = fakePort();
    await runIslandGeneration(input(), port);
    for (const { conv, req } of port.completes) {
      expect(req.role).toBe("evolver");
      expect(req.temperature).toBe(PRESET.temperature);
      expect(req.model).toBeUndefined();
      expect(req.sampleKey.startsWith(`island=1/gen=3/conv=${conv}/turn=`)).toBe(true);
    }
    for (const { conv, req } of port.evaluations) expect(parseId(req.id).conv).toBe(conv);
  });

  it("a preset's own evolver serves every call and is recorded as the child's model", async () => {
    const port = fakePort();
    const r = await runIslandGeneration(input({ preset: { ...PRESET, evolver: "large" } }), port);
    expect(port.completes.every((c) => c.req.model === "large")).toBe(true);
    expect(r.children.every((c) => c.modelKey === "large")).toBe(true);
    expect(port.evaluations.every((e) => e.req.modelKey === "large")).toBe(true);
  });

  it("an empty population starts every conversation with a rewrite, parent minibatch unknown", async () => {
    const port = fakePort();
    const r = await runIslandGeneration(input({ population: [] }, { turns: 2 }), port);
    const firsts = r.children.filter((c) => c.id.endsWith("-t1"));
    expect(firsts).toHaveLength(3);
    for (const c of firsts) {
      expect(c.operator).toBe("rewrite");
      expect(c.parents).toEqual([]);
      expect(port.evaluations.find((e) => e.req.id === c.id)!.req.parentMinibatch).toBeUndefined();
    }
  });

  it("a rewrite from a populated island is compared against the island's mean minibatch", async () => {
    const inp = input({ preset: { ...PRESET, noParentProbability: 1 } }, { turns: 1 });
    const port = fakePort();
    const r = await runIslandGeneration(inp, port);
    expect(r.children.map((c) => c.operator)).toEqual(["rewrite", "rewrite", "rewrite"]);
    for (const e of port.evaluations) expect(e.req.parentMinibatch).toBeCloseTo(mean(inp.population.map((c) => c.minibatch)), 12);
    // The task examples reach the evolver.
    expect(port.completes.every((c) => c.req.messages[1]!.content.includes("What is 2+2?"))).toBe(true);
  });

  it("a preset with only mutate starts with mutate from one population member", async () => {
    const inp = input({ preset: { ...PRESET, noParentProbability: 0, operators: { mutate: 1, crossover: 0, refine: 0 } } }, { turns: 1, conversations: 5 });
    const r = await runIslandGeneration(inp, fakePort());
    for (const c of r.children) {
      expect(c.operator).toBe("mutate");
      expect(c.parents).toHaveLength(1);
    }
  });

  it("selection at a very low temperature always picks the island's best as parent", async () => {
    const inp = input({ preset: { ...PRESET, noParentProbability: 0, operators: { mutate: 1, crossover: 0, refine: 0 } } }, { turns: 1, conversations: 6, selectionTemperature: 1e-9 });
    const r = await runIslandGeneration(inp, fakePort());
    expect(r.children.map((c) => c.parents)).toEqual(Array.from({ length: 6 }, () => ["m3"]));
  });
});

describe("runIslandGeneration: rejected proposals", () => {
  it("a reply that repeats a harness is counted as a duplicate and not evaluated again", async () => {
    const same = "## Same\nAlways the very same harness text, whatever is asked.";
    const port = fakePort({ reply: (req) => (stepOf(req) === "refine-critic" ? "<critique>Fine.</critique>" : `<harness>\n${same}\n</harness>`) });
    const r = await runIslandGeneration(input({}, { conversations: 3, turns: 4 }), port);
    // Conversations do not share state: each evaluates it once (turn 1), then only sees duplicates.
    expect(r.children.map((c) => c.id)).toEqual(["i1-g3-c0-t1", "i1-g3-c1-t1", "i1-g3-c2-t1"]);
    expect(r.stats.duplicates).toBe(3 * 3);
    expect(port.evaluations).toHaveLength(3);
    expect(r.stats.proposals).toBe(12);
    expect(r.failures).toEqual([]);
  });

  it("a harness known from earlier generations or the population is never evaluated", async () => {
    const known = "## Known\nA harness that was evaluated in an earlier generation.";
    const port = fakePort({ reply: (req) => (stepOf(req) === "refine-critic" ? "<critique>Fine.</critique>" : `<harness>\n${known}\n</harness>`) });
    const r = await runIslandGeneration(input({ knownHashes: [harnessHash(known)] }), port);
    expect(r.children).toEqual([]);
    expect(r.stats.duplicates).toBe(9);
    expect(port.evaluations).toEqual([]);

    const inp = input();
    const popText = inp.population[2]!.text;
    // The same harness after normalization (runs of spaces, indentation, CRLF).
    const variant = popText.replace(/ /g, "   ").replace(/\n/g, "  \r\n\t");
    expect(harnessHash(variant)).toBe(inp.population[2]!.hash);
    const port2 = fakePort({ reply: (req) => (stepOf(req) === "refine-critic" ? "<critique>Fine.</critique>" : `<harness>\n${variant}\n</harness>`) });
    const r2 = await runIslandGeneration(inp, port2);
    expect(r2.stats.duplicates).toBe(9);
    expect(port2.evaluations).toEqual([]);
  });

  it("near-duplicates of the population are rejected without evaluation", async () => {
    const inp = input();
    const base = inp.population[1]!.text;
    // One extra word: a different hash, but ~97% of the shingles shared.
    const port = fakePort({ reply: (req) => `<harness>\n${base} extra${sha(req.sampleKey).slice(0, 8)}\n</harness>` });
    const r = await runIslandGeneration(inp, port);
    expect(r.stats.nearDuplicates).toBe(9);
    expect(r.stats.duplicates).toBe(0);
    expect(r.children).toEqual([]);
    expect(port.evaluations).toEqual([]);
  });

  it("near-duplicates of the conversation's own earlier children are rejected too", async () => {
    const inp = input({}, { conversations: 2, turns: 3 });
    const port = fakePort({
      reply: (req) => {
        if (stepOf(req) === "refine-critic") return "<critique>Say more.</critique>";
        const conv = /conv=(\d+)/.exec(req.sampleKey)![1];
        const first = harnessFor(`conv-${conv}`).replace("\n", " ") + " " + words(`conv-${conv}-more`, 20);
        return turnOf(req.sampleKey) === 1 ? `<harness>\n${first}\n</harness>` : `<harness>\n${first} extra${sha(req.sampleKey).slice(0, 8)}\n</harness>`;
      },
    });
    const r = await runIslandGeneration(inp, port);
    expect(r.children.map((c) => c.id)).toEqual(["i1-g3-c0-t1", "i1-g3-c1-t1"]);
    expect(r.stats.nearDuplicates).toBe(4);
    expect(port.evaluations).toHaveLength(2);
  });

  it("a nearDuplicate threshold of 1 only rejects exact shingle matches", async () => {
    const inp = input({}, { nearDuplicate: 1 });
    const base = inp.population[1]!.text;
    const port = fakePort({ reply: (req) => (stepOf(req) === "refine-critic" ? "<critique>x</critique>" : `<harness>\n${base} extra${sha(req.sampleKey).slice(0, 8)}\n</harness>`) });
    const r = await runIslandGeneration(inp, port);
    expect(r.stats.nearDuplicates).toBe(0);
    expect(r.children.length).toBeGreaterThan(0);
  });
});

describe("runIslandGeneration: failures never throw", () => {
  it("an unparsable reply is retried (3 attempts), then counted as a failed proposal", async () => {
    const port = fakePort({ reply: () => "I think the harness is fine as it is." });
    const r = await runIslandGeneration(input(), port);
    expect(r.children).toEqual([]);
    expect(r.stats).toMatchObject({ proposals: 9, failedProposals: 9, calls: 27, duplicates: 0, failedEvaluations: 0 });
    expect(port.completes).toHaveLength(27);
    expect(port.evaluations).toEqual([]);
    expect(r.failures).toHaveLength(9);
    for (const f of r.failures) {
      parseId(f.id);
      expect(f.reason).toMatch(/^proposal failed: (mutate|crossover|rewrite|refine-critic): no <(harness|critique)> block \(3 attempts\)$/);
    }
    // Each step is tried under its key, then /try=1 and /try=2.
    const keys = port.completes.map((c) => c.req.sampleKey);
    for (const k of keys.filter((k) => !/\/try=/.test(k))) {
      expect(keys).toContain(`${k}/try=1`);
      expect(keys).toContain(`${k}/try=2`);
    }
    expect(r.budgetHit).toBe(false);
  });

  it("a reply that parses on a retry is used", async () => {
    const port = fakePort({ reply: (req) => (/\/try=1$/.test(req.sampleKey) ? defaultReply(req) : "<harness>unclosed") });
    const r = await runIslandGeneration(input({}, { turns: 2 }), port);
    expect(r.children).toHaveLength(6);
    expect(r.stats.failedProposals).toBe(0);
    expect(r.stats.calls).toBe(port.completes.length);
    // Two calls per step: the bad first reply and the retry.
    expect(port.completes.every((c) => /\/try=1$/.test(c.req.sampleKey) || port.completes.some((d) => d.req.sampleKey === `${c.req.sampleKey}/try=1`))).toBe(true);
  });

  it("a critic that never critiques fails the refine turn, not the conversation", async () => {
    const inp = input({ preset: { ...PRESET, noParentProbability: 0, operators: { mutate: 0, crossover: 0, refine: 1 } } }, { conversations: 2, turns: 2 });
    const port = fakePort({ reply: (req) => (stepOf(req) === "refine-critic" ? "No critique today." : defaultReply(req)) });
    const r = await runIslandGeneration(inp, port);
    expect(r.children).toEqual([]);
    expect(r.stats).toMatchObject({ proposals: 4, failedProposals: 4, calls: 12 });
    expect(port.completes.every((c) => stepOf(c.req) === "refine-critic")).toBe(true);
  });

  it("a call that throws an ordinary error is recorded as a failure, and the conversation goes on", async () => {
    const port = fakePort({
      reply: (req) => {
        if (turnOf(req.sampleKey) === 1) throw new Error("connection reset");
        return defaultReply(req);
      },
    });
    const r = await runIslandGeneration(input(), port);
    expect(r.failures.filter((f) => f.reason === "connection reset").map((f) => f.id)).toEqual(["i1-g3-c0-t1", "i1-g3-c1-t1", "i1-g3-c2-t1"]);
    expect(r.stats.failedProposals).toBe(3);
    expect(r.children.map((c) => c.id)).toEqual(["i1-g3-c0-t2", "i1-g3-c0-t3", "i1-g3-c1-t2", "i1-g3-c1-t3", "i1-g3-c2-t2", "i1-g3-c2-t3"]);
    expect(r.budgetHit).toBe(false);
    expect(r.fatal).toBeUndefined();
  });

  it("a failed evaluation is counted, recorded, and the next turn starts afresh", async () => {
    const port = fakePort({ evaluate: (req) => (req.id.endsWith("-t1") ? { ok: false, reason: "every task timed out" } : defaultEvaluate(req)) });
    const r = await runIslandGeneration(input(), port);
    expect(r.stats.failedEvaluations).toBe(3);
    expect(r.failures).toEqual(["c0", "c1", "c2"].map((c) => ({ id: `i1-g3-${c}-t1`, reason: "evaluation failed: every task timed out" })));
    expect(r.children.filter((c) => c.id.endsWith("-t2")).every((c) => !c.parents.some((p) => p.endsWith("-t1")))).toBe(true);
    expect(r.children).toHaveLength(6);
    expect(r.budgetHit).toBe(false);
  });

  it("evaluate returning { ok: false, budget: true } stops that conversation and sets budgetHit", async () => {
    const port = fakePort({ evaluate: (req, conv) => (conv === 1 ? { ok: false, reason: "share spent", budget: true } : defaultEvaluate(req)) });
    const r = await runIslandGeneration(input({}, { conversations: 3, turns: 3 }), port);
    expect(r.budgetHit).toBe(true);
    expect(r.fatal).toBeUndefined();
    expect(r.children.map((c) => c.id)).toEqual(["i1-g3-c0-t1", "i1-g3-c0-t2", "i1-g3-c0-t3", "i1-g3-c2-t1", "i1-g3-c2-t2", "i1-g3-c2-t3"]);
    // Conversation 1 made its first proposal, was refused at evaluation and asked nothing more.
    expect(port.evaluations.filter((e) => e.conv === 1)).toHaveLength(1);
    expect(port.completes.filter((c) => c.conv === 1).every((c) => turnOf(c.req.sampleKey) === 1)).toBe(true);
    // A budget stop is neither a failure nor a failed evaluation.
    expect(r.failures).toEqual([]);
    expect(r.stats.failedEvaluations).toBe(0);
  });

  it("a budget stop mid-conversation keeps the children made before it", async () => {
    const port = fakePort({ evaluate: (req) => (req.id === "i1-g3-c0-t2" ? { ok: false, reason: "no room", budget: true } : defaultEvaluate(req)) });
    const r = await runIslandGeneration(input(), port);
    expect(r.budgetHit).toBe(true);
    expect(r.children.map((c) => c.id).filter((id) => id.includes("-c0-"))).toEqual(["i1-g3-c0-t1"]);
    expect(r.children).toHaveLength(7);
  });

  it("a budget error thrown by complete also stops the conversation", async () => {
    for (const err of [new BudgetExhaustedError("evolver", "calls"), new PortError("budget", "evolver share spent")]) {
      const port = fakePort({ reply: (req, conv) => (conv === 0 && turnOf(req.sampleKey) === 2 ? Promise.reject(err) : defaultReply(req)) });
      const r = await runIslandGeneration(input(), port);
      expect(r.budgetHit).toBe(true);
      expect(r.children.filter((c) => c.id.includes("-c0-")).map((c) => c.id)).toEqual(["i1-g3-c0-t1"]);
      expect(port.completes.some((c) => c.conv === 0 && turnOf(c.req.sampleKey) === 3)).toBe(false);
      expect(r.children).toHaveLength(7);
      expect(r.failures).toEqual([]);
    }
  });

  it("evaluate returning { ok: false, fatal: true } sets fatal and stops that conversation", async () => {
    const port = fakePort({ evaluate: (req, conv) => (conv === 2 ? { ok: false, reason: "401 unauthorized", fatal: true } : defaultEvaluate(req)) });
    const r = await runIslandGeneration(input(), port);
    expect(r.fatal).toBe("401 unauthorized");
    expect(r.budgetHit).toBe(false);
    expect(r.children.some((c) => c.id.includes("-c2-"))).toBe(false);
    expect(port.evaluations.filter((e) => e.conv === 2)).toHaveLength(1);
    expect(r.children).toHaveLength(6);
  });

  it("a fatal port error from complete sets fatal; with several, the first conversation's wins", async () => {
    const port = fakePort({
      jitter: true,
      reply: (req, conv) => (conv > 0 ? Promise.reject(new PortError("fatal", `model gone (conv ${conv})`)) : defaultReply(req)),
    });
    const r = await runIslandGeneration(input(), port);
    expect(r.fatal).toBe("model gone (conv 1)");
    expect(r.children.map((c) => c.id)).toEqual(["i1-g3-c0-t1", "i1-g3-c0-t2", "i1-g3-c0-t3"]);
    expect(port.completes.filter((c) => c.conv > 0)).toHaveLength(2);
  });
});

describe("runIslandGeneration: bounds (property)", () => {
  type Behaviour = "valid" | "garbage" | "unclosed" | "population" | "near" | "throw" | "same";
  const behaviours: Behaviour[] = ["valid", "garbage", "unclosed", "population", "near", "throw", "same"];
  type Verdict = "ok" | "fail" | "budget" | "fatal" | "throw";

  it("never throws, never exceeds conversations × turns × 6 calls, and keeps its counts consistent", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 4 }),
        fc.nat(4),
        fc.array(fc.constantFrom(...behaviours), { minLength: 1, maxLength: 4 }),
        fc.array(fc.constantFrom<Verdict>("ok", "ok", "ok", "fail", "budget", "fatal", "throw"), { minLength: 1, maxLength: 4 }),
        async (seed, conversations, turns, popSize, replyMix, verdictMix) => {
          const inp = input({ seed, population: [0, 1, 2, 3].slice(0, popSize).map((i) => member(i)) }, { conversations, turns });
          const pick = <T>(xs: T[], key: string) => xs[parseInt(sha(`${seed}|${key}`).slice(0, 8), 16) % xs.length]!;
          const port = fakePort({
            reply: (req) => {
              const b = pick(replyMix, req.sampleKey);
              const tag = stepOf(req) === "refine-critic" ? "critique" : "harness";
              switch (b) {
                case "valid":
                  return defaultReply(req);
                case "garbage":
                  return "Sure! Here is my answer.";
                case "unclosed":
                  return `<${tag}>\nhalf a reply`;
                case "population":
                  return tag === "critique" ? defaultReply(req) : `<harness>\n${inp.population[0]?.text ?? "## Seed\nfallback text"}\n</harness>`;
                case "near":
                  return tag === "critique" ? defaultReply(req) : `<harness>\n${member(0).text} extra${sha(req.sampleKey).slice(0, 6)}\n</harness>`;
                case "same":
                  return `<${tag}>\nOne fixed reply for every request.\n</${tag}>`;
                case "throw":
                  throw new Error("socket hang up");
              }
            },
            evaluate: (req) => {
              const v = pick(verdictMix, req.id);
              if (v === "ok") return defaultEvaluate(req);
              if (v === "fail") return { ok: false, reason: "bad" };
              if (v === "budget") return { ok: false, reason: "spent", budget: true };
              if (v === "fatal") return { ok: false, reason: "gone", fatal: true };
              throw new Error("evaluator crashed");
            },
          });
          const r = await runIslandGeneration(inp, port);
          const C = conversations;
          const T = turns;
          expect(port.completes.length).toBeLessThanOrEqual(C * T * 2 * 3);
          expect(r.stats.calls).toBeLessThanOrEqual(port.completes.length);
          expect(r.stats.proposals).toBeLessThanOrEqual(C * T);
          if (!r.budgetHit && r.fatal === undefined) expect(r.stats.proposals).toBe(C * T);
          expect(r.children.length).toBeLessThanOrEqual(C * T);
          // Every evaluation ends as a child, a failure, or a stop.
          expect(port.evaluations.length).toBeGreaterThanOrEqual(r.children.length + r.stats.failedEvaluations);
          expect(port.evaluations.length).toBeLessThanOrEqual(C * T);
          // Each proposal is accounted for at most once.
          const s = r.stats;
          expect(s.failedProposals + s.duplicates + s.nearDuplicates + s.failedEvaluations + r.children.length).toBeLessThanOrEqual(s.proposals);
          // Children: well-named, unique, never a known or population hash, never evaluated twice in a conversation.
          const ids = r.children.map((c) => c.id);
          expect(new Set(ids).size).toBe(ids.length);
          const popHashes = new Set(inp.population.map((c) => c.hash));
          for (const c of r.children) {
            const p = parseId(c.id);
            expect(p.island).toBe(1);
            expect(p.conv).toBeLessThan(C);
            expect(p.turn).toBeLessThanOrEqual(T);
            expect(popHashes.has(c.hash)).toBe(false);
          }
          for (let conv = 0; conv < C; conv++) {
            const hashes = port.evaluations.filter((e) => e.conv === conv).map((e) => harnessHash(e.req.harness));
            expect(new Set(hashes).size).toBe(hashes.length);
          }
          for (const f of r.failures) parseId(f.id);
          // The stats add up to what the port saw when no call threw.
          if (!replyMix.includes("throw") && !r.budgetHit && r.fatal === undefined) expect(s.calls).toBe(port.completes.length);
        },
      ),
      { numRuns: 80 },
    );
  });
});
