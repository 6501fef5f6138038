/**
 * The coordinator is SIGKILLed mid-calculation and restarted on the same SQLite file: it resumes, reconnects to
 * the workers, and finishes with the exact result; no chunk is lost or counted twice.
 */
import { afterAll, expect, it } from 'vitest';
import { startCluster } from '../../harness/cluster.js';
import { auditChunks } from '../../harness/db.js';
import { stopAll } from '../../harness/processes.js';
import { http, submit, until, waitDone } from '../../harness/rest.js';

afterAll(stopAll);

it('resumes an unfinished calculation after SIGKILL and finishes it exactly', async () => {
  const POINTS = 16_000_000_000;
  const CHUNK = 200_000_000; // 80 chunks
  const c = await startCluster({ workers: 2, workerThreads: 1, coordinatorThreads: 2 });
  const single = await waitDone(c.url, (await submit(c.url, { points: POINTS, mode: 'single', seed: 4242, chunk_size: CHUNK })).id);
  const dist = await submit(c.url, { points: POINTS, mode: 'distributed', seed: 4242, chunk_size: CHUNK });
  const queued = await submit(c.url, { points: 2 * CHUNK, mode: 'single', seed: 1, chunk_size: CHUNK });
  await until('a quarter of the chunks', async () =>
    (await http(`${c.url}/api/calculate/${dist.id}`)).json.chunks_done >= 20 ? true : undefined,
  );

  c.coordinator.kill('SIGKILL');
  await c.coordinator.exited;
  const before = auditChunks(c.dbPath, dist.id).rows;
  expect(before).toBeGreaterThanOrEqual(20);
  expect(before).toBeLessThan(80);

  const restarted = await c.restartCoordinator();
  await restarted.waitFor(/resumed unfinished calculations count=/);
  const result = await waitDone(c.url, dist.id, 60_000);
  expect(result.status).toBe('completed');
  expect(result.inside).toBe(single.inside);
  expect(result.result_pi).toBe(single.result_pi);
  expect(auditChunks(c.dbPath, dist.id)).toMatchObject({ rows: 80, distinct: 80, inside: single.inside, points: POINTS });
  // Nothing stays running forever: the other calculation that was in flight ended too.
  expect((await waitDone(c.url, queued.id)).status).toBe('completed');
}, 120_000); // restarts over mutual TLS: new handshakes for every worker and the gateway

it('drains on SIGTERM: leases nothing more, commits the results in flight, exits 0, resumes after restart', async () => {
  const CHUNK = 1_000_000_000;
  // 24 chunks of ~0.27 s of one AVX2 core, ~3.2 s on the two workers: the SIGTERM below lands with most of them
  // neither done nor leased, also on a machine twice as fast or when the poll that sees the first commits is late
  // (12 chunks left ~1.3 s here, and a worker holds a running and a waiting lease).
  const CHUNKS = 24;
  const c = await startCluster({ workers: 2, workerThreads: 1, coordinatorThreads: 2, coordinatorEnv: { PIGRID_DRAIN_GRACE_MS: '15000' } });
  const single = await waitDone(c.url, (await submit(c.url, { points: CHUNKS * CHUNK, mode: 'single', seed: 9, chunk_size: CHUNK })).id);
  const dist = await submit(c.url, { points: CHUNKS * CHUNK, mode: 'distributed', seed: 9, chunk_size: CHUNK });
  await until(
    'chunks in flight',
    async () => ((await http(`${c.url}/api/calculate/${dist.id}`)).json.chunks_done >= 2 ? true : undefined),
    20_000,
    20,
  );

  const t0 = Date.now();
  c.coordinator.kill('SIGTERM');
  expect(await c.coordinator.exited).toBe(0);
  expect(c.coordinator.lines.some((l) => /drain grace elapsed/.test(l))).toBe(false);
  const audit = auditChunks(c.dbPath, dist.id);
  // Leases that were out when the signal came were waited for and committed.
  expect(audit.chunks.some((ch) => ch.committed_at_ms >= t0)).toBe(true);
  expect(audit.rows).toBeLessThan(CHUNKS);

  await c.restartCoordinator();
  const result = await waitDone(c.url, dist.id, 60_000);
  expect(result.inside).toBe(single.inside);
  expect(auditChunks(c.dbPath, dist.id)).toMatchObject({ rows: CHUNKS, distinct: CHUNKS });
}, 120_000); // as above: restarts over mutual TLS (this test took 50 s of the default 60 at load average 11)
