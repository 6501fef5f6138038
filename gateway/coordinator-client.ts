/**
 * The gateway's only way to the coordinator: its public gRPC API. Unary calls get a deadline; Watch is a stream.
 */
import * as grpc from '@grpc/grpc-js';
import type { Calculation__Output } from '../generated/proto/pigrid/v1/Calculation.js';
import type { CalculationsClient } from '../generated/proto/pigrid/v1/Calculations.js';
import type { ClusterStatusResponse__Output } from '../generated/proto/pigrid/v1/ClusterStatusResponse.js';
import type { ListResponse__Output } from '../generated/proto/pigrid/v1/ListResponse.js';
import type { SubmitRequest } from '../generated/proto/pigrid/v1/SubmitRequest.js';
import { loadContract } from '../shared/proto.js';

export interface CoordinatorClient {
  submit(req: SubmitRequest): Promise<Calculation__Output>;
  get(id: string): Promise<Calculation__Output>;
  cancel(id: string): Promise<Calculation__Output>;
  list(pageSize: number, pageToken: string): Promise<ListResponse__Output>;
  clusterStatus(timeoutMs?: number, signal?: AbortSignal): Promise<ClusterStatusResponse__Output>;
  /** Streams snapshots until the calculation ends; call the returned function to stop. */
  watch(id: string, onData: (c: Calculation__Output) => void, onEnd: (err: grpc.ServiceError | null) => void): () => void;
  close(): void;
}

type Unary<Req, Res> = (req: Req, options: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res?: Res) => void) => grpc.ClientUnaryCall;

export function createCoordinatorClient(address: string, deadlineMs = 5_000): CoordinatorClient {
  const Ctor = loadContract().calculations.pigrid.v1.Calculations;
  const client: CalculationsClient = new Ctor(address, grpc.credentials.createInsecure(), {
    'grpc.keepalive_time_ms': 30_000,
    'grpc.keepalive_timeout_ms': 10_000,
  });
  const call = <Req, Res>(method: Unary<Req, Res>, req: Req, ms = deadlineMs, signal?: AbortSignal): Promise<Res> =>
    new Promise((resolve, reject) => {
      const c = method.call(client, req, { deadline: Date.now() + ms }, (err, res) => (err ? reject(err) : resolve(res as Res)));
      signal?.addEventListener('abort', () => c.cancel(), { once: true });
    });
  return {
    submit: (req) => call(client.Submit as Unary<SubmitRequest, Calculation__Output>, req),
    get: (id) => call(client.Get as Unary<{ id: string }, Calculation__Output>, { id }),
    cancel: (id) => call(client.Cancel as Unary<{ id: string }, Calculation__Output>, { id }),
    list: (pageSize, pageToken) =>
      call(client.List as Unary<{ pageSize: number; pageToken: string }, ListResponse__Output>, { pageSize, pageToken }),
    clusterStatus: (ms, signal) => call(client.ClusterStatus as Unary<object, ClusterStatusResponse__Output>, {}, ms ?? deadlineMs, signal),
    watch(id, onData, onEnd) {
      const stream = client.Watch({ id });
      let ended = false;
      const end = (err: grpc.ServiceError | null) => {
        if (ended) return;
        ended = true;
        onEnd(err);
      };
      stream.on('data', onData);
      stream.on('end', () => end(null));
      stream.on('error', (err: grpc.ServiceError) => end(err.code === grpc.status.CANCELLED ? null : err));
      return () => {
        ended = true;
        stream.cancel();
      };
    },
    close: () => client.close(),
  };
}
