/** Task suites drawn from the world's pool, as plain objects the engine's suite loader reads. */
import type { SimCheck } from "./templates.js";
import { TASK_POOL, type World } from "./world.js";

export type SuiteSplit = "train" | "val" | "test";

export interface SuiteFileTask {
  id: string;
  split: SuiteSplit;
  input: string;
  check: SimCheck;
}

/** The first train+val+test tasks of the pool, in that order of splits. */
export function simTaskSuite(world: World, sizes: { train: number; val: number; test: number }): SuiteFileTask[] {
  const counts: [SuiteSplit, number][] = [["train", sizes.train], ["val", sizes.val], ["test", sizes.test]];
  for (const [split, k] of counts) if (!Number.isInteger(k) || k < 0) throw new RangeError(`${split} size must be a non-negative integer`);
  const total = sizes.train + sizes.val + sizes.test;
  if (total > TASK_POOL) throw new RangeError(`a sim suite holds at most ${TASK_POOL} tasks (asked for ${total})`);
  const out: SuiteFileTask[] = [];
  let i = 0;
  for (const [split, k] of counts) {
    for (let j = 0; j < k; j++, i++) {
      const t = world.tasks[i]!;
      out.push({ id: t.id, split, input: t.input, check: structuredClone(t.check) });
    }
  }
  return out;
}
