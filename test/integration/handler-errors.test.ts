/**
 * Errors are never silent: an unexpected error in a gRPC handler, a REST route or the worker's Work handler is
 * logged with its stack and the ids of the request, and the client gets INTERNAL / 500 without the details. A store
 * write that fails answers STORE_UNAVAILABLE and stops the coordinator with one line. Real gRPC servers on port 0 and
 * the gateway through inject(); the failures come from stores and kernel pools that throw.
 */
import * as grpc from '@grpc/grpc-js';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import type { Calculation__Output } from '../../generated/proto/pigrid/v1/Calculation.js';
import type { CalculationsClient } from '../../generated/proto/pigrid/v1/Calculations.js';
import type { WorkerMessage__Output } from '../../generated/proto/pigrid/v1/WorkerMessage.js';
import type { CalculationStore } from '../../coordinator/core/store-port.js';
import { CoordinatorService, type CoordinatorServiceDeps } from '../../coordinator/coordinator-service.js';
import { calculationsHandlers } from '../../coordinator/rpc/calculations-service.js';
import { createMemoryStore } from '../../coordinator/store/memory-store.js';
import { STORE_FAILURE_EXIT_CODE, createStoreFailureHandler, failFastWrites } from '../../coordinator/store/store-failure.js';
import { buildApp } from '../../gateway/app.js';
import { createCoordinatorClient, type CoordinatorClient } from '../../gateway/coordinator-client.js';
import { createKubeReader } from '../../gateway/k8s/kube-reader.js';
import { startGrpcServer, type PigridServer } from '../../shared/grpc-server.js';
import { ErrorCode, PigridError } from '../../shared/errors.js';
import { captureLogs, type LogRecord } from '../../harness/log-lines.js';
import type { Logger } from '../../shared/logger.js';
import { loadContract } from '../../shared/proto.js';
import { REQUEST_ID_METADATA_KEY } from '../../shared/wire.js';
import { ChunkRunner } from '../../kernel/pool/chunk-runner.js';
import type { KernelPool } from '../../kernel/pool/kernel-pool.js';
import { WorkerService } from '../../worker/worker-service.js';
import { serveWorkerOnLoopback } from '../support/worker-on-loopback.js';

const servers: PigridServer[] = [];
const closers: (() => void)[] = [];
afterAll(async () => {
  for (const c of closers) c();
  await Promise.all(servers.map((s) => s.close(500)));
});

const capture = () => captureLogs('debug');

/** The error-level lines with this message. */
const errorsNamed = (records: LogRecord[], msg: string) => records.filter((r) => r.level === 50 && r.msg === msg);

/** The stack pino's err serializer wrote. */
const stackOf = (r: LogRecord | undefined) => (r?.err as { stack?: string } | undefined)?.stack;

function serviceOn(store: CalculationStore, log: Logger, extra: Partial<CoordinatorServiceDeps> = {}): CoordinatorService {
  let n = 0;
  return new CoordinatorService({
    store,
    clock: { now: () => Date.now() },
    ids: { calculationId: () => `calc-${++n}`, leaseId: () => `lease-${++n}` },
    seeds: { seed: () => 7 },
    limits: { maxPoints: 1e13, maxChunks: 1e6, defaultChunkSize: 1e9 },
    log,
    ...extra,
  });
}

async function serveCalculations(
  service: CoordinatorService,
  log: Logger,
): Promise<{ server: PigridServer; client: CalculationsClient; address: string }> {
  const contract = loadContract();
  const server = await startGrpcServer({
    service: 'calculations',
    host: '127.0.0.1',
    port: 0,
    register: (s) => s.addService(contract.calculations.pigrid.v1.Calculations.service, calculationsHandlers(service, 1, log)),
  });
  servers.push(server);
  const address = `127.0.0.1:${server.port}`;
  const client = new contract.calculations.pigrid.v1.Calculations(address, grpc.credentials.createInsecure());
  closers.push(() => client.close());
  return { server, client, address };
}

/** A store whose reads fail with a plain Error: a bug or a broken disk, nothing the catalogue knows. */
function unreadableStore(): CalculationStore {
  return {
    ...createMemoryStore(),
    get: () => {
      throw new Error('page 7 of the database is unreadable');
    },
  };
}

