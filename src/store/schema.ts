/**
 * run.db layout. Bump SCHEMA_VERSION on any incompatible change: opening an older or
 * newer file then fails with a clear message instead of replaying against wrong columns.
 * No table has a place for an API key, by design.
 * `verdicts` came later without a version bump: IF NOT EXISTS adds it to older files, and an
 * older harness-evolve ignores it. So do `responses.finish_reason` and `responses.kind`
 * (ADDED_COLUMNS, added to an older file when it is opened; its rows read as answers).
 */
export const SCHEMA_VERSION = 1;

export const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
  id      INTEGER PRIMARY KEY AUTOINCREMENT,
  ts      INTEGER NOT NULL,
  type    TEXT NOT NULL,
  payload TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_type ON events(type);
CREATE TABLE IF NOT EXISTS candidates (
  id         TEXT PRIMARY KEY,
  hash       TEXT NOT NULL,
  text       TEXT NOT NULL,
  island     INTEGER,
  generation INTEGER NOT NULL,
  operator   TEXT NOT NULL,
  parents    TEXT NOT NULL,
  model_key  TEXT,
  status     TEXT NOT NULL,
  reason     TEXT,
  created_ts INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS candidates_hash ON candidates(hash);
CREATE TABLE IF NOT EXISTS evaluations (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  candidate_id TEXT NOT NULL REFERENCES candidates(id) ON DELETE CASCADE,
  split        TEXT NOT NULL,
  stage        TEXT NOT NULL,
  score        REAL NOT NULL,
  feedback     TEXT NOT NULL,
  results      TEXT NOT NULL,
  cost_usd     REAL NOT NULL,
  tokens       INTEGER NOT NULL,
  calls        INTEGER NOT NULL,
  error        TEXT
);
CREATE INDEX IF NOT EXISTS evaluations_candidate ON evaluations(candidate_id);
CREATE TABLE IF NOT EXISTS responses (
  cache_key       TEXT PRIMARY KEY,
  sample_key      TEXT NOT NULL,
  role            TEXT NOT NULL,
  model_key       TEXT NOT NULL,
  model           TEXT NOT NULL,
  text            TEXT NOT NULL,
  input_tokens    INTEGER NOT NULL,
  output_tokens   INTEGER NOT NULL,
  usage_estimated INTEGER NOT NULL,
  cost_usd        REAL NOT NULL,
  latency_ms      INTEGER NOT NULL,
  attempts        INTEGER NOT NULL,
  created_ts      INTEGER NOT NULL,
  finish_reason   TEXT,
  kind            TEXT NOT NULL DEFAULT 'answer'
);
CREATE TABLE IF NOT EXISTS calls (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  cache_key     TEXT NOT NULL,
  sample_key    TEXT NOT NULL,
  role          TEXT NOT NULL,
  model_key     TEXT NOT NULL,
  input_tokens  INTEGER NOT NULL,
  output_tokens INTEGER NOT NULL,
  cost_usd      REAL NOT NULL,
  latency_ms    INTEGER NOT NULL,
  cached        INTEGER NOT NULL,
  attempts      INTEGER NOT NULL,
  ts            INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS calls_role ON calls(role);
CREATE TABLE IF NOT EXISTS verdicts (
  key        TEXT PRIMARY KEY,
  value      TEXT NOT NULL,
  created_ts INTEGER NOT NULL
);
`;

/** Columns later versions added to existing tables: [table, column, declaration]. */
export const ADDED_COLUMNS: readonly [string, string, string][] = [
  ["responses", "finish_reason", "TEXT"],
  ["responses", "kind", "TEXT NOT NULL DEFAULT 'answer'"],
];
