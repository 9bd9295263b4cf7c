import { mkdirSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { ROLES, type Role } from "../config/schema.js";
import { UserError } from "../config/errors.js";
import { ADDED_COLUMNS, SCHEMA_SQL, SCHEMA_VERSION } from "./schema.js";
import type { CallRecord, CallTotals, CandidateRecord, CandidateStatus, EvaluationRecord, EventRecord, NewCandidate, NewEvaluation, ReplyKind, ResponseRecord, SpendTotals } from "./types.js";
import { emptyTotals, toCall, toCandidate, toEvaluation, toResponse, type Row } from "./rows.js";
import { WriteBatch } from "./write-batch.js";

export const RUN_DB = "run.db";

/**
 * A run's SQLite file. Only the main thread writes it (island workers send their
 * results over a channel), so a synchronous driver and plain transactions suffice.
 */
export class RunStore {
  private readonly statements = new Map<string, Database.Statement>();
  private readonly batch = new WriteBatch((fn) => this.transaction(fn));
  /**
   * Every cache key the responses table may hold, read once: most calls of a fresh run miss the
   * cache, and a miss then costs no query. A superset (a key is added when its write is queued).
   */
  private responseKeys: Set<string> | undefined;

  private constructor(
    private readonly db: Database.Database,
    readonly path: string,
  ) {}

  /** Prepared statements are reused: the gateway writes on every call. */
  private stmt(sql: string): Database.Statement {
    let s = this.statements.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.statements.set(sql, s);
    }
    return s;
  }

  /** Open (or create) `<dir>/run.db`; refuses a file written by another schema version. */
  static open(dir: string): RunStore {
    mkdirSync(dir, { recursive: true });
    const path = join(dir, RUN_DB);
    const db = new Database(path);
    try {
      db.pragma("journal_mode = WAL");
      // NORMAL in WAL mode can lose the last commits on power loss but never corrupts; a
      // lost response is simply re-requested on resume.
      db.pragma("synchronous = NORMAL");
      db.pragma("foreign_keys = ON");
      checkVersion(db, path);
      db.exec(SCHEMA_SQL);
      addMissingColumns(db);
      db.prepare("INSERT OR IGNORE INTO meta(key, value) VALUES ('schema_version', ?)").run(String(SCHEMA_VERSION));
    } catch (err) {
      db.close();
      if (err instanceof UserError) throw err;
      if ((err as { code?: string }).code === "SQLITE_NOTADB") {
        throw new UserError(`${path} is not a run database (not an SQLite file)`);
      }
      throw err;
    }
    return new RunStore(db, path);
  }

  /** Run `fn` in one transaction (nested calls become savepoints). */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  /**
   * Queue `write` to commit with the others queued in this turn of the event loop, in one
   * transaction (see WriteBatch); resolves once committed. Await it before acting on what it stores.
   */
  later(write: () => void): Promise<void> {
    return this.batch.add(write);
  }

  /** Commit the queued writes now. Readers of the call log flush first, so they see every write. */
  flush(): void {
    this.batch.flush();
  }

  close(): void {
    if (!this.db.open) return;
    this.flush();
    this.db.close();
  }

  setMeta(key: string, value: string): void {
    this.stmt("INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value").run(key, value);
  }

  getMeta(key: string): string | undefined {
    const row = this.stmt("SELECT value FROM meta WHERE key = ?").get(key) as { value: string } | undefined;
    return row?.value;
  }

  appendEvent(type: string, payload: unknown, ts = Date.now()): number {
    const info = this.stmt("INSERT INTO events(ts, type, payload) VALUES (?, ?, ?)").run(ts, type, JSON.stringify(payload ?? null));
    return Number(info.lastInsertRowid);
  }

  events(type?: string): EventRecord[] {
    const rows = (type === undefined
      ? this.stmt("SELECT * FROM events ORDER BY id").all()
      : this.stmt("SELECT * FROM events WHERE type = ? ORDER BY id").all(type)) as Row[];
    return rows.map((r) => ({ id: r.id as number, ts: r.ts as number, type: r.type as string, payload: JSON.parse(r.payload as string) }));
  }

  /** Insert or, on a replay that writes the same id again, overwrite a candidate (its evaluations stay). */
  putCandidate(c: NewCandidate): void {
    this.stmt(
        `INSERT INTO candidates(id, hash, text, island, generation, operator, parents, model_key, status, reason, created_ts)
         VALUES (@id, @hash, @text, @island, @generation, @operator, @parents, @modelKey, @status, @reason, @createdTs)
         ON CONFLICT(id) DO UPDATE SET hash = excluded.hash, text = excluded.text, island = excluded.island,
           generation = excluded.generation, operator = excluded.operator, parents = excluded.parents,
           model_key = excluded.model_key, status = excluded.status, reason = excluded.reason`,
      )
      .run({
        ...c,
        parents: JSON.stringify(c.parents),
        status: c.status ?? "pending",
        reason: c.reason ?? null,
        createdTs: c.createdTs ?? Date.now(),
      });
  }

  updateCandidateStatus(id: string, status: CandidateStatus, reason: string | null = null): void {
    const info = this.stmt("UPDATE candidates SET status = ?, reason = ? WHERE id = ?").run(status, reason, id);
    if (info.changes === 0) throw new Error(`store: no candidate '${id}'`);
  }

  /** In logical order (see `byPosition`), not insertion order: rows of one round are written as their evaluations start, in timing order. */
  candidates(): CandidateRecord[] {
    return byPosition((this.stmt("SELECT * FROM candidates").all() as Row[]).map(toCandidate), (c) => c.id);
  }

  candidate(id: string): CandidateRecord | undefined {
    const row = this.stmt("SELECT * FROM candidates WHERE id = ?").get(id) as Row | undefined;
    return row && toCandidate(row);
  }

  putEvaluation(e: NewEvaluation): number {
    const info = this.stmt(
        `INSERT INTO evaluations(candidate_id, split, stage, score, feedback, results, cost_usd, tokens, calls, error)
         VALUES (@candidateId, @split, @stage, @score, @feedback, @results, @costUsd, @tokens, @calls, @error)`,
      )
      .run({ ...e, results: JSON.stringify(e.results ?? null), error: e.error ?? null });
    return Number(info.lastInsertRowid);
  }

  evaluations(candidateId?: string): EvaluationRecord[] {
    const rows = (candidateId === undefined
      ? this.stmt("SELECT * FROM evaluations ORDER BY id").all()
      : this.stmt("SELECT * FROM evaluations WHERE candidate_id = ? ORDER BY id").all(candidateId)) as Row[];
    // One candidate's evaluations are sequential (cascade, then finalists), so id order is theirs; across candidates, logical order.
    return byPosition(rows.map(toEvaluation), (e) => e.candidateId);
  }

  getResponse(cacheKey: string): ResponseRecord | undefined {
    this.responseKeys ??= new Set((this.stmt("SELECT cache_key FROM responses").pluck().all() as string[]));
    if (!this.responseKeys.has(cacheKey)) return undefined;
    const row = this.stmt("SELECT * FROM responses WHERE cache_key = ?").get(cacheKey) as Row | undefined;
    return row && toResponse(row);
  }

  /** First write wins: the stored response is the one the run already acted on. */
  putResponse(r: ResponseRecord): void {
    this.responseKeys?.add(r.cacheKey);
    this.stmt(
        `INSERT OR IGNORE INTO responses(cache_key, sample_key, role, model_key, model, text, input_tokens, output_tokens,
           usage_estimated, cost_usd, latency_ms, attempts, created_ts, finish_reason, kind)
         VALUES (@cacheKey, @sampleKey, @role, @modelKey, @model, @text, @inputTokens, @outputTokens,
           @usageEstimated, @costUsd, @latencyMs, @attempts, @createdTs, @finishReason, @kind)`,
      )
      .run({ ...r, usageEstimated: r.usageEstimated ? 1 : 0, latencyMs: Math.round(r.latencyMs) });
  }

  recordCall(c: CallRecord): void {
    this.stmt(
        `INSERT INTO calls(cache_key, sample_key, role, model_key, input_tokens, output_tokens, cost_usd, latency_ms, cached, attempts, ts)
         VALUES (@cacheKey, @sampleKey, @role, @modelKey, @inputTokens, @outputTokens, @costUsd, @latencyMs, @cached, @attempts, @ts)`,
      )
      .run({ ...c, cached: c.cached ? 1 : 0, latencyMs: Math.round(c.latencyMs) });
  }

  calls(): CallRecord[] {
    this.flush();
    return (this.stmt("SELECT * FROM calls ORDER BY id").all() as Row[]).map(toCall);
  }

  /** Distinct responses this run's calls used, by what they were (answer, truncated, ...): each counted once however often it was used. */
  replyKinds(): Partial<Record<ReplyKind, number>> {
    this.flush();
    const rows = this.stmt(
        "SELECT r.kind AS kind, COUNT(*) AS n FROM responses r WHERE r.cache_key IN (SELECT DISTINCT cache_key FROM calls) GROUP BY r.kind",
      )
      .all() as { kind: ReplyKind; n: number }[];
    return Object.fromEntries(rows.map((r) => [r.kind, r.n]));
  }

  callTotals(): CallTotals {
    this.flush();
    const rows = this.stmt(
        // Dollars summed as whole nano-dollars: a float sum would depend on the rows' order (completion order).
        `SELECT role, cached, COUNT(*) AS n, SUM(input_tokens) AS inp, SUM(output_tokens) AS outp, SUM(CAST(ROUND(cost_usd * 1e9) AS INTEGER)) / 1e9 AS usd
         FROM calls GROUP BY role, cached`,
      )
      .all() as { role: string; cached: number; n: number; inp: number; outp: number; usd: number }[];
    const byRole = Object.fromEntries(ROLES.map((r) => [r, emptyTotals()])) as Record<Role, SpendTotals>;
    const all = emptyTotals();
    for (const row of rows) {
      for (const t of [all, byRole[row.role as Role]]) {
        if (!t) continue; // a role this version does not know; still counted in `all`
        t.withCached.calls += row.n;
        t.withCached.inputTokens += row.inp;
        t.withCached.outputTokens += row.outp;
        t.withCached.usd += row.usd;
        if (row.cached) {
          t.cachedCalls += row.n;
        } else {
          t.calls += row.n;
          t.inputTokens += row.inp;
          t.outputTokens += row.outp;
          t.usd += row.usd;
        }
      }
    }
    return { ...all, byRole };
  }

  /** Copies another run's stored responses into this one's cache (a fork replays them for free). */
  importResponses(otherDb: string): number {
    this.db.prepare("ATTACH DATABASE ? AS source").run(otherDb);
    try {
      this.responseKeys = undefined;
      return this.db.prepare("INSERT OR IGNORE INTO responses SELECT * FROM source.responses").run().changes;
    } finally {
      this.db.exec("DETACH DATABASE source");
    }
  }

  /** The stored verdict of a time-bounded user-code run (see fitness/verdicts.ts), or undefined. */
  getVerdict(key: string): unknown {
    const row = this.stmt("SELECT value FROM verdicts WHERE key = ?").get(key) as { value: string } | undefined;
    return row === undefined ? undefined : JSON.parse(row.value);
  }

  /** First write wins, as for responses: the stored verdict is the one the run already acted on. */
  putVerdict(key: string, value: unknown, ts = Date.now()): void {
    this.stmt("INSERT OR IGNORE INTO verdicts(key, value, created_ts) VALUES (?, ?, ?)").run(key, JSON.stringify(value), ts);
  }

  /** Stored verdicts that are time-outs, by kind (the part of the key before its first ':'). */
  verdictTimeouts(): Record<string, number> {
    return verdictTimeouts(this.db);
  }

  /** Copies another run's verdicts (a fork then judges its replayed part as the old run did). */
  importVerdicts(otherDb: string): number {
    this.db.prepare("ATTACH DATABASE ? AS source").run(otherDb);
    try {
      const has = this.db.prepare("SELECT 1 FROM source.sqlite_master WHERE type = 'table' AND name = 'verdicts'").get();
      return has ? this.db.prepare("INSERT OR IGNORE INTO verdicts SELECT * FROM source.verdicts").run().changes : 0;
    } finally {
      this.db.exec("DETACH DATABASE source");
    }
  }

  /**
   * Forget what a replay rebuilds (events, candidates, evaluations) but keep the response
   * cache, the call log and the verdicts: a resume calls this, then re-runs the campaign from its seed.
   */
  clearReplayedState(): void {
    this.transaction(() => {
      this.db.exec("DELETE FROM evaluations; DELETE FROM candidates; DELETE FROM events;");
    });
  }
}

