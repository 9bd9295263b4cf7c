import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { evolve } from "../../src/campaign/run.js";
import type { RunSummary } from "../../src/campaign/summary.js";
import { RETRY_BASE_ENV } from "../../src/llm/endpoint.js";
import { startFakeOpenAI, type FakeOpenAI, type FakeReply, type RecordedRequest } from "../helpers/fake-openai-server.js";
import { faultCampaign, gradedModelReply, injectFaults, outcomeOf, paidCallTotals, type FaultKind, type RunOutcome } from "../helpers/fault-campaign.js";

/**
 * Transient endpoint faults are retried away: a campaign whose endpoint fails about a fifth
 * of its calls once (429s, 5xx, hangs, dropped connections, malformed 200s) ends exactly as
 * the fault-free run of the same seed. Permanent faults (401, 404, 400) stop the run at their
 * first request with a one-line message naming the model and the fix.
 *
 * Every model has maxRetries 5 and timeoutMs 1500. Faults that carry no Retry-After are
 * retried after HARNESS_EVOLVE_RETRY_BASE_MS (10 ms here) instead of the SDK's 0.5 s, so the
 * file stays fast; the 429-with-Retry-After run leaves it unset and relies on the header.
 *
 * The runs are concurrent tests, three at a time, each with its own fake endpoint. Only the hang
 * run needs the 1500 ms limit: the others get 60 s, so that on a loaded machine (three campaigns
 * in this one process) a healthy reply never times out, which would send its body a third time
 * and break the exact request counts below. The hang run keeps 1500 ms and runs alone.
 */

const KEY = "sk-faults-0123456789";
const ENV = { FAKE_ENDPOINT_KEY: KEY };
const FAST_RETRIES = { ...ENV, [RETRY_BASE_ENV]: "10" };

/** At most `n` slots held at once; a holder takes `weight` of them (`n`: it runs alone), first come first served. */
function slots(n: number): <T>(fn: () => Promise<T>, weight?: number) => Promise<T> {
  let free = n;
  const waiting: { weight: number; go: () => void }[] = [];
  const admit = () => {
    while (waiting.length > 0 && waiting[0]!.weight <= free) {
      const w = waiting.shift()!;
      free -= w.weight;
      w.go();
    }
  };
  return async (fn, weight = 1) => {
    await new Promise<void>((go) => {
      waiting.push({ weight, go });
      admit();
    });
    try {
      return await fn();
    } finally {
      free += weight;
      admit();
    }
  };
}
const three = slots(3);
/** A fake endpoint for one test, closed when it ends. */
async function fakeWith(fallback: (req: RecordedRequest) => FakeReply, onTestFinished: (fn: () => Promise<void>) => void): Promise<FakeOpenAI> {
  const fake = await startFakeOpenAI();
  fake.fallback = fallback;
  onTestFinished(() => fake.close());
  return fake;
}

async function run(fake: FakeOpenAI, env: Record<string, string>, opts: Parameters<typeof faultCampaign>[1] = {}): Promise<{ summary: RunSummary; out: string }> {
  const { dir, file } = faultCampaign(fake.baseURL, opts);
  const out = join(dir, "run");
  const { summary } = await evolve(file, { out, inProcessIslands: true, env });
  return { summary, out };
}

let reference: RunOutcome;
let referencePaid: ReturnType<typeof paidCallTotals>;
beforeAll(async () => {
  const fake = await startFakeOpenAI();
  fake.fallback = gradedModelReply;
  try {
    const { summary, out } = await run(fake, ENV, {});
    reference = outcomeOf(summary, out);
    referencePaid = paidCallTotals(out);
  } finally {
    await fake.close();
  }
  expect(reference.status).toBe("completed");
  // The search found something: the winner is a child, better than the seed on val.
  expect(reference.bestHash).not.toBe(reference.rows.find((r) => r.id === "seed")!.hash);
  expect(reference.bestVal!).toBeGreaterThan(reference.seedVal!);
  expect(reference.candidates).toBeGreaterThan(5);
  expect(referencePaid.estimated).toBe(0);
}, 300_000);

