import { describe, expect, it } from "vitest";
import { spendPlan } from "../../src/budget/policy.js";

describe("spend policies", () => {
  it("fixed always spends the same way", () => {
    for (const climbing of [true, false]) expect(spendPlan("fixed", climbing, ["evolver", "user", "verifier"])).toEqual({ conversationFactor: 1, effort: "normal" });
  });

  it("adaptive gives the evolver more while climbing and evaluation more once stalled", () => {
    const up = spendPlan("adaptive", true, ["evolver", "user", "verifier"]);
    const flat = spendPlan("adaptive", false, ["evolver", "user", "verifier"]);
    expect(up.conversationFactor).toBeGreaterThan(flat.conversationFactor);
    expect(up.effort).toBe("normal");
    expect(flat.effort).toBe("thorough");
    expect(up.weights!.evolver).toBeGreaterThan(flat.weights!.evolver);
    expect(up.weights!.user + up.weights!.verifier).toBeLessThan(flat.weights!.user + flat.weights!.verifier);
  });

  it("gives no weight to a role the campaign does not use", () => {
    expect(spendPlan("adaptive", true, ["evolver", "user"]).weights!.verifier).toBe(0);
  });
});
