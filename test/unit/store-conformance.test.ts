/**
 * One suite, two stores: the SQLite adapter (a real file, WAL) and the in-memory one must behave the same.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CalculationRecord } from '../../coordinator/core/model.js';
import type { CalculationStore } from '../../coordinator/core/store-port.js';
import { createMemoryStore } from '../../coordinator/store/memory-store.js';
import { openSqliteStore } from '../../coordinator/store/sqlite-store.js';

function rec(id: string, createdAtMs: number, status: CalculationRecord['status'] = 'queued'): CalculationRecord {
  return {
    id, mode: 'distributed', points: 3000, seed: 9, chunkSize: 1000, chunkCount: 3, status,
    inside: 0, pointsDone: 0, chunksDone: 0, chunksReleased: 0, duplicateResults: 0,
    createdAtMs, startedAtMs: null, finishedAtMs: null, error: null, errorCode: null,
  };
}

const commit = (calculationId: string, chunkIndex: number, inside: number) => ({
  calculationId, chunkIndex, points: 1000, inside, workerId: 'w', elapsedMs: 5, committedAtMs: 10,
});

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

  it('commits a chunk once: a second copy of the same chunk leaves the first', () => {
    const s = make();
    s.insert(rec('a', 1));
    s.apply({ commits: [commit('a', 0, 700)], calculations: [{ ...rec('a', 1, 'running'), inside: 700, pointsDone: 1000, chunksDone: 1 }] });
    s.apply({ commits: [commit('a', 0, 999)], calculations: [] });
    expect(s.chunks('a').map((c) => [c.chunkIndex, c.inside])).toEqual([[0, 700]]);
    expect(s.committedInside('a', 0)).toBe(700);
    expect(s.committedInside('a', 1)).toBeUndefined();
    expect(s.committedInside('nope', 0)).toBeUndefined();
    expect(s.get('a')).toMatchObject({ status: 'running', inside: 700, chunksDone: 1 });
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
    s.apply({ commits: [commit('run', 0, 780), commit('run', 2, 790)], calculations: [{ ...rec('run', 1, 'running'), inside: 1, chunksDone: 99 }] });
    s.apply({ commits: [], calculations: [{ ...rec('done', 2, 'completed') }] });
    const active = s.loadActive();
    expect(active.map((a) => a.record.id)).toEqual(['run']);
    expect(active[0].record).toMatchObject({ inside: 1570, pointsDone: 2000, chunksDone: 2, status: 'running' });
    expect([...active[0].committed.entries()]).toEqual([[0, 780], [2, 790]]);
  });

  it('applies a step all or nothing', () => {
    const s = make();
    s.insert(rec('a', 1));
    expect(() => s.apply({ commits: [commit('a', 0, 700), commit('ghost', 0, 1)], calculations: [] })).toThrow();
    expect(s.chunks('a')).toEqual([]);
  });
});

describe('sqlite durability', () => {
  it('keeps everything across close and reopen, with the schema migrated once', () => {
    const file = tempFile();
    const a = openSqliteStore(file);
    a.insert(rec('a', 1));
    a.apply({ commits: [commit('a', 1, 800)], calculations: [{ ...rec('a', 1, 'running'), inside: 800, chunksDone: 1, pointsDone: 1000 }] });
    a.close();
    a.close();
    const b = openSqliteStore(file);
    expect(b.get('a')).toMatchObject({ status: 'running', inside: 800 });
    expect(b.loadActive()[0].committed.get(1)).toBe(800);
    b.close();
  });
});
