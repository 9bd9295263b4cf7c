/**
 * `Promise.all` for evaluations: waits for every call before failing, and fails with the
 * first error by position. `Promise.all` rejects at the first failure while sibling calls are
 * still in flight; the account closing under them then charges them at their worst case, and
 * which ones were still running is a matter of timing.
 */
export async function allInOrder<T>(work: readonly Promise<T>[]): Promise<T[]> {
  const settled = await Promise.allSettled(work);
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === "rejected");
  if (failed) throw failed.reason;
  return settled.map((s) => (s as PromiseFulfilledResult<T>).value);
}
