/**
 * Dialling a TLS gRPC server by IP address: no IP goes out as the TLS server name (Node's DEP0123 warning), and the
 * gateway's check that the server certificate names the dialled host still holds. Real servers on 127.0.0.1, port 0.
 */
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureLogs } from '../../harness/log-lines.js';
import { identity, serverCredentialsFor, testCa } from '../../harness/tls.js';
import type { IdentityFiles } from '../../shared/local-certs.js';
import { channelSecurity, loadTls } from '../../shared/tls.js';

const warnings: Error[] = [];
const onWarning = (w: Error) => warnings.push(w);
const servers: grpc.Server[] = [];

beforeAll(() => process.on('warning', onWarning));
afterAll(() => {
  process.off('warning', onWarning);
  for (const s of servers) s.forceShutdown();
});

async function serve(files: IdentityFiles): Promise<string> {
  const server = new grpc.Server();
  servers.push(server);
  const credentials = await serverCredentialsFor(files);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', credentials, (err, p) => (err ? reject(err) : resolve(p))),
  );
  return `127.0.0.1:${port}`;
}

/** Dials `address` as the gateway dials its coordinator; resolves with the refusal reason, or undefined once connected. */
async function dialAsGateway(address: string): Promise<string | undefined> {
  const files = await identity('gateway');
  const tls = loadTls(
    { insecure: false, caFile: files.ca, certFile: files.cert, keyFile: files.key, reloadMs: 60_000 },
    'gateway',
    captureLogs().log,
  );
  let refusal: string | undefined;
  const { credentials, options } = channelSecurity(tls, {
    role: 'coordinator',
    address,
    verifyHostname: true,
    onRefused: (r) => (refusal = r),
  });
  const client = new grpc.Client(address, credentials, options);
  try {
    await new Promise<void>((resolve, reject) => client.waitForReady(Date.now() + 3_000, (err) => (err ? reject(err) : resolve())));
    return undefined;
  } catch (err) {
    return refusal ?? `not connected: ${(err as Error).message}`;
  } finally {
    client.close();
    tls.close();
  }
}

describe('TLS to an IP address', () => {
  it('connects to a coordinator whose certificate names 127.0.0.1, sending no IP as server name', async () => {
    const address = await serve(await identity('coordinator'));
    expect(await dialAsGateway(address)).toBeUndefined();
    expect(warnings.filter((w) => (w as { code?: string }).code === 'DEP0123')).toEqual([]);
  });

  it('still refuses a coordinator certificate that does not name the dialled IP', async () => {
    const { ca, dir } = await testCa();
    const elsewhere = await ca.identityFiles(dir, 'coordinator-elsewhere', 'coordinator', undefined, {
      dnsNames: ['coordinator.elsewhere'],
      ips: ['10.1.2.3'],
    });
    const address = await serve(elsewhere);
    expect(await dialAsGateway(address)).toMatch(/^server certificate does not name 127\.0\.0\.1: /);
  });
});
