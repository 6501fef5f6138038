/**
 * The fold of one step's effects into one store write (coordinator/core/store-step.ts), which the coordinator
 * service and the scheduler test driver share.
 */
import { describe, expect, it } from 'vitest';
import type { CalculationRecord } from '../../coordinator/core/model.js';
import { storedCalculation, storedChunk } from '../fakes/store-fixtures.js';
import type { Effect } from '../../coordinator/core/scheduler-types.js';
import { storeStepOf } from '../../coordinator/core/store-step.js';

const rec = (id: string, status: CalculationRecord['status'], chunksDone = 0) =>
  storedCalculation(id, { status, inside: chunksDone * 700, pointsDone: chunksDone * 1000, chunksDone });
const commit = (calculationId: string, chunkIndex: number, inside: number): Effect => ({
  type: 'commit',
  commit: storedChunk(calculationId, chunkIndex, inside),
});
const uncommit = (calculationId: string, chunkIndex: number): Effect => ({ type: 'uncommit', calculationId, chunkIndex });
const calc = (r: CalculationRecord): Effect => ({ type: 'calculation', calculation: r });
const inside = (step: ReturnType<typeof storeStepOf>) => step.commits.map((c) => `${c.calculationId}/${c.chunkIndex}=${c.inside}`);

describe('storeStepOf', () => {
  it.each<[string, Effect[], string[], string[]]>([
    ['keeps distinct chunks in order', [commit('a', 0, 1), commit('a', 1, 2), commit('b', 0, 3)], ['a/0=1', 'a/1=2', 'b/0=3'], []],
    ['writes a chunk written twice once, in its last state', [commit('a', 0, 1), commit('a', 0, 5)], ['a/0=5'], []],
    ['lets an uncommit cancel an earlier write and keeps the uncommit', [commit('a', 0, 1), uncommit('a', 0)], [], ['a/0']],
    ['writes a chunk committed again after its uncommit', [commit('a', 0, 1), uncommit('a', 0), commit('a', 0, 4)], ['a/0=4'], ['a/0']],
    ['does not confuse chunk 1 of a with chunk 11 of a', [commit('a', 1, 1), uncommit('a', 11)], ['a/1=1'], ['a/11']],
  ])('%s', (_name, effects, commits, uncommits) => {
    const step = storeStepOf(effects);
    expect(inside(step)).toEqual(commits);
    expect(step.uncommits.map((u) => `${u.calculationId}/${u.chunkIndex}`)).toEqual(uncommits);
  });

  it('writes a calculation changed several times once, as a copy of its last state', () => {
    const running = rec('a', 'running', 1);
    const step = storeStepOf([calc(rec('a', 'running')), calc(running), calc(rec('b', 'queued'))]);
    expect(step.calculations.map((c) => [c.id, c.chunksDone])).toEqual([
      ['a', 1],
      ['b', 0],
    ]);
    expect(step.calculations[0]).not.toBe(running);
    running.chunksDone = 2;
    expect(step.calculations[0].chunksDone).toBe(1);
  });

  it('inserts a calculation submitted in the step in its last state and does not also update it', () => {
    const submitted = rec('a', 'queued');
    const step = storeStepOf([calc(rec('a', 'running', 1)), calc(rec('b', 'running'))], [submitted, rec('c', 'queued')]);
    expect(step.inserts.map((c) => [c.id, c.status])).toEqual([
      ['a', 'running'],
      ['c', 'queued'],
    ]);
    expect(step.calculations.map((c) => c.id)).toEqual(['b']);
  });

  it('collects quarantines and ignores effects that persist nothing', () => {
    const record = { workerId: 'w', instanceId: 'i', reason: 'lied', atMs: 3 };
    const step = storeStepOf([
      { type: 'quarantined', record, recomputed: 2 },
      { type: 'duplicate', calculationId: 'a', chunkIndex: 0 },
      { type: 'released', calculationId: 'a', chunkIndex: 0, reason: 'expired' },
    ]);
    expect(step).toEqual({ inserts: [], commits: [], uncommits: [], calculations: [], quarantines: [record] });
  });
});
