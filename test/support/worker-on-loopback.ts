/**
 * A WorkerService's Work handler served on loopback gRPC (plaintext, port 0), with a proto-loader client for it: a
 * test plays the coordinator on that client's Work stream.
 */
import * as grpc from '@grpc/grpc-js';
import type { WorkerClient } from '../../generated/proto/pigrid/v1/Worker.js';
import { startGrpcServer } from '../../shared/grpc-server.js';
import { loadContract } from '../../shared/proto.js';
import type { WorkerService } from '../../worker/worker-service.js';

export async function serveWorkerOnLoopback(service: WorkerService): Promise<{ client: WorkerClient; close: () => Promise<void> }> {
  const contract = loadContract();
  const server = await startGrpcServer({
    service: 'worker',
    host: '127.0.0.1',
    port: 0,
    register: (s) => s.addService(contract.worker.pigrid.v1.Worker.service, { Work: service.work }),
  });
  const client = new contract.worker.pigrid.v1.Worker(`127.0.0.1:${server.port}`, grpc.credentials.createInsecure());
  return {
    client,
    close: async () => {
      client.close();
      await server.close(500);
    },
  };
}
