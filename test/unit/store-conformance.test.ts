/**
 * One suite, two stores: the SQLite adapter (a real file, WAL) and the in-memory one must behave the same.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CalculationRecord, ChunkCommit } from '../../coordinator/core/model.js';
import { storedCalculation, storedChunk } from '../fakes/store-fixtures.js';
import type { CalculationStore } from '../../coordinator/core/store-port.js';
import { createMemoryStore } from '../../coordinator/store/memory-store.js';
import { openSqliteStore } from '../../coordinator/store/sqlite-store.js';

const rec = (id: string, createdAtMs: number, status: CalculationRecord['status'] = 'queued') =>
  storedCalculation(id, { createdAtMs, status });
const commit = storedChunk;

const tempFile = () => join(mkdtempSync(join(tmpdir(), 'pigrid-store-')), 'x.db');

const stores: [string, () => CalculationStore][] = [
  ['sqlite', () => openSqliteStore(tempFile())],
  ['memory', () => createMemoryStore()],
];

describe.each(stores)('%s store', (_name, make) => {
  it('stores a calculation and refuses a duplicate id', () => {
    const s = make();
    s.insert(rec('a', 1));
    expect(s.get('a')).toEqual(rec('a', 1));
    expect(() => s.insert(rec('a', 2))).toThrow();
    expect(s.get('missing')).toBeUndefined();
  });

  it("writes a chunk's latest state (value, check, verifier) and forgets an uncommitted one", () => {
    const s = make();
    s.insert(rec('a', 1));
    s.apply({
      commits: [commit('a', 0, 700, { check: 'wanted' }), commit('a', 1, 710)],
      calculations: [{ ...rec('a', 1, 'running'), inside: 1410, pointsDone: 2000, chunksDone: 2 }],
    });
    s.apply({
      commits: [commit('a', 0, 701, { workerId: 'v', verifiedBy: 'x' })],
      uncommits: [{ calculationId: 'a', chunkIndex: 1 }],
      calculations: [],
    });
    expect(s.chunks('a')).toEqual([commit('a', 0, 701, { workerId: 'v', verifiedBy: 'x' })]);
    expect(s.committedInside('a', 0)).toBe(701);
    expect(s.committedInside('a', 1)).toBeUndefined();
    expect(s.committedInside('nope', 0)).toBeUndefined();
    expect(s.get('a')).toMatchObject({ status: 'running', inside: 1410, chunksDone: 2 });
  });

  // The SQLite adapter writes a step's chunk rows 64, 16, 4 and 1 to a statement: every count must land whole.
  it.each([1, 3, 4, 21, 64, 87, 150])('writes all %i chunk rows of one step, each with its own fields', (n) => {
    const s = make();
    s.insert(rec('a', 1));
    s.insert(rec('b', 2));
    const commits = Array.from({ length: n }, (_, i) =>
      commit(i % 2 === 0 ? 'a' : 'b', i, 500 + i, {
        workerId: `w${i}`,
        instanceId: `i${i}`,
        elapsedMs: i,
        committedAtMs: 1000 + i,
        verifiedBy: i % 3 === 0 ? `v${i}` : null,
        check: i % 5 === 0 ? 'wanted' : 'none',
      }),
    );
    s.apply({ commits, calculations: [] });
    expect([...s.chunks('a'), ...s.chunks('b')]).toEqual([
      ...commits.filter((_, i) => i % 2 === 0),
      ...commits.filter((_, i) => i % 2 === 1),
    ]);
  });

  // The SQLite adapter writes runs of rows that share their text columns (calculation, worker, instance, verifier,
  // check) with those columns bound once: runs of every length around the statement sizes, broken by each column,
  // between single rows, must land whole with their own per-row fields.
  it('writes runs of rows sharing their text columns, and the rows between them, each with its own fields', () => {
    const s = make();
    s.insert(rec('a', 1));
    s.insert(rec('b', 2));
    const breaks: Partial<ChunkCommit>[] = [
      {},
      { calculationId: 'b' },
      { workerId: 'w2' },
      { instanceId: 'i2' },
      { verifiedBy: 'v' },
      { check: 'wanted' },
    ];
    const commits: ChunkCommit[] = [];
    let index = 0;
    for (const [k, length] of [15, 16, 17, 1, 64, 80, 2, 145, 1, 33].entries()) {
      const shared = breaks[k % breaks.length];
      for (let i = 0; i < length; i++, index++)
        commits.push(
          commit(shared.calculationId ?? 'a', index, 400 + (index % 500), {
            ...shared,
            points: 1000 - (index % 7),
            elapsedMs: index * 3,
            committedAtMs: 5000 + index,
          }),
        );
    }
    s.apply({ commits, calculations: [] });
    const byIndex = (x: ChunkCommit, y: ChunkCommit) => x.chunkIndex - y.chunkIndex;
    expect([...s.chunks('a'), ...s.chunks('b')].sort(byIndex)).toEqual([...commits].sort(byIndex));
  });

  // The SQLite adapter skips the row of a running calculation while only its chunks move: loadActive() still gives
  // the counters its chunks give, a status change or a counter the chunks cannot give is written at once, and the
  // final row is whole.
  it('keeps a running calculation explained by its chunks after steps that only added chunks', () => {
    const s = make();
    s.apply({ inserts: [rec('a', 1)], commits: [], calculations: [] });
    let latest: CalculationRecord = { ...rec('a', 1), status: 'running', startedAtMs: 2 };
    for (let i = 0; i < 5; i++) {
      latest = { ...latest, inside: latest.inside + 600 + i, pointsDone: latest.pointsDone + 1000, chunksDone: i + 1 };
      s.apply({ commits: [commit('a', i, 600 + i)], calculations: [latest] });
      expect(s.loadActive()[0].record).toEqual(latest);
      expect(s.get('a')).toMatchObject({ status: 'running', startedAtMs: 2 });
    }
    latest = { ...latest, chunksReleased: 1 };
    s.apply({ commits: [], calculations: [latest] });
    expect(s.get('a')).toMatchObject({ chunksReleased: 1 });
    expect(s.loadActive()[0].record).toEqual(latest);
    const done = { ...latest, status: 'completed' as const, finishedAtMs: 9, inside: latest.inside + 700, pointsDone: 6000, chunksDone: 6 };
    s.apply({ commits: [commit('a', 5, 700)], calculations: [done] });
    expect(s.get('a')).toEqual(done);
    expect(s.list(10)).toEqual([done]);
  });

  it('lists newest first, page by page, without gaps or repeats', () => {
    const s = make();
    for (let i = 0; i < 7; i++) s.insert(rec(`c${i}`, i < 4 ? 100 : 100 + i));
    const seen: string[] = [];
    let page = s.list(3);
    while (page.length > 0) {
      seen.push(...page.map((r) => r.id));
      const last = page[page.length - 1];
      page = s.list(3, { createdAtMs: last.createdAtMs, id: last.id });
    }
    expect(seen).toEqual(['c6', 'c5', 'c4', 'c3', 'c2', 'c1', 'c0']);
  });

  it('loads unfinished calculations with counters recomputed from their committed chunks', () => {
    const s = make();
    s.insert(rec('run', 1));
    s.insert(rec('done', 2));
    s.apply({
      commits: [commit('run', 0, 780), commit('run', 2, 790)],
      calculations: [{ ...rec('run', 1, 'running'), inside: 1, chunksDone: 99 }],
    });
    s.apply({ commits: [], calculations: [{ ...rec('done', 2, 'completed') }] });
    const active = s.loadActive();
    expect(active.map((a) => a.record.id)).toEqual(['run']);
    expect(active[0].record).toMatchObject({ inside: 1570, pointsDone: 2000, chunksDone: 2, status: 'running' });
    expect([...active[0].committed.entries()].map(([i, c]) => [i, c.inside])).toEqual([
      [0, 780],
      [2, 790],
    ]);
  });

  it('counts verified chunks from the chunks on resume, and round-trips the verifier map', () => {
    const s = make();
    s.insert(rec('v', 1));
    s.apply({
      commits: [
        commit('v', 0, 780, { verifiedBy: 'w2' }),
        commit('v', 1, 781, { verifiedBy: 'w2' }),
        commit('v', 2, 782, { check: 'wanted' }),
      ],
      calculations: [{ ...rec('v', 1, 'running'), chunksVerified: 2, verifiedBy: { w2: 2 }, chunksRecomputed: 1 }],
    });
    expect(s.get('v')).toMatchObject({ chunksVerified: 2, verifiedBy: { w2: 2 }, chunksRecomputed: 1 });
    const [active] = s.loadActive();
    expect(active.record).toMatchObject({ chunksVerified: 2, verifiedBy: { w2: 2 }, chunksRecomputed: 1 });
    expect(active.committed.get(2)?.check).toBe('wanted');
  });

  it('keeps quarantined workers and named secrets', () => {
    const s = make();
    s.apply({ commits: [], calculations: [], quarantines: [{ workerId: 'liar', instanceId: 'i', reason: 'wrong', atMs: 5 }] });
    expect(s.loadQuarantined()).toEqual([{ workerId: 'liar', instanceId: 'i', reason: 'wrong', atMs: 5 }]);
    let made = 0;
    const make32 = () => {
      made += 1;
      return new Uint8Array(32).fill(made);
    };
    const key = s.secret('k', make32);
    expect(s.secret('k', make32)).toEqual(key);
    expect(made).toBe(1);
  });

  it('inserts calculations in a step, with chunks of theirs in the same step, all or nothing', () => {
    const s = make();
    s.apply({ inserts: [rec('n', 5)], commits: [commit('n', 0, 700)], calculations: [] });
    expect(s.get('n')).toEqual(rec('n', 5));
    expect(s.committedInside('n', 0)).toBe(700);
    expect(() => s.apply({ inserts: [rec('m', 6), rec('n', 7)], commits: [], calculations: [] })).toThrow();
    expect(s.get('m')).toBeUndefined();
  });

  it('applies a step all or nothing', () => {
    const s = make();
    s.insert(rec('a', 1));
    expect(() => s.apply({ commits: [commit('a', 0, 700), commit('ghost', 0, 1)], calculations: [] })).toThrow();
    expect(s.chunks('a')).toEqual([]);
  });

  // The SQLite adapter writes only the counters while a calculation's status stays the same: every field must still
  // land, through status changes, a rolled-back step and the end of the calculation.
  it('writes every field of a calculation through a run of steps, a rolled-back one included', () => {
    const s = make();
    const r = rec('a', 1);
    s.apply({ inserts: [{ ...r }], commits: [], calculations: [] });
    const running = { ...r, status: 'running' as const, startedAtMs: 2, inside: 700, pointsDone: 1000, chunksDone: 1 };
    s.apply({ commits: [commit('a', 0, 700)], calculations: [running] });
    expect(s.get('a')).toEqual(running);
    const more = { ...running, inside: 1400, pointsDone: 2000, chunksDone: 2, chunksReleased: 1, duplicateResults: 3 };
    s.apply({ commits: [commit('a', 1, 700)], calculations: [more] });
    expect(s.get('a')).toEqual(more);
    const verified = { ...more, chunksVerified: 1, verifiedBy: { w2: 1 }, chunksRecomputed: 2 };
    expect(() => s.apply({ commits: [commit('ghost', 0, 1)], calculations: [{ ...verified, status: 'failed' as const }] })).toThrow();
    expect(s.get('a')).toEqual(more);
    s.apply({ commits: [], calculations: [verified] });
    expect(s.get('a')).toEqual(verified);
    const done = { ...verified, status: 'completed' as const, finishedAtMs: 9, inside: 2100, pointsDone: 3000, chunksDone: 3 };
    s.apply({ commits: [commit('a', 2, 700)], calculations: [done] });
    expect(s.get('a')).toEqual(done);
    expect(s.loadActive()).toEqual([]);
    const failed = { ...rec('b', 3), status: 'failed' as const, error: 'chunk 0 failed', errorCode: 'CHUNK_FAILED', finishedAtMs: 4 };
    s.apply({ inserts: [rec('b', 3)], commits: [], calculations: [] });
    s.apply({ commits: [], calculations: [failed] });
    expect(s.get('b')).toEqual(failed);
  });
});

describe('sqlite durability', () => {
  it('keeps everything across close and reopen, with the schema migrated once', () => {
    const file = tempFile();
    const a = openSqliteStore(file);
    a.insert(rec('a', 1));
    a.apply({
      commits: [commit('a', 1, 800)],
      calculations: [{ ...rec('a', 1, 'running'), inside: 800, chunksDone: 1, pointsDone: 1000 }],
    });
    a.close();
    a.close();
    const b = openSqliteStore(file);
    expect(b.get('a')).toMatchObject({ status: 'running', inside: 800 });
    expect(b.loadActive()[0].committed.get(1)?.inside).toBe(800);
    b.close();
  });
});
