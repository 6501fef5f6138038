/**
 * Mutual TLS for every gRPC hop, from three PEM files named by environment variables, reloaded when they change
 * (cert-manager rotates them in place). Plaintext only with PIGRID_INSECURE=true, and then with a warning.
 *
 *   PIGRID_TLS_CA     CA bundle: peers must chain to one of these
 *   PIGRID_TLS_CERT   this process's certificate (leaf first, then any intermediates)
 *   PIGRID_TLS_KEY    its private key
 *   PIGRID_TLS_RELOAD_MS  how often the files are read again (default 10 s)
 *
 * A new set of files is taken only when it is whole: the key matches the certificate, the certificate chains to the
 * CA, names this process's role and is within its validity. A half-written rotation (new certificate, old key) is
 * logged and skipped until the next read finds it complete; established connections keep their session.
 */
import * as grpc from '@grpc/grpc-js';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { checkServerIdentity as checkHostname, type PeerCertificate } from 'node:tls';
import type { EnvReader } from './config.js';
import { checkHostPort } from './host-port.js';
import type { Logger } from './logger.js';
import { describePeer, identityFromSan, peerIdentity, spiffeId, type PeerIdentity, type Role } from './peer-identity.js';

export type TlsSettings =
  | { readonly insecure: true }
  | { readonly insecure: false; readonly caFile: string; readonly certFile: string; readonly keyFile: string; readonly reloadMs: number };

/** Reads the TLS settings into a component's config (problems go to the reader's one error). */
export function readTlsSettings(r: EnvReader): TlsSettings {
  const flag = r.optionalString('PIGRID_INSECURE');
  const insecure = flag !== undefined && ['true', '1', 'yes'].includes(flag.toLowerCase());
  if (flag !== undefined && !insecure && !['false', '0', 'no'].includes(flag.toLowerCase())) {
    r.problems.push(`PIGRID_INSECURE must be true or false; got "${flag}"`);
  }
  const reloadMs = r.int('PIGRID_TLS_RELOAD_MS', 10_000, 50, 3_600_000);
  if (insecure) return { insecure: true };
  const caFile = r.optionalString('PIGRID_TLS_CA');
  const certFile = r.optionalString('PIGRID_TLS_CERT');
  const keyFile = r.optionalString('PIGRID_TLS_KEY');
  const missing = [
    ['PIGRID_TLS_CA', caFile],
    ['PIGRID_TLS_CERT', certFile],
    ['PIGRID_TLS_KEY', keyFile],
  ]
    .filter(([, v]) => !v)
    .map(([k]) => k);
  if (missing.length > 0) {
    r.problems.push(`${missing.join(', ')} must name PEM files (mutual TLS is the default); set PIGRID_INSECURE=true to run plaintext`);
    return { insecure: true };
  }
  return { insecure: false, caFile: caFile!, certFile: certFile!, keyFile: keyFile!, reloadMs };
}

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

function certificatesOf(pem: Buffer, what: string): X509Certificate[] {
  const blocks = pem.toString('utf8').match(PEM_BLOCK) ?? [];
  if (blocks.length === 0) throw new Error(`${what} holds no PEM certificate`);
  return blocks.map((b) => new X509Certificate(b));
}

/** What a consistent set of files says. */
export interface CertificateSummary {
  readonly identity: PeerIdentity;
  readonly serial: string;
  readonly notAfter: string;
}

/**
 * Checks a CA bundle, certificate and key as a whole; throws with the first problem in words. `role`: the role the
 * certificate must name.
 */
export function inspectCertificates(ca: Buffer, cert: Buffer, key: Buffer, role: Role, now = Date.now()): CertificateSummary {
  const roots = certificatesOf(ca, 'the CA file');
  const [leaf, ...chain] = certificatesOf(cert, 'the certificate file');
  let privateKey;
  try {
    privateKey = createPrivateKey(key);
  } catch (err) {
    throw new Error(`the key file is not a PEM private key (${(err as Error).message})`);
  }
  if (!leaf.checkPrivateKey(privateKey)) throw new Error('the key does not belong to the certificate');
  if (Date.parse(leaf.validFrom) > now) throw new Error(`the certificate is not valid before ${leaf.validFrom}`);
  if (Date.parse(leaf.validTo) <= now) throw new Error(`the certificate expired at ${leaf.validTo}`);
  // Up to a few intermediates from the certificate file, ending at one of the CAs.
  let current = leaf;
  for (let depth = 0; ; depth++) {
    const root = roots.find((r) => current.checkIssued(r) && current.verify(r.publicKey));
    if (root) break;
    const next = chain.find((c) => c !== current && current.checkIssued(c) && current.verify(c.publicKey));
    if (!next || depth > 4) throw new Error(`the certificate (${leaf.subject.replace(/\n/g, ', ')}) does not chain to the CA file`);
    current = next;
  }
  const identity = identityFromSan(leaf.subjectAltName, leaf.serialNumber);
  if (!identity)
    throw new Error(
      `the certificate names no pigrid identity: it needs one URI SAN ${spiffeId(role)}${role === 'worker' || role === 'client' ? '[/<name>]' : ''}`,
    );
  if (identity.role !== role)
    throw new Error(`the certificate is a ${identity.role} certificate (${identity.uri}); this process is the ${role}`);
  return { identity, serial: identity.serial, notAfter: leaf.validTo };
}