/** Time-out verdicts by kind, on any run.db connection (a file older than the verdicts table has none). */
export function verdictTimeouts(db: Database.Database): Record<string, number> {
  if (!db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'verdicts'").get()) return {};
  const rows = db
    .prepare("SELECT substr(key, 1, instr(key, ':') - 1) AS kind, COUNT(*) AS n FROM verdicts WHERE json_extract(value, '$.timeout') = 1 GROUP BY kind")
    .all() as { kind: string; n: number }[];
  return Object.fromEntries(rows.map((r) => [r.kind, r.n]));
}

function addMissingColumns(db: Database.Database): void {
  for (const [table, column, decl] of ADDED_COLUMNS) {
    const has = (db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[]).some((c) => c.name === column);
    if (!has) db.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${decl}`);
  }
}

function checkVersion(db: Database.Database, path: string): void {
  const hasMeta = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").get();
  if (!hasMeta) return;
  const row = db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get() as { value: string } | undefined;
  if (row && row.value !== String(SCHEMA_VERSION)) {
    throw new UserError(
      `${path} has run-database schema version ${row.value}, but this harness-evolve uses version ${SCHEMA_VERSION}; ` +
        `resume it with the harness-evolve version that created it, or start a new run in another folder`,
    );
  }
}

/**
 * Sorts by the logical position a candidate id names (`seed` first, then generation, island,
 * conversation, turn of `i<island>-g<gen>-c<conv>-t<turn>`; other ids after, by id). Stable, so
 * rows of one candidate keep their order.
 */
export function byPosition<T>(rows: T[], idOf: (row: T) => string): T[] {
  const keys = new Map<string, (number | string)[]>();
  const key = (id: string) => {
    let k = keys.get(id);
    if (!k) {
      const m = /^i(\d+)-g(\d+)-c(\d+)-t(\d+)$/.exec(id);
      k = id === "seed" ? [0] : m ? [1, Number(m[2]), Number(m[1]), Number(m[3]), Number(m[4])] : [2, id];
      keys.set(id, k);
    }
    return k;
  };
  return rows.sort((a, b) => {
    const ka = key(idOf(a));
    const kb = key(idOf(b));
    for (let i = 0; i < Math.max(ka.length, kb.length); i++) {
      const x = ka[i] ?? -1;
      const y = kb[i] ?? -1;
      if (x !== y) return x < y ? -1 : 1;
    }
    return 0;
  });
}
