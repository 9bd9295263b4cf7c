/**
 * Writes that commit together. Committing one transaction per response made SQLite's commit
 * work a tenth of the engine's main thread; writes queued within one turn of the event loop
 * (every response that arrived in it) now share one transaction, committed on the next turn
 * (setImmediate: no timer, so no delay beyond the turn) or at `flush`. Each queued write's
 * promise settles once its transaction has committed, so a caller that awaits it never acts
 * on a result the file does not hold yet: a kill loses only writes not yet awaited, which is
 * to say calls still in flight.
 */
export class WriteBatch {
  private queued: { write: () => void; done: (err?: unknown) => void }[] = [];
  private scheduled: NodeJS.Immediate | undefined;

  /** `transaction(fn)` runs fn in one transaction, all or nothing. */
  constructor(private readonly transaction: (fn: () => void) => void) {}

  /** Queue `write`; resolves once committed, rejects with its own error if it failed. */
  add(write: () => void): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queued.push({ write, done: (err) => (err === undefined ? resolve() : reject(err)) });
      this.scheduled ??= setImmediate(() => this.flush());
    });
  }

  /** Commit everything queued now. A failing write fails alone: the rest commit without it. */
  flush(): void {
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    const batch = this.queued;
    this.queued = [];
    if (batch.length === 0) return;
    try {
      this.transaction(() => {
        for (const w of batch) w.write();
      });
    } catch {
      // Rare (a full disk, a constraint): find the culprit by committing one by one.
      for (const w of batch) {
        try {
          this.transaction(w.write);
          w.done();
        } catch (err) {
          w.done(err ?? new Error("store: write failed"));
        }
      }
      return;
    }
    for (const w of batch) w.done();
  }
}