describe('Calculations gRPC handlers', () => {
  it('log an unexpected error with stack, calculation id and request id, and answer INTERNAL without details', async () => {
    const { log, records } = capture();
    const { client } = await serveCalculations(serviceOn(unreadableStore(), log), log);
    const metadata = new grpc.Metadata();
    metadata.set(REQUEST_ID_METADATA_KEY, 'req-abc');
    const err = await new Promise<grpc.ServiceError>((resolve) => client.Get({ id: 'calc-42' }, metadata, (e) => resolve(e!)));

    expect(err.code).toBe(grpc.status.INTERNAL);
    expect(err.details).toBe('internal error (see the coordinator log)');
    expect(err.details).not.toContain('page 7');
    expect(err.metadata.get('pigrid-code')).toEqual(['INTERNAL']);

    const logged = errorsNamed(records, 'unexpected error in a gRPC handler');
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ method: 'Get', calculationId: 'calc-42', reqId: 'req-abc' });
    expect(stackOf(logged[0])).toMatch(/^Error: page 7 of the database is unreadable\n\s+at /);
  });

  it('treat a pigrid error that is no answer (here a kernel code) as internal: logged, answered without details', async () => {
    const { log, records } = capture();
    const kernelFailure: CalculationStore = {
      ...createMemoryStore(),
      get: () => {
        throw new PigridError(ErrorCode.KERNEL_ERROR, 'secret detail of the inside');
      },
    };
    const { client } = await serveCalculations(serviceOn(kernelFailure, log), log);
    const err = await new Promise<grpc.ServiceError>((resolve) => client.Get({ id: 'calc-7' }, (e) => resolve(e!)));
    expect({ code: err.code, details: err.details, pigridCode: err.metadata.get('pigrid-code') }).toEqual({
      code: grpc.status.INTERNAL,
      details: 'internal error (see the coordinator log)',
      pigridCode: ['INTERNAL'],
    });
    const logged = errorsNamed(records, 'unexpected error in a gRPC handler');
    expect(logged).toHaveLength(1);
    expect(stackOf(logged[0])).toMatch(/^PigridError: secret detail of the inside\n\s+at /);
  });

  it('do not log expected errors: a bad id stays INVALID_ARGUMENT and quiet', async () => {
    const { log, records } = capture();
    const { client } = await serveCalculations(serviceOn(createMemoryStore(), log), log);
    const err = await new Promise<grpc.ServiceError>((resolve) => client.Get({ id: '' }, (e) => resolve(e!)));
    expect(err.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(records.filter((r) => r.level >= 50)).toEqual([]);
  });

  it('answer a Submit whose store write fails with UNAVAILABLE / STORE_UNAVAILABLE, log one line and then exit 74', async () => {
    const { log, records } = capture();
    // A submit is stored by the next group commit (store.apply with the new calculation among its inserts).
    const full: CalculationStore = {
      ...createMemoryStore(),
      apply: () => {
        throw new Database.SqliteError('database or disk is full', 'SQLITE_FULL');
      },
    };
    let server: PigridServer | undefined;
    let exited!: (code: number) => void;
    const exit = new Promise<number>((r) => (exited = r));
    const onStoreFailure = createStoreFailureHandler({ dbPath: '/data/pigrid.db', log, stop: () => server?.close(1_000), exit: exited });
    const served = await serveCalculations(serviceOn(failFastWrites(full), log, { onStoreFailure }), log);
    server = served.server;

    const err = await new Promise<grpc.ServiceError>((resolve) =>
      served.client.Submit({ points: 5_000_000_000, mode: 'MODE_DISTRIBUTED' }, (e) => resolve(e!)),
    );
    expect(err.code).toBe(grpc.status.UNAVAILABLE);
    expect(err.metadata.get('pigrid-code')).toEqual(['STORE_UNAVAILABLE']);
    expect(err.details).toMatch(/cannot write its database and is stopping; nothing committed is lost/);
    expect(await exit).toBe(STORE_FAILURE_EXIT_CODE);

    const errors = records.filter((r) => r.level >= 50);
    expect(errors).toHaveLength(1);
    expect(errors[0].msg).toMatch(
      /^fatal store write failed: SQLITE_FULL database or disk is full \(db=\/data\/pigrid\.db\) — the coordinator stops/,
    );
    expect(errors[0]).toMatchObject({ code: 'SQLITE_FULL', db: '/data/pigrid.db', op: 'apply', calculationIds: ['calc-1'] });
  });
});

