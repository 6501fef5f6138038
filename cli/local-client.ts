/**
 * `pigrid local …`: talks to a running `npm start` (scripts/local-run.ts) over its control socket.
 */
import { request } from 'node:http';
import type { RunnerStatus } from '../scripts/local/control.js';
import { CliError, ExitCode } from './exit-codes.js';
import { table } from './format.js';

export type { RunnerStatus };

export const DEFAULT_CONTROL = './data/local-run.sock';

export function controlRequest<T>(socketPath: string, method: 'GET' | 'POST', path: string, body?: unknown, timeoutMs = 5_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      {
        socketPath,
        path,
        method,
        timeout: timeoutMs,
        headers: payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {},
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: { error?: { message?: string; code?: string } } | null;
          try {
            json = JSON.parse(text) as typeof json;
          } catch {
            return reject(
              new CliError(`the local run's control socket ${socketPath} answered something that is not JSON`, ExitCode.SERVER_ERROR),
            );
          }
          if ((res.statusCode ?? 500) >= 400) {
            const status = res.statusCode ?? 500;
            return reject(
              new CliError(
                `the local run refused: ${json?.error?.message ?? text}`,
                status >= 500 ? ExitCode.SERVER_ERROR : ExitCode.REFUSED,
                json?.error?.code,
              ),
            );
          }
          resolve(json as T);
        });
      },
    );
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
    req.on('error', (err: NodeJS.ErrnoException) => {
      const why = err.code === 'ENOENT' || err.code === 'ECONNREFUSED' ? 'no local run is listening there' : err.message;
      reject(
        new CliError(
          `cannot reach the local run's control socket ${socketPath}: ${why}. Start one with npm start (in the clone), or pass --control / PIGRID_LOCAL_CONTROL.`,
          ExitCode.UNREACHABLE,
        ),
      );
    });
    req.end(payload);
  });
}

export function runnerStatusText(s: RunnerStatus): string {
  const row = (p: RunnerStatus['coordinator'], extra = '') => [
    p.name,
    p.state + extra,
    p.pid === null ? '-' : String(p.pid),
    p.restarts,
    p.ready.grpc ?? p.ready.url ?? '',
    p.state === 'backoff' ? `restart at ${p.restart_at}` : p.last_exit ? `last exit ${p.last_exit}` : '',
  ];
  const ready = s.workers.filter((w) => w.state === 'ready' && !w.removing).length;
  return [
    table(
      ['process', 'state', 'pid', 'restarts', 'address', ''],
      [row(s.coordinator), row(s.gateway), ...s.workers.map((w) => row(w, w.removing ? ' (removing)' : ''))],
    ),
    '',
    `workers: ${ready} ready of ${s.desired_workers} wanted (max ${s.max_workers}); gateway ${s.gateway_url ?? 'not ready'}; DNS ${s.dns.service} @ ${s.dns.server}`,
  ].join('\n');
}

/** Waits until exactly `n` workers are ready and none is still draining. */
export async function waitForScale(socketPath: string, n: number, timeoutMs: number): Promise<RunnerStatus> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await controlRequest<RunnerStatus>(socketPath, 'GET', '/v1/status');
    const ready = s.workers.filter((w) => w.state === 'ready' && !w.removing).length;
    if (ready === n && s.workers.length === n) return s;
    if (Date.now() > deadline)
      throw new CliError(
        `the local run did not reach ${n} ready workers within ${timeoutMs} ms:\n${runnerStatusText(s)}`,
        ExitCode.SERVER_ERROR,
      );
    await new Promise((r) => setTimeout(r, 200));
  }
}
