/**
 * A closed-loop HTTP/1.1 GET load generator: `connections` keep-alive sockets, each sending one request and reading
 * its whole answer before sending the next (no pipelining), for `durationS` seconds; run as its own process
 * (`node dist/bench/http-load.js <url> <connections> <seconds>`, one JSON line on stdout), like autocannon in
 * bench/rest-bench.ts.
 *
 * Why not only autocannon: on the 2-core machine the load generator shares the cores with the gateway it measures, so
 * its own CPU per request caps the rate. autocannon parses every answer with http-parser-js (a JavaScript HTTP
 * parser: a regular expression and a string per header line) and spent 70–150 µs of CPU per request against the
 * gateway's ~1.2 KB answers (17 header lines), as much as the gateway itself (docs/performance.md "Load generator").
 * This one reads what a closed-loop GET needs and nothing more: the status code, Content-Length (the framing of a
 * keep-alive answer; a chunked or unframed answer counts as an error and closes that connection), and the latency of
 * each request from its write to the last byte of its answer.
 */
import { connect, type Socket } from 'node:net';
import { pathToFileURL } from 'node:url';

export interface HttpLoadResult {
  requests: number;
  durationS: number;
  reqPerSecond: number;
  /** Latency from writing a request to the last byte of its answer, ms. */
  p50Ms: number;
  p99Ms: number;
  /** Answers other than 2xx (as autocannon counts them). */
  non2xx: number;
  /** Connections that failed or answers that could not be framed. */
  errors: number;
  /** This process's CPU time (user + system) per request, µs. */
  cpuUsPerRequest: number;
}

const HEADER_END = Buffer.from('\r\n\r\n');
const CONTENT_LENGTH = /\r\ncontent-length:[ \t]*(\d+)/i;
const CHUNKED = /\r\ntransfer-encoding:/i;

export async function runHttpLoad(url: string, connections: number, durationS: number): Promise<HttpLoadResult> {
  const u = new URL(url);
  if (u.protocol !== 'http:') throw new Error(`only http: URLs, not ${u.protocol}`);
  const port = Number(u.port || 80);
  const request = Buffer.from(`GET ${u.pathname}${u.search} HTTP/1.1\r\nHost: ${u.host}\r\n\r\n`, 'latin1');
  let latencies = new Float64Array(1 << 16);
  let requests = 0;
  let non2xx = 0;
  let errors = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const until = t0 + durationS * 1000;

  const record = (ms: number) => {
    if (requests === latencies.length) {
      const bigger = new Float64Array(latencies.length * 2);
      bigger.set(latencies);
      latencies = bigger;
    }
    latencies[requests++] = ms;
  };

  const runConnection = () =>
    new Promise<void>((resolve) => {
      const socket: Socket = connect({ host: u.hostname, port, noDelay: true });
      let pending: Buffer | undefined;
      /** Bytes of the current answer's body still to come, or -1 while its head is being read. */
      let bodyLeft = -1;
      let status = 0;
      let sentAt = 0;
      const send = () => {
        if (performance.now() >= until) {
          socket.end();
          return;
        }
        sentAt = performance.now();
        socket.write(request);
      };
      const fail = () => {
        errors++;
        socket.destroy();
      };
      const answered = () => {
        record(performance.now() - sentAt);
        if (status < 200 || status >= 300) non2xx++;
        bodyLeft = -1;
        send();
      };
      socket.on('connect', send);
      socket.on('data', (chunk: Buffer) => {
        let data = pending ? Buffer.concat([pending, chunk]) : chunk;
        pending = undefined;
        if (bodyLeft < 0) {
          const end = data.indexOf(HEADER_END);
          if (end < 0) {
            pending = data;
            return;
          }
          const head = data.toString('latin1', 0, end);
          status = Number(head.slice(9, 12));
          if (status === 204 || status === 304) bodyLeft = 0;
          else {
            const length = CONTENT_LENGTH.exec(head);
            if (!length || CHUNKED.test(head)) return fail();
            bodyLeft = Number(length[1]);
          }
          data = data.subarray(end + HEADER_END.length);
        }
        bodyLeft -= data.length;
        // One request in flight: more bytes than its answer mean a framing error.
        if (bodyLeft < 0) return fail();
        if (bodyLeft === 0) answered();
      });
      socket.on('error', () => errors++);
      socket.on('close', () => resolve());
    });

  await Promise.all(Array.from({ length: connections }, runConnection));
  const elapsedS = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const sorted = latencies.subarray(0, requests).sort();
  const pct = (p: number) => (requests === 0 ? 0 : sorted[Math.min(requests - 1, Math.floor((p / 100) * requests))]);
  return {
    requests,
    durationS: elapsedS,
    reqPerSecond: requests / elapsedS,
    p50Ms: pct(50),
    p99Ms: pct(99),
    non2xx,
    errors,
    cpuUsPerRequest: (cpu.user + cpu.system) / Math.max(1, requests),
  };
}

// As a process: `node dist/bench/http-load.js <url> <connections> <seconds>` prints the result as one JSON line.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [url, connections, seconds] = process.argv.slice(2);
  if (!url) {
    process.stderr.write('usage: http-load <url> [connections=64] [seconds=5]\n');
    process.exit(2);
  }
  const r = await runHttpLoad(url, Number(connections ?? 64), Number(seconds ?? 5));
  process.stdout.write(`${JSON.stringify(r)}\n`);
}
