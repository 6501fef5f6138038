/**
 * Certificates for tests: one local CA per test process (made on first use in a temp folder), and a certificate per
 * identity, issued once and reused. Processes started by the harness get mutual TLS by default (processes.ts);
 * test clients use `clientCredentials()`.
 */
import * as grpc from '@grpc/grpc-js';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalCa, type IdentityFiles, type IssueOptions } from '../shared/local-certs.js';
import type { Role } from '../shared/peer-identity.js';

let state: Promise<{ ca: LocalCa; dir: string }> | undefined;

/** The test CA and its folder. */
export function testCa(): Promise<{ ca: LocalCa; dir: string }> {
  state ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pigrid-tls-'));
    return { ca: await LocalCa.inDirectory(dir, 'pigrid test CA'), dir };
  })();
  return state;
}

const issued = new Map<string, Promise<IdentityFiles>>();

/** PEM files of an identity signed by the test CA (cached per role and name). */
export function identity(role: Role, name?: string, opts?: IssueOptions): Promise<IdentityFiles> {
  const key = `${role}/${name ?? ''}`;
  let p = issued.get(key);
  if (!p) {
    p = testCa().then(({ ca, dir }) => ca.identityFiles(dir, `${role}-${name ?? role}`, role, name, opts));
    issued.set(key, p);
  }
  return p;
}

/** The environment that gives a process these files. */
export function tlsEnv(f: IdentityFiles): Record<string, string> {
  return { PIGRID_TLS_CA: f.ca, PIGRID_TLS_CERT: f.cert, PIGRID_TLS_KEY: f.key };
}

/** The TLS environment of a component started by the harness (a worker's certificate names the worker). */
export async function componentTlsEnv(component: 'coordinator' | 'worker' | 'gateway', workerId?: string): Promise<Record<string, string>> {
  if (component === 'worker') return tlsEnv(await identity('worker', workerId));
  return tlsEnv(await identity(component));
}

/** Channel credentials of a test client (a `client` certificate unless another identity is given). */
export async function clientCredentials(files?: IdentityFiles): Promise<grpc.ChannelCredentials> {
  const f = files ?? (await identity('client', 'test'));
  return grpc.credentials.createSsl(readFileSync(f.ca), readFileSync(f.key), readFileSync(f.cert));
}

/** Server credentials for a test gRPC server (mutual TLS with the test CA). */
export async function serverCredentialsFor(files: IdentityFiles): Promise<grpc.ServerCredentials> {
  return grpc.ServerCredentials.createSsl(
    readFileSync(files.ca),
    [{ private_key: readFileSync(files.key), cert_chain: readFileSync(files.cert) }],
    true,
  );
}
