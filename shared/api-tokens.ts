/**
 * Bearer tokens for the REST API and gRPC Calculations. The server keeps only SHA-256 hashes, one token a line, in
 * the file PIGRID_API_TOKENS_FILE (a Kubernetes Secret mounted as a file):
 *
 *   # name    sha256 of the token (hex)                                          scope
 *   ci        9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08  write
 *   grafana   60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752  read
 *
 * `write` (the default) may submit and cancel, and read; `read` may only read. A presented token is hashed and
 * compared with every entry in constant time. The file is read again when it changes. Without a file, nobody needs a
 * token (the read policy then does not matter).
 *
 *   printf %s "$TOKEN" | sha256sum        # the hash to put in the file
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { EnvReader } from './config.js';
import type { Logger } from './logger.js';

export type TokenScope = 'read' | 'write';
/** Who may read (GET, Watch, List, ClusterStatus) when tokens are configured: everyone, or token holders. */
export type ReadPolicy = 'open' | 'token';

export interface AuthSettings {
  /** File of hashed tokens; undefined: no tokens, everything open. */
  readonly tokensFile: string | undefined;
  /** @default open */
  readonly readPolicy: ReadPolicy;
  /** How often the token file is read again. 5000 ms */
  readonly reloadMs: number;
}

export function readAuthSettings(r: EnvReader): AuthSettings {
  const policy = r.string('PIGRID_READ_AUTH', 'open');
  if (policy !== 'open' && policy !== 'token') r.problems.push(`PIGRID_READ_AUTH must be open or token; got "${policy}"`);
  return {
    tokensFile: r.optionalString('PIGRID_API_TOKENS_FILE'),
    readPolicy: policy === 'token' ? 'token' : 'open',
    reloadMs: 5_000,
  };
}

export interface TokenEntry {
  readonly name: string;
  readonly hash: Buffer;
  readonly scope: TokenScope;
}

/** Parses the token file; throws naming the line of the first problem. */
export function parseTokenFile(text: string): TokenEntry[] {
  const out: TokenEntry[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/#.*/, '').trim();
    if (line === '') return;
    const [name, hex, scope = 'write', ...rest] = line.split(/\s+/);
    if (!/^[A-Za-z0-9._-]{1,64}$/.test(name ?? '')) throw new Error(`line ${i + 1}: the name must be 1-64 letters, digits, . _ -`);
    if (!/^[0-9a-fA-F]{64}$/.test(hex ?? ''))
      throw new Error(`line ${i + 1}: the second field must be the hex SHA-256 of the token (64 hex digits)`);
    if (scope !== 'read' && scope !== 'write') throw new Error(`line ${i + 1}: the scope must be read or write; got "${scope}"`);
    if (rest.length > 0) throw new Error(`line ${i + 1}: unexpected "${rest.join(' ')}"`);
    out.push({ name: name, hash: Buffer.from(hex, 'hex'), scope });
  });
  return out;
}

/** The hex SHA-256 of a token, as the file keeps it. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** The token of an `Authorization: Bearer <token>` value; undefined when it is absent or not a bearer token. */
export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const m = /^Bearer[ \t]+([\x21-\x7e]{1,4096})[ \t]*$/i.exec(header);
  return m ? m[1] : undefined;
}

export interface ApiTokens {
  /** True when a token file is configured: writes need a token. */
  readonly enabled: boolean;
  readonly readPolicy: ReadPolicy;
  /** The entry of a presented token, or undefined. Compares with every entry in constant time. */
  verify(token: string): { name: string; scope: TokenScope } | undefined;
  close(): void;
}

/** Loads the token file (a problem stops the process with one message) and reads it again when it changes. */
export function loadApiTokens(settings: AuthSettings, log: Logger): ApiTokens {
  const file = settings.tokensFile;
  if (!file) return { enabled: false, readPolicy: settings.readPolicy, verify: () => undefined, close: () => {} };
  const load = () => {
    const text = readFileSync(file, 'utf8');
    return { text, entries: parseTokenFile(text) };
  };
  let current: { text: string; entries: TokenEntry[] };
  try {
    current = load();
  } catch (err) {
    throw new Error(`PIGRID_API_TOKENS_FILE ${file} refused: ${(err as Error).message}`, { cause: err });
  }
  log.info({ file, tokens: current.entries.length, readPolicy: settings.readPolicy }, 'API tokens loaded');
  const timer = setInterval(() => {
    try {
      const next = load();
      if (next.text === current.text) return;
      current = next;
      log.info({ file, tokens: current.entries.length }, 'API tokens reloaded');
    } catch (err) {
      log.warn({ file, problem: (err as Error).message }, 'API token file changed but cannot be used; keeping the current tokens');
    }
  }, settings.reloadMs);
  timer.unref();
  return {
    enabled: true,
    readPolicy: settings.readPolicy,
    verify(token) {
      const presented = createHash('sha256').update(token, 'utf8').digest();
      let found: TokenEntry | undefined;
      // No early exit: the time taken does not depend on which entry matched, or how much of it.
      for (const e of current.entries) if (timingSafeEqual(presented, e.hash) && !found) found = e;
      return found ? { name: found.name, scope: found.scope } : undefined;
    },
    close: () => clearInterval(timer),
  };
}
