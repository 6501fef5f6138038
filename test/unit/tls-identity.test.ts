/**
 * Certificate identities and the TLS file checks: which SAN names whom, which set of files is whole, and token
 * files (hashes only, constant-time lookup, scopes).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bearerToken, hashToken, loadApiTokens, parseTokenFile } from '../../shared/api-tokens.js';
import { captureLogs } from '../../harness/log-lines.js';
import { LocalCa } from '../../shared/local-certs.js';
import { identityFromSan, parseSpiffeId } from '../../shared/peer-identity.js';
import { inspectCertificates } from '../../shared/tls.js';
import { workerIdentity } from '../../coordinator/rpc/worker-identity.js';

const silent = captureLogs('error').log;

describe('pigrid ids in certificates', () => {
  it.each([
    ['spiffe://pigrid/coordinator', { role: 'coordinator', name: undefined }],
    ['spiffe://pigrid/worker/pigrid-worker-7d9f-abcde', { role: 'worker', name: 'pigrid-worker-7d9f-abcde' }],
    ['spiffe://pigrid/worker', { role: 'worker', name: undefined }],
    ['spiffe://pigrid/client/alice', { role: 'client', name: 'alice' }],
  ])('%s names %o', (uri, expected) => expect(parseSpiffeId(uri)).toEqual(expected));

  it.each([
    'spiffe://other/coordinator',
    'spiffe://pigrid/admin',
    'spiffe://pigrid/worker/a/b',
    'spiffe://pigrid/coordinator/x',
    'spiffe://pigrid/client',
    'spiffe://pigrid/worker/../x',
  ])('%s names nobody', (uri) => expect(parseSpiffeId(uri)).toBeUndefined());

  it('a certificate with two pigrid ids has no identity (which role would it be?)', () => {
    expect(identityFromSan('URI:spiffe://pigrid/coordinator, URI:spiffe://pigrid/worker/w1', 'AB')).toBeUndefined();
    expect(identityFromSan('DNS:localhost, URI:spiffe://pigrid/worker/w1', 'AB')).toMatchObject({
      role: 'worker',
      name: 'w1',
      serial: 'ab',
    });
  });
});

describe('which worker a Work stream is', () => {
  const cert = (uri: string) => ({ subjectaltname: `DNS:localhost, URI:${uri}`, serialNumber: '01', subject: { CN: 'x' } }) as never;
  it('takes the id of a per-worker certificate and refuses a hello that claims another', () => {
    expect(workerIdentity(true, cert('spiffe://pigrid/worker/w1'), 'w1', 'addr')).toMatchObject({
      ok: true,
      workerId: 'w1',
      certified: 'per-worker',
    });
    expect(workerIdentity(true, cert('spiffe://pigrid/worker/w1'), '', 'addr')).toMatchObject({ ok: true, workerId: 'w1' });
    expect(workerIdentity(true, cert('spiffe://pigrid/worker/w1'), 'w2', 'addr')).toMatchObject({ ok: false, reason: 'identity_mismatch' });
  });
  it('takes the hello of a shared worker certificate, refuses other roles, and believes the hello in plaintext', () => {
    expect(workerIdentity(true, cert('spiffe://pigrid/worker'), 'w9', 'addr')).toMatchObject({
      ok: true,
      workerId: 'w9',
      certified: 'shared',
    });
    expect(workerIdentity(true, cert('spiffe://pigrid/gateway'), 'w9', 'addr')).toMatchObject({ ok: false, reason: 'not_a_worker' });
    expect(workerIdentity(false, undefined, 'w9', 'addr')).toMatchObject({ ok: true, workerId: 'w9', certified: 'none' });
  });
});

describe('a set of TLS files is taken only when whole', async () => {
  const { ca } = await LocalCa.create('unit CA');
  const { ca: other } = await LocalCa.create('other CA');
  const caPem = Buffer.from(ca.certPem);
  const worker = await ca.issue('worker', 'w1');
  const worker2 = await ca.issue('worker', 'w1');

  it('accepts a certificate of the CA naming the process role, with its key', () => {
    expect(inspectCertificates(caPem, Buffer.from(worker.cert), Buffer.from(worker.key), 'worker').identity).toMatchObject({
      role: 'worker',
      name: 'w1',
    });
  });
  it('refuses a key of another certificate (a rotation caught half-way)', () => {
    expect(() => inspectCertificates(caPem, Buffer.from(worker2.cert), Buffer.from(worker.key), 'worker')).toThrow(/key does not belong/);
  });
  it('refuses a certificate of another CA, of another role, or expired', async () => {
    const stranger = await other.issue('worker', 'w1');
    expect(() => inspectCertificates(caPem, Buffer.from(stranger.cert), Buffer.from(stranger.key), 'worker')).toThrow(
      /does not chain to the CA/,
    );
    expect(() => inspectCertificates(caPem, Buffer.from(worker.cert), Buffer.from(worker.key), 'coordinator')).toThrow(
      /is a worker certificate/,
    );
    const old = await ca.issue('worker', 'w1', { notBefore: new Date(Date.now() - 10 * 86_400_000), days: 1 });
    expect(() => inspectCertificates(caPem, Buffer.from(old.cert), Buffer.from(old.key), 'worker')).toThrow(/expired/);
  });
});

describe('API tokens', () => {
  it('parses names, hex SHA-256 hashes and scopes, naming the line of a problem', () => {
    const entries = parseTokenFile(
      `# comment\nci ${hashToken('s3cret')} write\n\nviewer ${hashToken('look')} read\nbare ${hashToken('x')}\n`,
    );
    expect(entries.map((e) => [e.name, e.scope])).toEqual([
      ['ci', 'write'],
      ['viewer', 'read'],
      ['bare', 'write'],
    ]);
    expect(() => parseTokenFile('ci s3cret')).toThrow(/line 1: .*SHA-256/);
    expect(() => parseTokenFile(`ci ${hashToken('a')} admin`)).toThrow(/line 1: the scope/);
  });
  it('verifies a presented token against the hashes only', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pigrid-tokens-'));
    const file = join(dir, 'tokens');
    writeFileSync(file, `ci ${hashToken('s3cret')}\nviewer ${hashToken('look')} read\n`);
    const tokens = loadApiTokens({ tokensFile: file, readPolicy: 'open', reloadMs: 60_000 }, silent);
    try {
      expect(tokens.verify('s3cret')).toEqual({ name: 'ci', scope: 'write' });
      expect(tokens.verify('look')).toEqual({ name: 'viewer', scope: 'read' });
      expect(tokens.verify('s3cre')).toBeUndefined();
      expect(tokens.verify(hashToken('s3cret'))).toBeUndefined();
    } finally {
      tokens.close();
    }
  });
  it('reads only Bearer credentials', () => {
    expect(bearerToken('Bearer abc.DEF-123')).toBe('abc.DEF-123');
    expect(bearerToken('bearer  abc')).toBe('abc');
    expect(bearerToken('Basic dXNlcjpwYXNz')).toBeUndefined();
    expect(bearerToken('Bearer ')).toBeUndefined();
  });
});
