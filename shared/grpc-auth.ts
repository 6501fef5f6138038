/**
 * Authorization at the edge of a gRPC server: one interceptor decides, before any handler runs, whether the peer
 * (its verified certificate, its metadata) may call the method. A refused call gets its status and a catalogued
 * code in `pigrid-code`; an allowed one carries the principal it runs as in `pigrid-principal`, which the
 * interceptor always overwrites, so no client can set it.
 */
import * as grpc from '@grpc/grpc-js';
import type { ErrorCode } from './errors.js';
import { peerIdentity, type PeerIdentity } from './peer-identity.js';

/** Metadata key of the principal a call runs as; set by the interceptor only. */
export const PRINCIPAL_METADATA_KEY = 'pigrid-principal';
const CODE_METADATA_KEY = 'pigrid-code';

export interface CallPeer {
  /** The identity of the verified client certificate; undefined in plaintext. */
  readonly identity: PeerIdentity | undefined;
  /** True when the call came over TLS (and so with a client certificate that chains to the CA). */
  readonly secure: boolean;
  readonly address: string;
}

export type Verdict =
  | { readonly ok: true; readonly principal?: string }
  | { readonly ok: false; readonly status: grpc.status; readonly code: ErrorCode; readonly message: string };

/** Decides one call from its full method path (`/pigrid.v1.Worker/Work`), its peer and its metadata. */
export type Authorize = (method: string, peer: CallPeer, metadata: grpc.Metadata) => Verdict;

export function authInterceptor(
  authorize: Authorize,
  onRefused?: (method: string, peer: CallPeer, verdict: Extract<Verdict, { ok: false }>) => void,
): grpc.ServerInterceptor {
  return (method, call) =>
    new grpc.ServerInterceptingCall(call, {
      start(next) {
        next({
          onReceiveMetadata(metadata, pass) {
            const auth = call.getAuthContext();
            const peer: CallPeer = {
              identity: peerIdentity(auth?.sslPeerCertificate),
              secure: auth?.transportSecurityType === 'ssl',
              address: call.getPeer(),
            };
            metadata.remove(PRINCIPAL_METADATA_KEY);
            const verdict = authorize(method.path, peer, metadata);
            if (!verdict.ok) {
              onRefused?.(method.path, peer, verdict);
              const trailers = new grpc.Metadata();
              trailers.set(CODE_METADATA_KEY, verdict.code);
              call.sendStatus({ code: verdict.status, details: verdict.message, metadata: trailers });
              return;
            }
            if (verdict.principal) metadata.set(PRINCIPAL_METADATA_KEY, verdict.principal);
            pass(metadata);
          },
        });
      },
    });
}

/** The principal the interceptor set for a call. */
export function principalOf(call: { metadata: grpc.Metadata }): string {
  const v = call.metadata.get(PRINCIPAL_METADATA_KEY)[0];
  return typeof v === 'string' && v.length > 0 ? v : 'anonymous';
}
