/**
 * CPU time of a process's threads, from /proc (Linux): what a test waits for when it must act while a chunk is
 * really being computed (a log line says a lease was accepted, not that a pool thread has started on it).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { statCpuMs } from './proc-stat.js';
import { until } from './rest.js';

/** CPU milliseconds (user + system) of each thread of a process, by thread id (10 ms ticks). */
export function threadCpuMs(pid: number): Map<string, number> {
  const byThread = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      byThread.set(tid, statCpuMs(readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8')));
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return byThread;
}

/**
 * Resolves once one thread of the process has used `cpuMs` of CPU since the call: a pool thread computing a chunk
 * (nothing else in an idle worker spends that much on one thread). CPU, not wall time, so a loaded machine only
 * makes the wait longer.
 */
export async function untilComputing(pid: number, cpuMs: number, what: string, timeoutMs = 30_000): Promise<void> {
  const before = threadCpuMs(pid);
  await until(what, () => [...threadCpuMs(pid)].some(([tid, ms]) => ms - (before.get(tid) ?? 0) >= cpuMs), timeoutMs, 20);
}
