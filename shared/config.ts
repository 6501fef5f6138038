/**
 * The one way pigrid reads settings: every variable is read once, every problem is collected, and one INVALID_CONFIG
 * error names each bad variable and its rule. The result is frozen. Component configs (coordinator/config.ts,
 * worker/config.ts, gateway/config.ts) and the local runner read through this; the load bench reads its flags with
 * it too (the names are then flags instead of variables).
 */
import { invalidConfig } from './errors.js';
import { LOG_FORMATS, LOG_LEVELS, type LogSettings } from './logger.js';

/** Default ports, written once: each component's own and the addresses that point at it. */
export const DEFAULT_PORTS = Object.freeze({
  coordinatorGrpc: 50051,
  coordinatorMetrics: 9464,
  workerGrpc: 50061,
  workerMetrics: 9465,
  gatewayHttp: 8080,
});

/** Default bind address: loopback locally (Kubernetes sets `PIGRID_HOST=0.0.0.0`). */
export const DEFAULT_HOST = '127.0.0.1';

/** What a rule says about a value it refuses, in words a user can act on. */
export interface Problem {
  readonly problem: string;
}

const isProblem = (v: unknown): v is Problem => typeof v === 'object' && v !== null && 'problem' in v;

/** Collects problems while reading settings from an environment (or any name → string map). */
export class EnvReader {
  private readonly env: Readonly<Record<string, string | undefined>>;
  readonly problems: string[] = [];

  constructor(env: Readonly<Record<string, string | undefined>>) {
    this.env = env;
  }

  private raw(name: string): string | undefined {
    const v = this.env[name];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  }

  string(name: string, fallback: string): string {
    return this.raw(name) ?? fallback;
  }

  optionalString(name: string): string | undefined {
    return this.raw(name);
  }

  /** An integer within [min, max]. Accepts 1e9-style and 1_000 forms for convenience. */
  int(name: string, fallback: number, min: number, max: number): number {
    const v = this.raw(name);
    if (v === undefined) return fallback;
    const n = Number(v.replace(/_/g, ''));
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      this.problems.push(`${name} must be an integer from ${min} to ${max}; got "${v}"`);
      return fallback;
    }
    return n;
  }

  /** A decimal number within [min, max], e.g. a share 0..1. */
  number(name: string, fallback: number, min: number, max: number): number {
    const v = this.raw(name);
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isFinite(n) || n < min || n > max) {
      this.problems.push(`${name} must be a number from ${min} to ${max}; got "${v}"`);
      return fallback;
    }
    return n;
  }

  port(name: string, fallback: number): number {
    return this.int(name, fallback, 0, 65_535);
  }

  /** One of `allowed`. */
  oneOf<T extends string>(name: string, fallback: T, allowed: readonly T[]): T {
    const v = this.raw(name);
    if (v === undefined) return fallback;
    if ((allowed as readonly string[]).includes(v)) return v as T;
    this.problems.push(`${name} must be one of ${allowed.join(', ')}; got "${v}"`);
    return fallback;
  }

  /** The log level, `PIGRID_LOG_LEVEL` (@default info), and format, `PIGRID_LOG_FORMAT` (json or pretty; @default json). */
  logSettings(): LogSettings {
    return { level: this.oneOf('PIGRID_LOG_LEVEL', 'info', LOG_LEVELS), format: this.oneOf('PIGRID_LOG_FORMAT', 'json', LOG_FORMATS) };
  }

  /** A value `parse` accepts; `parse` returns the value or the {@link Problem} with it. */
  parsed<T>(name: string, fallback: T, parse: (raw: string) => T | Problem): T {
    const v = this.raw(name);
    if (v === undefined) return fallback;
    const r = parse(v);
    if (!isProblem(r)) return r;
    this.problems.push(`${name} "${v}": ${r.problem}`);
    return fallback;
  }

  /**
   * A comma-separated list, each entry trimmed; one trailing comma is tolerated, an empty entry is not. With `parse`,
   * every entry must pass it and each refused entry is reported.
   */
  list(name: string): string[];
  list<T>(name: string, parse: (entry: string) => T | Problem): T[];
  list<T>(name: string, parse?: (entry: string) => T | Problem): (T | string)[] {
    const v = this.raw(name);
    if (v === undefined) return [];
    const entries = v.split(',').map((s) => s.trim());
    if (entries.length > 1 && entries[entries.length - 1] === '') entries.pop();
    const out: (T | string)[] = [];
    entries.forEach((entry, i) => {
      const r = entry === '' ? { problem: 'empty entry' } : parse ? parse(entry) : entry;
      if (isProblem(r)) this.problems.push(`${name} entry ${i + 1} "${entry}": ${r.problem}`);
      else out.push(r);
    });
    return out;
  }

  /** Throws one INVALID_CONFIG error naming every problem, else returns `value` frozen. */
  done<T extends object>(component: string, value: T): Readonly<T> {
    if (this.problems.length > 0) throw invalidConfig(`${component} configuration`, this.problems);
    return Object.freeze(value);
  }
}
