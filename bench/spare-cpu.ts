/**
 * A benchmark's background process (the REST bench's worker, which keeps a calculation running) on spare CPU only,
 * so it does not take the cores from the processes measured.
 *
 * `os.setPriority(pid, 19)` is not enough on Linux: it renices one thread (the one whose id is `pid`, the main
 * thread), and a Node process's other threads, a worker's kernel threads among them, keep nice 0. And with the
 * scheduler's autogroups (`kernel.sched_autogroup_enabled`), every session shares the CPU as one group: a niced
 * process in the benchmark's own session still spends the benchmark's share. So the process gets its own session
 * (harness `ownSession`), its autogroup nice 19, and every thread the SCHED_IDLE policy (threads made later inherit
 * it), which any normal thread preempts when it wakes. docs/performance.md "REST GET: the bench's own artefacts".
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { setPriority } from 'node:os';

const threadsOf = (pid: number) => readdirSync(`/proc/${pid}/task`).map(Number);

/** Sets what it can and says what it set (for the bench's report). */
function apply(pid: number, background: boolean): string[] {
  const done: string[] = [];
  try {
    // The autogroup is the session's: only a process started in its own session should be given this.
    writeFileSync(`/proc/${pid}/autogroup`, background ? '19' : '0');
    done.push(`autogroup nice ${background ? 19 : 0}`);
  } catch {
    // No autogroups (kernel option or /proc not writable): the thread policy below still applies.
  }
  const chrt = spawnSync('chrt', ['--all-tasks', background ? '--idle' : '--other', '--pid', '0', String(pid)], { stdio: 'ignore' });
  if (chrt.status === 0) done.push(background ? 'SCHED_IDLE' : 'SCHED_OTHER');
  for (const tid of threadsOf(pid)) {
    try {
      setPriority(tid, background ? 19 : 0);
    } catch {
      // The thread ended since the listing.
    }
  }
  done.push(`nice ${background ? 19 : 0} on every thread`);
  return done;
}

/** Moves `pid` (started in its own session) to spare CPU only; returns what was set, e.g. "autogroup nice 19, SCHED_IDLE, …". */
export function toSpareCpu(pid: number): string {
  return apply(pid, true).join(', ');
}

/** Gives `pid` its normal share back (autogroup nice 0, SCHED_OTHER, nice 0): needs the privilege to raise a priority. */
export function toNormalCpu(pid: number): void {
  apply(pid, false);
}
