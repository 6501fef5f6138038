/**
 * A stall sampler to preload into a pigrid process (`node --import=<dist>/bench/stall-sampler.js`; the dispatch bench
 * passes it with PIGRID_BENCH_COORDINATOR_NODE_ARGS / PIGRID_BENCH_GATEWAY_NODE_ARGS). It appends JSON lines with
 * wall-clock times (ms since the epoch, to line up with the bench's PIGRID_BENCH_GET_LOG) to
 * `<tmpdir>/pigrid-stalls/<component>-<pid>.jsonl`:
 *
 * - `block`: a 20 ms timer that fired at least 30 ms late, with the main thread's CPU time over that interval (from
 *   /proc/self/task/<pid>/stat, 10 ms ticks) and the process's: a block whose main-thread CPU is near its wall time
 *   was work on the event loop; one with little CPU was the thread waiting for a core (another process had it).
 * - `gc`: every full collection and every pause of 5 ms or more (PerformanceObserver `gc` entries, wall time).
 * - `turn` (only with PIGRID_STALL_TURNS=1 in the process's environment): a turn of the event loop of 40 ms or more,
 *   timed by a setImmediate that re-arms itself. It keeps the loop from ever sleeping in poll, so it costs an idle
 *   process a core: for diagnosis only.
 *
 * Nothing here changes what the process does; the sampler's own cost is a 20 ms interval and a small file read.
 */
import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { constants, PerformanceObserver, performance } from 'node:perf_hooks';
import { statCpuMs } from '../harness/proc-stat.js';

const TIMER_MS = 20;
const LATE_MS = 30;
const TURN_MS = 40;

const dir = join(tmpdir(), 'pigrid-stalls');
mkdirSync(dir, { recursive: true });
const component = process.argv[2] ?? 'node';
const file = join(dir, `${component}-${process.pid}.jsonl`);
const lines: string[] = [];
const flush = (): void => {
  if (lines.length === 0) return;
  appendFileSync(file, `${lines.join('\n')}\n`);
  lines.length = 0;
};
const wall = (t: number): number => Math.round(performance.timeOrigin + t);

const statPath = `/proc/self/task/${process.pid}/stat`;
/** The main thread's user + system CPU time, ms (utime and stime are fields 14 and 15, in 10 ms ticks). */
function mainThreadCpuMs(): number {
  return statCpuMs(readFileSync(statPath, 'latin1'));
}

const gcKinds: Record<number, string> = {
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weak-callbacks',
};
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    const kind = gcKinds[((e as { detail?: unknown }).detail as { kind?: number } | undefined)?.kind ?? -1] ?? 'other';
    if (e.duration < 5 && kind !== 'major') continue;
    const heapMb = Math.round(process.memoryUsage().heapUsed / 1e6);
    lines.push(JSON.stringify({ ev: 'gc', t: wall(e.startTime), ms: Math.round(e.duration * 10) / 10, kind, heapMb }));
  }
}).observe({ entryTypes: ['gc'] });

let last = performance.now();
let lastMainCpu = mainThreadCpuMs();
let lastCpu = process.cpuUsage();
setInterval(() => {
  const now = performance.now();
  const mainCpu = mainThreadCpuMs();
  const cpu = process.cpuUsage();
  const late = now - last - TIMER_MS;
  if (late >= LATE_MS) {
    const processCpuMs = Math.round((cpu.user + cpu.system - lastCpu.user - lastCpu.system) / 1000);
    lines.push(JSON.stringify({ ev: 'block', t: wall(last), ms: Math.round(now - last), mainCpuMs: mainCpu - lastMainCpu, processCpuMs }));
  }
  last = now;
  lastMainCpu = mainCpu;
  lastCpu = cpu;
}, TIMER_MS).unref();

if (process.env.PIGRID_STALL_TURNS === '1') {
  let turnStart = performance.now();
  const turn = (): void => {
    const now = performance.now();
    if (now - turnStart >= TURN_MS) lines.push(JSON.stringify({ ev: 'turn', t: wall(turnStart), ms: Math.round(now - turnStart) }));
    turnStart = now;
    setImmediate(turn).unref();
  };
  setImmediate(turn).unref();
}

setInterval(flush, 1000).unref();
process.on('exit', flush);
lines.push(JSON.stringify({ ev: 'start', t: Date.now(), argv: process.argv.slice(1) }));
