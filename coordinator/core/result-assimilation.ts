/**
 * Assimilation of a genuine hit count for a chunk: a first commit (and whether to check it), a check of a committed
 * chunk (agreement, or a dispute), or a vote in a dispute. Quarantine of the worker that was wrong is in
 * quarantine.ts.
 */
import type { CalculationRuntime, ChunkEntry } from './calculation-runtime.js';
import { progressed } from './calculation-lifecycle.js';
import { commitOf, identityOf } from './chunk-commits.js';
import { touch } from './fair-share.js';
import { quarantine } from './quarantine.js';
import type { Effect } from './scheduler-types.js';
import type { SchedulerState } from './scheduler-state.js';
import { reward } from './worker-events.js';
import type { Connection } from './worker-registry.js';

/** Records a genuine hit count for a chunk: a first commit, a check of a committed one, or a vote in a dispute. */
export function record(
  s: SchedulerState,
  c: CalculationRuntime,
  index: number,
  inside: number,
  elapsedMs: number,
  w: Connection,
  now: number,
  effects: Effect[],
): void {
  const e = c.committed.get(index);
  if (!e) {
    firstCommit(s, c, index, inside, elapsedMs, w, now, effects);
    return;
  }
  if (e.check === 'disputed') {
    vote(s, c, index, e, inside, w, now, effects);
    return;
  }
  if (e.by === w.key) {
    if (inside === e.inside) duplicate(c, index, effects);
    else
      quarantine(
        s,
        w.workerId,
        w.instanceId,
        `chunk ${index} of ${c.rec.id}: reported inside=${inside} after reporting inside=${e.inside}`,
        now,
        effects,
      );
    return;
  }
  if (inside === e.inside) checkMatched(s, c, index, e, inside, w, now, effects);
  else checkMismatched(s, c, index, e, inside, w, now, effects);
}

/** Another identity computed a committed chunk's value again: the chunk is confirmed and both earn trust. */
function checkMatched(
  s: SchedulerState,
  c: CalculationRuntime,
  index: number,
  e: ChunkEntry,
  inside: number,
  w: Connection,
  now: number,
  effects: Effect[],
): void {
  c.confirm(index, w.workerId);
  s.registry.trustOf(e.by).verified += 1;
  w.trust.verified += 1;
  reward(s, w);
  c.rec.duplicateResults += 1;
  effects.push({
    type: 'verification',
    outcome: 'match',
    calculationId: c.rec.id,
    chunkIndex: index,
    detail: `${e.workerId} and ${w.workerId} agree on inside=${inside}`,
  });
  effects.push({ type: 'duplicate', calculationId: c.rec.id, chunkIndex: index });
  effects.push({ type: 'commit', commit: commitOf(c, index, e) });
  progressed(s, c, now, effects);
}

/**
 * Another identity computed another value for a committed chunk: against a value two workers already agreed on, the
 * newcomer is quarantined; otherwise the chunk is disputed, and further computations vote.
 */
function checkMismatched(
  s: SchedulerState,
  c: CalculationRuntime,
  index: number,
  e: ChunkEntry,
  inside: number,
  w: Connection,
  now: number,
  effects: Effect[],
): void {
  const detail = `chunk ${index} of ${c.rec.id}: ${e.workerId} committed inside=${e.inside}, ${w.workerId} computed inside=${inside}`;
  effects.push({ type: 'verification', outcome: 'mismatch', calculationId: c.rec.id, chunkIndex: index, detail });
  effects.push({ type: 'mismatch', calculationId: c.rec.id, chunkIndex: index, committedInside: e.inside, reportedInside: inside });
  if (e.verifiedBy !== null) {
    // Two independent workers already agreed on the committed value.
    quarantine(s, w.workerId, w.instanceId, `${detail}, confirmed by ${e.verifiedBy}`, now, effects);
    return;
  }
  c.wantCheck(index, now);
  e.check = 'disputed';
  e.votes = new Map([
    [e.by, e.inside],
    [w.key, inside],
  ]);
  effects.push({ type: 'commit', commit: commitOf(c, index, e) });
  touch(s, c);
  effects.push({ type: 'calculation', calculation: { ...c.rec } });
}

