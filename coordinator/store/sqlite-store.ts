/**
 * The SQLite adapter of the calculation store (better-sqlite3, WAL). Every scheduling step is one transaction, so a
 * crash leaves either all of a step or none of it.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { CalculationRecord, CheckState, ChunkCommit } from '../core/model.js';
import type { QuarantineRecord } from '../core/scheduler-types.js';
import { resumeFromChunks, type ActiveCalculation, type CalculationStore, type ListCursor, type StoreStep } from '../core/store-port.js';
import { MIGRATIONS } from './migrations.js';

interface CalcRow {
  id: string;
  mode: 'single' | 'distributed';
  points: number;
  seed: number;
  chunk_size: number;
  chunk_count: number;
  status: CalculationRecord['status'];
  inside: number;
  points_done: number;
  chunks_done: number;
  chunks_released: number;
  duplicate_results: number;
  chunks_verified: number;
  chunks_recomputed: number;
  verified_by: string;
  created_at_ms: number;
  started_at_ms: number | null;
  finished_at_ms: number | null;
  error: string | null;
  error_code: string | null;
}

interface ChunkRow {
  calculation_id: string;
  chunk_index: number;
  points: number;
  inside: number;
  worker_id: string;
  instance_id: string;
  elapsed_ms: number;
  committed_at_ms: number;
  verified_by: string | null;
  check_state: CheckState;
}

interface QuarantineRow {
  worker_id: string;
  instance_id: string;
  reason: string;
  at_ms: number;
}

function toRecord(r: CalcRow): CalculationRecord {
  return {
    id: r.id,
    mode: r.mode,
    points: r.points,
    seed: r.seed,
    chunkSize: r.chunk_size,
    chunkCount: r.chunk_count,
    status: r.status,
    inside: r.inside,
    pointsDone: r.points_done,
    chunksDone: r.chunks_done,
    chunksReleased: r.chunks_released,
    duplicateResults: r.duplicate_results,
    chunksVerified: r.chunks_verified,
    chunksRecomputed: r.chunks_recomputed,
    verifiedBy: JSON.parse(r.verified_by) as Record<string, number>,
    createdAtMs: r.created_at_ms,
    startedAtMs: r.started_at_ms,
    finishedAtMs: r.finished_at_ms,
    error: r.error,
    errorCode: r.error_code,
  };
}

function toCommit(r: ChunkRow): ChunkCommit {
  return {
    calculationId: r.calculation_id,
    chunkIndex: r.chunk_index,
    points: r.points,
    inside: r.inside,
    workerId: r.worker_id,
    instanceId: r.instance_id,
    elapsedMs: r.elapsed_ms,
    committedAtMs: r.committed_at_ms,
    verifiedBy: r.verified_by,
    check: r.check_state,
  };
}

/** The row shape of a calculation for the INSERT/UPDATE statements. */
function toParams(rec: CalculationRecord): Record<string, unknown> {
  return { ...rec, verifiedBy: JSON.stringify(rec.verifiedBy) };
}

