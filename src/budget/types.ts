import type { Role } from "../config/schema.js";

/** What a model call costs, in each dimension a budget can cap. */
export interface Cost {
  usd: number;
  /** Input plus output tokens. */
  tokens: number;
  calls: number;
}

export type Caps = Partial<Cost>;

export const ZERO_COST: Readonly<Cost> = Object.freeze({ usd: 0, tokens: 0, calls: 0 });

export type ByRole<T> = Record<Role, T>;

export class BudgetExhaustedError extends Error {
  constructor(
    readonly role: Role,
    readonly dimension: keyof Cost,
    message?: string,
  ) {
    super(message ?? `budget exhausted: ${role} ${dimension}`);
    this.name = "BudgetExhaustedError";
  }
}
