import { describe, expect, it } from "vitest";
import { BudgetSchema } from "../../src/config/schema.js";
import { budgetCaps } from "../../src/budget/split.js";
import { Ledger } from "../../src/budget/ledger.js";

describe("budgetCaps", () => {
  it("without a split the roles share the total", () => {
    const opts = budgetCaps(BudgetSchema.parse({ usd: 2, calls: 100 }));
    expect(opts).toEqual({ total: { usd: 2, calls: 100 } });
    const l = new Ledger(opts);
    expect(l.remaining("verifier")).toEqual({ usd: 2, tokens: Infinity, calls: 100 });
  });

  it("with a split each role gets its share of every total cap", () => {
    const opts = budgetCaps(BudgetSchema.parse({ usd: 2, calls: 1000, split: { evolver: 0.2, user: 0.6, verifier: 0.2 } }));
    expect(opts.total).toEqual({ usd: 2, calls: 1000 });
    expect(opts.byRole?.user?.usd).toBeCloseTo(1.2);
    expect(opts.byRole?.user?.calls).toBeCloseTo(600);
    expect(opts.byRole?.evolver?.tokens).toBeUndefined();
    const l = new Ledger(opts);
    expect(l.remaining("evolver").calls).toBeCloseTo(200);
  });

  it("no caps at all is an unlimited ledger", () => {
    const l = new Ledger(budgetCaps(BudgetSchema.parse({})));
    expect(l.remaining("user")).toEqual({ usd: Infinity, tokens: Infinity, calls: Infinity });
  });
});
