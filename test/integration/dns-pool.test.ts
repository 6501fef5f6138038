/**
 * Headless-Service discovery end to end: the coordinator resolves SRV records from a real DNS server on loopback
 * whose records change while a calculation runs. A worker added to DNS gets leases within a refresh interval; a
 * removed one stops getting them and its stream is closed.
 */
import { afterAll, expect, it } from 'vitest';
import { startFakeDnsServer, type FakeDnsServer } from '../fakes/fake-dns-server.js';
import { startWorker } from '../../harness/cluster.js';
import { portOf, startProcess, stopAll, tempDbPath } from '../../harness/processes.js';
import { poolView, submit, until, waitDone } from '../../harness/rest.js';

const SERVICE = 'pigrid-worker.pigrid.svc.cluster.local';
let dns: FakeDnsServer | undefined;
afterAll(async () => {
  await stopAll();
  await dns?.close();
});

it('follows workers added to and removed from the headless Service mid-run', async () => {
  dns = await startFakeDnsServer();
  const [w1, w2] = await Promise.all([startWorker('worker-a', 1), startWorker('worker-b', 1)]);
  const endpoint = (w: typeof w1, hostname: string) => ({ ip: '127.0.0.1', port: portOf(w.ready.grpc), hostname });
  dns.setHeadlessService(SERVICE, [endpoint(w1, 'worker-a')]);

  const coordinator = await startProcess('coordinator', 'coordinator', {
    PIGRID_GRPC_PORT: '0',
    PIGRID_DB_PATH: tempDbPath(),
    PIGRID_WORKER_SERVICE: SERVICE,
    PIGRID_DNS_SERVER: dns.address,
    PIGRID_DISCOVERY_INTERVAL_MS: '200',
  });
  const gateway = await startProcess('gateway', 'gateway', { PIGRID_HTTP_PORT: '0', PIGRID_COORDINATOR: coordinator.ready.grpc });
  const url = gateway.ready.url;
  await until('worker-a to connect', async () => (await poolView(url)).workers.some((w) => w.id === 'worker-a'));

  const calc = await submit(url, { points: 24_000_000_000, mode: 'distributed', seed: 8, chunk_size: 200_000_000 });
  await until('worker-a to compute', async () => (await poolView(url)).workers.find((w) => w.id === 'worker-a' && w.chunks_completed > 0));
  expect((await poolView(url)).workers.map((w) => w.id)).toEqual(['worker-a']);

  // Scale up: worker-b appears in DNS.
  dns.setHeadlessService(SERVICE, [endpoint(w1, 'worker-a'), endpoint(w2, 'worker-b')]);
  const addedAt = Date.now();
  await until(
    'worker-b to receive leases',
    async () => (await poolView(url)).workers.find((w) => w.id === 'worker-b' && w.in_flight + w.chunks_completed > 0),
    20_000,
    50,
  );
  const joinMs = Date.now() - addedAt;

  // Scale down: worker-a leaves DNS (its pod is no longer ready). It finishes what it holds, gets nothing new.
  dns.setHeadlessService(SERVICE, [endpoint(w2, 'worker-b')]);
  await until('worker-a to be retired', async () => !(await poolView(url)).workers.some((w) => w.id === 'worker-a'), 10_000, 50);
  await coordinator.waitFor(/worker address gone: retiring/);
  // The coordinator's log names each change of the Service's worker set.
  const changes = coordinator.records.filter((r) => r.msg === 'dns discovery: worker set changed');
  expect(changes.map((r) => ({ added: r.added, removed: r.removed }))).toEqual([
    { added: [w1.ready.grpc], removed: [] },
    { added: [w2.ready.grpc], removed: [] },
    { added: [], removed: [w1.ready.grpc] },
  ]);

  const result = await waitDone(url, calc.id, 60_000);
  expect(result.status).toBe('completed');
  expect(result.chunks_released).toBe(0);
  const view = await poolView(url);
  expect(view.workers.map((w) => w.id)).toEqual(['worker-b']);
  // Found by a lookup every 200 ms, then dialled: seconds at most even on a loaded machine, not a minute.
  expect(joinMs).toBeLessThan(10_000);
  console.log(`dns discovery: a worker added to DNS received its first lease ${joinMs} ms later (refresh 200 ms)`);
});
