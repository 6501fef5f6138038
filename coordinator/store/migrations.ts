/**
 * Numbered schema migrations. Each runs once, in order, inside a transaction; `PRAGMA user_version` records the
 * last one applied. Never edit a shipped migration: add a new one.
 */
export const MIGRATIONS: readonly { readonly version: number; readonly name: string; readonly sql: string }[] = [
  {
    version: 1,
    name: 'calculations and chunks',
    sql: `
      CREATE TABLE calculations (
        id                TEXT PRIMARY KEY,
        mode              TEXT    NOT NULL CHECK (mode IN ('single', 'distributed')),
        points            INTEGER NOT NULL CHECK (points > 0),
        seed              INTEGER NOT NULL CHECK (seed >= 0),
        chunk_size        INTEGER NOT NULL CHECK (chunk_size > 0),
        chunk_count       INTEGER NOT NULL CHECK (chunk_count > 0),
        status            TEXT    NOT NULL CHECK (status IN ('queued', 'running', 'completed', 'failed', 'cancelled')),
        inside            INTEGER NOT NULL DEFAULT 0,
        points_done       INTEGER NOT NULL DEFAULT 0,
        chunks_done       INTEGER NOT NULL DEFAULT 0,
        chunks_released   INTEGER NOT NULL DEFAULT 0,
        duplicate_results INTEGER NOT NULL DEFAULT 0,
        created_at_ms     INTEGER NOT NULL,
        started_at_ms     INTEGER,
        finished_at_ms    INTEGER,
        error             TEXT,
        error_code        TEXT
      ) STRICT;
      CREATE INDEX calculations_by_created ON calculations (created_at_ms DESC, id DESC);
      CREATE INDEX calculations_active ON calculations (status) WHERE status IN ('queued', 'running');
      CREATE TABLE chunks (
        calculation_id TEXT    NOT NULL REFERENCES calculations (id),
        chunk_index    INTEGER NOT NULL CHECK (chunk_index >= 0),
        points         INTEGER NOT NULL CHECK (points > 0),
        inside         INTEGER NOT NULL CHECK (inside >= 0 AND inside <= points),
        worker_id      TEXT    NOT NULL,
        elapsed_ms     INTEGER NOT NULL,
        committed_at_ms INTEGER NOT NULL,
        PRIMARY KEY (calculation_id, chunk_index)
      ) STRICT, WITHOUT ROWID;
    `,
  },
  {
    version: 2,
    name: 'verification, quarantine and secrets',
    sql: `
      ALTER TABLE calculations ADD COLUMN chunks_verified INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE calculations ADD COLUMN chunks_recomputed INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE calculations ADD COLUMN verified_by TEXT NOT NULL DEFAULT '{}';
      ALTER TABLE chunks ADD COLUMN instance_id TEXT NOT NULL DEFAULT '';
      ALTER TABLE chunks ADD COLUMN verified_by TEXT;
      ALTER TABLE chunks ADD COLUMN check_state TEXT NOT NULL DEFAULT 'none' CHECK (check_state IN ('none', 'wanted', 'disputed'));
      CREATE TABLE quarantined_workers (
        worker_id   TEXT    NOT NULL,
        instance_id TEXT    NOT NULL,
        reason      TEXT    NOT NULL,
        at_ms       INTEGER NOT NULL,
        PRIMARY KEY (worker_id, instance_id)
      ) STRICT;
      CREATE TABLE secrets (
        name  TEXT PRIMARY KEY,
        value BLOB NOT NULL
      ) STRICT;
    `,
  },
];