type Listener<T> = (update: T | null) => void;

/**
 * The three files as a grpc-js certificate provider: read at start (a problem stops the process with one message),
 * then every `reloadMs`; listeners get each new consistent set.
 */
export class CertificateFiles implements grpc.experimental.CertificateProvider {
  private readonly settings: Extract<TlsSettings, { insecure: false }>;
  private readonly role: Role;
  private readonly log: Logger;
  private ca: Buffer;
  private cert: Buffer;
  private key: Buffer;
  private summaryValue: CertificateSummary;
  private readonly caListeners = new Set<Listener<grpc.experimental.CaCertificateUpdate>>();
  private readonly identityListeners = new Set<Listener<grpc.experimental.IdentityCertificateUpdate>>();
  private timer: NodeJS.Timeout | undefined;
  private lastProblem: string | undefined;

  constructor(settings: Extract<TlsSettings, { insecure: false }>, role: Role, log: Logger) {
    this.settings = settings;
    this.role = role;
    this.log = log;
    const files = this.read();
    try {
      this.summaryValue = inspectCertificates(files.ca, files.cert, files.key, role);
    } catch (err) {
      throw new Error(`TLS files refused (${settings.certFile}): ${(err as Error).message}`, { cause: err });
    }
    ({ ca: this.ca, cert: this.cert, key: this.key } = files);
    this.timer = setInterval(() => this.reload(), settings.reloadMs);
    this.timer.unref();
  }

  /** What the current files say (identity, serial, expiry). */
  get summary(): CertificateSummary {
    return this.summaryValue;
  }

