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
import { REQUEST_ID_METADATA_KEY } from '../shared/wire.js';

/**
 * `requestId` (the REST request id) travels as `x-request-id` metadata: the coordinator logs it with any unexpected
 * error, so one id finds a failed request in both logs.
 */
export interface CoordinatorClient {
  submit(req: SubmitRequest, requestId?: string): Promise<Calculation__Output>;
  get(id: string, requestId?: string): Promise<Calculation__Output>;
  cancel(id: string, requestId?: string): Promise<Calculation__Output>;
  list(pageSize: number, pageToken: string, requestId?: string): Promise<ListResponse__Output>;
  clusterStatus(timeoutMs?: number, signal?: AbortSignal): Promise<ClusterStatusResponse__Output>;
  /** Streams snapshots until the calculation ends; call the returned function to stop. */
  watch(id: string, onData: (c: Calculation__Output) => void, onEnd: (err: grpc.ServiceError | null) => void): () => void;
  close(): void;
}

type Unary<Req, Res> = (
  req: Req,
  metadata: grpc.Metadata,
  options: grpc.CallOptions,
  cb: (err: grpc.ServiceError | null, res?: Res) => void,
) => grpc.ClientUnaryCall;


/** `deadlineMs`: of each unary call (`PIGRID_COORDINATOR_TIMEOUT_MS`). */
export function createCoordinatorClient(address: string, deadlineMs: number): CoordinatorClient {
  const Ctor = loadContract().calculations.pigrid.v1.Calculations;
  const client: CalculationsClient = new Ctor(address, grpc.credentials.createInsecure(), {
    'grpc.keepalive_time_ms': 30_000,
    'grpc.keepalive_timeout_ms': 10_000,
  });
  const call = <Req, Res>(method: Unary<Req, Res>, req: Req, opts: { ms?: number; signal?: AbortSignal; requestId?: string } = {}): Promise<Res> =>
    new Promise((resolve, reject) => {
      const metadata = new grpc.Metadata();
      if (opts.requestId) metadata.set(REQUEST_ID_METADATA_KEY, opts.requestId);
      const deadline = Date.now() + (opts.ms ?? deadlineMs);
      const c = method(req, metadata, { deadline }, (err, res) => (err ? reject(err) : resolve(res as Res)));
      opts.signal?.addEventListener('abort', () => c.cancel(), { once: true });
    });
  return {
    submit: (req, requestId) => call(client.Submit.bind(client) as Unary<SubmitRequest, Calculation__Output>, req, { requestId }),
    get: (id, requestId) => call(client.Get.bind(client) as Unary<{ id: string }, Calculation__Output>, { id }, { requestId }),
    cancel: (id, requestId) => call(client.Cancel.bind(client) as Unary<{ id: string }, Calculation__Output>, { id }, { requestId }),
    list: (pageSize, pageToken, requestId) =>
      call(client.List.bind(client) as Unary<{ pageSize: number; pageToken: string }, ListResponse__Output>, { pageSize, pageToken }, { requestId }),
    clusterStatus: (ms, signal) => call(client.ClusterStatus.bind(client) as Unary<object, ClusterStatusResponse__Output>, {}, { ms, signal }),
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
