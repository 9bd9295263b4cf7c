import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { UserError } from "../../src/config/errors.js";
import { loadCampaign } from "../../src/config/load.js";
import { applyOverrides } from "../../src/config/overrides.js";
import { loadPreset } from "../../src/config/presets.js";

let dir: string;

const TASKS = `tasks:
  - { id: a, split: train, input: "1+1?", check: { type: numeric, expected: 2 } }
  - { id: b, split: val, input: "2+2?", check: { type: numeric, expected: 4 } }
  - { id: c, split: test, input: "3+3?", check: { type: numeric, expected: 6 } }
`;

/** A valid campaign as a plain object; each test breaks one thing in a copy. */
function baseCampaign(): Record<string, any> {
  return {
    name: "t",
    seed: 3,
    harness: "./seed.md",
    tasks: "./tasks.yaml",
    models: {
      small: { model: "sim:small" },
      judge: { model: "sim:judge", apiKeyEnv: "JUDGE_KEY" },
    },
    roles: { evolver: [{ model: "small", weight: 3 }, { model: "judge" }], user: "small", verifier: "judge" },
    strategy: { name: "islands", islands: 3, presets: ["explorer", "refiner"] },
    budget: { usd: 1, split: { evolver: 0.2, user: 0.5, verifier: 0.3 } },
  };
}

let counter = 0;
/** Writes a campaign file into the temp dir; an object is written as YAML, a string as is. */
function write(content: Record<string, unknown> | string, ext = "yaml"): string {
  const file = join(dir, `campaign-${counter++}.${ext}`);
  writeFileSync(file, typeof content === "string" ? content : stringify(content));
  return file;
}

function variant(edit: (c: Record<string, any>) => void): string {
  const c = baseCampaign();
  edit(c);
  return write(c);
}

/** `fn` throws a UserError whose message is one line and names `field` (and the file). */
function expectUserError(fn: () => unknown, field: string | RegExp, file?: string): UserError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught, "expected a UserError").toBeInstanceOf(UserError);
  const message = (caught as UserError).message;
  expect(message).not.toMatch(/[\r\n]/);
  expect(message.trim()).not.toBe("");
  if (typeof field === "string") expect(message).toContain(field);
  else expect(message).toMatch(field);
  if (file !== undefined) expect(message.startsWith(file)).toBe(true);
  return caught as UserError;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "he-config-"));
  writeFileSync(join(dir, "seed.md"), "## Approach\nSolve the task. End with `Final answer: <answer>`.\n");
  writeFileSync(join(dir, "empty.md"), "   \n");
  writeFileSync(join(dir, "tasks.yaml"), TASKS);
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe("loadCampaign: a valid campaign", () => {
  it("loads, applies defaults and resolves the files next to the campaign", () => {
    const file = write(baseCampaign());
    const loaded = loadCampaign(file);
    expect(loaded.file).toBe(file);
    expect(loaded.harnessPath).toBe(join(dir, "seed.md"));
    expect(loaded.tasksPath).toBe(join(dir, "tasks.yaml"));
    expect(loaded.seedHarness).toContain("Final answer");
    const { config } = loaded;
    expect(config.seed).toBe(3);
    expect(config.strategy).toMatchObject({ name: "islands", islands: 3, generations: 10, conversations: 5, turns: 4, populationSize: 20 });
    expect(config.budget).toMatchObject({ usd: 1, policy: "fixed" });
    expect(config.roles.evolver).toEqual([
      { model: "small", weight: 3 },
      { model: "judge", weight: 1 },
    ]);
    expect(config.models.small).toMatchObject({ model: "sim:small", concurrency: 8, maxRetries: 5, params: {} });
    expect(config.fitness).toMatchObject({ type: "tasks", minibatch: 8 });
  });

  it("also reads JSON campaigns", () => {
    const file = write(JSON.stringify(baseCampaign()), "json");
    expect(loadCampaign(file).config.name).toBe("t");
  });

  it("the seed option overrides the file's seed", () => {
    expect(loadCampaign(write(baseCampaign()), { seed: 99 }).config.seed).toBe(99);
  });
});

