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
 * What travels with a call: the REST request id (`x-request-id`: the coordinator logs it with any unexpected error,
 * so one id finds a failed request in both logs), the REST client's Authorization header (the coordinator checks
 * the token again) and who the client is (`pigrid-client`, for the coordinator's per-client caps). A bare string is
 * a request id.
 */
export type CallMeta = string | { readonly requestId?: string; readonly authorization?: string; readonly client?: string };

export interface CoordinatorClient {
  submit(req: SubmitRequest, meta?: CallMeta): Promise<Calculation__Output>;
  get(id: string, meta?: CallMeta): Promise<Calculation__Output>;
  cancel(id: string, meta?: CallMeta): Promise<Calculation__Output>;
  list(pageSize: number, pageToken: string, meta?: CallMeta): Promise<ListResponse__Output>;
  clusterStatus(timeoutMs?: number, signal?: AbortSignal): Promise<ClusterStatusResponse__Output>;
  /** Streams snapshots until the calculation ends; call the returned function to stop. */
  watch(id: string, onData: (c: Calculation__Output) => void, onEnd: (err: grpc.ServiceError | null) => void, meta?: CallMeta): () => void;
  close(): void;
}

type Unary<Req, Res> = (
  req: Req,
  metadata: grpc.Metadata,
  options: grpc.CallOptions,
  cb: (err: grpc.ServiceError | null, res?: Res) => void,
) => grpc.ClientUnaryCall;

function metadataOf(meta: CallMeta | undefined): grpc.Metadata {
  const metadata = new grpc.Metadata();
  const m = typeof meta === 'string' ? { requestId: meta } : (meta ?? {});
  if (m.requestId) metadata.set(REQUEST_ID_METADATA_KEY, m.requestId);
  if (m.authorization) metadata.set('authorization', m.authorization);
  if (m.client) metadata.set('pigrid-client', m.client);
  return metadata;
}

/**
 * `deadlineMs`: of each unary call (`PIGRID_COORDINATOR_TIMEOUT_MS`). `credentials`: mutual TLS checking the
 * coordinator's certificate (shared/tls.ts), or plaintext; `channelOptions` go with them (shared/tls.ts channelSecurity).
 */
export function createCoordinatorClient(
  address: string,
  deadlineMs: number,
  credentials: grpc.ChannelCredentials = grpc.credentials.createInsecure(),
  channelOptions: grpc.ChannelOptions = {},
): CoordinatorClient {
  const Ctor = loadContract().calculations.pigrid.v1.Calculations;
  const client: CalculationsClient = new Ctor(address, credentials, {
    ...channelOptions,
    'grpc.keepalive_time_ms': 30_000,
    'grpc.keepalive_timeout_ms': 10_000,
  });
  const call = <Req, Res>(
    method: Unary<Req, Res>,
    req: Req,
    opts: { ms?: number; signal?: AbortSignal; meta?: CallMeta } = {},
  ): Promise<Res> =>
    new Promise((resolve, reject) => {
      const metadata = metadataOf(opts.meta);
      const deadline = Date.now() + (opts.ms ?? deadlineMs);
      const c = method(req, metadata, { deadline }, (err, res) => (err ? reject(err) : resolve(res as Res)));
      opts.signal?.addEventListener('abort', () => c.cancel(), { once: true });
    });
  return {
    submit: (req, meta) => call(client.Submit.bind(client) as Unary<SubmitRequest, Calculation__Output>, req, { meta }),
    get: (id, meta) => call(client.Get.bind(client) as Unary<{ id: string }, Calculation__Output>, { id }, { meta }),
    cancel: (id, meta) => call(client.Cancel.bind(client) as Unary<{ id: string }, Calculation__Output>, { id }, { meta }),
    list: (pageSize, pageToken, meta) =>
      call(
        client.List.bind(client) as Unary<{ pageSize: number; pageToken: string }, ListResponse__Output>,
        { pageSize, pageToken },
        { meta },
      ),
    clusterStatus: (ms, signal) =>
      call(client.ClusterStatus.bind(client) as Unary<object, ClusterStatusResponse__Output>, {}, { ms, signal }),
    watch(id, onData, onEnd, meta) {
      const stream = client.Watch({ id }, metadataOf(meta));
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
