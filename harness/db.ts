/**
 * Reads the coordinator's SQLite file directly (read-only, beside the running WAL writer) to audit chunk accounting.
 */
import Database from 'better-sqlite3';

export interface ChunkAudit {
  rows: number;
  distinct: number;
  inside: number;
  points: number;
  byWorker: Record<string, number>;
  chunks: { chunk_index: number; worker_id: string; committed_at_ms: number; inside: number }[];
}

export function auditChunks(dbPath: string, calculationId: string): ChunkAudit {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    const chunks = db
      .prepare('SELECT chunk_index, worker_id, committed_at_ms, inside, points FROM chunks WHERE calculation_id = ? ORDER BY chunk_index')
      .all(calculationId) as { chunk_index: number; worker_id: string; committed_at_ms: number; inside: number; points: number }[];
    const byWorker: Record<string, number> = {};
    for (const c of chunks) byWorker[c.worker_id] = (byWorker[c.worker_id] ?? 0) + 1;
    return {
      rows: chunks.length,
      distinct: new Set(chunks.map((c) => c.chunk_index)).size,
      inside: chunks.reduce((s, c) => s + c.inside, 0),
      points: chunks.reduce((s, c) => s + c.points, 0),
      byWorker,
      chunks,
    };
  } finally {
    db.close();
  }
}
