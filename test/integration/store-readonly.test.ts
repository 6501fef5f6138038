/**
 * The coordinator's database becomes read-only mid-calculation (a real OS fault: the files are made immutable,
 * which denies writes to root too). The coordinator stops with one clear line and exit 74, refuses to start on the
 * read-only file with one line, and once the file is writable again a restart finishes the calculation with exactly
 * the hit count of an uninterrupted single-mode run.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { startCluster } from '../../harness/cluster.js';
import { auditChunks } from '../../harness/db.js';
import { immutableUnsupported, setImmutable } from '../../harness/fs-faults.js';
import { stopAll, tempDbPath } from '../../harness/processes.js';
import { http, submit, until, waitDone } from '../../harness/rest.js';

const unsupported = immutableUnsupported();
const frozen: string[] = [];

afterAll(async () => {
  setImmutable(frozen, false);
  await stopAll();
});

describe.skipIf(unsupported)(`read-only database${unsupported ? ` (SKIPPED: ${unsupported})` : ''}`, () => {
  it('stops with one clear line, refuses a read-only start, and resumes exactly once writable', async () => {
    const CHUNK = 200_000_000;
    // 48 chunks, ~2.6 s of the one worker: the store fails well before the calculation could end, on a machine twice
    // as fast too (24 chunks left ~1 s after the third commit here, half that on such a machine).
    const CHUNKS = 48;
    const POINTS = CHUNKS * CHUNK;
    const dbPath = tempDbPath();
    const c = await startCluster({ workers: 1, workerThreads: 1, coordinatorThreads: 1, dbPath });
    const single = await waitDone(c.url, (await submit(c.url, { points: POINTS, mode: 'single', seed: 31, chunk_size: CHUNK })).id);
    const dist = await submit(c.url, { points: POINTS, mode: 'distributed', seed: 31, chunk_size: CHUNK });
    await until('some chunks committed', async () =>
      (await http(`${c.url}/api/calculate/${dist.id}`)).json.chunks_done >= 3 ? true : undefined,
    );

    // The database and its WAL. Not the -shm: it is memory-mapped, and an immutable mapping is a SIGBUS, not an error.
    frozen.push(dbPath, `${dbPath}-wal`);
    setImmutable(frozen, true);
    const first = c.coordinator;
    expect(await first.exited).toBe(74);

    const fatal = first.lines.filter((l) => l.includes('fatal store write failed'));
    expect(fatal).toHaveLength(1);
    expect(fatal[0]).toMatch(
      new RegExp(
        `^error fatal store write failed: SQLITE_(IOERR|READONLY)\\w* .*\\(db=${dbPath}\\) — the coordinator stops; fix the cause and restart: nothing committed is lost `,
      ),
    );
    expect(fatal[0]).toMatch(/ op=apply /);
    // One error line, no raw stack trace, no uncaught error: the follow-on failures are quiet.
    expect(first.lines.filter((l) => l.startsWith('error'))).toEqual(fatal);
    expect(first.lines.filter((l) => /^\s+at /.test(l) || /uncaught|unhandled/.test(l))).toEqual([]);
    const before = auditChunks(dbPath, dist.id).rows;
    expect(before).toBeGreaterThanOrEqual(3);
    expect(before).toBeLessThan(CHUNKS);

    // SQLite would open the file read-only without a word; the coordinator refuses to start on it instead.
    await expect(c.restartCoordinator()).rejects.toThrow(
      /exited \(1\) before logging[\s\S]*coordinator failed to start err="Error: fatal store open failed: SQLITE_READONLY attempt to write a readonly database \(db=.*\) — the coordinator cannot start/,
    );

    setImmutable(frozen, false);
    const restarted = await c.restartCoordinator();
    await restarted.waitFor(/resumed unfinished calculations count=1/);
    const result = await waitDone(c.url, dist.id, 60_000);
    expect(result.status).toBe('completed');
    expect(result.inside).toBe(single.inside);
    expect(auditChunks(dbPath, dist.id)).toMatchObject({ rows: CHUNKS, distinct: CHUNKS, inside: single.inside, points: POINTS });
  }, 120_000);
});