describe("loadCampaign: every mistake is a one-line UserError naming the field", () => {
  it("unknown strategy → strategy.name", () => {
    const file = variant((c) => (c.strategy = { name: "genetic" }));
    expectUserError(() => loadCampaign(file), "strategy.name", file);
  });

  it("negative budget → budget.usd", () => {
    const file = variant((c) => (c.budget.usd = -1));
    expectUserError(() => loadCampaign(file), "budget.usd", file);
  });

  it("zero budget calls → budget.calls", () => {
    const file = variant((c) => (c.budget.calls = 0));
    expectUserError(() => loadCampaign(file), "budget.calls", file);
  });

  it("missing task file → tasks", () => {
    const file = variant((c) => (c.tasks = "./nope.yaml"));
    const e = expectUserError(() => loadCampaign(file), /: tasks: /, file);
    expect(e.message).toContain("nope.yaml");
  });

  it("missing harness file → harness", () => {
    const file = variant((c) => (c.harness = "./missing.md"));
    const e = expectUserError(() => loadCampaign(file), /: harness: /, file);
    expect(e.message).toContain("missing.md");
  });

  it("empty harness file → harness", () => {
    const file = variant((c) => (c.harness = "./empty.md"));
    expectUserError(() => loadCampaign(file), /: harness: /, file);
  });

  it("missing required field → its name", () => {
    const file = variant((c) => delete c.harness);
    expectUserError(() => loadCampaign(file), "harness", file);
  });

  it("unknown model in a role → roles.user (and the known models)", () => {
    const file = variant((c) => (c.roles.user = "big"));
    const e = expectUserError(() => loadCampaign(file), "roles.user", file);
    expect(e.message).toContain('"big"');
    expect(e.message).toContain("small, judge");
  });

  it("unknown model in a weighted evolver binding → roles.evolver", () => {
    const file = variant((c) => (c.roles.evolver = [{ model: "small" }, { model: "nope", weight: 1 }]));
    expectUserError(() => loadCampaign(file), "roles.evolver", file);
  });

  it("unknown top-level key → the key", () => {
    const file = variant((c) => (c.budjet = { usd: 1 }));
    const e = expectUserError(() => loadCampaign(file), "budjet", file);
    expect(e.message).toContain("unknown key");
  });

  it("unknown nested key → its path", () => {
    const file = variant((c) => (c.strategy.islandz = 2));
    expectUserError(() => loadCampaign(file), "strategy.islandz", file);
  });

  it('wrong type (strategy.islands: "x") → strategy.islands', () => {
    const file = variant((c) => (c.strategy.islands = "x"));
    const e = expectUserError(() => loadCampaign(file), "strategy.islands", file);
    expect(e.message).toContain('"x"');
  });

  it("zero islands → strategy.islands", () => {
    const file = variant((c) => (c.strategy.islands = 0));
    expectUserError(() => loadCampaign(file), "strategy.islands", file);
  });

  it("fractional islands → strategy.islands", () => {
    const file = variant((c) => (c.strategy.islands = 2.5));
    expectUserError(() => loadCampaign(file), "strategy.islands", file);
  });

  it("budget split not summing to 1 → budget.split", () => {
    const file = variant((c) => (c.budget.split = { evolver: 0.5, user: 0.5, verifier: 0.5 }));
    const e = expectUserError(() => loadCampaign(file), "budget.split", file);
    expect(e.message).toContain("sum to 1");
  });

  it("budget split without any cap → budget.split", () => {
    const file = variant((c) => (c.budget = { split: { evolver: 0.2, user: 0.5, verifier: 0.3 } }));
    expectUserError(() => loadCampaign(file), "budget.split", file);
  });

  it("invalid YAML → names the file (and the line)", () => {
    const file = write("name: t\nstrategy: { name: islands\nbudget: [1, 2\n");
    const e = expectUserError(() => loadCampaign(file), "not valid YAML", file);
    expect(e.message).toContain(file);
  });

  it("invalid JSON → names the file", () => {
    const file = write('{ "name": "t", ', "json");
    expectUserError(() => loadCampaign(file), "not valid JSON", file);
  });

  it("a campaign that is not a map → names the file", () => {
    const list = write("- a\n- b\n");
    expectUserError(() => loadCampaign(list), "expected a map", list);
    const scalar = write("42\n");
    expectUserError(() => loadCampaign(scalar), "expected a map", scalar);
  });

  it("a missing campaign file → names it", () => {
    const file = join(dir, "no-such-campaign.yaml");
    expectUserError(() => loadCampaign(file), "file not found", file);
  });

  it("a directory instead of a file → names it", () => {
    expectUserError(() => loadCampaign(dir), "is a directory", dir);
  });

  it("apiKeyEnv with a bad name → models.<key>.apiKeyEnv", () => {
    for (const bad of ["MY-KEY", "1KEY", "sk-abc123", "A B"]) {
      const file = variant((c) => (c.models.judge.apiKeyEnv = bad));
      expectUserError(() => loadCampaign(file), "models.judge.apiKeyEnv", file);
    }
  });

  it("a bad model key → models", () => {
    const file = variant((c) => (c.models["bad key!"] = { model: "sim:small" }));
    expectUserError(() => loadCampaign(file), "models", file);
  });

  it("a long offending value is cut short, so the message stays one short line", () => {
    const file = variant((c) => (c.strategy.islands = "x".repeat(500)));
    const e = expectUserError(() => loadCampaign(file), "strategy.islands", file);
    expect(e.message.length).toBeLessThan(file.length + 200);
  });
});