/** Opens (creating if needed) the database at `path` and applies pending migrations. `:memory:` works too. */
export function openSqliteStore(path: string): CalculationStore & { readonly path: string } {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    migrate(db);
    assertWritable(db);
  } catch (err) {
    db.close();
    throw err;
  }

  const insertCalc = db.prepare(`
    INSERT INTO calculations (id, mode, points, seed, chunk_size, chunk_count, status, inside, points_done, chunks_done,
      chunks_released, duplicate_results, chunks_verified, chunks_recomputed, verified_by, created_at_ms, started_at_ms,
      finished_at_ms, error, error_code)
    VALUES (@id, @mode, @points, @seed, @chunkSize, @chunkCount, @status, @inside, @pointsDone, @chunksDone,
      @chunksReleased, @duplicateResults, @chunksVerified, @chunksRecomputed, @verifiedBy, @createdAtMs, @startedAtMs,
      @finishedAtMs, @error, @errorCode)`);
  const updateCalc = db.prepare(`
    UPDATE calculations SET status = @status, inside = @inside, points_done = @pointsDone, chunks_done = @chunksDone,
      chunks_released = @chunksReleased, duplicate_results = @duplicateResults, chunks_verified = @chunksVerified,
      chunks_recomputed = @chunksRecomputed, verified_by = @verifiedBy, started_at_ms = @startedAtMs,
      finished_at_ms = @finishedAtMs, error = @error, error_code = @errorCode
    WHERE id = @id`);
  const putChunks = chunkWriter(db);
  const updateCounters = db.prepare<[number, number, number, number, number, number, number, string, string]>(`
    UPDATE calculations SET inside = ?, points_done = ?, chunks_done = ?, chunks_released = ?, duplicate_results = ?,
      chunks_verified = ?, chunks_recomputed = ?, verified_by = ?
    WHERE id = ?`);
  const deleteChunk = db.prepare<[string, number]>('DELETE FROM chunks WHERE calculation_id = ? AND chunk_index = ?');
  const putQuarantine = db.prepare(`
    INSERT OR REPLACE INTO quarantined_workers (worker_id, instance_id, reason, at_ms)
    VALUES (@workerId, @instanceId, @reason, @atMs)`);
  const allQuarantined = db.prepare<[], QuarantineRow>('SELECT * FROM quarantined_workers ORDER BY at_ms, worker_id');
  const getSecret = db.prepare<[string], { value: Buffer }>('SELECT value FROM secrets WHERE name = ?');
  const putSecret = db.prepare<[string, Buffer]>('INSERT OR IGNORE INTO secrets (name, value) VALUES (?, ?)');
  const getCalc = db.prepare<[string], CalcRow>('SELECT * FROM calculations WHERE id = ?');
  const listFirst = db.prepare<[number], CalcRow>('SELECT * FROM calculations ORDER BY created_at_ms DESC, id DESC LIMIT ?');
  const listAfter = db.prepare<[number, number, string, number], CalcRow>(`
    SELECT * FROM calculations WHERE created_at_ms < ? OR (created_at_ms = ? AND id < ?)
    ORDER BY created_at_ms DESC, id DESC LIMIT ?`);
  const activeCalcs = db.prepare<[], CalcRow>(
    "SELECT * FROM calculations WHERE status IN ('queued', 'running') ORDER BY created_at_ms, id",
  );
  const chunksOf = db.prepare<[string], ChunkRow>('SELECT * FROM chunks WHERE calculation_id = ? ORDER BY chunk_index');
  const chunkInside = db.prepare<[string, number], { inside: number }>(
    'SELECT inside FROM chunks WHERE calculation_id = ? AND chunk_index = ?',
  );

  /**
   * What the row of each unfinished calculation last got: its status fields, the counters its chunks cannot give back
   * (released, duplicates, recomputed), and when. A step that changes neither writes the row only if it is older than
   * COUNTERS_REFRESH_MS: the rest of the counters (inside, points, chunks done, verified) are the sums of the chunk
   * rows written in the same transaction, and `loadActive` recomputes them from those rows after a restart.
   */
  const written = new Map<string, { readonly status: string; readonly kept: string; readonly atMs: number }>();
  const statusKey = (r: CalculationRecord) => `${r.status}/${r.startedAtMs}/${r.finishedAtMs}/${r.errorCode}/${r.error}`;
  const keptKey = (r: CalculationRecord) => `${r.chunksReleased}/${r.duplicateResults}/${r.chunksRecomputed}`;
  /** Rows written by the transaction under way, noted in `written` once it commits. */
  let wrote: CalculationRecord[] = [];
  const writeCalculation = (rec: CalculationRecord, now: number) => {
    const last = written.get(rec.id);
    if (last?.status !== statusKey(rec)) updateCalc.run(toParams(rec));
    else if (last.kept === keptKey(rec) && now - last.atMs < COUNTERS_REFRESH_MS) return;
    else
      // Leaving `status` out of the SET list keeps SQLite from rewriting the calculations_active index entry.
      updateCounters.run(
        rec.inside,
        rec.pointsDone,
        rec.chunksDone,
        rec.chunksReleased,
        rec.duplicateResults,
        rec.chunksVerified,
        rec.chunksRecomputed,
        JSON.stringify(rec.verifiedBy),
        rec.id,
      );
    wrote.push(rec);
  };
  const applyStep = db.transaction((step: StoreStep, now: number) => {
    for (const rec of step.inserts ?? []) {
      insertCalc.run(toParams(rec));
      wrote.push(rec);
    }
    putChunks(step.commits);
    for (const u of step.uncommits ?? []) deleteChunk.run(u.calculationId, u.chunkIndex);
    for (const rec of step.calculations) writeCalculation(rec, now);
    for (const q of step.quarantines ?? []) putQuarantine.run(q);
  });
  /** After the commit only: a rolled-back step must not leave a row state here that the file lacks. */
  const noteWritten = (now: number) => {
    for (const rec of wrote) {
      if (rec.status === 'queued' || rec.status === 'running')
        written.set(rec.id, { status: statusKey(rec), kept: keptKey(rec), atMs: now });
      else written.delete(rec.id);
    }
  };
  let closed = false;
  return {
    path,
    insert(rec) {
      insertCalc.run(toParams(rec));
    },
    apply(step) {
      if (
        step.commits.length === 0 &&
        step.calculations.length === 0 &&
        !step.inserts?.length &&
        !step.uncommits?.length &&
        !step.quarantines?.length
      )
        return;
      const now = Date.now();
      wrote = [];
      try {
        applyStep(step, now);
      } catch (err) {
        written.clear();
        throw err;
      }
      noteWritten(now);
    },
    get(id) {
      const row = getCalc.get(id);
      return row ? toRecord(row) : undefined;
    },
    list(limit, after?: ListCursor) {
      const rows = after ? listAfter.all(after.createdAtMs, after.createdAtMs, after.id, limit) : listFirst.all(limit);
      return rows.map(toRecord);
    },
    loadActive(): ActiveCalculation[] {
      return activeCalcs.all().map((row) => resumeFromChunks(toRecord(row), chunksOf.all(row.id).map(toCommit)));
    },
    committedInside(calculationId, chunkIndex) {
      return chunkInside.get(calculationId, chunkIndex)?.inside;
    },
    chunks(calculationId) {
      return chunksOf.all(calculationId).map(toCommit);
    },
    loadQuarantined(): QuarantineRecord[] {
      return allQuarantined.all().map((r) => ({ workerId: r.worker_id, instanceId: r.instance_id, reason: r.reason, atMs: r.at_ms }));
    },
    secret(name, create) {
      const row = getSecret.get(name);
      if (row) return new Uint8Array(row.value);
      putSecret.run(name, Buffer.from(create()));
      return new Uint8Array(getSecret.get(name)!.value);
    },
    close() {
      if (closed) return;
      closed = true;
      try {
        db.pragma('wal_checkpoint(TRUNCATE)');
      } finally {
        db.close();
      }
    },
  };
}

