/**
 * Who may open a Work stream on a worker: over TLS, only a peer whose certificate chains to the CA (the handshake
 * checks that) and names the coordinator role (`spiffe://pigrid/coordinator` URI SAN). Another pod with a valid
 * certificate of the CA (a worker, the gateway, a client) gets PERMISSION_DENIED and the refusal is logged. Health
 * and reflection answer any certificate of the CA. In plaintext (PIGRID_INSECURE=true) anyone who reaches the port
 * may make the worker compute.
 */
import * as grpc from '@grpc/grpc-js';
import { ErrorCode } from '../shared/errors.js';
import type { Authorize } from '../shared/grpc-auth.js';

export const WORK_METHOD = '/pigrid.v1.Worker/Work';

export const workAuthorizer: Authorize = (method, peer) => {
  if (method !== WORK_METHOD) return { ok: true };
  if (!peer.secure) return { ok: true };
  if (peer.identity?.role !== 'coordinator') {
    return {
      ok: false,
      status: grpc.status.PERMISSION_DENIED,
      code: ErrorCode.FORBIDDEN,
      message: `only the coordinator may open a Work stream; this peer is ${peer.identity?.uri ?? 'a certificate without a pigrid id'}`,
    };
  }
  return { ok: true, principal: peer.identity.uri };
};