  private read(): { ca: Buffer; cert: Buffer; key: Buffer } {
    const one = (name: string, file: string) => {
      try {
        return readFileSync(file);
      } catch (err) {
        throw new Error(`cannot read ${name} ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err });
      }
    };
    return {
      ca: one('PIGRID_TLS_CA', this.settings.caFile),
      cert: one('PIGRID_TLS_CERT', this.settings.certFile),
      key: one('PIGRID_TLS_KEY', this.settings.keyFile),
    };
  }

  /** Reads the files again; takes them when they changed and are consistent. Returns true when it took new ones. */
  reload(): boolean {
    let files;
    let summary;
    try {
      files = this.read();
      if (files.ca.equals(this.ca) && files.cert.equals(this.cert) && files.key.equals(this.key)) return false;
      summary = inspectCertificates(files.ca, files.cert, files.key, this.role);
    } catch (err) {
      const problem = (err as Error).message;
      if (problem !== this.lastProblem) this.log.warn({ problem }, 'TLS files changed but cannot be used yet; keeping the current ones');
      this.lastProblem = problem;
      return false;
    }
    this.lastProblem = undefined;
    const caChanged = !files.ca.equals(this.ca);
    ({ ca: this.ca, cert: this.cert, key: this.key } = files);
    this.summaryValue = summary;
    this.log.info(
      { identity: summary.identity.uri, serial: summary.serial, notAfter: summary.notAfter, caChanged },
      'TLS certificates reloaded',
    );
    for (const l of this.identityListeners) l({ certificate: this.cert, privateKey: this.key });
    if (caChanged) for (const l of this.caListeners) l({ caCertificate: this.ca });
    return true;
  }

  addCaCertificateListener(listener: Listener<grpc.experimental.CaCertificateUpdate>): void {
    this.caListeners.add(listener);
    process.nextTick(listener, { caCertificate: this.ca });
  }

  removeCaCertificateListener(listener: Listener<grpc.experimental.CaCertificateUpdate>): void {
    this.caListeners.delete(listener);
  }

  addIdentityCertificateListener(listener: Listener<grpc.experimental.IdentityCertificateUpdate>): void {
    this.identityListeners.add(listener);
    process.nextTick(listener, { certificate: this.cert, privateKey: this.key });
  }

  removeIdentityCertificateListener(listener: Listener<grpc.experimental.IdentityCertificateUpdate>): void {
    this.identityListeners.delete(listener);
  }

  /** Stops reading the files. Idempotent. */
  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}

/** A process's TLS: its certificate files, or plaintext. */
export interface Tls {
  /** Undefined when running plaintext (PIGRID_INSECURE=true). */
  readonly files: CertificateFiles | undefined;
  close(): void;
}

/**
 * Loads the files of `role` (or warns that this process runs plaintext). Throws one clear message when the files
 * cannot be used.
 */
export function loadTls(settings: TlsSettings, role: Role, log: Logger): Tls {
  if (settings.insecure) {
    log.warn({ role }, 'PIGRID_INSECURE=true: gRPC runs in plaintext, unauthenticated; anyone who reaches the port is trusted');
    return { files: undefined, close: () => {} };
  }
  const files = new CertificateFiles(settings, role, log);
  log.info(
    { identity: files.summary.identity.uri, serial: files.summary.serial, notAfter: files.summary.notAfter, ca: settings.caFile },
    'mutual TLS on',
  );
  return { files, close: () => files.close() };
}

/** Server credentials: TLS that requires a client certificate chaining to the CA, or plaintext. */
export function serverCredentials(tls: Tls): grpc.ServerCredentials {
  if (!tls.files) return grpc.ServerCredentials.createInsecure();
  return grpc.experimental.createCertificateProviderServerCredentials(tls.files, tls.files, true);
}

export interface PeerExpectation {
  /** The role the server's certificate must name. */
  readonly role: Role;
  /** The `host:port` (IPv6 `[ip]:port`) the channel dials. */
  readonly address: string;
  /**
   * Also check the dialled host name against the certificate's DNS/IP SANs (the gateway dials the coordinator's
   * Service name). Workers are dialled at addresses discovery found, so their certificate is checked by identity only.
   */
  readonly verifyHostname: boolean;
  /** Told each refused server certificate, with the reason. */
  readonly onRefused?: (reason: string) => void;
}

/** What a client channel to one address needs: its credentials and the channel options that go with them. */
export interface ClientChannelSecurity {
  readonly credentials: grpc.ChannelCredentials;
  readonly options: grpc.ChannelOptions;
}

/** The host of `host:port` or `[ipv6]:port` (the address itself when it has no port). */
function hostOf(address: string): string {
  const parsed = checkHostPort(address);
  return 'problem' in parsed ? address : parsed.host;
}

/**
 * Credentials presenting this process's certificate and checking the server's role (and, with `verifyHostname`,
 * that its certificate names the dialled host), or plaintext.
 *
 * A TLS client sends the dialled host as the server name (SNI), but SNI may only carry DNS names: Node warns
 * (DEP0123) when it is an IP address, which is how workers are dialled and how the local run dials the coordinator.
 * For an IP the channel sends `<role>.pigrid.invalid` instead (nothing serves by SNI here). grpc-js then hands that
 * name to the identity check in place of the host, so the check uses the dialled host itself: the same SAN check
 * as before, not a weaker one.
 */
export function channelSecurity(tls: Tls, expect: PeerExpectation): ClientChannelSecurity {
  if (!tls.files) return { credentials: grpc.credentials.createInsecure(), options: {} };
  const dialled = hostOf(expect.address);
  const checkServerIdentity = (_sniName: string, cert: PeerCertificate): Error | undefined => {
    const refuse = (reason: string) => {
      expect.onRefused?.(reason);
      return new Error(reason);
    };
    if (expect.verifyHostname) {
      const err = checkHostname(dialled, cert);
      if (err) return refuse(`server certificate does not name ${dialled}: ${err.message}`);
    }
    const id = peerIdentity(cert);
    if (!id || id.role !== expect.role)
      return refuse(`server certificate ${describePeer(cert)} is not a ${expect.role} certificate (${spiffeId(expect.role)})`);
    return undefined;
  };
  return {
    credentials: grpc.experimental.createCertificateProviderChannelCredentials(tls.files, tls.files, { checkServerIdentity }),
    options: isIP(dialled) === 0 ? {} : { 'grpc.ssl_target_name_override': `${expect.role}.pigrid.invalid` },
  };
}
