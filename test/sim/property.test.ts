import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { OPERATOR_STEPS } from "../../src/protocol/tags.js";
import { createWorld, SIM_MODELS, simRespond } from "../../src/sim/index.js";

const world = createWorld(1);
const tagged = fc.oneof(
  fc.string(),
  fc.tuple(fc.constantFrom("task", "answer", "rubric", "harness", "feedback", "critique", "operator"), fc.string(), fc.boolean()).map(
    ([tag, body, close]) => `<${tag}>${body}${close ? `</${tag}>` : ""}`,
  ),
  fc.constantFrom(...OPERATOR_STEPS).map((s) => `<operator>${s}</operator><harness id="1">## A\n- x</harness><feedback>I lost track of the units.</feedback>`),
);
const message = fc.record({
  role: fc.oneof(fc.constantFrom("system", "user", "assistant", "developer"), fc.string()),
  content: fc.oneof(tagged, fc.array(fc.oneof(fc.record({ type: fc.constant("text"), text: tagged }), fc.anything())), fc.anything()),
});
const body = fc.oneof(
  fc.anything(),
  fc.record(
    {
      model: fc.oneof(fc.constantFrom(...SIM_MODELS), fc.anything()),
      messages: fc.oneof(fc.array(message, { maxLength: 4 }), fc.anything()),
      seed: fc.oneof(fc.integer(), fc.double(), fc.anything()),
      max_tokens: fc.oneof(fc.integer({ min: -5, max: 500 }), fc.anything()),
      temperature: fc.oneof(fc.double(), fc.anything()),
      reasoning_tokens: fc.oneof(fc.integer({ min: -100, max: 5000 }), fc.double(), fc.anything()),
    },
    { requiredKeys: [] },
  ),
);

describe("simRespond on arbitrary input", () => {
  it("never throws and always answers with an OpenAI-shaped body", () => {
    fc.assert(
      fc.property(body, (b) => {
        const r = simRespond(world, b);
        expect([200, 400, 404]).toContain(r.status);
        if (r.status === 200) expect(r.body).toHaveProperty("choices.0.message.content");
        else expect(r.body).toHaveProperty("error.message");
        // JSON round-trip must hold: the server serialises every reply
        expect(() => JSON.stringify(r.body)).not.toThrow();
      }),
      { numRuns: 2000 },
    );
  });
});
