/**
 * Native and WebAssembly kernels compute the identical stream: one distributed calculation shared by a worker that
 * runs the native kernel (when this machine has one) and a worker forced onto WebAssembly gives exactly the
 * single-mode count; and PIGRID_KERNEL asking for a kernel this CPU lacks stops the process with one clear error.
 */
import { afterAll, expect, it } from 'vitest';
import { KERNEL_CHOICE } from '../../kernel/index.js';
import { startWorker, workerConnected } from '../../harness/cluster.js';
import { auditChunks } from '../../harness/db.js';
import { startProcess, stopAll, tempDbPath } from '../../harness/processes.js';
import { submit, waitDone } from '../../harness/rest.js';
import { nativeAvailability } from '../../native/native-kernel.js';

afterAll(stopAll);

it('a native worker and a WebAssembly worker together give the single-mode count', async () => {
  const [native, wasm] = await Promise.all([startWorker('worker-native', 1), startWorker('worker-wasm', 1, { PIGRID_KERNEL: 'wasm' })]);
  expect(wasm.ready.kernel).toMatch(/^wasm-/);
  if (KERNEL_CHOICE.name.startsWith('native-')) expect(native.ready.kernel).toMatch(/^native-/);
  else console.log(`SKIPPED part: no native kernel on this machine (${KERNEL_CHOICE.reason}); both workers run ${native.ready.kernel}`);
  const dbPath = tempDbPath();
  const coordinator = await startProcess('coordinator', 'coordinator', {
    PIGRID_GRPC_PORT: '0',
    PIGRID_DB_PATH: dbPath,
    PIGRID_WORKERS: `${native.ready.grpc},${wasm.ready.grpc}`,
    PIGRID_THREADS: '2',
  });
  // Both in the pool before the calculations: the test needs each to take part.
  await Promise.all(['worker-native', 'worker-wasm'].map((id) => coordinator.waitFor(workerConnected(id))));
  const gateway = await startProcess('gateway', 'gateway', { PIGRID_HTTP_PORT: '0', PIGRID_COORDINATOR: coordinator.ready.grpc });
  const url = gateway.ready.url;
  const body = { points: 24 * 100_000_000 + 12_345, seed: 2 ** 52 + 7, chunk_size: 100_000_000 };
  const single = await waitDone(url, (await submit(url, { ...body, mode: 'single' })).id);
  const dist = await waitDone(url, (await submit(url, { ...body, mode: 'distributed' })).id);
  expect(dist.status).toBe('completed');
  expect(dist.inside).toBe(single.inside);
  // Both kernels took part.
  const byWorker = auditChunks(dbPath, dist.id).byWorker;
  expect(Object.keys(byWorker).sort()).toEqual(['worker-native', 'worker-wasm']);
});

it('refuses to start a worker whose PIGRID_KERNEL names a kernel this machine cannot run', async () => {
  const avail = nativeAvailability();
  const unavailable = !avail.available ? 'avx2' : !avail.features.avx512f || !avail.features.avx512bw ? 'avx512' : undefined;
  if (!unavailable) {
    console.log('SKIPPED: this machine runs every native kernel, so none can be refused');
    return;
  }
  await expect(startWorker('worker-refused', 1, { PIGRID_KERNEL: unavailable })).rejects.toThrow(
    /exited \(1\).*PIGRID_KERNEL|invalid kernel choice/s,
  );
});
