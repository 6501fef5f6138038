/**
 * A full disk (a real OS fault: the database lives on a small tmpfs that the test fills until ENOSPC). SQLite rolls
 * back a step whose commit cannot be written, leaving nothing half-written; a submission that hits the full disk is
 * answered 503 STORE_UNAVAILABLE and the coordinator stops with one clear line and exit 74; once space is freed, a
 * restart finishes the calculation in flight with exactly the hit count of an uninterrupted single-mode run.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newCalculationRecord, type CalculationRecord } from '../../coordinator/core/model.js';
import { openSqliteStore } from '../../coordinator/store/sqlite-store.js';
import { startCluster, startWorker } from '../../harness/cluster.js';
import { auditChunks } from '../../harness/db.js';
import { fillDisk, mountTmpfs, unmount } from '../../harness/fs-faults.js';
import { portOf, stopAll } from '../../harness/processes.js';
import { http, poolView, submit, until, waitDone } from '../../harness/rest.js';

const mountPoint = mkdtempSync(join(tmpdir(), 'pigrid-tmpfs-'));
const unsupported = mountTmpfs(mountPoint, 8 * 1024 * 1024);

afterAll(async () => {
  await stopAll();
  if (!unsupported) unmount(mountPoint);
});

function rec(id: string, status: CalculationRecord['status'] = 'queued'): CalculationRecord {
  return { ...newCalculationRecord({ id, mode: 'distributed', points: 100_000, seed: 3, chunkSize: 1000, createdAtMs: 1 }), status };
}
const commit = (chunkIndex: number) => ({
  calculationId: 'a',
  chunkIndex,
  points: 1000,
  inside: 785,
  workerId: 'w',
  instanceId: 'i',
  elapsedMs: 1,
  committedAtMs: 2,
  verifiedBy: null,
  check: 'none' as const,
});

describe.skipIf(unsupported)(`full disk${unsupported ? ` (SKIPPED: ${unsupported})` : ''}`, () => {
  let dir: string;
  let filler: string | undefined;
  beforeAll(() => {
    dir = mkdtempSync(join(mountPoint, 'case-'));
  });
  const freeSpace = () => {
    if (filler) rmSync(filler, { force: true });
    filler = undefined;
  };
  afterAll(freeSpace);

  it('rolls back a whole step whose commit finds the disk full, and writes again once there is space', () => {
    const path = join(dir, 'in-process', 'x.db');
    mkdirSync(join(dir, 'in-process'));
    const store = openSqliteStore(path);
    store.insert(rec('a'));
    store.apply({ commits: [commit(0)], calculations: [{ ...rec('a', 'running'), inside: 785, pointsDone: 1000, chunksDone: 1 }] });

    filler = fillDisk(mountPoint);
    const step = {
      commits: Array.from({ length: 60 }, (_, i) => commit(i + 1)),
      calculations: [{ ...rec('a', 'running'), inside: 61 * 785, pointsDone: 61_000, chunksDone: 61 }],
    };
    expect(() => store.apply(step)).toThrow(expect.objectContaining({ code: 'SQLITE_FULL' }));
    expect(store.chunks('a')).toHaveLength(1);
    expect(store.get('a')).toMatchObject({ inside: 785, chunksDone: 1 });

    freeSpace();
    store.apply(step);
    expect(store.chunks('a')).toHaveLength(61);
    store.close();
    const reopened = openSqliteStore(path);
    expect(reopened.loadActive()[0].record).toMatchObject({ inside: 61 * 785, chunksDone: 61 });
    reopened.close();
  });

  it('answers a submission 503 STORE_UNAVAILABLE, stops with one clear line, and resumes exactly after space is freed', async () => {
    const CHUNK = 200_000_000;
    // 48 chunks, ~2.6 s of the one worker: its kill below lands well before the calculation could end, on a machine
    // twice as fast too (24 chunks left ~1 s after the third commit here, half that on such a machine).
    const CHUNKS = 48;
    const POINTS = CHUNKS * CHUNK;
    const dbPath = join(dir, 'cluster', 'pigrid.db');
    // No verification: a check computed by the coordinator's own pool would be a write racing the submission below.
    const c = await startCluster({
      workers: 1,
      workerThreads: 1,
      coordinatorThreads: 1,
      dbPath,
      coordinatorEnv: { PIGRID_VERIFY_FIRST: '0', PIGRID_VERIFY_RATE: '0' },
    });
    const single = await waitDone(c.url, (await submit(c.url, { points: POINTS, mode: 'single', seed: 77, chunk_size: CHUNK })).id);
    const dist = await submit(c.url, { points: POINTS, mode: 'distributed', seed: 77, chunk_size: CHUNK });
    await until('some chunks committed', async () =>
      (await http(`${c.url}/api/calculate/${dist.id}`)).json.chunks_done >= 3 ? true : undefined,
    );

    // Stop the calculation's progress (its worker dies; the coordinator puts its leases back, a write that still
    // fits), so that the next write is the submission's.
    const [worker] = c.workers;
    worker.kill('SIGKILL');
    await c.coordinator.waitFor(/worker stream lost/);
    // The pool answers after the turn that released the leases, and so after that turn's commit.
    await until('leases released', async () => ((await poolView(c.url)).leases_in_flight === 0 ? true : undefined));
    filler = fillDisk(mountPoint);

    const refused = await http(`${c.url}/api/calculate`, 'POST', { points: POINTS, mode: 'distributed', seed: 1, chunk_size: CHUNK });
    expect(refused.status).toBe(503);
    expect(refused.json).toEqual({
      error: {
        code: 'STORE_UNAVAILABLE',
        message: expect.stringMatching(/cannot write its database and is stopping; nothing committed is lost/),
        field: null,
      },
    });
    const first = c.coordinator;
    expect(await first.exited).toBe(74);
    const fatal = first.lines.filter((l) => l.includes('fatal store write failed'));
    expect(fatal).toHaveLength(1);
    expect(fatal[0]).toMatch(
      /^error fatal store write failed: SQLITE_FULL database or disk is full \(db=.*\/cluster\/pigrid\.db\) — the coordinator stops; fix the cause and restart: nothing committed is lost code=SQLITE_FULL .* op=apply calculationIds=\["[0-9a-f-]{36}"\] /,
    );
    expect(first.lines.filter((l) => l.startsWith('error'))).toEqual(fatal);
    expect(first.lines.filter((l) => /^\s+at /.test(l) || /uncaught|unhandled/.test(l))).toEqual([]);

    freeSpace();
    await startWorker('worker-1b', 1, { PIGRID_GRPC_PORT: String(portOf(worker.ready.grpc)) });
    await c.restartCoordinator();
    const result = await waitDone(c.url, dist.id, 60_000);
    expect(result.status).toBe('completed');
    expect(result.inside).toBe(single.inside);
    expect(auditChunks(dbPath, dist.id)).toMatchObject({ rows: CHUNKS, distinct: CHUNKS, inside: single.inside, points: POINTS });
    // The refused submission was not stored.
    expect((await http(`${c.url}/api/calculate?page_size=10`)).json.calculations).toHaveLength(2);
  }, 120_000);
});
