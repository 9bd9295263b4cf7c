import { describe, expect, it } from "vitest";
import { RateLimiter, rateLimiterFor, type Clock, type RateTicket } from "../../src/llm/rate-limit.js";

/** Manual time: timers fire only when the test advances the clock. */
class FakeClock implements Clock {
  t = 0;
  private timers: { at: number; fn: () => void }[] = [];
  now(): number {
    return this.t;
  }
  setTimer(fn: () => void, ms: number): () => void {
    const timer = { at: this.t + ms, fn };
    this.timers.push(timer);
    return () => {
      this.timers = this.timers.filter((x) => x !== timer);
    };
  }
  get pending(): number {
    return this.timers.length;
  }
  /** Move time forward, firing due timers in order and letting promises settle after each. */
  async advance(ms: number): Promise<void> {
    const target = this.t + ms;
    for (;;) {
      await flush();
      const due = this.timers.filter((x) => x.at <= target).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.timers = this.timers.filter((x) => x !== due);
      this.t = due.at;
      due.fn();
    }
    this.t = target;
    await flush();
  }
}

const flush = async () => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

/** Start `n` acquisitions and record the fake time at which each is granted. */
function start(limiter: RateLimiter, clock: FakeClock, tokens: number[]): { granted: (number | undefined)[]; tickets: (RateTicket | undefined)[] } {
  const granted: (number | undefined)[] = tokens.map(() => undefined);
  const tickets: (RateTicket | undefined)[] = tokens.map(() => undefined);
  tokens.forEach((n, i) => {
    void limiter.acquire(n).then((t) => {
      granted[i] = clock.now();
      tickets[i] = t;
    });
  });
  return { granted, tickets };
}

describe("RateLimiter: requests per minute", () => {
  it("spaces calls evenly at 60000/rpm ms, first one at once", async () => {
    const clock = new FakeClock();
    const limiter = new RateLimiter({ rpm: 600 }, clock);
    const { granted } = start(limiter, clock, [1, 1, 1, 1, 1]);
    await clock.advance(0);
    expect(granted).toEqual([0, undefined, undefined, undefined, undefined]);
    expect(limiter.waiting).toBe(4);
    await clock.advance(1000);
    expect(granted).toEqual([0, 100, 200, 300, 400]);
    expect(limiter.waiting).toBe(0);
    expect(clock.pending).toBe(0);
  });

  it("never lets more than rpm + 1 calls through in any minute", async () => {
    const clock = new FakeClock();
    const limiter = new RateLimiter({ rpm: 30 }, clock);
    const { granted } = start(limiter, clock, Array(100).fill(1));
    await clock.advance(180_000);
    const times = granted.filter((t): t is number => t !== undefined);
    for (const t0 of times) expect(times.filter((t) => t >= t0 && t <= t0 + 60_000).length).toBeLessThanOrEqual(31);
    expect(times.length).toBe(91); // 1 at once, then one every 2 s for 180 s
  });

  it("an idle limiter lets the next call go at once, but holds no more than one in reserve", async () => {
    const clock = new FakeClock();
    const limiter = new RateLimiter({ rpm: 60 }, clock);
    await clock.advance(10_000);
    const { granted } = start(limiter, clock, [1, 1]);
    await clock.advance(0);
    expect(granted).toEqual([10_000, undefined]);
    await clock.advance(1000);
    expect(granted).toEqual([10_000, 11_000]);
  });
});

describe("RateLimiter: tokens per minute", () => {
  it("counts the worst case until settled, then gives the difference back", async () => {
    const clock = new FakeClock();
    // 6000 tpm: 100 tokens a second; the bucket holds one second's worth (100).
    const limiter = new RateLimiter({ tpm: 6000 }, clock);
    const { granted, tickets } = start(limiter, clock, [1000, 100]);
    await clock.advance(0);
    expect(granted).toEqual([0, undefined]); // the first goes with a full bucket and leaves a 900-token debt
    await clock.advance(5000);
    expect(granted[1]).toBeUndefined(); // the debt takes 10 s to pay off at worst case
    limiter.settle(tickets[0]!, 200); // it really used 200: 800 come back
    await clock.advance(0);
    expect(granted[1]).toBe(5000);
  });

  it("a call bigger than a second's worth waits for a full bucket, then goes (never starves)", async () => {
    const clock = new FakeClock();
    const limiter = new RateLimiter({ tpm: 600 }, clock); // 10 tokens/s, bucket 10
    const { granted } = start(limiter, clock, [5, 50, 5]);
    await clock.advance(0);
    expect(granted).toEqual([0, undefined, undefined]);
    await clock.advance(500); // level 5 + 5 = 10: the big one goes, leaving -40
    expect(granted).toEqual([0, 500, undefined]);
    await clock.advance(4500); // back to 5 at t = 5000
    expect(granted).toEqual([0, 500, 5000]);
  });

  it("is first in, first out: a small call does not pass a waiting big one", async () => {
    const clock = new FakeClock();
    const limiter = new RateLimiter({ tpm: 600 }, clock);
    const { granted } = start(limiter, clock, [10, 10, 1]);
    await clock.advance(999);
    expect(granted).toEqual([0, undefined, undefined]);
    await clock.advance(1);
    expect(granted).toEqual([0, 1000, undefined]);
  });

  it("settling twice, or with more than reserved, is safe", async () => {
    const clock = new FakeClock();
    const limiter = new RateLimiter({ tpm: 600 }, clock);
    const { tickets, granted } = start(limiter, clock, [10, 10]);
    await clock.advance(0);
    limiter.settle(tickets[0]!, 30); // 20 more than reserved: a 20-token debt
    limiter.settle(tickets[0]!, 0); // ignored
    await clock.advance(2999);
    expect(granted[1]).toBeUndefined();
    await clock.advance(1);
    expect(granted[1]).toBe(3000);
  });
});

describe("RateLimiter: both limits", () => {
  it("waits for whichever is tighter", async () => {
    const clock = new FakeClock();
    const limiter = new RateLimiter({ rpm: 600, tpm: 6000 }, clock); // 10 req/s, 100 tokens/s
    const { granted } = start(limiter, clock, [100, 100, 1, 1]);
    await clock.advance(3000);
    // tokens hold the second call to 1000; requests then hold the small ones to 100 ms apart
    expect(granted).toEqual([0, 1000, 1100, 1200]);
  });

  it("rateLimiterFor gives none when a model sets neither", () => {
    expect(rateLimiterFor({})).toBeUndefined();
    expect(rateLimiterFor({ rpm: 1 })).toBeInstanceOf(RateLimiter);
    expect(rateLimiterFor({ tpm: 1 })).toBeInstanceOf(RateLimiter);
  });
});
