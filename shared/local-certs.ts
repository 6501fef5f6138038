/**
 * A small certificate authority for runs without cert-manager: `npm start` (under ./data/tls), the tests, and the
 * k3s overlay's Secrets (scripts/k8s-certs.ts). ECDSA P-256 keys and X.509 certificates are made with
 * @peculiar/x509 on Node's WebCrypto; no openssl.
 *
 * Every leaf certificate carries exactly one pigrid id as a URI SAN (shared/peer-identity.ts), both TLS usages
 * (server and client), and the DNS/IP names it is dialled at. Files are PEM: `<name>.pem` and `<name>-key.pem`
 * (mode 0600), the CA as `ca.pem` / `ca-key.pem`. Existing files are reused while they chain to the CA and have
 * more than a week left.
 */
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { X509Certificate, webcrypto } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spiffeId, type Role } from './peer-identity.js';

x509.cryptoProvider.set(webcrypto as never);

type CryptoKey = webcrypto.CryptoKey;

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 86_400_000;
const RENEW_BEFORE_MS = 7 * DAY_MS;

export interface IdentityFiles {
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
}

export interface IssueOptions {
  /** DNS names the holder is dialled at. @default ['localhost'] */
  readonly dnsNames?: readonly string[];
  /** IP addresses the holder is dialled at. @default ['127.0.0.1', '::1'] */
  readonly ips?: readonly string[];
  /** @default 365 */
  readonly days?: number;
  /** Start of validity. @default now minus an hour (clock skew) */
  readonly notBefore?: Date;
}

function pem(label: string, der: ArrayBuffer): string {
  const b64 = Buffer.from(der)
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

function derOf(text: string): Buffer {
  return Buffer.from(text.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, ''), 'base64');
}

/** Writes a file atomically (a rename), so a process reading it never sees half of it. */
export function writeAtomic(path: string, content: string, mode = 0o644): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, content, { mode });
  renameSync(tmp, path);
}

export interface IssuedPem {
  readonly cert: string;
  readonly key: string;
}

export class LocalCa {
  readonly certPem: string;
  private readonly cert: x509.X509Certificate;
  private readonly key: CryptoKey;

  private constructor(certPem: string, key: CryptoKey) {
    this.certPem = certPem;
    this.cert = new x509.X509Certificate(certPem);
    this.key = key;
  }

  /** A new CA (self-signed, `CN=<name>`, valid for `days`). */
  static async create(name = 'pigrid local CA', days = 3650): Promise<{ ca: LocalCa; keyPem: string }> {
    const keys = await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']);
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
      name: `CN=${name}`,
      notBefore: new Date(Date.now() - 3_600_000),
      notAfter: new Date(Date.now() + days * DAY_MS),
      keys: keys as never,
      signingAlgorithm: ALG,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      ],
    });
    const keyPem = pem('PRIVATE KEY', await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
    return { ca: new LocalCa(cert.toString('pem') + '\n', keys.privateKey), keyPem };
  }

  static async fromPem(certPem: string, keyPem: string): Promise<LocalCa> {
    const key = await webcrypto.subtle.importKey('pkcs8', derOf(keyPem), ALG, false, ['sign']);
    return new LocalCa(certPem, key);
  }

  /** Loads the CA kept in `dir` (ca.pem, ca-key.pem), creating it the first time. */
  static async inDirectory(dir: string, name?: string): Promise<LocalCa> {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const certFile = join(dir, 'ca.pem');
    const keyFile = join(dir, 'ca-key.pem');
    if (existsSync(certFile) && existsSync(keyFile)) return LocalCa.fromPem(readFileSync(certFile, 'utf8'), readFileSync(keyFile, 'utf8'));
    const { ca, keyPem } = await LocalCa.create(name);
    writeAtomic(keyFile, keyPem, 0o600);
    writeAtomic(certFile, ca.certPem);
    return ca;
  }

  /** A certificate and key for one pigrid identity. */
  async issue(role: Role, name?: string, opts: IssueOptions = {}): Promise<IssuedPem> {
    const keys = await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']);
    const san: x509.JsonGeneralName[] = [
      { type: 'url', value: spiffeId(role, name) },
      ...(opts.dnsNames ?? ['localhost']).map((value) => ({ type: 'dns' as const, value })),
      ...(opts.ips ?? ['127.0.0.1', '::1']).map((value) => ({ type: 'ip' as const, value })),
    ];
    const notBefore = opts.notBefore ?? new Date(Date.now() - 3_600_000);
    const cert = await x509.X509CertificateGenerator.create({
      subject: `CN=${name ?? role}, OU=${role}, O=pigrid`,
      issuer: this.cert.subject,
      notBefore,
      notAfter: new Date(notBefore.getTime() + (opts.days ?? 365) * DAY_MS),
      publicKey: keys.publicKey as never,
      signingKey: this.key as never,
      signingAlgorithm: ALG,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyAgreement, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
        new x509.SubjectAlternativeNameExtension(san),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
        await x509.AuthorityKeyIdentifierExtension.create(this.cert),
      ],
    });
    return { cert: cert.toString('pem') + '\n', key: pem('PRIVATE KEY', await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)) };
  }

  /**
   * The files of an identity in `dir` (`<file>.pem`, `<file>-key.pem`, and the CA's `ca.pem`), issued when missing,
   * not from this CA, or within a week of expiry.
   */
  async identityFiles(dir: string, file: string, role: Role, name?: string, opts?: IssueOptions): Promise<IdentityFiles> {
    const files = { ca: join(dir, 'ca.pem'), cert: join(dir, `${file}.pem`), key: join(dir, `${file}-key.pem`) };
    if (!this.stillGood(files.cert)) {
      const issued = await this.issue(role, name, opts);
      writeAtomic(files.key, issued.key, 0o600);
      writeAtomic(files.cert, issued.cert);
    }
    if (!existsSync(files.ca)) writeAtomic(files.ca, this.certPem);
    return files;
  }

  private stillGood(certFile: string): boolean {
    if (!existsSync(certFile)) return false;
    try {
      const leaf = new X509Certificate(readFileSync(certFile));
      const ca = new X509Certificate(this.certPem);
      return leaf.checkIssued(ca) && leaf.verify(ca.publicKey) && Date.parse(leaf.validTo) - Date.now() > RENEW_BEFORE_MS;
    } catch {
      return false;
    }
  }
}
