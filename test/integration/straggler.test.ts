/**
 * Straggler backup: when nothing is left to lease but a chunk has been out far longer than the typical chunk time,
 * an idle worker gets a backup copy. The first result wins; the straggler's copy, arriving later, must match it.
 * The straggler is a worker behind a TCP proxy that delays everything it sends by 4 s (a slow link).
 */
import { afterAll, expect, it } from 'vitest';
import { startTcpProxy, type TcpProxy } from '../fakes/tcp-proxy.js';
import { startWorker } from '../../harness/cluster.js';
import { auditChunks } from '../../harness/db.js';
import { startProcess, stopAll, tempDbPath } from '../../harness/processes.js';
import { http, poolView, submit, until, waitDone } from '../../harness/rest.js';

let proxy: TcpProxy | undefined;
afterAll(async () => {
  await proxy?.close();
  await stopAll();
});

const metric = async (base: string, name: string) => {
  const line = (await http(`${base}/metrics`)).text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
};

it('backs up a straggling chunk on an idle worker; the late original matches', async () => {
  const CHUNK = 250_000_000;
  const [slow, fast] = await Promise.all([startWorker('worker-slow', 1), startWorker('worker-fast', 1)]);
  proxy = await startTcpProxy(slow.ready.grpc);
  const dbPath = tempDbPath();
  const coordinator = await startProcess('coordinator', 'coordinator', {
    PIGRID_GRPC_PORT: '0',
    PIGRID_METRICS_PORT: '0',
    PIGRID_DB_PATH: dbPath,
    PIGRID_WORKERS: `${proxy.address},${fast.ready.grpc}`,
    PIGRID_PREFETCH: '0',
    PIGRID_LEASE_TTL_MS: '60000',
    PIGRID_STRAGGLER_FACTOR: '3',
    PIGRID_STRAGGLER_MIN_MS: '500',
    PIGRID_THREADS: '2',
  });
  const gateway = await startProcess('gateway', 'gateway', { PIGRID_HTTP_PORT: '0', PIGRID_COORDINATOR: coordinator.ready.grpc });
  const url = gateway.ready.url;
  const metrics = `http://${coordinator.ready.metrics}`;
  await until('both workers', async () => (await poolView(url)).workers.length === 2, 15_000);
  // The link turns slow once the slow worker is in the pool, before any calculation: the TLS handshake and the hello
  // exchange over it would each have waited for the delayed replies (seconds of the test spent before it begins).
  proxy.delayReplies(4_000);
  const single = await waitDone(url, (await submit(url, { points: 8 * CHUNK, mode: 'single', seed: 21, chunk_size: CHUNK })).id);

  const dist = await waitDone(url, (await submit(url, { points: 8 * CHUNK, mode: 'distributed', seed: 21, chunk_size: CHUNK })).id, 30_000);
  expect(dist.status).toBe('completed');
  expect(dist.inside).toBe(single.inside);
  expect(dist.chunks_released).toBe(0);
  expect(await metric(metrics, 'pigrid_leases_granted_total{kind="backup"}')).toBeGreaterThanOrEqual(1);
  const audit = auditChunks(dbPath, dist.id);
  expect(audit).toMatchObject({ rows: 8, distinct: 8, inside: single.inside });
  // The fast worker computed every other chunk; the straggling one was committed by whichever copy came first
  // (normally the backup; on a loaded machine the fast worker can take longer than the slow link's 4 s).
  expect(audit.byWorker['worker-fast']).toBeGreaterThanOrEqual(7);

  // The straggler's own copy arrives ~4 s after it computed it, and is compared with the committed one.
  await coordinator.waitFor(/late result matches the committed chunk/, 10_000);
  expect(await metric(metrics, 'pigrid_duplicate_results_total')).toBeGreaterThanOrEqual(1);
  expect(await metric(metrics, 'pigrid_result_mismatches_total')).toBe(0);
});
