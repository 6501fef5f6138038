/**
 * Mutual TLS between real processes on loopback: who gets leases, who may open a Work stream, and certificates
 * rotated under running processes.
 */
import * as grpc from '@grpc/grpc-js';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { WorkerMessage__Output } from '../../generated/proto/pigrid/v1/WorkerMessage.js';
import { LocalCa, writeAtomic, type IdentityFiles } from '../../shared/local-certs.js';
import { loadContract } from '../../shared/proto.js';
import { startWorker } from '../../harness/cluster.js';
import { startHostileWorker } from '../../harness/hostile-worker.js';
import { escapeRegExp } from '../../harness/log-lines.js';
import { startProcess, stopAll, tempDbPath, type Proc } from '../../harness/processes.js';
import { http, submit, until, waitDone } from '../../harness/rest.js';
import { clientCredentials, identity, tlsEnv } from '../../harness/tls.js';

afterEach(async () => {
  await stopAll();
});

async function coordinatorFor(workers: string[], env: Record<string, string> = {}): Promise<Proc> {
  return startProcess('coordinator', 'coordinator', {
    PIGRID_GRPC_PORT: '0',
    PIGRID_DB_PATH: tempDbPath(),
    PIGRID_WORKERS: workers.join(','),
    PIGRID_THREADS: '1',
    PIGRID_METRICS_PORT: '0',
    ...env,
  });
}

async function gatewayFor(coordinator: Proc, env: Record<string, string> = {}): Promise<string> {
  const g = await startProcess('gateway', 'gateway', { PIGRID_HTTP_PORT: '0', PIGRID_COORDINATOR: coordinator.ready.grpc, ...env });
  return g.ready.url;
}