describe.concurrent("transient faults on a fifth of the calls leave the result unchanged", () => {
  const kinds: { kind: FaultKind; what: string; env: Record<string, string> }[] = [
    { kind: "429-retry-after", what: "429 with retry-after-ms: 5 / Retry-After: 0 (default backoff untouched)", env: ENV },
    { kind: "429", what: "429 without Retry-After", env: FAST_RETRIES },
    { kind: "500", what: "500", env: FAST_RETRIES },
    { kind: "503", what: "503", env: FAST_RETRIES },
    { kind: "hang", what: "a hang past the 1500 ms timeout", env: FAST_RETRIES },
    { kind: "drop", what: "a dropped connection", env: FAST_RETRIES },
    { kind: "non-json", what: "a 200 whose body is not JSON", env: FAST_RETRIES },
    { kind: "no-choices", what: "a 200 with no choices", env: FAST_RETRIES },
  ];

  it.for(kinds)("$what", { timeout: 300_000 }, async ({ kind, env }, { expect, onTestFinished }) => {
    const faults = injectFaults(gradedModelReply, kind);
    const fake = await fakeWith(faults.reply, onTestFinished);
    // The hang run keeps the 1500 ms limit its faults need, alone.
    const { summary, out } = kind === "hang" ? await three(() => run(fake, env, { model: { timeoutMs: 1500 } }), 3) : await three(() => run(fake, env));
    expect(outcomeOf(summary, out)).toEqual(reference);
    // About a fifth of the calls faulted, and each of them was sent exactly twice (the fault, then one retry).
    const paid = paidCallTotals(out);
    expect(faults.faulted.size).toBeGreaterThan(paid.calls / 10);
    for (const body of faults.faulted) expect(faults.seen.get(body)).toBe(2);
    expect(fake.served.requests).toBe(paid.calls + faults.faulted.size);
    // The same calls were paid, with the same usage, as without faults; the retries show in `attempts`.
    expect(paid).toEqual(referencePaid);
    expect(summary.spend.inputTokens).toBe(fake.served.promptTokens);
    expect(summary.spend.outputTokens).toBe(fake.served.completionTokens);
    expect(summary.spend.calls - summary.spend.cachedCalls).toBe(fake.served.ok);
  });

  it("a 200 with no usage: same result; those calls' tokens are estimated (chars / 4) and flagged", async ({ expect, onTestFinished }) => {
    const faults = injectFaults(gradedModelReply, "no-usage");
    const fake = await fakeWith(faults.reply, onTestFinished);
    const { summary, out } = await three(() => run(fake, ENV));
    expect(outcomeOf(summary, out)).toEqual(reference);
    const paid = paidCallTotals(out);
    // Nothing was retried: a reply without usage is a good reply.
    expect(fake.served.requests).toBe(paid.calls);
    expect(paid.calls).toBe(referencePaid.calls);
    expect(faults.faulted.size).toBeGreaterThan(paid.calls / 10);
    // Token totals are no longer the endpoint's count: the faulted calls are estimated and
    // flagged in run.db (responses.usage_estimated), the others are reported usage.
    expect(paid.estimated).toBe(faults.faulted.size);
    expect(summary.spend.inputTokens).toBe(paid.inputTokens);
    expect(summary.spend.inputTokens).not.toBe(fake.served.promptTokens); // the server counted only the calls it reported
  }, 300_000);
});

describe.concurrent("permanent faults stop the run at the first request, with a one-line message", () => {
  /** Requests per body, for the model named `model`. */
  const perBody = (fake: FakeOpenAI, model: string) => {
    const n = new Map<string, number>();
    for (const r of fake.requests.filter((r) => r.body?.model === model)) n.set(JSON.stringify(r.body), (n.get(JSON.stringify(r.body)) ?? 0) + 1);
    return [...n.values()];
  };

  it("401 (a wrong key): evolve rejects naming the model and the variable to fix; no retries", async ({ expect, onTestFinished }) => {
    const fake = await fakeWith(gradedModelReply, onTestFinished);
    fake.requireKey = "sk-the-right-key";
    const err = (await three(() => run(fake, FAST_RETRIES)).catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(Error);
    // The first calls are the seed's minibatch, sent together to the user model (`agent`).
    expect(err.message).toMatch(/model 'agent' \(fake-agent at http:\/\/127\.0\.0\.1:\d+\/v1\): 401 unauthorized .*— check the key in FAKE_ENDPOINT_KEY/);
    expect(err.message).not.toContain("\n");
    expect(err.message).not.toContain(KEY);
    expect(fake.unauthorized).toBe(fake.served.requests);
    expect(fake.served.requests).toBeLessThanOrEqual(4); // the minibatch, once
    expect(perBody(fake, "fake-agent").every((n) => n === 1)).toBe(true);
  }, 300_000);

  it("404 model not found on the evolver: the run ends `failed` after generation 0's first calls, naming the model and what to check", async ({ expect, onTestFinished }) => {
    const fake = await fakeWith((req) =>
      req.body?.model === "fake-writer"
        ? { kind: "status", status: 404, body: { error: { message: "The model `fake-writer` does not exist or you do not have access to it.", code: "model_not_found" } } }
        : gradedModelReply(req),
      onTestFinished,
    );
    const { summary } = await three(() => run(fake, FAST_RETRIES));
    expect(summary.status).toBe("failed");
    expect(summary.reason).toMatch(/model 'writer' \(fake-writer at .*\): 404 not found \(The model `fake-writer` does not exist.*\) — check models\.writer\.model and models\.writer\.baseURL/);
    expect(summary.reason).not.toContain("\n");
    const writer = perBody(fake, "fake-writer");
    expect(writer.every((n) => n === 1)).toBe(true);
    expect(writer.length).toBeLessThanOrEqual(4); // one first call per conversation of generation 0 (2 islands × 2)
    expect(summary.best.id).toBe("seed");
  }, 300_000);

  it("400 on the verifier's request: evolve rejects naming the model and the params to check; no retries", async ({ expect, onTestFinished }) => {
    const fake = await fakeWith((req) =>
      req.body?.model === "fake-judge"
        ? { kind: "status", status: 400, body: { error: { message: "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.", code: "unsupported_parameter" } } }
        : gradedModelReply(req),
      onTestFinished,
    );
    const err = (await three(() => run(fake, FAST_RETRIES)).catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toMatch(/model 'judge' \(fake-judge at .*\): 400 bad request \(Unsupported parameter.*\) — set models\.judge\.reasoning: true \(the cap is then sent as max_completion_tokens\)/);
    expect(err.message).not.toContain("\n");
    const judge = perBody(fake, "fake-judge");
    expect(judge.length).toBeGreaterThan(0);
    expect(judge.every((n) => n === 1)).toBe(true);
    expect(judge.length).toBeLessThanOrEqual(2); // the train split's two rubric tasks, once each
  }, 300_000);
});
