/**
 * Every gRPC server serves reflection and grpc.health.v1, so grpcurl works with no proto files: list, describe,
 * and a JSON Submit/Get. Health: overall and "readiness".
 */
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type Cluster } from '../../harness/cluster.js';
import { stopAll } from '../../harness/processes.js';
import { describeSymbol, invokeJson, listServices } from '../../harness/reflection-client.js';
import { until } from '../../harness/rest.js';

let c: Cluster;
beforeAll(async () => {
  c = await startCluster({ workers: 1, gateway: false });
});
afterAll(stopAll);

describe('grpcurl-style access without proto files', () => {
  it('lists the services of the coordinator and of a worker', async () => {
    expect(await listServices(c.grpc)).toEqual(['grpc.health.v1.Health', 'pigrid.v1.Calculations']);
    expect(await listServices(c.workers[0].ready.grpc)).toEqual(['grpc.health.v1.Health', 'pigrid.v1.Worker']);
  });

  it('describes the Calculations service with its documented methods and fields', async () => {
    const root = await describeSymbol(c.grpc, 'pigrid.v1.Calculations');
    const svc = root.lookupService('pigrid.v1.Calculations');
    expect(Object.keys(svc.methods).sort()).toEqual(['Cancel', 'ClusterStatus', 'Get', 'List', 'Submit', 'Watch']);
    expect(svc.methods.Watch.responseStream).toBe(true);
    const calc = root.lookupType('pigrid.v1.Calculation');
    expect(Object.keys(calc.fields)).toEqual(expect.arrayContaining(['points', 'pointsDone', 'resultPi', 'stdError', 'seed']));
  });

  it('submits and gets a calculation with JSON, like grpcurl -d', async () => {
    const submitted = await invokeJson(c.grpc, 'pigrid.v1.Calculations/Submit', { points: '5000000', mode: 'MODE_SINGLE', seed: '42' });
    expect(submitted.error).toBeUndefined();
    const id = submitted.value!.id as string;
    const done = await until('completion', async () => {
      const got = await invokeJson(c.grpc, 'pigrid.v1.Calculations/Get', { id });
      return got.value?.status === 'STATUS_COMPLETED' ? got.value : undefined;
    });
    expect(done.points).toBe('5000000');
    expect(done.seed).toBe('42');
    expect(typeof done.resultPi).toBe('number');
    const bad = await invokeJson(c.grpc, 'pigrid.v1.Calculations/Submit', { points: '-1' });
    expect(bad.error?.code).toBe(grpc.status.INVALID_ARGUMENT);
  });

  it('reports health overall and readiness on both kinds of server', async () => {
    for (const address of [c.grpc, c.workers[0].ready.grpc]) {
      for (const service of ['', 'readiness']) {
        const r = await invokeJson(address, 'grpc.health.v1.Health/Check', { service });
        expect(r.value?.status).toBe('SERVING');
      }
    }
  });
});
