/**
 * The certificates of `npm start`: a local CA and one certificate per process under ./data/tls (beside
 * PIGRID_DB_PATH; PIGRID_TLS_DIR elsewhere),
 * made on the first start and reused after, plus `client.pem` / `client-key.pem` for grpcurl
 * (`spiffe://pigrid/client/local`). With PIGRID_INSECURE=true nothing is made and every process runs plaintext.
 */
import { dirname, join, resolve } from 'node:path';
import { LocalCa, type IdentityFiles } from '../shared/local-certs.js';

type Env = Record<string, string>;

export interface LocalTls {
  readonly env: { coordinator: Env; gateway: Env; worker(id: string): Env };
  /** One line for the start banner. */
  readonly summary: string;
}

const envOf = (f: IdentityFiles): Env => ({ PIGRID_TLS_CA: f.ca, PIGRID_TLS_CERT: f.cert, PIGRID_TLS_KEY: f.key });

export async function localTls(env: NodeJS.ProcessEnv, workerIds: readonly string[]): Promise<LocalTls> {
  if (['true', '1', 'yes'].includes((env.PIGRID_INSECURE ?? '').toLowerCase())) {
    const plain = { PIGRID_INSECURE: 'true' };
    return {
      env: { coordinator: plain, gateway: plain, worker: () => plain },
      summary: 'PIGRID_INSECURE=true: plaintext gRPC, no certificates',
    };
  }
  // Beside the database: ./data/tls by default.
  const dir = resolve(env.PIGRID_TLS_DIR ?? join(dirname(env.PIGRID_DB_PATH ?? './data/pigrid.db'), 'tls'));
  const ca = await LocalCa.inDirectory(dir);
  const coordinator = await ca.identityFiles(dir, 'coordinator', 'coordinator');
  const gateway = await ca.identityFiles(dir, 'gateway', 'gateway');
  const workers = new Map<string, IdentityFiles>();
  for (const id of workerIds) workers.set(id, await ca.identityFiles(dir, `worker-${id}`, 'worker', id));
  const client = await ca.identityFiles(dir, 'client', 'client', 'local');
  return {
    env: { coordinator: envOf(coordinator), gateway: envOf(gateway), worker: (id) => envOf(workers.get(id)!) },
    summary: `mutual TLS on every gRPC hop; CA and certificates in ${dir} (grpcurl: -cacert ${client.ca} -cert ${client.cert} -key ${client.key})`,
  };
}