async function metric(coordinator: Proc, series: string): Promise<number> {
  const text = await (await fetch(`http://${coordinator.ready.metrics}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(series + ' '));
  return line ? Number(line.split(' ').pop()) : NaN;
}

/** Files of an identity from a CA the cluster does not trust. */
async function strangerFiles(role: 'worker' | 'coordinator', name?: string): Promise<IdentityFiles> {
  const dir = mkdtempSync(join(tmpdir(), 'pigrid-stranger-'));
  const ca = await LocalCa.inDirectory(dir, 'stranger CA');
  return ca.identityFiles(dir, role, role, name);
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

const SMALL = { points: 8 * 1_000_000, mode: 'distributed', seed: 11, chunk_size: 1_000_000 };

describe('the coordinator leases only to workers its CA vouches for', () => {
  it('gives a worker whose certificate is from another CA no lease, and reports it', async () => {
    const [honest, rogue] = await Promise.all([
      startWorker('worker-1', 1),
      strangerFiles('worker', 'rogue-1').then((certificate) =>
        startHostileWorker({ workerId: 'rogue-1', capacity: 4, behaviour: { kind: 'wrong', offset: 7 }, certificate }),
      ),
    ]);
    try {
      const coordinator = await coordinatorFor([honest.ready.grpc, rogue.address]);
      // The gateway starts while the coordinator dials the workers (it needs only the coordinator's address).
      const [url] = await Promise.all([
        gatewayFor(coordinator),
        coordinator.waitFor(new RegExp(`warn\\s+worker refused: no lease for it .*address=${escapeRegExp(rogue.address)}.*reason=tls`)),
      ]);
      const done = await waitDone(url, (await submit(url, SMALL)).id, 30_000);
      expect(done.status).toBe('completed');
      expect(rogue.stats.streams).toBe(0);
      expect(rogue.stats.grants).toBe(0);
      expect(await metric(coordinator, 'pigrid_worker_auth_failures_total{reason="tls"}')).toBeGreaterThanOrEqual(1);
    } finally {
      await rogue.close();
    }
  });

  it('refuses a worker whose hello claims another worker id than its certificate, and leaves the real one alone', async () => {
    const real = await startWorker('worker-1', 1);
    // A worker of the cluster's CA, certified as "impostor", saying hello as worker-1.
    const impostor = await startHostileWorker({
      workerId: 'worker-1',
      capacity: 4,
      behaviour: { kind: 'wrong', offset: 3 },
      certificate: await identity('worker', 'impostor'),
    });
    try {
      const coordinator = await coordinatorFor([real.ready.grpc, impostor.address]);
      const [url, refused] = await Promise.all([
        gatewayFor(coordinator),
        coordinator.waitFor(/worker refused: no lease for it .*reason=identity_mismatch/),
      ]);
      expect(refused).toContain('spiffe://pigrid/worker/impostor');
      const done = await waitDone(url, (await submit(url, SMALL)).id, 30_000);
      expect(done.status).toBe('completed');
      expect(impostor.stats.grants).toBe(0);
      expect(coordinator.lines.some((l) => /worker connected .*workerId=worker-1 /.test(l))).toBe(true);
      expect(coordinator.lines.some((l) => /identity_conflict|draining.*worker-1/.test(l))).toBe(false);
      expect(await metric(coordinator, 'pigrid_worker_auth_failures_total{reason="identity_mismatch"}')).toBeGreaterThanOrEqual(1);
    } finally {
      await impostor.close();
    }
  });
});

describe('a worker takes Work streams only from the coordinator', () => {
  it('refuses a coordinator whose certificate its CA does not vouch for, before any stream', async () => {
    const worker = await startWorker('worker-1', 1);
    const rogue = await coordinatorFor([worker.ready.grpc], { ...tlsEnv(await strangerFiles('coordinator')) });
    await rogue.waitFor(/worker refused: no lease for it .*reason=tls/);
    expect(worker.lines.some((l) => l.includes('work stream opened'))).toBe(false);
  });

  it('refuses a Work stream from a certificate of the CA that is not the coordinator’s', async () => {
    const worker = await startWorker('worker-1', 1);
    const Worker = loadContract().worker.pigrid.v1.Worker;
    const client = new Worker(worker.ready.grpc, await clientCredentials(await identity('gateway')));
    try {
      const stream = client.Work();
      const err = await new Promise<grpc.ServiceError>((resolve) => {
        stream.on('data', (_m: WorkerMessage__Output) => {});
        stream.on('error', resolve);
      });
      expect(err.code).toBe(grpc.status.PERMISSION_DENIED);
      expect(err.metadata.get('pigrid-code')).toEqual(['FORBIDDEN']);
      await worker.waitFor(/warn\s+Work stream refused .*spiffe:\/\/pigrid\/gateway/);
      expect(worker.lines.some((l) => l.includes('work stream opened'))).toBe(false);
    } finally {
      client.close();
    }
  });

  it('runs plaintext only when told to, and says so', async () => {
    const refused = await startProcess('worker-x', 'worker', { PIGRID_GRPC_PORT: '0', PIGRID_INSECURE: 'false' }).then(
      () => 'started',
      (e: Error) => e.message,
    );
    expect(refused).toMatch(/PIGRID_TLS_CA, PIGRID_TLS_CERT, PIGRID_TLS_KEY must name PEM files .*PIGRID_INSECURE=true/);
    const plain = await startProcess('worker-p', 'worker', { PIGRID_GRPC_PORT: '0', PIGRID_INSECURE: 'true' });
    expect(plain.lines.some((l) => /^warn\s+PIGRID_INSECURE=true: gRPC runs in plaintext/.test(l))).toBe(true);
    expect(plain.ready.tls).toBe('off');
  });
});

describe('certificates rotate under running processes', () => {
  it('a worker and a coordinator take new files without a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pigrid-rotate-'));
    const files = (name: string): IdentityFiles => ({
      ca: join(dir, 'ca.pem'),
      cert: join(dir, `${name}.pem`),
      key: join(dir, `${name}-key.pem`),
    });
    const ca = await LocalCa.inDirectory(dir, 'rotation CA');
    await ca.identityFiles(dir, 'w1', 'worker', 'worker-1');
    await ca.identityFiles(dir, 'c', 'coordinator');
    await ca.identityFiles(dir, 'w2', 'worker', 'worker-2');
    await ca.identityFiles(dir, 'g', 'gateway');
    const serialOf = (f: string) => new X509Certificate(readFileSync(f)).serialNumber.toLowerCase();
    const reload = { PIGRID_TLS_RELOAD_MS: '100' };
    const worker = await startWorker('worker-1', 1, { ...tlsEnv(files('w1')), ...reload });
    // A second worker address that comes up only after the coordinator's rotation.
    const port2 = await freePort();
    const coordinator = await coordinatorFor([worker.ready.grpc, `127.0.0.1:${port2}`], { ...tlsEnv(files('c')), ...reload });
    await worker.waitFor(/work stream opened/);

    // The worker's certificate is replaced in place (as cert-manager does): new connections see the new one.
    const next = await ca.issue('worker', 'worker-1');
    writeAtomic(files('w1').key, next.key);
    writeAtomic(files('w1').cert, next.cert);
    const newSerial = serialOf(files('w1').cert);
    await worker.waitFor(new RegExp(`TLS certificates reloaded .*serial=${newSerial}`), 10_000);
    const Worker = loadContract().worker.pigrid.v1.Worker;
    const probe = new Worker(worker.ready.grpc, await clientCredentials(files('c')), { 'grpc.use_local_subchannel_pool': 1 });
    try {
      const seen = await new Promise<string>((resolve, reject) => {
        const s = probe.Work();
        s.on('data', () => {
          resolve(String(s.getAuthContext()?.sslPeerCertificate?.serialNumber).toLowerCase());
          s.cancel();
        });
        s.on('error', (e: grpc.ServiceError) => (e.code === grpc.status.CANCELLED ? undefined : reject(e)));
      });
      expect(seen).toBe(newSerial);
    } finally {
      probe.close();
    }

    // The coordinator's client certificate too: the next worker it dials sees the new one.
    const nextC = await ca.issue('coordinator');
    writeAtomic(files('c').key, nextC.key);
    writeAtomic(files('c').cert, nextC.cert);
    const newC = serialOf(files('c').cert);
    await coordinator.waitFor(new RegExp(`TLS certificates reloaded .*serial=${newC}`), 10_000);
    const worker2 = await startWorker('worker-2', 1, { ...tlsEnv(files('w2')), PIGRID_GRPC_PORT: String(port2) });
    // The gateway starts while the coordinator dials the new worker.
    const [url] = await Promise.all([
      gatewayFor(coordinator, tlsEnv(files('g'))),
      worker2.waitFor(new RegExp(`work stream opened .*cert=${newC}`), 15_000),
    ]);

    // Work still flows over the stream opened before the rotation, and a new client gets the new certificate.
    const done = await waitDone(url, (await submit(url, SMALL)).id, 30_000);
    expect(done.status).toBe('completed');
    expect((await http(`${url}/healthz`)).status).toBe(200);
    await until('the worker process is still the first one', () => worker.child.exitCode === null);
  });
});
