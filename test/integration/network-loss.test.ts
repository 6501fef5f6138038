/**
 * Silent network loss: a worker is reached through a TCP proxy that stops forwarding without closing. Its leases
 * lapse and are leased again; the keepalive then drops the dead stream; the result is still exact.
 */
import { afterAll, expect, it } from 'vitest';
import { startTcpProxy, type TcpProxy } from '../fakes/tcp-proxy.js';
import { startWorker, workerConnected } from '../../harness/cluster.js';
import { auditChunks } from '../../harness/db.js';
import { startProcess, stopAll, tempDbPath } from '../../harness/processes.js';
import { poolView, submit, until, waitDone } from '../../harness/rest.js';

let proxy: TcpProxy | undefined;
afterAll(async () => {
  await proxy?.close();
  await stopAll();
});

it('re-leases the chunks of a silently cut worker and detects it dead within seconds', async () => {
  const POINTS = 12_000_000_000;
  const CHUNK = 200_000_000;
  const [cut, healthy] = await Promise.all([startWorker('worker-cut', 1), startWorker('worker-ok', 1)]);
  proxy = await startTcpProxy(cut.ready.grpc);
  const dbPath = tempDbPath();
  const coordinator = await startProcess('coordinator', 'coordinator', {
    PIGRID_GRPC_PORT: '0',
    PIGRID_DB_PATH: dbPath,
    PIGRID_WORKERS: `${proxy.address},${healthy.ready.grpc}`,
    PIGRID_LEASE_TTL_MS: '2000',
    PIGRID_THREADS: '2',
  });
  // Both in the pool before the calculations: the cut worker must hold leases when the link freezes.
  await Promise.all(['worker-cut', 'worker-ok'].map((id) => coordinator.waitFor(workerConnected(id))));
  const gateway = await startProcess('gateway', 'gateway', { PIGRID_HTTP_PORT: '0', PIGRID_COORDINATOR: coordinator.ready.grpc });
  const url = gateway.ready.url;
  const single = await waitDone(url, (await submit(url, { points: POINTS, mode: 'single', seed: 77, chunk_size: CHUNK })).id);

  const dist = await submit(url, { points: POINTS, mode: 'distributed', seed: 77, chunk_size: CHUNK });
  await until('the cut worker to hold a lease', async () =>
    (await poolView(url)).workers.find((w) => w.id === 'worker-cut' && w.in_flight > 0),
  );
  proxy.freeze();
  const frozenAt = Date.now();

  const result = await waitDone(url, dist.id, 60_000);
  expect(result.status).toBe('completed');
  expect(result.inside).toBe(single.inside);
  expect(result.chunks_released).toBeGreaterThan(0);
  expect(auditChunks(dbPath, dist.id)).toMatchObject({ rows: 60, distinct: 60, inside: single.inside });
  await coordinator.waitFor(/chunk released .*reason=expired/);

  await until('the dead stream to be dropped', async () => !(await poolView(url)).workers.some((w) => w.id === 'worker-cut'), 30_000, 200);
  const detectMs = Date.now() - frozenAt;
  expect(detectMs).toBeLessThan(20_000);
  console.log(
    `network loss: ${result.chunks_released} chunks re-leased after lease expiry (TTL 2 s); dead stream dropped ${detectMs} ms after the cut`,
  );
});
