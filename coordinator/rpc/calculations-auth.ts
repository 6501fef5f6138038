/**
 * Who may call the coordinator's gRPC server. Over TLS every caller already has a certificate that chains to the CA;
 * on top of that:
 *
 * - `pigrid.v1.Calculations`: the gateway, a client certificate (`spiffe://pigrid/client/<name>`) or the coordinator;
 *   never a worker certificate (PERMISSION_DENIED / FORBIDDEN).
 * - With API tokens configured, Submit and Cancel need `authorization: Bearer <token>` metadata with a `write`
 *   token (UNAUTHENTICATED without a valid one, PERMISSION_DENIED with a `read` one); the other methods need a token
 *   too when PIGRID_READ_AUTH=token, except from the gateway, which enforces the REST read policy itself. The gateway
 *   forwards its REST client's header, so one token works on both faces, and a gateway certificate alone cannot write.
 * - Health and reflection: any caller (in TLS: any certificate of the CA).
 *
 * The principal a call runs as (the admission caps count per principal): `token:<name>` when a token was presented;
 * else for the gateway the client it forwards in `pigrid-client` metadata (its REST client's address); else the
 * certificate's id. In plaintext (PIGRID_INSECURE=true) nothing is verified and `pigrid-client` is believed.
 */
import * as grpc from '@grpc/grpc-js';
import { bearerToken, type ApiTokens } from '../../shared/api-tokens.js';
import { ErrorCode } from '../../shared/errors.js';
import type { Authorize, Verdict } from '../../shared/grpc-auth.js';

const SERVICE = '/pigrid.v1.Calculations/';
const WRITES = new Set(['Submit', 'Cancel']);
/** Metadata key of the REST client the gateway calls for. */
export const CLIENT_METADATA_KEY = 'pigrid-client';

function first(metadata: grpc.Metadata, key: string): string | undefined {
  const v = metadata.get(key)[0];
  return typeof v === 'string' && v.length > 0 ? v.slice(0, 200) : undefined;
}

export function calculationsAuthorizer(tokens: ApiTokens): Authorize {
  return (method, peer, metadata): Verdict => {
    if (!method.startsWith(SERVICE)) return { ok: true };
    const name = method.slice(SERVICE.length);
    const role = peer.identity?.role;
    if (peer.secure && role !== 'gateway' && role !== 'client' && role !== 'coordinator') {
      return {
        ok: false,
        status: grpc.status.PERMISSION_DENIED,
        code: ErrorCode.FORBIDDEN,
        message: `a ${role ?? 'certificate without a pigrid id'} may not call Calculations (only the gateway and client certificates)`,
      };
    }
    const write = WRITES.has(name);
    const header = first(metadata, 'authorization');
    const token = bearerToken(header);
    if (tokens.enabled && token !== undefined) {
      const entry = tokens.verify(token);
      if (!entry)
        return {
          ok: false,
          status: grpc.status.UNAUTHENTICATED,
          code: ErrorCode.UNAUTHENTICATED,
          message: 'the bearer token is not valid',
        };
      if (write && entry.scope !== 'write') {
        return {
          ok: false,
          status: grpc.status.PERMISSION_DENIED,
          code: ErrorCode.FORBIDDEN,
          message: `token ${entry.name} may only read; ${name} needs a write token`,
        };
      }
      return { ok: true, principal: `token:${entry.name}` };
    }
    // The gateway enforces the REST read policy itself (and asks ClusterStatus for its readiness without a token).
    const trustedRead = role === 'gateway' || (!peer.secure && name === 'ClusterStatus');
    if (tokens.enabled && (write || (tokens.readPolicy === 'token' && !trustedRead))) {
      return {
        ok: false,
        status: grpc.status.UNAUTHENTICATED,
        code: ErrorCode.UNAUTHENTICATED,
        message:
          header === undefined
            ? `${name} needs a token: send metadata authorization: Bearer <token>`
            : 'authorization must be "Bearer <token>"',
      };
    }
    if (!peer.secure || role === 'gateway')
      return {
        ok: true,
        principal: first(metadata, CLIENT_METADATA_KEY) ?? (peer.secure ? 'gateway' : `peer:${peer.address.replace(/:\d+$/, '')}`),
      };
    return { ok: true, principal: `cert:${peer.identity!.uri}` };
  };
}