describe('gateway routes', () => {
  async function gateway(coordinator: CoordinatorClient) {
    const { log, records } = capture();
    const app = buildApp({ coordinator, kube: await createKubeReader({ env: {} }), log });
    closers.push(() => void app.close());
    return { app, records };
  }

  it('log an unexpected route error with stack and request id, and answer 500 in the documented shape', async () => {
    const { log } = capture();
    const { address } = await serveCalculations(serviceOn(createMemoryStore(), log), log);
    const real = createCoordinatorClient(address, 5_000);
    closers.push(() => real.close());
    // The coordinator answers, but with something the route cannot turn into JSON.
    const { app, records } = await gateway({ ...real, get: async () => null as unknown as Calculation__Output });

    const res = await app.inject({ method: 'GET', url: '/api/calculate/calc-9' });
    expect(res.statusCode).toBe(500);
    const body = res.json();
    expect(Object.keys(body)).toEqual(['error']);
    expect(body.error).toEqual({
      code: 'INTERNAL',
      message: expect.stringMatching(/^internal error \(request req-\w+; details are in the gateway log\)$/),
      field: null,
    });
    const requestId = /request (req-\w+)/.exec(body.error.message)![1];
    expect(res.body).not.toContain('TypeError');

    const logged = errorsNamed(records, 'unexpected error in a REST route');
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ reqId: requestId, method: 'GET', url: '/api/calculate/calc-9' });
    expect(stackOf(logged[0])).toMatch(/^TypeError: .*null.*\n\s+at /);
    // Request logging: the request's one line carries the same id and the status.
    expect(records.filter((r) => r.reqId === requestId).map((r) => r.msg)).toEqual([
      'unexpected error in a REST route',
      'request completed',
    ]);
    expect(records.find((r) => r.msg === 'request completed')).toMatchObject({ statusCode: 500 });
  });

  it('tie a coordinator INTERNAL to the REST request in both logs through the request id', async () => {
    const coordinatorLog = capture();
    const { address } = await serveCalculations(serviceOn(unreadableStore(), coordinatorLog.log), coordinatorLog.log);
    const real = createCoordinatorClient(address, 5_000);
    closers.push(() => real.close());
    const { app, records } = await gateway(real);

    const res = await app.inject({ method: 'GET', url: '/api/calculate/calc-77' });
    expect(res.statusCode).toBe(500);
    expect(res.json().error.code).toBe('INTERNAL');
    const requestId = /request (req-\w+)/.exec(res.json().error.message)![1];

    expect(errorsNamed(records, 'coordinator call failed')).toMatchObject([
      { reqId: requestId, code: 'INTERNAL', status: 500, url: '/api/calculate/calc-77' },
    ]);
    const coordinatorLines = errorsNamed(coordinatorLog.records, 'unexpected error in a gRPC handler');
    expect(coordinatorLines).toMatchObject([{ method: 'Get', calculationId: 'calc-77', reqId: requestId }]);
    expect(stackOf(coordinatorLines[0])).toMatch(/page 7 of the database is unreadable\n\s+at /);
  });
});

describe('worker Work handler', () => {
  it('logs a lease it cannot take on with stack and ids, and answers a failed chunk (INTERNAL) instead of keeping it', async () => {
    const { log, records } = capture();
    const broken = () => {
      throw new RangeError('thread table corrupted');
    };
    const brokenPool: KernelPool = {
      threads: 1,
      tasksPerThread: 2,
      chunksPerTask: 1,
      start: broken,
      run: broken,
      close: async () => {},
      destroy: async () => {},
    };
    const service = new WorkerService(
      { workerId: 'w-test', instanceId: 'i-test', kernel: 'k', streamVersion: 's', version: 'v', capacity: 1, drainGraceMs: 1_000 },
      new ChunkRunner(brokenPool),
      log,
    );
    const { client, close } = await serveWorkerOnLoopback(service);
    closers.push(() => void close());

    const stream = client.Work();
    closers.push(() => stream.cancel());
    const failure = new Promise<NonNullable<WorkerMessage__Output['failure']>>((resolve, reject) => {
      stream.on('data', (msg: WorkerMessage__Output) => {
        if (msg.hello)
          stream.write({ lease: { leaseId: 'lease-1', calculationId: 'calc-5', chunkIndex: 3, seed: 1, points: 1000, ttlMs: 10_000 } });
        if (msg.failure) resolve(msg.failure);
      });
      stream.on('error', reject);
    });

    expect(await failure).toMatchObject({
      leaseId: 'lease-1',
      calculationId: 'calc-5',
      chunkIndex: '3',
      code: 'INTERNAL',
      message: 'internal error on worker w-test (see its log)',
    });
    const logged = errorsNamed(records, 'unexpected error taking a lease');
    expect(logged).toMatchObject([{ leaseId: 'lease-1', calculationId: 'calc-5', chunkIndex: 3 }]);
    expect(stackOf(logged[0])).toMatch(/^RangeError: thread table corrupted\n\s+at /);
  });
});
