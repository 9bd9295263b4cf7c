/**
 * Per-model request and token rate limits (`models.<k>.rpm`, `models.<k>.tpm`).
 *
 * Two token buckets that may go into debt (the generic cell rate algorithm): one for
 * requests, holding one request, refilled at rpm/60 per second, so calls are spaced
 * evenly (providers enforce their per-minute limits over shorter periods too); one for
 * tokens, holding one second's worth, refilled at tpm/60 per second. A call waits until
 * both buckets have room, then takes its worst-case token count (input bound +
 * max_tokens), which may leave the token bucket in debt; when its usage is known the
 * difference is given back. Any 60 s window thus sees at most rpm + 1 requests and
 * tpm + tpm/60 tokens counted at their worst case. Waiters go first in, first out, so a
 * large call is not starved by small ones.
 *
 * Hand-written rather than a library: the packages at hand limit requests only
 * (p-throttle), have no way to give back part of a weighted reservation once the real
 * cost is known (limiter, rate-limiter-flexible's queue), or are unmaintained
 * (bottleneck); this also takes an injectable clock so tests run on fake time.
 */

/** Time source and timer; tests pass a fake one. */
export interface Clock {
  /** Milliseconds, monotonic. */
  now(): number;
  /** Call `fn` after `ms`; returns a function that cancels it. */
  setTimer(fn: () => void, ms: number): () => void;
}

export const realClock: Clock = {
  now: () => performance.now(),
  setTimer(fn, ms) {
    const t = setTimeout(fn, ms);
    return () => clearTimeout(t);
  },
};

export interface RateLimits {
  /** Requests per minute. */
  rpm?: number;
  /** Tokens (input + output) per minute. */
  tpm?: number;
}

/** A granted call: what it reserved, to be corrected by `settle`. */
export interface RateTicket {
  readonly tokens: number;
}

interface Bucket {
  capacity: number;
  /** Units per millisecond. */
  rate: number;
  level: number;
}

interface Waiter {
  tokens: number;
  grant: (t: RateTicket) => void;
}

export class RateLimiter {
  private readonly requests?: Bucket;
  private readonly tokens?: Bucket;
  private readonly queue: Waiter[] = [];
  private readonly open = new Set<RateTicket>();
  private last: number;
  private cancelTimer?: () => void;

  constructor(
    limits: RateLimits,
    private readonly clock: Clock = realClock,
  ) {
    if (limits.rpm !== undefined) this.requests = bucket(1, limits.rpm);
    if (limits.tpm !== undefined) this.tokens = bucket(Math.max(1, limits.tpm / 60), limits.tpm);
    this.last = clock.now();
  }

  /** Calls waiting for room now. */
  get waiting(): number {
    return this.queue.length;
  }

  /** Resolves when a call that may use `tokens` tokens can be sent. */
  acquire(tokens: number): Promise<RateTicket> {
    return new Promise((grant) => {
      this.queue.push({ tokens: Math.max(0, tokens), grant });
      this.pump();
    });
  }

  /** The call used `actualTokens` (its reported usage); give back the rest of its reservation. */
  settle(ticket: RateTicket, actualTokens: number): void {
    if (!this.open.delete(ticket)) return;
    if (this.tokens) {
      this.refill();
      this.tokens.level = Math.min(this.tokens.capacity, this.tokens.level + ticket.tokens - Math.max(0, actualTokens));
      this.pump();
    }
  }

  private refill(): void {
    const now = this.clock.now();
    const dt = Math.max(0, now - this.last);
    this.last = now;
    for (const b of [this.requests, this.tokens]) if (b) b.level = Math.min(b.capacity, b.level + dt * b.rate);
  }

  /** Milliseconds until a call of `tokens` fits; 0 when it fits now. */
  private waitFor(tokens: number): number {
    let wait = 0;
    if (this.requests) wait = Math.max(wait, shortfall(this.requests, 1));
    // A call bigger than the bucket goes when the bucket is full and leaves a debt.
    if (this.tokens) wait = Math.max(wait, shortfall(this.tokens, Math.min(tokens, this.tokens.capacity)));
    return wait;
  }

  private pump(): void {
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    this.refill();
    while (this.queue.length > 0) {
      const head = this.queue[0]!;
      const wait = this.waitFor(head.tokens);
      if (wait > 0) {
        // Round up so the timer never fires a hair early and spins.
        this.cancelTimer = this.clock.setTimer(() => this.pump(), Math.ceil(wait));
        return;
      }
      this.queue.shift();
      if (this.requests) this.requests.level -= 1;
      if (this.tokens) this.tokens.level -= head.tokens;
      const ticket: RateTicket = { tokens: head.tokens };
      this.open.add(ticket);
      head.grant(ticket);
    }
  }
}

/** Milliseconds until `b` holds `need`, ignoring float dust. */
function shortfall(b: Bucket, need: number): number {
  const missing = need - b.level;
  return missing > 1e-9 * Math.max(1, need) ? missing / b.rate : 0;
}

function bucket(capacity: number, perMinute: number): Bucket {
  return { capacity, rate: perMinute / 60_000, level: capacity };
}

/** A limiter for a model's `rpm` / `tpm`, or undefined when it sets neither. */
export function rateLimiterFor(limits: RateLimits, clock?: Clock): RateLimiter | undefined {
  return limits.rpm === undefined && limits.tpm === undefined ? undefined : new RateLimiter(limits, clock);
}