/** The chunk's first value: committed, and a remote worker's chosen for a check while it is new or by draw. */
function firstCommit(
  s: SchedulerState,
  c: CalculationRuntime,
  index: number,
  inside: number,
  elapsedMs: number,
  w: Connection,
  now: number,
  effects: Effect[],
): void {
  const entry: ChunkEntry = {
    inside,
    by: w.key,
    workerId: w.workerId,
    instanceId: w.instanceId,
    elapsedMs,
    committedAtMs: now,
    verifiedBy: null,
    check: 'none',
  };
  c.commit(index, entry, !s.spanResult);
  w.chunksCompleted += 1;
  reward(s, w);
  // The coordinator's own pool is trusted; a remote worker's result is checked: always while it is new, then a
  // random share of the time.
  if (w.kind === 'remote') {
    const trust = w.trust;
    // No draw at rate 0: none could select the chunk (a draw is ~1-2 µs of crypto per chunk in production).
    if (trust.checked < s.opts.verifyFirst || (s.opts.verifyRate > 0 && s.random() < s.opts.verifyRate)) {
      trust.checked += 1;
      c.wantCheck(index, now);
    }
  }
  effects.push({ type: 'commit', commit: commitOf(c, index, entry), first: true });
  progressed(s, c, now, effects);
}

/** The same identity reported the committed value again: counted as a duplicate result, nothing else changes. */
function duplicate(c: CalculationRuntime, index: number, effects: Effect[]): void {
  c.rec.duplicateResults += 1;
  effects.push({ type: 'duplicate', calculationId: c.rec.id, chunkIndex: index });
  effects.push({ type: 'calculation', calculation: { ...c.rec } });
}

/**
 * One more computation of a disputed chunk. The first value two different workers agree on wins; every worker
 * that reported another value is quarantined (after the chunk is settled, so the winner's value stays).
 */
function vote(
  s: SchedulerState,
  c: CalculationRuntime,
  index: number,
  e: ChunkEntry,
  inside: number,
  w: Connection,
  now: number,
  effects: Effect[],
): void {
  const votes = e.votes!;
  const previous = votes.get(w.key);
  if (previous !== undefined) {
    if (previous !== inside)
      quarantine(
        s,
        w.workerId,
        w.instanceId,
        `chunk ${index} of ${c.rec.id}: reported inside=${inside} after reporting inside=${previous}`,
        now,
        effects,
      );
    return;
  }
  votes.set(w.key, inside);
  const winners = [...votes].filter(([, v]) => v === inside);
  if (winners.length < 2) {
    c.wantCheck(index, now);
    touch(s, c);
    effects.push({ type: 'calculation', calculation: { ...c.rec } });
    return;
  }
  const losers = [...votes].filter(([, v]) => v !== inside).map(([key]) => key);
  if (e.inside !== inside) {
    const [firstKey] = winners[0];
    c.replace(index, inside, { key: firstKey, ...identityOf(s, firstKey, c, index) });
  }
  const verifierKey = winners.map(([key]) => key).find((key) => key !== e.by)!;
  c.confirm(index, identityOf(s, verifierKey, c, index).workerId);
  for (const [key] of winners) s.registry.trustOf(key).verified += 1;
  reward(s, w);
  effects.push({
    type: 'verification',
    outcome: 'match',
    calculationId: c.rec.id,
    chunkIndex: index,
    detail: `dispute decided: ${winners.length} workers agree on inside=${inside}`,
  });
  effects.push({ type: 'commit', commit: commitOf(c, index, e) });
  for (const key of losers) {
    const who = identityOf(s, key, c, index);
    quarantine(
      s,
      who.workerId,
      who.instanceId,
      `chunk ${index} of ${c.rec.id}: reported inside=${votes.get(key)}, ${winners.length} other workers computed inside=${inside}`,
      now,
      effects,
    );
  }
  progressed(s, c, now, effects);
}
