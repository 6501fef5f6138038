/**
 * Chaos: during a long distributed calculation, a random worker is SIGKILLed again and again and a replacement
 * started on its address (a pod restarted). The result equals the single-mode value for the same seed, and every
 * chunk is committed exactly once. Kills happen at progress milestones, not on a clock, so a fast machine gets as
 * many as a slow one.
 */
import { afterAll, expect, it } from 'vitest';
import { startCluster, startWorker } from '../../harness/cluster.js';
import { auditChunks } from '../../harness/db.js';
import { portOf, stopAll } from '../../harness/processes.js';
import { http, submit, until, waitDone } from '../../harness/rest.js';

afterAll(stopAll);

it('keeps the exact result while workers are killed and replaced', async () => {
  const POINTS = 30_000_000_000;
  const CHUNK = 150_000_000; // 200 chunks
  const c = await startCluster({ workers: 3, workerThreads: 1, coordinatorThreads: 2, coordinatorEnv: { PIGRID_LEASE_TTL_MS: '3000' } });
  const single = await waitDone(c.url, (await submit(c.url, { points: POINTS, mode: 'single', seed: 99, chunk_size: CHUNK })).id);

  const dist = await submit(c.url, { points: POINTS, mode: 'distributed', seed: 99, chunk_size: CHUNK });
  let rng = 12345;
  const random = () => (rng = (rng * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  // Early milestones (of 200 chunks), so even a fast machine is still running when the last one is reached.
  const MILESTONES = [10, 30, 50, 70];
  const killedAt: number[] = [];
  // A replacement starts while the calculation goes on (a process start and a TLS handshake take about as long on a
  // machine with a faster kernel, or longer on a loaded one: awaited one by one, four of them could outlast the
  // calculation). Victims are workers that are up, and at least one other stays up.
  const starting = new Map<number, Promise<void>>();
  for (const milestone of MILESTONES) {
    while (c.workers.length - starting.size < 2) await Promise.race(starting.values());
    const now = await until(
      `${milestone} chunks done`,
      async () => {
        const calc = (await http(`${c.url}/api/calculate/${dist.id}`)).json;
        return calc.chunks_done >= milestone || calc.status !== 'running' ? calc : undefined;
      },
      120_000,
      50,
    );
    if (now.status !== 'running') break;
    const up = c.workers.map((_, i) => i).filter((i) => !starting.has(i));
    const i = up[Math.floor(random() * up.length)];
    const victim = c.workers[i];
    victim.kill('SIGKILL');
    await victim.exited;
    killedAt.push(now.chunks_done);
    const name = `${victim.name.replace(/-r\d+$/, '')}-r${killedAt.length}`;
    starting.set(
      i,
      startWorker(name, 1, { PIGRID_GRPC_PORT: String(portOf(victim.ready.grpc)) }).then((w) => {
        c.workers[i] = w;
        starting.delete(i);
      }),
    );
  }
  await Promise.all(starting.values());
  const result = await waitDone(c.url, dist.id, 120_000);
  const kills = killedAt.length;

  // Every kill hit the running calculation.
  expect(killedAt).toHaveLength(MILESTONES.length);
  expect(killedAt.every((done) => done < 200)).toBe(true);
  expect(result.status).toBe('completed');
  expect(result.inside).toBe(single.inside);
  expect(result.result_pi).toBe(single.result_pi);
  expect(result.chunks_released).toBeGreaterThan(0);
  const audit = auditChunks(c.dbPath, dist.id);
  expect(audit).toMatchObject({ rows: 200, distinct: 200, inside: single.inside, points: POINTS });
  console.log(
    `chaos: ${kills} workers killed (at ${killedAt.join(', ')} of 200 chunks done), ${result.chunks_released} chunks re-leased, ${result.duplicate_results} duplicate results matched, chunks by worker ${JSON.stringify(audit.byWorker)}`,
  );
}, 120_000); // each replacement worker also gets a certificate and a TLS handshake