/**
 * The longest a running calculation's row goes without its counters written while only chunks arrive. Skipping the
 * row in the other steps leaves one page out of a one-result commit (~40–80 µs less CPU per step in
 * bench/service-bench.ts, the WAL writes and checkpoints it causes included).
 */
const COUNTERS_REFRESH_MS = 1000;

/** Chunk rows per INSERT statement, largest first: a step's rows go out in as few statements as these sizes allow. */
const CHUNK_ROWS_PER_STATEMENT = [64, 16, 4, 1] as const;
const CHUNK_COLUMNS = 10;
/**
 * Rows per statement of a run: consecutive rows of one calculation, worker identity, check state and verifier (one
 * worker's ResultBatch, typically). A run shorter than the smallest size goes out with the other rows.
 */
const RUN_ROWS_PER_STATEMENT = [64, 16] as const;
/** The run's text columns, bound once per statement; then per row: chunk index, points, inside, elapsed, committed at. */
const RUN_SHARED_COLUMNS = 5;
const RUN_ROW_COLUMNS = 5;

const sameRun = (a: ChunkCommit, b: ChunkCommit) =>
  a.calculationId === b.calculationId &&
  a.workerId === b.workerId &&
  a.instanceId === b.instanceId &&
  a.verifiedBy === b.verifiedBy &&
  a.check === b.check;

/**
 * Writes chunk rows with multi-row INSERTs: each statement run costs a fixed ~4 µs (bind, step, reset, the call into
 * C++) besides its rows, so 64 rows in one statement cost ~8 µs each against ~12 µs in 64 statements. Positional
 * parameters: binding named ones from an object costs about a quarter more per row.
 *
 * Binding is most of a row's cost, and text most of binding: better-sqlite3 converts each string to UTF-8 and SQLite
 * copies it. Runs of rows that share their text columns (a worker's results in one ResultBatch: one calculation,
 * one worker id and instance id, no check) bind those columns once per statement (`WITH s AS (VALUES …) INSERT …
 * SELECT`), and the parameters go in as arguments (`run(...args)`), which better-sqlite3 reads without the
 * element-by-element `Array::Get` an array argument costs. Both measured in a loop of 130-row transactions on this
 * schema (WAL file, medians of 7 alternated runs): ~6.1 µs a row as before, ~5.1 with the arguments spread, ~4.4
 * with runs as well.
 */
