/**
 * A store write that fails is final and explained in one line; a failed step leaves nothing half-written.
 * (The real OS-level faults are in test/integration/store-readonly.test.ts and store-disk-full.test.ts.)
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { CalculationRecord } from '../../coordinator/core/model.js';
import { storedCalculation, storedChunk } from '../fakes/store-fixtures.js';
import type { CalculationStore } from '../../coordinator/core/store-port.js';
import { createMemoryStore } from '../../coordinator/store/memory-store.js';
import { openSqliteStore } from '../../coordinator/store/sqlite-store.js';
import {
  STORE_FAILURE_EXIT_CODE,
  createStoreFailureHandler,
  failFastWrites,
  isStoreUnavailable,
  storeOpenFailureMessage,
} from '../../coordinator/store/store-failure.js';
import { ErrorCode } from '../../shared/errors.js';
import { captureLogs } from '../../harness/log-lines.js';

const rec = (id: string, status: CalculationRecord['status'] = 'queued') => storedCalculation(id, { status });
const commit = (calculationId: string, chunkIndex: number, inside: number) => storedChunk(calculationId, chunkIndex, inside);
const tempDir = () => mkdtempSync(join(tmpdir(), 'pigrid-store-failure-'));

const capture = () => captureLogs('debug');

/** A memory store whose writes fail like a full disk after `okWrites` successful ones; counts the writes it sees. */
function fillingStore(okWrites: number): CalculationStore & { writes: number } {
  const inner = createMemoryStore();
  const s = {
    ...inner,
    writes: 0,
    insert(r: CalculationRecord) {
      if (++s.writes > okWrites) throw new Database.SqliteError('database or disk is full', 'SQLITE_FULL');
      inner.insert(r);
    },
    apply(step: Parameters<CalculationStore['apply']>[0]) {
      if (++s.writes > okWrites) throw new Database.SqliteError('database or disk is full', 'SQLITE_FULL');
      inner.apply(step);
    },
  };
  return s;
}

describe('failFastWrites', () => {
  it('turns the first failed write into STORE_UNAVAILABLE and refuses every later write without trying it', () => {
    const inner = fillingStore(1);
    const store = failFastWrites(inner);
    store.insert(rec('a'));
    let first: unknown;
    try {
      store.apply({ commits: [commit('a', 0, 700)], calculations: [] });
    } catch (err) {
      first = err;
    }
    expect(isStoreUnavailable(first)).toBe(true);
    expect((first as Error).cause).toMatchObject({ code: 'SQLITE_FULL' });
    expect((first as { code: string }).code).toBe(ErrorCode.STORE_UNAVAILABLE);
    expect(() => store.insert(rec('b'))).toThrow(first);
    expect(inner.writes).toBe(2);
    // Reads go on.
    expect(store.get('a')?.id).toBe('a');
  });
  it('guards the first-time creation of a secret too: a store that cannot write it does not start', () => {
    const full: CalculationStore = {
      ...createMemoryStore(),
      secret: () => {
        throw new Database.SqliteError('database or disk is full', 'SQLITE_FULL');
      },
    };
    const store = failFastWrites(full);
    let err: unknown;
    try {
      store.secret('lease-hmac-key', () => new Uint8Array(32));
    } catch (e) {
      err = e;
    }
    expect(isStoreUnavailable(err)).toBe(true);
    expect(storeOpenFailureMessage(err, '/data/pigrid.db')).toMatch(
      /^fatal store open failed: SQLITE_FULL database or disk is full \(db=\/data\/pigrid\.db\)/,
    );
  });
});

describe('createStoreFailureHandler', () => {
  it('logs one line naming the cause, the database and the calculations, then exits 74 once the server has answered', async () => {
    const { log, records } = capture();
    const exits: number[] = [];
    let release!: () => void;
    const stopped = new Promise<void>((r) => (release = r));
    const handler = createStoreFailureHandler({ dbPath: '/data/pigrid.db', log, stop: () => stopped, exit: (c) => exits.push(c) });
    const store = failFastWrites(fillingStore(0));
    let err: unknown;
    try {
      store.apply({ commits: [], calculations: [rec('c1')] });
    } catch (e) {
      err = e;
    }
    handler(err, { op: 'apply', calculationIds: ['c1', 'c2'] });
    handler(err, { op: 'apply', calculationIds: ['c3'] });
    const errors = records.filter((r) => r.level === 50);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({
      msg: 'fatal store write failed: SQLITE_FULL database or disk is full (db=/data/pigrid.db) — the coordinator stops; fix the cause and restart: nothing committed is lost',
      code: 'SQLITE_FULL',
      db: '/data/pigrid.db',
      op: 'apply',
      calculationIds: ['c1', 'c2'],
      err: {
        type: 'SqliteError',
        code: 'SQLITE_FULL',
        stack: expect.stringMatching(/^SqliteError: database or disk is full\n\s+at /) as unknown,
      },
    });
    // The second failure is at debug only.
    expect(records.filter((r) => r.level === 20)).toMatchObject([{ calculationIds: ['c3'] }]);
    expect(exits).toEqual([]);
    release();
    await stopped;
    await new Promise((r) => setImmediate(r));
    expect(exits).toEqual([STORE_FAILURE_EXIT_CODE]);
  });

  it('exits at once when there is nothing to answer (a failure while resuming at start)', () => {
    const exits: number[] = [];
    const handler = createStoreFailureHandler({ dbPath: 'x.db', log: capture().log, stop: () => undefined, exit: (c) => exits.push(c) });
    handler(new Database.SqliteError('disk I/O error', 'SQLITE_IOERR_WRITE'), { op: 'apply', calculationIds: [] });
    expect(exits).toEqual([STORE_FAILURE_EXIT_CODE]);
  });
});

describe('sqlite store', () => {
  it('rolls back a whole step when a write inside it fails: no chunk without its calculation update', () => {
    const path = join(tempDir(), 'x.db');
    const store = openSqliteStore(path);
    store.insert(rec('a'));
    store.apply({
      commits: [commit('a', 0, 700)],
      calculations: [{ ...rec('a', 'running'), inside: 700, pointsDone: 1000, chunksDone: 1 }],
    });
    // Two new chunks, then a calculation row the schema refuses (CHECK on status): SQLite fails mid-transaction.
    const bad = { ...rec('a'), status: 'exploded' as CalculationRecord['status'], inside: 2100, chunksDone: 3 };
    expect(() => store.apply({ commits: [commit('a', 1, 710), commit('a', 2, 690)], calculations: [bad] })).toThrow(
      expect.objectContaining({ code: 'SQLITE_CONSTRAINT_CHECK' }),
    );
    expect(store.chunks('a').map((c) => c.chunkIndex)).toEqual([0]);
    expect(store.get('a')).toMatchObject({ status: 'running', inside: 700, chunksDone: 1 });
    store.close();
    // What a restart sees: the same.
    const reopened = openSqliteStore(path);
    expect(reopened.loadActive()[0].record).toMatchObject({ inside: 700, chunksDone: 1 });
    reopened.close();
  });

  it('a failed open is explained in one line naming the cause and the file', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'not-a-dir'), '');
    const path = join(dir, 'not-a-dir', 'pigrid.db');
    let err: unknown;
    try {
      openSqliteStore(path);
    } catch (e) {
      err = e;
    }
    const msg = storeOpenFailureMessage(err, path);
    expect(msg).toMatch(
      /^fatal store open failed: (ENOTDIR|EEXIST) .*\(db=.*not-a-dir\/pigrid\.db\) — the coordinator cannot start; make the database file and its directory writable/,
    );
    expect(msg).not.toContain('\n');
  });
});
