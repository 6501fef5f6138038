/**
 * Which worker is at the other end of a Work stream. Over TLS the worker's certificate (which chains to the CA, or
 * the handshake would have failed) decides: its id `spiffe://pigrid/worker/<worker-id>` is the worker id, and a
 * hello that claims another id is refused: the stream is closed, the refusal logged and counted
 * (`pigrid_worker_auth_failures_total{reason="identity_mismatch"}`), and the link dials again with backoff. A
 * certificate shared by all workers (`spiffe://pigrid/worker`) proves only "a worker": the hello's id is taken.
 * In plaintext the hello is all there is.
 */
import type { PeerCertificate } from 'node:tls';
import { describePeer, peerIdentity } from '../../shared/peer-identity.js';

export type WorkerAuthFailure = 'tls' | 'not_a_worker' | 'identity_mismatch';

export type WorkerIdentityVerdict =
  | { readonly ok: true; readonly workerId: string; readonly certified: 'per-worker' | 'shared' | 'none'; readonly serial?: string }
  | { readonly ok: false; readonly reason: WorkerAuthFailure; readonly detail: string };

export function workerIdentity(
  secure: boolean,
  cert: PeerCertificate | null | undefined,
  claimed: string,
  fallback: string,
): WorkerIdentityVerdict {
  if (!secure) return { ok: true, workerId: claimed || fallback, certified: 'none' };
  const id = peerIdentity(cert);
  if (!id || id.role !== 'worker')
    return { ok: false, reason: 'not_a_worker', detail: `certificate ${describePeer(cert)} is not a worker certificate` };
  if (id.name === undefined) return { ok: true, workerId: claimed || fallback, certified: 'shared', serial: id.serial };
  if (claimed && claimed !== id.name) {
    return {
      ok: false,
      reason: 'identity_mismatch',
      detail: `hello claims worker id ${JSON.stringify(claimed.slice(0, 100))} but the certificate is ${id.uri}`,
    };
  }
  return { ok: true, workerId: id.name, certified: 'per-worker', serial: id.serial };
}
