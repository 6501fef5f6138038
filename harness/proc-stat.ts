/**
 * The stat lines of /proc/<pid>/stat and /proc/<pid>/task/<tid>/stat (Linux, proc(5)), read by the tests' CPU waits
 * and by the benchmarks.
 */

/** Clock ticks per second of the stat lines' times (USER_HZ, 100 on Linux). */
export const CLOCK_TICKS_PER_S = 100;

/**
 * The fields after the command name, which is in parentheses and may itself hold spaces and parentheses (hence the
 * last ')'): [0] is field 3 (state), [11] and [12] are utime and stime (fields 14 and 15).
 */
export function statFields(stat: string): string[] {
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** CPU milliseconds (utime + stime) of a stat line. */
export function statCpuMs(stat: string): number {
  const fields = statFields(stat);
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_S;
}