describe("--set overrides", () => {
  it("numbers, booleans and strings are read as YAML", () => {
    const out = applyOverrides({}, ["a=2", "b=2.5", "c=true", "d=false", "e=hello", "f=", "g='7'"]);
    expect(out).toEqual({ a: 2, b: 2.5, c: true, d: false, e: "hello", f: "", g: "7" });
  });

  it("null removes a field, so it falls back to its default", () => {
    expect(applyOverrides({ budget: { usd: 1, split: { evolver: 1 } } }, ["budget.split=null"])).toEqual({ budget: { usd: 1 } });
  });

  it("lists and maps as typed", () => {
    expect(applyOverrides({}, ["a=[1, 2]", "b={x: 1}"])).toEqual({ a: [1, 2], b: { x: 1 } });
  });

  it("nested paths, creating maps on the way", () => {
    expect(applyOverrides({ strategy: { name: "islands", islands: 4 } }, ["strategy.islands=2", "strategy.migrate.count=0"])).toEqual({
      strategy: { name: "islands", islands: 2, migrate: { count: 0 } },
    });
  });

  it("array index paths, into existing and new arrays", () => {
    const base = { strategy: { presets: ["explorer", "refiner"] }, roles: { evolver: [{ model: "a", weight: 1 }] } };
    const out = applyOverrides(base, ["strategy.presets[1]=balanced", "roles.evolver[0].weight=3", "list[0]=x", "grid[1][0]=5"]);
    expect(out.strategy).toEqual({ presets: ["explorer", "balanced"] });
    expect(out.roles).toEqual({ evolver: [{ model: "a", weight: 3 }] });
    expect(out.list).toEqual(["x"]);
    expect(Array.isArray(out.grid)).toBe(true);
    expect((out.grid as unknown[])[1]).toEqual([5]);
  });

  it("only the first = splits path from value", () => {
    expect(applyOverrides({}, ["name=a=b"])).toEqual({ name: "a=b" });
  });

  it("later overrides win, and the input object is not mutated", () => {
    const base = { budget: { usd: 1 } };
    const out = applyOverrides(base, ["budget.usd=2", "budget.usd=3"]);
    expect(out).toEqual({ budget: { usd: 3 } });
    expect(base).toEqual({ budget: { usd: 1 } });
  });

  it("a malformed --set is a UserError", () => {
    for (const bad of ["foo", "=1", ""]) expectUserError(() => applyOverrides({}, [bad]), "--set");
    expectUserError(() => applyOverrides({}, ["foo"]), "path=value");
  });

  it("setting below a non-map is a UserError", () => {
    expectUserError(() => applyOverrides({ name: "t" }, ["name.first=x"]), "name is not a map");
  });

  it("__proto__, constructor and prototype paths are refused", () => {
    for (const bad of ["__proto__.polluted=1", "a.__proto__.polluted=1", "constructor.prototype.polluted=1", "a.constructor=1", "x[0].__proto__.polluted=1"]) {
      expectUserError(() => applyOverrides({ a: {} }, [bad]), "not a valid path");
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((Object.prototype as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("loadCampaign applies overrides before validation", () => {
    const file = write(baseCampaign());
    const { config } = loadCampaign(file, { sets: ["strategy.islands=2", "budget.usd=0.5", "strategy.presets[0]=balanced", "roles.user=judge", "concurrency=4"] });
    expect(config.strategy).toMatchObject({ islands: 2, presets: ["balanced", "refiner"] });
    expect(config.budget.usd).toBe(0.5);
    expect(config.roles.user).toBe("judge");
    expect(config.concurrency).toBe(4);
  });

  it("an override that breaks the campaign is reported like a file mistake", () => {
    const file = write(baseCampaign());
    expectUserError(() => loadCampaign(file, { sets: ["strategy.islands=0"] }), "strategy.islands", file);
    expectUserError(() => loadCampaign(file, { sets: ["strategy.name=genetic"] }), "strategy.name", file);
    expectUserError(() => loadCampaign(file, { sets: ["roles.user=big"] }), "roles.user", file);
    expectUserError(() => loadCampaign(file, { sets: ["extra=1"] }), "extra", file);
    expectUserError(() => loadCampaign(file, { sets: ["foo"] }), "--set foo");
    expectUserError(() => loadCampaign(file, { sets: ["__proto__.x=1"] }), "not a valid path");
  });
});

describe("loadPreset", () => {
  it("loads the built-in explorer and refiner presets", () => {
    const explorer = loadPreset("explorer", dir);
    expect(explorer).toMatchObject({ name: "explorer", temperature: 1, noParentProbability: 0.3, operators: { mutate: 2, crossover: 3, refine: 1 } });
    const refiner = loadPreset("refiner", dir);
    expect(refiner).toMatchObject({ name: "refiner", temperature: 0.3, noParentProbability: 0.05, operators: { mutate: 2, crossover: 1, refine: 4 } });
    expect(loadPreset("balanced", dir).noParentProbability).toBeUndefined();
  });

  it("an unknown preset name is a UserError naming strategy.presets", () => {
    const e = expectUserError(() => loadPreset("wizard", dir), "strategy.presets");
    expect(e.message).toContain('"wizard"');
  });

  it("loads a preset by path, relative to the base dir, with defaults", () => {
    writeFileSync(join(dir, "mine.yaml"), "name: mine\noperators: { mutate: 1, crossover: 0, refine: 0 }\n");
    expect(loadPreset("./mine.yaml", dir)).toEqual({ name: "mine", description: "", temperature: 0.7, operators: { mutate: 1, crossover: 0, refine: 0 } });
    expectUserError(() => loadPreset("./absent.yaml", dir), "strategy.presets");
  });

  it("an invalid preset file is a UserError naming strategy.presets and the field", () => {
    writeFileSync(join(dir, "hot.yaml"), "name: hot\ntemperature: 5\n");
    expectUserError(() => loadPreset("./hot.yaml", dir), /strategy\.presets.*temperature/);
    writeFileSync(join(dir, "none.yaml"), "name: none\noperators: { mutate: 0, crossover: 0, refine: 0 }\n");
    expectUserError(() => loadPreset("./none.yaml", dir), /strategy\.presets.*operators/);
    writeFileSync(join(dir, "broken.yaml"), "name: [unclosed\n");
    expectUserError(() => loadPreset("./broken.yaml", dir), /strategy\.presets.*not valid YAML/);
  });
});

describe("--set with empty path segments", () => {
  it("refuses them instead of ignoring them", () => {
    expect(() => applyOverrides({}, [".=5"])).toThrow(/not a valid path/);
    expect(() => applyOverrides({}, ["a..b=1"])).toThrow(/not a valid path/);
  });
});
