/**
 * HTTP load from wrk (https://github.com/wg/wrk, Debian package `wrk`): a closed loop of `connections` keep-alive
 * connections on one thread, one request per round trip (no pipelining), for `durationS` seconds.
 *
 * Why wrk when it is installed: on the 2-core machine the load generator shares the cores with the gateway it
 * measures, so its own CPU per request caps the rate. autocannon parses every answer with a JavaScript HTTP parser and
 * spent about as much CPU per request as the gateway itself (docs/performance.md "Load generator"); wrk is C with
 * a C parser. The bench falls back to autocannon when wrk is not on PATH and says so.
 *
 * wrk prints its own text report; a Lua `done` hook (written to a temporary file) prints the figures the bench needs
 * as one JSON line instead. wrk's CPU time is read from the wrapping shell's /proc stat (cutime + cstime: the CPU of
 * the children it waited for).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitedChildrenCpuS } from './proc-stats.js';

export interface LoadResult {
  requests: number;
  durationS: number;
  reqPerSecond: number;
  /** Latency from writing a request to the end of its answer, ms. */
  p50Ms: number;
  p99Ms: number;
  /** Answers other than 2xx or 3xx. */
  non2xx: number;
  /** Connect, read, write and timeout errors. */
  errors: number;
  /** The generator's own CPU time (user + system) per request, µs. */
  cpuUsPerRequest: number;
}

/** wrk's path, or undefined when it is not installed. */
export function findWrk(): string | undefined {
  const r = spawnSync('sh', ['-c', 'command -v wrk'], { encoding: 'utf8' });
  const path = r.stdout.trim();
  return r.status === 0 && path !== '' ? path : undefined;
}

const DONE_HOOK = `
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('\\n{"requests":%d,"durationUs":%d,"p50Us":%d,"p99Us":%d,"non2xx":%d,"errors":%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), e.status,
    e.connect + e.read + e.write + e.timeout))
end
`;

/** One wrk run against `url`: a GET, or a POST of `post.body` as `post.contentType`. */
export async function runWrk(
  wrk: string,
  url: string,
  connections: number,
  durationS: number,
  post?: { readonly body: string; readonly contentType: string },
): Promise<LoadResult> {
  const dir = mkdtempSync(join(tmpdir(), 'pigrid-wrk-'));
  try {
    const script = join(dir, 'report.lua');
    const request = post
      ? `wrk.method = "POST"\nwrk.body = ${JSON.stringify(post.body)}\nwrk.headers["Content-Type"] = ${JSON.stringify(post.contentType)}\n`
      : '';
    writeFileSync(script, request + DONE_HOOK);
    const args = ['-t1', `-c${connections}`, `-d${durationS}s`, '--timeout', '10s', '-s', script, url];
    // The shell waits for wrk, then prints its own stat line, whose cutime and cstime are wrk's CPU.
    const shell = '"$@"; code=$?; read -r stat < /proc/$$/stat; echo "STAT $stat"; exit $code';
    const { code, out, err } = await new Promise<{ code: number | null; out: string; err: string }>((resolve, reject) => {
      const child = spawn('bash', ['-c', shell, 'wrk', wrk, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
      child.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, out, err }));
    });
    if (code !== 0) throw new Error(`wrk exited ${code}: ${err}${out}`);
    const json = out.split('\n').find((line) => line.startsWith('{"requests"'));
    const stat = out.split('\n').find((line) => line.startsWith('STAT '));
    if (!json || !stat) throw new Error(`wrk printed no report:\n${out}\n${err}`);
    const r = JSON.parse(json) as { requests: number; durationUs: number; p50Us: number; p99Us: number; non2xx: number; errors: number };
    const cpuS = waitedChildrenCpuS(stat.slice('STAT '.length));
    const elapsedS = r.durationUs / 1e6;
    return {
      requests: r.requests,
      durationS: elapsedS,
      reqPerSecond: r.requests / elapsedS,
      p50Ms: r.p50Us / 1000,
      p99Ms: r.p99Us / 1000,
      non2xx: r.non2xx,
      errors: r.errors,
      cpuUsPerRequest: (cpuS * 1e6) / Math.max(1, r.requests),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
