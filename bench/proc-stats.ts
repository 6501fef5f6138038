/**
 * What the benchmarks read of another process from /proc (Linux): its CPU time and its resident set.
 */
import { readFileSync } from 'node:fs';
import { CLOCK_TICKS_PER_S, statCpuMs, statFields } from '../harness/proc-stat.js';

/** CPU seconds (user + system) the process has used so far. */
export function processCpuS(pid: number): number {
  return statCpuMs(readFileSync(`/proc/${pid}/stat`, 'utf8')) / 1000;
}

/** CPU seconds the process has used so far in user space and in the kernel, apart. */
export function processCpuTimesS(pid: number): { user: number; system: number } {
  const fields = statFields(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  return { user: Number(fields[11]) / CLOCK_TICKS_PER_S, system: Number(fields[12]) / CLOCK_TICKS_PER_S };
}

/** CPU seconds (user + system) of the children a process waited for (cutime + cstime), from its stat line. */
export function waitedChildrenCpuS(stat: string): number {
  const fields = statFields(stat);
  return (Number(fields[13]) + Number(fields[14])) / CLOCK_TICKS_PER_S;
}

/** The process's resident set now (`VmRSS`) or at its peak so far (`VmHWM`), MB. */
export function processRssMb(pid: number, field: 'VmRSS' | 'VmHWM' = 'VmRSS'): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no ${field} for process ${pid}`);
  return Number(m[1]) / 1024;
}
