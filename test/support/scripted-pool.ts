/**
 * A kernel pool without threads whose chunks start, end and fail when the test says (the ChunkRunner's own logic
 * only; the real pool is in test/integration/chunk-runner.test.ts). Each posted run is recorded chunk by chunk, and
 * settles, as the real pool's do, once every chunk of it has an outcome: computed, failed, withdrawn or stopped.
 */
import type { KernelOutcome, KernelPool, KernelTask, RunOutcome } from '../../kernel/pool/kernel-pool.js';

export type ChunkState = 'queued' | 'started' | 'withdrawn' | 'settled';

export interface ScriptedChunk {
  /** The chunk alone (a task's `count` expanded). */
  readonly task: KernelTask;
  state: ChunkState;
  aborted: boolean;
  /** Ends the chunk as computed in `elapsedMs` of kernel time; its count is {@link countOf} its index. */
  finish(elapsedMs?: number): void;
  fail(code: string): void;
  /** What `withdraw` answers while the chunk is queued (false: a thread claims it at that very moment). */
  loseWithdrawRace: boolean;
}

/** A deterministic stand-in for the kernel's count, different for every chunk index. */
export const countOf = (chunkIndex: number) => 1000 + chunkIndex * 7;

const coded = (message: string, code: string) => Object.assign(new Error(message), { code });

/** A pool of `threads` threads that records each run and lets the test start, end or fail its chunks. */
export function scriptedPool(threads = 1): { pool: KernelPool; runs: ScriptedChunk[][] } {
  const runs: ScriptedChunk[][] = [];
  const pool: KernelPool = {
    threads,
    tasksPerThread: 32,
    chunksPerTask: 64,
    start(tasks) {
      const one: KernelTask[] = tasks.flatMap((t) =>
        Array.from({ length: t.count ?? 1 }, (_, k) => ({ seed: t.seed, chunkIndex: t.chunkIndex + k, points: t.points })),
      );
      const inside = one.map(() => 0);
      const elapsedMs = one.map(() => 0);
      const errors: (Error | undefined)[] = one.map(() => undefined);
      let pending = one.length;
      let resolve!: (o: RunOutcome) => void;
      const outcome = new Promise<RunOutcome>((res) => (resolve = res));
      const end = (i: number, result: KernelOutcome | Error) => {
        if (result instanceof Error) errors[i] = result;
        else {
          inside[i] = result.inside;
          elapsedMs[i] = result.elapsedMs;
        }
        if (--pending === 0) {
          resolve({ kernel: 'scripted', inside, elapsedMs, errors: errors.some((e) => e) ? errors : undefined });
        }
      };
      const chunks = one.map((task, i) => {
        const c: ScriptedChunk = {
          task,
          state: 'queued',
          aborted: false,
          loseWithdrawRace: false,
          finish(ms = 1) {
            if (c.state === 'settled' || c.state === 'withdrawn') return;
            c.state = 'settled';
            end(i, { inside: countOf(task.chunkIndex), elapsedMs: ms, kernel: 'scripted' });
          },
          fail(code) {
            if (c.state === 'settled' || c.state === 'withdrawn') return;
            c.state = 'settled';
            end(i, coded(`chunk ${task.chunkIndex} failed`, code));
          },
        };
        return c;
      });
      const withdraw = (i: number) => {
        const c = chunks[i];
        if (c.state === 'withdrawn') return true;
        if (c.state !== 'queued') return false;
        if (c.loseWithdrawRace) {
          c.state = 'started';
          return false;
        }
        c.state = 'withdrawn';
        end(i, coded('withdrawn', 'KERNEL_ABORTED'));
        return true;
      };
      runs.push(chunks);
      return {
        size: chunks.length,
        outcome,
        started: (i) => chunks[i].state === 'started' || chunks[i].state === 'settled',
        withdraw,
        abort(i) {
          const c = chunks[i];
          c.aborted = true;
          if (!withdraw(i) && c.state === 'started') {
            c.state = 'settled';
            end(i, coded('stopped', 'KERNEL_ABORTED'));
          }
        },
      };
    },
    run: () => Promise.reject(new Error('not used')),
    close: () => Promise.resolve(),
    destroy: () => Promise.resolve(),
  };
  return { pool, runs };
}