function chunkWriter(db: Database.Database): (commits: readonly ChunkCommit[]) => void {
  const columns = `calculation_id, chunk_index, points, inside, worker_id, instance_id, elapsed_ms, committed_at_ms, verified_by,
        check_state`;
  const statements = CHUNK_ROWS_PER_STATEMENT.map((rows) => ({
    rows,
    args: new Array<unknown>(rows * CHUNK_COLUMNS),
    statement: db.prepare<unknown[]>(`
      INSERT OR REPLACE INTO chunks (${columns})
      VALUES ${Array.from({ length: rows }, () => `(${Array.from({ length: CHUNK_COLUMNS }, () => '?').join(', ')})`).join(', ')}`),
  }));
  const runStatements = RUN_ROWS_PER_STATEMENT.map((rows) => ({
    rows,
    args: new Array<unknown>(RUN_SHARED_COLUMNS + rows * RUN_ROW_COLUMNS),
    statement: db.prepare<unknown[]>(`
      WITH s (calculation_id, worker_id, instance_id, verified_by, check_state) AS (VALUES (?, ?, ?, ?, ?))
      INSERT OR REPLACE INTO chunks (${columns})
      SELECT s.calculation_id, r.column1, r.column2, r.column3, s.worker_id, s.instance_id, r.column4, r.column5,
        s.verified_by, s.check_state
      FROM s, (VALUES ${Array.from({ length: rows }, () => `(${Array.from({ length: RUN_ROW_COLUMNS }, () => '?').join(', ')})`).join(', ')}) AS r`),
  }));
  const minRun = RUN_ROWS_PER_STATEMENT[RUN_ROWS_PER_STATEMENT.length - 1];
  /** Rows not in a long enough run, written 64, 16, 4 and 1 to a statement once the runs are out. */
  const rest: ChunkCommit[] = [];
  const writeRun = (commits: readonly ChunkCommit[], from: number, to: number): number => {
    let at = from;
    const first = commits[from];
    for (const { rows, args, statement } of runStatements) {
      for (; to - at >= rows; at += rows) {
        args[0] = first.calculationId;
        args[1] = first.workerId;
        args[2] = first.instanceId;
        args[3] = first.verifiedBy;
        args[4] = first.check;
        for (let i = 0; i < rows; i++) {
          const c = commits[at + i];
          const o = RUN_SHARED_COLUMNS + i * RUN_ROW_COLUMNS;
          args[o] = c.chunkIndex;
          args[o + 1] = c.points;
          args[o + 2] = c.inside;
          args[o + 3] = c.elapsedMs;
          args[o + 4] = c.committedAtMs;
        }
        statement.run(...args);
      }
    }
    return at;
  };
  const writeRest = () => {
    let at = 0;
    for (const { rows, args, statement } of statements) {
      for (; rest.length - at >= rows; at += rows) {
        for (let i = 0; i < rows; i++) {
          const c = rest[at + i];
          const o = i * CHUNK_COLUMNS;
          args[o] = c.calculationId;
          args[o + 1] = c.chunkIndex;
          args[o + 2] = c.points;
          args[o + 3] = c.inside;
          args[o + 4] = c.workerId;
          args[o + 5] = c.instanceId;
          args[o + 6] = c.elapsedMs;
          args[o + 7] = c.committedAtMs;
          args[o + 8] = c.verifiedBy;
          args[o + 9] = c.check;
        }
        statement.run(...args);
      }
    }
  };
  return (commits) => {
    rest.length = 0;
    for (let from = 0; from < commits.length;) {
      let to = from + 1;
      while (to < commits.length && sameRun(commits[from], commits[to])) to++;
      const written = to - from >= minRun ? writeRun(commits, from, to) : from;
      for (let i = written; i < to; i++) rest.push(commits[i]);
      from = to;
    }
    writeRest();
    rest.length = 0;
  };
}

/**
 * SQLite opens a file it may not write (read-only file or mount, immutable file) read-only without a word; every
 * write would then fail later with SQLITE_READONLY. A write transaction that changes nothing finds out now, so the
 * coordinator refuses to start instead of answering errors to every submission.
 */
function assertWritable(db: Database.Database): void {
  db.exec('BEGIN IMMEDIATE');
  try {
    db.exec('DELETE FROM calculations WHERE 0');
  } finally {
    if (db.inTransaction) db.exec('ROLLBACK');
  }
}

function migrate(db: Database.Database): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  for (const m of MIGRATIONS) {
    if (m.version <= current) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.pragma(`user_version = ${m.version}`);
    })();
  }
}
